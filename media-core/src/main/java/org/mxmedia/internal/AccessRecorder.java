package org.mxmedia.internal;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.MediaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects download times in memory and writes them to the store in one call per flush, so a busy
 * server does not write a row per request (Synapse's {@code recently_accessed} batching). Past
 * {@link #FLUSH_EARLY_AT} waiting entries a flush is started at once on the background executor, so
 * the maps stay bounded however many different media are downloaded per interval.
 */
final class AccessRecorder {
  private static final Logger log = LoggerFactory.getLogger(AccessRecorder.class);
  static final int FLUSH_EARLY_AT = 10_000;

  private final MediaStore store;
  private final Executor executor;
  private final ConcurrentHashMap<MediaId, Instant> recent = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<MxcUri, Instant> recentRemote = new ConcurrentHashMap<>();
  private final AtomicBoolean earlyFlushQueued = new AtomicBoolean();

  AccessRecorder(MediaStore store, Executor executor) {
    this.store = store;
    this.executor = executor;
  }

  void record(MediaId mediaId, Instant at) {
    recent.merge(mediaId, at, (a, b) -> a.isAfter(b) ? a : b);
    flushIfLarge();
  }

  void recordRemote(MxcUri uri, Instant at) {
    recentRemote.merge(uri, at, (a, b) -> a.isAfter(b) ? a : b);
    flushIfLarge();
  }

  /** Entries waiting for the next flush. */
  int waiting() {
    return recent.size() + recentRemote.size();
  }

  private void flushIfLarge() {
    if (waiting() >= FLUSH_EARLY_AT && earlyFlushQueued.compareAndSet(false, true)) {
      try {
        executor.execute(
            () -> {
              earlyFlushQueued.set(false);
              try {
                flush();
              } catch (RuntimeException e) {
                log.warn("Early flush of access times failed; they are kept for the next flush", e);
              }
            });
      } catch (RejectedExecutionException e) {
        earlyFlushQueued.set(false);
      }
    }
  }

  /**
   * Writes what was recorded since the last flush in one store call each for local and remote
   * media.
   */
  void flush() {
    flushLocal();
    Map<MxcUri, Instant> batch = drain(recentRemote);
    if (!batch.isEmpty()) {
      try {
        store.recordRemoteAccess(Map.copyOf(batch));
      } catch (RuntimeException e) {
        log.warn(
            "Could not write {} remote access times; keeping them for the next flush",
            batch.size(),
            e);
        batch.forEach(this::recordRemote);
      }
    }
  }

  private static <K> Map<K, Instant> drain(ConcurrentHashMap<K, Instant> map) {
    Map<K, Instant> batch = new HashMap<>();
    for (K key : map.keySet()) {
      Instant at = map.remove(key);
      if (at != null) {
        batch.put(key, at);
      }
    }
    return batch;
  }

  /** Writes the local access times in one store call; on failure keeps them for the next. */
  private void flushLocal() {
    Map<MediaId, Instant> batch = drain(recent);
    if (batch.isEmpty()) {
      return;
    }
    try {
      store.recordAccess(Map.copyOf(batch));
    } catch (RuntimeException e) {
      log.warn("Could not write {} access times; keeping them for the next flush", batch.size(), e);
      batch.forEach(this::record);
    }
  }
}
