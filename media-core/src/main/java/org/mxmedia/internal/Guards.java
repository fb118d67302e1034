package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.mxmedia.DataSize;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationClient.FederationResponse;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.MediaStore.UrlPreviewRecord;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.SpamChecker;
import org.mxmedia.spi.StorageProvider;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UrlPreviewer;
import org.mxmedia.spi.UserDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shields the engine from host code, every plug-in the same way, applied in one place ({@link
 * RepositoryFactory}): an unchecked exception escaping a host's implementation becomes
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
 *
 * <p>The store and storage decorators also time every call and report it to the host's {@link
 * MediaEvents}, itself guarded ({@link #events}): an exception from it is logged once per method
 * and ignored.
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
    return store(s, MediaEvents.none());
  }

  /** The store, guarded, each call timed and reported to {@code events} (already guarded). */
  static MediaStore store(MediaStore s, MediaEvents events) {
    return s instanceof GuardedStore ? s : new GuardedStore(s, events);
  }

  static PrimaryStorage primary(PrimaryStorage s) {
    return primary(s, MediaEvents.none());
  }

  /**
   * The primary storage, guarded, each call timed and reported to {@code events} (already guarded).
   */
  static PrimaryStorage primary(PrimaryStorage s, MediaEvents events) {
    return s instanceof GuardedPrimary ? s : new GuardedPrimary(s, events);
  }

  static StorageProvider provider(StorageProvider p) {
    return provider(p, MediaEvents.none());
  }

  /**
   * A storage provider, guarded, each call timed and reported to {@code events} (already guarded).
   */
  static StorageProvider provider(StorageProvider p, MediaEvents events) {
    return p instanceof GuardedProvider ? p : new GuardedProvider(p, events);
  }

  /** The host's listener, guarded: an exception from it is logged once per method and ignored. */
  static MediaEvents events(MediaEvents e) {
    return e instanceof GuardedEvents ? e : new GuardedEvents(e);
  }

  private static MediaEvents.PluginCall pluginCall(
      MediaEvents.Plugin plugin, String name, String method, long startNanos, boolean failed) {
    return new MediaEvents.PluginCall(
        plugin, name, method, Duration.ofNanos(System.nanoTime() - startNanos), failed);
  }

  static Thumbnailer thumbnailer(Thumbnailer t) {
    String plugin = "thumbnailer";
    return new Thumbnailer() {
      @Override
      public Optional<ImageInfo> probe(Path source, String contentType) throws IOException {
        return io(plugin, "probe", () -> t.probe(source, contentType));
      }

      @Override
      public List<GeneratedThumbnail> generate(
          Path source,
          ImageInfo info,
          List<ThumbnailSpec> specs,
          long maxPixels,
          Path outputDirectory)
          throws IOException {
        return io(
            plugin, "generate", () -> t.generate(source, info, specs, maxPixels, outputDirectory));
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
      public FederationResponse get(
          ServerName destination, String path, Map<String, String> query, Duration timeout)
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
    return new UploadPolicy() {
      @Override
      public Allowance admit(Attempt attempt) {
        return call("upload policy", "admit", () -> p.admit(attempt));
      }

      @Override
      public Optional<DataSize> maxUploadSize(UserId user) {
        return call("upload policy", "maxUploadSize", () -> p.maxUploadSize(user));
      }
    };
  }

  static RateLimiter rateLimiter(RateLimiter r) {
    String plugin = "rate limiter";
    return new RateLimiter() {
      @Override
      public Optional<Duration> tryAcquire(Action action, UserId user, long cost) {
        return call(plugin, "tryAcquire", () -> r.tryAcquire(action, user, cost));
      }

      @Override
      public void record(Action action, UserId user, long cost) {
        run(plugin, "record", () -> r.record(action, user, cost));
      }
    };
  }

  /**
   * Its {@code IOException}s pass through (reading the staged bytes failed); other failures are a
   * 500.
   */
  static SpamChecker spamChecker(SpamChecker c) {
    return new SpamChecker() {
      @Override
      public boolean accepts(Upload upload) throws IOException {
        try {
          return c.accepts(upload);
        } catch (MediaException e) {
          throw e;
        } catch (RuntimeException e) {
          log.error("The spam checker failed in accepts", e);
          throw MediaException.internal("The media repository's spam checker failed", e);
        }
      }

      @Override
      public boolean acceptsRemote(RemoteFile file) throws IOException {
        try {
          return c.acceptsRemote(file);
        } catch (MediaException e) {
          throw e;
        } catch (RuntimeException e) {
          log.error("The spam checker failed in acceptsRemote", e);
          throw MediaException.internal("The media repository's spam checker failed", e);
        }
      }
    };
  }

  static Authorizer authorizer(Authorizer a) {
    return user -> call("authorizer", "isAdmin", () -> a.isAdmin(user));
  }

  static UserDirectory userDirectory(UserDirectory d) {
    return new UserDirectory() {
      @Override
      public boolean exists(UserId user) {
        return call("user directory", "exists", () -> d.exists(user));
      }

      @Override
      public Optional<String> displayName(UserId user) {
        return call("user directory", "displayName", () -> d.displayName(user));
      }

      @Override
      public boolean knowsProfiles() {
        return call("user directory", "knowsProfiles", d::knowsProfiles);
      }

      @Override
      public Set<MxcUri> usedInProfiles(Collection<MxcUri> candidates) {
        return call("user directory", "usedInProfiles", () -> d.usedInProfiles(candidates));
      }

      @Override
      public String toString() {
        return d.toString();
      }
    };
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
    private final MediaEvents events;

    GuardedPrimary(PrimaryStorage s, MediaEvents events) {
      this.s = s;
      this.plugin = "primary storage " + s.name();
      this.events = events;
    }

    // these shadow Guards.io and Guards.ioRun, so every call below is guarded and timed
    private <T> T io(String plugin, String method, IoCall<T> call) throws IOException {
      long start = System.nanoTime();
      boolean failed = true;
      try {
        T result = Guards.io(plugin, method, call);
        failed = false;
        return result;
      } finally {
        events.pluginCalled(
            pluginCall(MediaEvents.Plugin.STORAGE, s.name(), method, start, failed));
      }
    }

    private void ioRun(String plugin, String method, IoRun run) throws IOException {
      io(
          plugin,
          method,
          () -> {
            run.run();
            return Boolean.TRUE;
          });
    }

    @Override
    public StagedBlob stage() throws IOException {
      StagedBlob staged = io(plugin, "stage", s::stage);
      return new StagedBlob() {
        @Override
        public OutputStream outputStream() {
          return staged.outputStream();
        }

        @Override
        public InputStream openStaged() throws IOException {
          return io(plugin, "openStaged", staged::openStaged);
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
    private final MediaEvents events;

    GuardedProvider(StorageProvider p, MediaEvents events) {
      this.p = p;
      this.plugin = "storage provider " + p.name();
      this.events = events;
    }

    // these shadow Guards.io and Guards.ioRun, so every call below is guarded and timed
    private <T> T io(String plugin, String method, IoCall<T> call) throws IOException {
      long start = System.nanoTime();
      boolean failed = true;
      try {
        T result = Guards.io(plugin, method, call);
        failed = false;
        return result;
      } finally {
        events.pluginCalled(
            pluginCall(MediaEvents.Plugin.STORAGE, p.name(), method, start, failed));
      }
    }

    private void ioRun(String plugin, String method, IoRun run) throws IOException {
      io(
          plugin,
          method,
          () -> {
            run.run();
            return Boolean.TRUE;
          });
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
    private final MediaEvents events;

    GuardedStore(MediaStore s, MediaEvents events) {
      this.s = s;
      this.events = events;
    }

    // these shadow Guards.call and Guards.run, so every call below is guarded and timed
    private <T> T call(String plugin, String method, Supplier<T> call) {
      long start = System.nanoTime();
      boolean failed = true;
      try {
        T result = Guards.call(plugin, method, call);
        failed = false;
        return result;
      } finally {
        events.pluginCalled(pluginCall(MediaEvents.Plugin.STORE, "store", method, start, failed));
      }
    }

    private void run(String plugin, String method, Runnable call) {
      call(
          plugin,
          method,
          () -> {
            call.run();
            return Boolean.TRUE;
          });
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
    public Page<LocalMedia> localMediaOf(UserId uploader, MediaQuery query) {
      return call(PLUGIN, "localMediaOf", () -> s.localMediaOf(uploader, query));
    }

    @Override
    public int quarantineLocalMediaOf(UserId uploader) {
      return call(PLUGIN, "quarantineLocalMediaOf", () -> s.quarantineLocalMediaOf(uploader));
    }

    @Override
    public List<LocalMedia> localMediaAccessedBefore(
        Instant before, long sizeGreaterThan, Optional<MediaId> after, int limit) {
      return call(
          PLUGIN,
          "localMediaAccessedBefore",
          () -> s.localMediaAccessedBefore(before, sizeGreaterThan, after, limit));
    }

    @Override
    public Page<MediaId> quarantinedLocalMedia(long offset, int limit) {
      return call(PLUGIN, "quarantinedLocalMedia", () -> s.quarantinedLocalMedia(offset, limit));
    }

    @Override
    public Page<MxcUri> quarantinedRemoteMedia(long offset, int limit) {
      return call(PLUGIN, "quarantinedRemoteMedia", () -> s.quarantinedRemoteMedia(offset, limit));
    }

    @Override
    public Page<UserMediaStatistics> mediaStatistics(StatisticsQuery query) {
      return call(PLUGIN, "mediaStatistics", () -> s.mediaStatistics(query));
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
      return call(
          PLUGIN, "remoteMediaAccessedBefore", () -> s.remoteMediaAccessedBefore(before, limit));
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
      return call(
          PLUGIN,
          "releaseAbandonedReservations",
          () -> s.releaseAbandonedReservations(expiredBefore, now));
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

    @Override
    public List<LocalMedia> deleteLocalMediaAccessedBefore(Instant before, int limit) {
      return call(
          PLUGIN,
          "deleteLocalMediaAccessedBefore",
          () -> s.deleteLocalMediaAccessedBefore(before, limit));
    }

    @Override
    public List<RemoteMedia> deleteRemoteMediaAccessedBefore(Instant before, int limit) {
      return call(
          PLUGIN,
          "deleteRemoteMediaAccessedBefore",
          () -> s.deleteRemoteMediaAccessedBefore(before, limit));
    }

    @Override
    public long remoteMediaBytes() {
      return call(PLUGIN, "remoteMediaBytes", s::remoteMediaBytes);
    }
  }

  /**
   * The host's listener, guarded: each method's first exception is logged with its stack trace,
   * later ones at debug.
   */
  private static final class GuardedEvents implements MediaEvents {
    private final MediaEvents e;

    /** The methods that have failed already: at most the interface's methods. */
    private final Set<String> failedMethods = ConcurrentHashMap.newKeySet();

    GuardedEvents(MediaEvents e) {
      this.e = e;
    }

    private void tell(String method, Runnable call) {
      try {
        call.run();
      } catch (RuntimeException ex) {
        if (failedMethods.add(method)) {
          log.error(
              "The media events listener {} failed in {}; its failures are ignored (later ones logged at debug)",
              e,
              method,
              ex);
        } else {
          log.debug("The media events listener failed in {}", method, ex);
        }
      }
    }

    @Override
    public void started(BackgroundWork work) {
      tell("started", () -> e.started(work));
    }

    @Override
    public void uploaded(Upload upload) {
      tell("uploaded", () -> e.uploaded(upload));
    }

    @Override
    public void downloaded(Download download) {
      tell("downloaded", () -> e.downloaded(download));
    }

    @Override
    public void thumbnailsGenerated(ThumbnailGeneration generation) {
      tell("thumbnailsGenerated", () -> e.thumbnailsGenerated(generation));
    }

    @Override
    public void thumbnailServed(ThumbnailServed served) {
      tell("thumbnailServed", () -> e.thumbnailServed(served));
    }

    @Override
    public void remoteFetched(RemoteFetch fetch) {
      tell("remoteFetched", () -> e.remoteFetched(fetch));
    }

    @Override
    public void failed(Failure failure) {
      tell("failed", () -> e.failed(failure));
    }

    @Override
    public void pluginCalled(PluginCall call) {
      tell("pluginCalled", () -> e.pluginCalled(call));
    }

    @Override
    public String toString() {
      return e.toString();
    }
  }
}
