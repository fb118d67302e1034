package org.mxmedia.internal;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.MediaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects download times in memory and writes them to the store in one call per flush, so a
 * busy server does not write a row per request (Synapse's {@code recently_accessed} batching).
 */
final class AccessRecorder {
  private static final Logger log = LoggerFactory.getLogger(AccessRecorder.class);

  private final MediaStore store;
  private final ConcurrentHashMap<MediaId, Instant> recent = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<MxcUri, Instant> recentRemote = new ConcurrentHashMap<>();

  AccessRecorder(MediaStore store) {
    this.store = store;
  }

  void record(MediaId mediaId, Instant at) {
    recent.merge(mediaId, at, (a, b) -> a.isAfter(b) ? a : b);
  }

  void recordRemote(MxcUri uri, Instant at) {
    recentRemote.merge(uri, at, (a, b) -> a.isAfter(b) ? a : b);
  }

  /** Writes what was recorded since the last flush in one store call each for local and remote media. */
  void flush() {
    flushLocal();
    Map<MxcUri, Instant> batch = drain(recentRemote);
    if (!batch.isEmpty()) {
      try {
        store.recordRemoteAccess(Map.copyOf(batch));
      } catch (RuntimeException e) {
        log.warn("Could not write {} remote access times; keeping them for the next flush", batch.size(), e);
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
