package org.mxmedia.internal;

import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MediaImport;
import org.mxmedia.MediaInfo;
import org.mxmedia.MediaUsage;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.LocalMedia;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.RemoteMedia;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The administrative operations for trusted code; {@link AuthorizedAdmin} puts the host's authorizer in front. */
final class AdminOperations implements MediaAdmin {
  private static final Logger log = LoggerFactory.getLogger(AdminOperations.class);
  private static final int PURGE_BATCH = 500;

  private final ServerName serverName;
  private final MediaStore store;
  private final BlobManager blobs;
  private final Clock clock;

  AdminOperations(ServerName serverName, MediaStore store, BlobManager blobs, Clock clock) {
    this.serverName = serverName;
    this.store = store;
    this.blobs = blobs;
    this.clock = clock;
  }

  @Override
  public MediaInfo describe(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      return store.remoteMedia(uri).map(AdminOperations::info)
          .orElseThrow(() -> MediaException.notFound("No such cached remote media"));
    }
    return store.localMedia(uri.mediaId()).map(m -> info(uri, m)).orElseThrow(() -> MediaException.notFound("No such media"));
  }

  static MediaInfo info(MxcUri uri, LocalMedia m) {
    return new MediaInfo(uri, m.contentType(), m.uploadName(), Optional.of(m.uploader()), m.size(), m.blob().sha256(),
        m.createdAt(), m.lastAccessedAt(), m.quarantined(), m.safeFromQuarantine());
  }

  static MediaInfo info(RemoteMedia m) {
    return new MediaInfo(m.uri(), m.contentType(), m.uploadName(), Optional.empty(), m.size(), m.blob().sha256(),
        m.cachedAt(), m.lastAccessedAt(), m.quarantined(), false);
  }

  @Override
  public boolean quarantine(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      requireFound(store.setRemoteQuarantined(uri, true), "No such cached remote media");
      log.info("Quarantined remote media {}", uri);
      return true;
    }
    LocalMedia media = store.setQuarantined(localId(uri), true).orElseThrow(() -> MediaException.notFound("No such media"));
    log.info("Quarantine of {}: {}", uri, media.quarantined() ? "done" : "refused, the media is protected");
    return media.quarantined();
  }

  @Override
  public void unquarantine(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      requireFound(store.setRemoteQuarantined(uri, false), "No such cached remote media");
      return;
    }
    requireFound(store.setQuarantined(localId(uri), false), "No such media");
    log.info("Released {} from quarantine", uri);
  }

  @Override
  public int quarantineByHash(String sha256) {
    int n = store.setQuarantinedByHash(blobKey(sha256), true);
    log.info("Quarantined {} media with hash {}", n, sha256);
    return n;
  }

  @Override
  public int unquarantineByHash(String sha256) {
    int n = store.setQuarantinedByHash(blobKey(sha256), false);
    log.info("Released {} media with hash {} from quarantine", n, sha256);
    return n;
  }

  @Override
  public void protect(MxcUri uri) {
    requireFound(store.setSafeFromQuarantine(localId(uri), true), "No such media");
  }

  @Override
  public void unprotect(MxcUri uri) {
    requireFound(store.setSafeFromQuarantine(localId(uri), false), "No such media");
  }

  @Override
  public void delete(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      RemoteMedia gone = store.deleteRemoteMedia(uri).orElseThrow(() -> MediaException.notFound("No such cached remote media"));
      log.info("Deleted cached remote media {}", uri);
      blobs.deleteIfUnreferenced(gone.blob());
      return;
    }
    LocalMedia gone = store.deleteLocalMedia(localId(uri)).orElseThrow(() -> MediaException.notFound("No such media"));
    log.info("Deleted media {}", uri);
    blobs.deleteIfUnreferenced(gone.blob());
  }

  @Override
  public MediaUsage usage(UserId user, Instant since) {
    return store.usage(user, since);
  }

  @Override
  public int purgeRemoteMediaAccessedBefore(Instant before) {
    int purged = 0;
    while (true) {
      List<RemoteMedia> batch = store.remoteMediaAccessedBefore(before, PURGE_BATCH);
      if (batch.isEmpty()) {
        break;
      }
      for (RemoteMedia m : batch) {
        Optional<RemoteMedia> gone = store.deleteRemoteMedia(m.uri());
        if (gone.isPresent()) {
          blobs.deleteIfUnreferenced(gone.get().blob());
          purged++;
        }
      }
    }
    log.info("Purged {} cached remote media not accessed since {}", purged, before);
    return purged;
  }

  @Override
  public int purgeExpiredPendingUploads() {
    int n = store.deleteExpiredPending(clock.instant());
    if (n > 0) {
      log.info("Purged {} expired pending uploads", n);
    }
    return n;
  }

  @Override
  public boolean importMedia(MediaImport media, InputStream bytes) {
    boolean local = media.uri().serverName().equals(serverName);
    Optional<MediaInfo> existing = existing(media.uri(), local);
    if (existing.isPresent()) {
      return alreadyHere(existing.get(), media);
    }
    if (local && media.uploader().isEmpty()) {
      throw MediaException.invalidParam("Local media needs its uploader");
    }
    String contentType = ContentHeaders.normalizeContentType(media.contentType());
    Optional<String> uploadName = media.uploadName().filter(n -> !n.isEmpty() && ContentHeaders.isAcceptableFileName(n));
    Ingest.Limit limit = new Ingest.Limit(media.size().orElse(Long.MAX_VALUE),
        MediaException.invalidParam("The bytes are longer than the recorded size"));
    boolean imported = blobs.ingest(bytes, media.size(), limit, local, staged -> {
      if (media.size().isPresent() && staged.size() != media.size().getAsLong()) {
        throw MediaException.invalidParam("The bytes are " + staged.size() + " long, not the recorded " + media.size().getAsLong());
      }
      if (media.sha256().isPresent() && !media.sha256().get().equalsIgnoreCase(staged.key().sha256())) {
        throw MediaException.invalidParam("The bytes' SHA-256 is " + staged.key().sha256() + ", not the recorded " + media.sha256().get());
      }
    }, staged -> {
      boolean inserted = local
          ? store.insertLocalMedia(new LocalMedia(media.uri().mediaId(), contentType, uploadName, media.uploader().orElseThrow(), staged.size(),
              staged.key(), media.createdAt(), media.lastAccessedAt(), media.quarantined(), media.safeFromQuarantine()))
          : store.insertRemoteMedia(new RemoteMedia(media.uri().serverName(), media.uri().mediaId(), contentType, uploadName,
              staged.size(), staged.key(), media.createdAt(), media.lastAccessedAt(), media.quarantined()));
      return inserted ? BlobManager.Recorded.kept(true) : BlobManager.Recorded.notKept(false);
    });
    if (!imported) {
      // another import of the same URI won the insert
      return alreadyHere(existing(media.uri(), local).orElseThrow(() -> MediaException.internal("Could not import " + media.uri(),
          new IllegalStateException("the record was neither inserted nor found"))), media);
    }
    log.debug("Imported {} ({})", media.uri(), local ? "local" : "remote");
    return true;
  }

  private Optional<MediaInfo> existing(MxcUri uri, boolean local) {
    return local ? store.localMedia(uri.mediaId()).map(m -> info(uri, m)) : store.remoteMedia(uri).map(AdminOperations::info);
  }

  /** False when {@code here} holds the bytes {@code media} describes; 409 when it holds others. */
  private static boolean alreadyHere(MediaInfo here, MediaImport media) {
    boolean sameSize = media.size().isEmpty() || media.size().getAsLong() == here.size();
    boolean sameHash = media.sha256().isEmpty() || media.sha256().get().equalsIgnoreCase(here.sha256());
    if (!sameSize || !sameHash) {
      throw new MediaException(ErrorCode.M_CANNOT_OVERWRITE_MEDIA, media.uri() + " already names other bytes");
    }
    return false;
  }

  /** 404 with {@code message} when the store found nothing to change. */
  private static void requireFound(Optional<?> changed, String message) {
    if (changed.isEmpty()) {
      throw MediaException.notFound(message);
    }
  }

  private MediaId localId(MxcUri uri) {
    if (!uri.serverName().equals(serverName)) {
      throw MediaException.notFound("Not local media: " + uri);
    }
    return uri.mediaId();
  }

  private static BlobKey blobKey(String sha256) {
    try {
      return BlobKey.of(sha256);
    } catch (IllegalArgumentException e) {
      throw MediaException.invalidParam("A media hash is 64 lower-case hex characters");
    }
  }
}
