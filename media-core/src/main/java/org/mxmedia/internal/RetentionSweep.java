package org.mxmedia.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.mxmedia.DataSize;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synapse's {@code media_retention} and the remote cache's space bound. Records go first, in
 * bounded batches, each one atomic store call that re-checks its conditions ({@link
 * MediaStore#deleteLocalMediaAccessedBefore}); then their bytes go through the blob protocol
 * ({@link BlobManager#deleteIfUnreferenced}), which deletes them only at zero references under a
 * deletion claim, so an upload or remote copy of the same bytes running at the same time keeps
 * them. Access times waiting in memory are flushed first, so a download just served keeps its
 * media. A download already streaming keeps its open file.
 */
final class RetentionSweep {
  private static final Logger log = LoggerFactory.getLogger(RetentionSweep.class);

  /** Records deleted per store call. */
  static final int BATCH = 100;

  /** How often retention runs (Synapse's {@code MEDIA_RETENTION_CHECK_PERIOD}). */
  static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

  /** How often the remote cache's size is checked against its bound. */
  static final Duration SPACE_INTERVAL = Duration.ofMinutes(5);

  private final MediaStore store;
  private final BlobManager blobs;
  private final AccessRecorder accesses;
  private final Clock clock;
  private final Optional<Duration> localLifetime;
  private final Optional<Duration> remoteLifetime;
  private final Optional<DataSize> remoteMax;
  private final BooleanSupplier closed;

  RetentionSweep(
      MediaStore store,
      BlobManager blobs,
      AccessRecorder accesses,
      Clock clock,
      RepositoryFactory.LifecycleOptions options,
      BooleanSupplier closed) {
    this.store = store;
    this.blobs = blobs;
    this.accesses = accesses;
    this.clock = clock;
    this.localLifetime = options.localMediaLifetime();
    this.remoteLifetime = options.remoteMediaLifetime();
    this.remoteMax = options.remoteCacheMaxSize();
    this.closed = closed;
  }

  boolean retains() {
    return localLifetime.isPresent() || remoteLifetime.isPresent();
  }

  boolean bounds() {
    return remoteMax.isPresent();
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /** Deletes the media whose lifetime has passed; returns how many records went. */
  int applyRetention() {
    accesses.flush();
    int deleted = 0;
    if (remoteLifetime.isPresent()) {
      Instant before = now().minus(remoteLifetime.get());
      int n = deleteRemote(before, Long.MAX_VALUE);
      log.info("Retention: deleted {} cached remote media last accessed before {}", n, before);
      deleted += n;
    }
    if (localLifetime.isPresent()) {
      Instant before = now().minus(localLifetime.get());
      int n = 0;
      while (!closed.getAsBoolean()) {
        List<LocalMedia> batch = store.deleteLocalMediaAccessedBefore(before, BATCH);
        for (LocalMedia m : batch) {
          log.info(
              "Retention: deleted local media {} (last accessed {})",
              m.mediaId(),
              m.lastAccessedAt());
          blobs.deleteIfUnreferenced(m.blob());
        }
        n += batch.size();
        if (batch.size() < BATCH) {
          break;
        }
      }
      log.info("Retention: deleted {} local media last accessed before {}", n, before);
      deleted += n;
    }
    return deleted;
  }

  /**
   * Deletes the least recently accessed cached remote media while their total is over the bound,
   * one record per store call, so no more goes than needed; returns how many records went.
   */
  int enforceSpaceBound() {
    if (remoteMax.isEmpty()) {
      return 0;
    }
    long total = store.remoteMediaBytes();
    long excess = total - remoteMax.get().bytes();
    if (excess <= 0) {
      return 0;
    }
    accesses.flush();
    int n = deleteRemote(now().plusMillis(1), excess);
    log.info(
        "Remote cache: {} bytes over its bound of {}; evicted {} least recently accessed media",
        excess,
        remoteMax.get(),
        n);
    return n;
  }

  /**
   * Deletes unquarantined remote media accessed before {@code before}, least recently accessed
   * first, until {@code bytes} bytes of records went or none is left. With a byte goal, one record
   * per call, so the goal is not overshot by a batch.
   */
  private int deleteRemote(Instant before, long bytes) {
    int batchSize = bytes == Long.MAX_VALUE ? BATCH : 1;
    long freed = 0;
    int n = 0;
    while (freed < bytes && !closed.getAsBoolean()) {
      List<RemoteMedia> batch = store.deleteRemoteMediaAccessedBefore(before, batchSize);
      for (RemoteMedia m : batch) {
        log.debug("Deleted cached remote media {} (last accessed {})", m.uri(), m.lastAccessedAt());
        blobs.deleteIfUnreferenced(m.blob());
        freed += m.size();
      }
      n += batch.size();
      if (batch.size() < batchSize) {
        break;
      }
    }
    return n;
  }
}
