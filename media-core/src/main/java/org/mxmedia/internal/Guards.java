package org.mxmedia.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MediaUsage;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationResponse;
import org.mxmedia.spi.GeneratedThumbnail;
import org.mxmedia.spi.ImageInfo;
import org.mxmedia.spi.LocalMedia;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PendingMedia;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.RemoteMedia;
import org.mxmedia.spi.StagedBlob;
import org.mxmedia.spi.StorageProvider;
import org.mxmedia.spi.ThumbnailRecord;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UrlPreviewRecord;
import org.mxmedia.spi.UrlPreviewer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shields the engine from host code, every plug-in the same way, applied in one place
 * ({@link RepositoryFactory}): an unchecked exception escaping a host's implementation becomes
 *
 * <ul>
 *   <li>for plug-ins whose methods declare {@link IOException} (storages, the thumbnailer, the
 *       federation client): an {@code IOException} naming the plug-in and the method, which the
 *       engine handles as any fault of that plug-in, logging it once where it is handled;
 *   <li>for the others (the store, the upload policy, the authorizer, the id generator, the URL
 *       previewer): a 500 {@code M_UNKNOWN} whose message says nothing of the internals, logged
 *       here once with the plug-in, the method and the stack trace.
 * </ul>
 *
 * {@link MediaException}s (a policy's deliberate refusal) and {@link Error}s pass through.
 */
final class Guards {
  private static final Logger log = LoggerFactory.getLogger(Guards.class);

  private Guards() {}

  @FunctionalInterface
  private interface IoCall<T> {
    T run() throws IOException;
  }

  @FunctionalInterface
  private interface IoRun {
    void run() throws IOException;
  }

  private static void ioRun(String plugin, String method, IoRun run) throws IOException {
    try {
      run.run();
    } catch (MediaException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IOException("the " + plugin + " failed in " + method + ": " + e, e);
    }
  }

  private static <T> T io(String plugin, String method, IoCall<T> call) throws IOException {
    try {
      return call.run();
    } catch (MediaException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IOException("the " + plugin + " failed in " + method + ": " + e, e);
    }
  }

  private static <T> T call(String plugin, String method, Supplier<T> call) {
    try {
      return call.get();
    } catch (MediaException e) {
      throw e;
    } catch (RuntimeException e) {
      log.error("The {} failed in {}", plugin, method, e);
      throw MediaException.internal("The media repository's " + plugin + " failed", e);
    }
  }

  private static void run(String plugin, String method, Runnable call) {
    try {
      call.run();
    } catch (MediaException e) {
      throw e;
    } catch (RuntimeException e) {
      log.error("The {} failed in {}", plugin, method, e);
      throw MediaException.internal("The media repository's " + plugin + " failed", e);
    }
  }

  static MediaStore store(MediaStore s) {
    return s instanceof GuardedStore ? s : new GuardedStore(s);
  }

  static PrimaryStorage primary(PrimaryStorage s) {
    return s instanceof GuardedPrimary ? s : new GuardedPrimary(s);
  }

  static StorageProvider provider(StorageProvider p) {
    return p instanceof GuardedProvider ? p : new GuardedProvider(p);
  }

  static Thumbnailer thumbnailer(Thumbnailer t) {
    String plugin = "thumbnailer";
    return new Thumbnailer() {
      @Override
      public Optional<ImageInfo> probe(Path source, String contentType) throws IOException {
        return io(plugin, "probe", () -> t.probe(source, contentType));
      }

      @Override
      public List<GeneratedThumbnail> generate(Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels,
          Path outputDirectory) throws IOException {
        return io(plugin, "generate", () -> t.generate(source, info, specs, maxPixels, outputDirectory));
      }

      @Override
      public String toString() {
        return t.toString();
      }
    };
  }

  static FederationClient federation(FederationClient c) {
    String plugin = "federation client";
    return new FederationClient() {
      @Override
      public FederationResponse get(ServerName destination, String path, Map<String, String> query, Duration timeout)
          throws IOException {
        return io(plugin, "get", () -> c.get(destination, path, query, timeout));
      }

      @Override
      public FederationResponse get(URI uri, Duration timeout) throws IOException {
        return io(plugin, "get", () -> c.get(uri, timeout));
      }
    };
  }

  static UploadPolicy uploadPolicy(UploadPolicy p) {
    return attempt -> call("upload policy", "admit", () -> p.admit(attempt));
  }

  static Authorizer authorizer(Authorizer a) {
    return user -> call("authorizer", "isAdmin", () -> a.isAdmin(user));
  }

  static MediaIdGenerator ids(MediaIdGenerator g) {
    return () -> call("media id generator", "next", g::next);
  }

  static UrlPreviewer previewer(UrlPreviewer p) {
    return (url, images) -> call("URL previewer", "preview", () -> p.preview(url, images));
  }

  /** The primary storage, guarded. */
  private static final class GuardedPrimary implements PrimaryStorage {
    private final PrimaryStorage s;
    private final String plugin;

    GuardedPrimary(PrimaryStorage s) {
      this.s = s;
      this.plugin = "primary storage " + s.name();
    }

    @Override
    public StagedBlob stage() throws IOException {
      StagedBlob staged = io(plugin, "stage", s::stage);
      return new StagedBlob() {
        @Override
        public java.io.OutputStream outputStream() {
          return staged.outputStream();
        }

        @Override
        public void commit(BlobKey key) throws IOException {
          ioRun(plugin, "commit", () -> staged.commit(key));
        }

        @Override
        public void close() throws IOException {
          ioRun(plugin, "close", () -> staged.close());
        }
      };
    }

    @Override
    public Optional<Path> localFile(BlobKey key) throws IOException {
      return io(plugin, "localFile", () -> s.localFile(key));
    }

    @Override
    public void store(BlobKey key, Path source) throws IOException {
      ioRun(plugin, "store", () -> s.store(key, source));
    }

    @Override
    public Optional<MediaContent> fetch(BlobKey key) throws IOException {
      return io(plugin, "fetch", () -> s.fetch(key));
    }

    @Override
    public boolean delete(BlobKey key) throws IOException {
      return io(plugin, "delete", () -> s.delete(key));
    }

    @Override
    public boolean exists(BlobKey key) throws IOException {
      return io(plugin, "exists", () -> s.exists(key));
    }

    @Override
    public String name() {
      return s.name();
    }
  }

  /** A storage provider, guarded. */
  private static final class GuardedProvider implements StorageProvider {
    private final StorageProvider p;
    private final String plugin;

    GuardedProvider(StorageProvider p) {
      this.p = p;
      this.plugin = "storage provider " + p.name();
    }

    @Override
    public void store(BlobKey key, Path source) throws IOException {
      ioRun(plugin, "store", () -> p.store(key, source));
    }

    @Override
    public Optional<MediaContent> fetch(BlobKey key) throws IOException {
      return io(plugin, "fetch", () -> p.fetch(key));
    }

    @Override
    public boolean delete(BlobKey key) throws IOException {
      return io(plugin, "delete", () -> p.delete(key));
    }

    @Override
    public boolean exists(BlobKey key) throws IOException {
      return io(plugin, "exists", () -> p.exists(key));
    }

    @Override
    public String name() {
      return p.name();
    }
  }

  /** The metadata store, guarded: every method one guarded call. */
  private static final class GuardedStore implements MediaStore {
    private static final String PLUGIN = "media store";
    private final MediaStore s;

    GuardedStore(MediaStore s) {
      this.s = s;
    }

    @Override
    public boolean insertLocalMedia(LocalMedia media) {
      return call(PLUGIN, "insertLocalMedia", () -> s.insertLocalMedia(media));
    }

    @Override
    public Optional<LocalMedia> localMedia(MediaId mediaId) {
      return call(PLUGIN, "localMedia", () -> s.localMedia(mediaId));
    }

    @Override
    public Optional<LocalMedia> deleteLocalMedia(MediaId mediaId) {
      return call(PLUGIN, "deleteLocalMedia", () -> s.deleteLocalMedia(mediaId));
    }

    @Override
    public void recordAccess(Map<MediaId, Instant> accessTimes) {
      run(PLUGIN, "recordAccess", () -> s.recordAccess(accessTimes));
    }

    @Override
    public MediaUsage usage(UserId uploader, Instant since) {
      return call(PLUGIN, "usage", () -> s.usage(uploader, since));
    }

    @Override
    public boolean insertRemoteMedia(RemoteMedia media) {
      return call(PLUGIN, "insertRemoteMedia", () -> s.insertRemoteMedia(media));
    }

    @Override
    public Optional<RemoteMedia> remoteMedia(MxcUri uri) {
      return call(PLUGIN, "remoteMedia", () -> s.remoteMedia(uri));
    }

    @Override
    public Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri) {
      return call(PLUGIN, "deleteRemoteMedia", () -> s.deleteRemoteMedia(uri));
    }

    @Override
    public List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit) {
      return call(PLUGIN, "remoteMediaAccessedBefore", () -> s.remoteMediaAccessedBefore(before, limit));
    }

    @Override
    public void recordRemoteAccess(Map<MxcUri, Instant> accessTimes) {
      run(PLUGIN, "recordRemoteAccess", () -> s.recordRemoteAccess(accessTimes));
    }

    @Override
    public Optional<RemoteMedia> setRemoteQuarantined(MxcUri uri, boolean quarantined) {
      return call(PLUGIN, "setRemoteQuarantined", () -> s.setRemoteQuarantined(uri, quarantined));
    }

    @Override
    public Optional<LocalMedia> setQuarantined(MediaId mediaId, boolean quarantined) {
      return call(PLUGIN, "setQuarantined", () -> s.setQuarantined(mediaId, quarantined));
    }

    @Override
    public int setQuarantinedByHash(BlobKey blob, boolean quarantined) {
      return call(PLUGIN, "setQuarantinedByHash", () -> s.setQuarantinedByHash(blob, quarantined));
    }

    @Override
    public Optional<LocalMedia> setSafeFromQuarantine(MediaId mediaId, boolean safe) {
      return call(PLUGIN, "setSafeFromQuarantine", () -> s.setSafeFromQuarantine(mediaId, safe));
    }

    @Override
    public PendingInsert insertPending(PendingMedia pending, int maxPerOwner, Instant now) {
      return call(PLUGIN, "insertPending", () -> s.insertPending(pending, maxPerOwner, now));
    }

    @Override
    public Optional<PendingMedia> pending(MediaId mediaId) {
      return call(PLUGIN, "pending", () -> s.pending(mediaId));
    }

    @Override
    public boolean completePending(LocalMedia media) {
      return call(PLUGIN, "completePending", () -> s.completePending(media));
    }

    @Override
    public int deleteExpiredPending(Instant now) {
      return call(PLUGIN, "deleteExpiredPending", () -> s.deleteExpiredPending(now));
    }

    @Override
    public boolean insertThumbnail(ThumbnailRecord thumbnail) {
      return call(PLUGIN, "insertThumbnail", () -> s.insertThumbnail(thumbnail));
    }

    @Override
    public List<ThumbnailRecord> thumbnails(BlobKey source) {
      return call(PLUGIN, "thumbnails", () -> s.thumbnails(source));
    }

    @Override
    public boolean deleteThumbnail(ThumbnailRecord thumbnail) {
      return call(PLUGIN, "deleteThumbnail", () -> s.deleteThumbnail(thumbnail));
    }

    @Override
    public List<ThumbnailRecord> deleteThumbnails(BlobKey source) {
      return call(PLUGIN, "deleteThumbnails", () -> s.deleteThumbnails(source));
    }

    @Override
    public Reservation reserveBlob(BlobKey blob) {
      return call(PLUGIN, "reserveBlob", () -> s.reserveBlob(blob));
    }

    @Override
    public void releaseBlob(BlobKey blob) {
      run(PLUGIN, "releaseBlob", () -> s.releaseBlob(blob));
    }

    @Override
    public boolean claimBlobForDeletion(BlobKey blob, Instant now) {
      return call(PLUGIN, "claimBlobForDeletion", () -> s.claimBlobForDeletion(blob, now));
    }

    @Override
    public boolean takeOverDeletion(BlobKey blob, Instant claimedBefore, Instant now) {
      return call(PLUGIN, "takeOverDeletion", () -> s.takeOverDeletion(blob, claimedBefore, now));
    }

    @Override
    public void forgetBlob(BlobKey blob, Instant claimedAt) {
      run(PLUGIN, "forgetBlob", () -> s.forgetBlob(blob, claimedAt));
    }

    @Override
    public void cancelDeletion(BlobKey blob, Instant claimedAt) {
      run(PLUGIN, "cancelDeletion", () -> s.cancelDeletion(blob, claimedAt));
    }

    @Override
    public long blobReferences(BlobKey blob) {
      return call(PLUGIN, "blobReferences", () -> s.blobReferences(blob));
    }

    @Override
    public List<BlobKey> unreferencedBlobs(int limit) {
      return call(PLUGIN, "unreferencedBlobs", () -> s.unreferencedBlobs(limit));
    }

    @Override
    public void renewLease(Instant now) {
      run(PLUGIN, "renewLease", () -> s.renewLease(now));
    }

    @Override
    public int releaseAbandonedReservations(Instant expiredBefore, Instant now) {
      return call(PLUGIN, "releaseAbandonedReservations", () -> s.releaseAbandonedReservations(expiredBefore, now));
    }

    @Override
    public boolean claimWork(String work, String owner, Instant now, Instant until) {
      return call(PLUGIN, "claimWork", () -> s.claimWork(work, owner, now, until));
    }

    @Override
    public void releaseWork(String work, String owner) {
      run(PLUGIN, "releaseWork", () -> s.releaseWork(work, owner));
    }

    @Override
    public boolean insertUrlPreview(UrlPreviewRecord preview) {
      return call(PLUGIN, "insertUrlPreview", () -> s.insertUrlPreview(preview));
    }

    @Override
    public Optional<UrlPreviewRecord> urlPreview(String url, Instant at) {
      return call(PLUGIN, "urlPreview", () -> s.urlPreview(url, at));
    }

    @Override
    public List<UrlPreviewRecord> urlPreviewsExpiredBy(Instant now, int limit) {
      return call(PLUGIN, "urlPreviewsExpiredBy", () -> s.urlPreviewsExpiredBy(now, limit));
    }

    @Override
    public Optional<UrlPreviewRecord> deleteUrlPreview(String url, Instant fetchedAt) {
      return call(PLUGIN, "deleteUrlPreview", () -> s.deleteUrlPreview(url, fetchedAt));
    }

    @Override
    public String toString() {
      return s.toString();
    }
  }
}
