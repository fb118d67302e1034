package org.mxmedia.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.MediaStore.UrlPreviewRecord;

/**
 * Keeps the hot media records (local by id, remote by URI) in bounded Caffeine caches in front of
 * the store, so serving a popular file does not cost a database transaction per request.
 *
 * <p>Only records that exist are cached (an absent answer is always asked again: a pending upload
 * completes, a remote copy is fetched). Entries live at most {@link #TTL} after they were read,
 * which bounds how stale a record can be when another process changes it in a shared database.
 * Changes made through this store are seen at once: every quarantine, protection, release or
 * deletion of a record moves an epoch forward after the store has changed it, and an entry read in
 * an earlier epoch is never answered. Because the epoch is read before the store is, a read that
 * raced a change (read the old row, stored its entry after the change) is discarded too. Access
 * times flushed by the engine drop the entries they touch.
 */
final class CachingMediaStore implements MediaStore {
  /** How long an entry is answered after it was read from the store. */
  static final Duration TTL = Duration.ofSeconds(5);

  /** Entries at most, in each cache. */
  static final long MAX_ENTRIES = 10_000;

  private final MediaStore s;
  private final AtomicLong epoch = new AtomicLong();
  private final Cache<MediaId, Entry<LocalMedia>> local;
  private final Cache<MxcUri, Entry<RemoteMedia>> remote;

  /** A record and the epoch its read started in. */
  private record Entry<T>(T value, long epoch) {}

  /** A cache over {@code store}; {@code ticker} is the clock of the time to live (nanoseconds). */
  CachingMediaStore(MediaStore store, Duration ttl, long maxEntries, Ticker ticker) {
    this.s = store;
    this.local =
        Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).ticker(ticker).build();
    this.remote =
        Caffeine.newBuilder().maximumSize(maxEntries).expireAfterWrite(ttl).ticker(ticker).build();
  }

  CachingMediaStore(MediaStore store) {
    this(store, TTL, MAX_ENTRIES, Ticker.systemTicker());
  }

  private <K, T> Optional<T> cached(
      Cache<K, Entry<T>> cache, K key, Function<K, Optional<T>> read) {
    long now = epoch.get();
    Entry<T> hit = cache.getIfPresent(key);
    if (hit != null && hit.epoch() == now) {
      return Optional.of(hit.value());
    }
    Optional<T> value = read.apply(key);
    value.ifPresent(v -> cache.put(key, new Entry<>(v, now)));
    return value;
  }

  /** Local entries held now (after pending evictions), for tests. */
  long localEntries() {
    local.cleanUp();
    return local.estimatedSize();
  }

  /** After a change made through this store: entries read before it are never answered. */
  private void changed() {
    epoch.incrementAndGet();
  }

  @Override
  public Optional<LocalMedia> localMedia(MediaId mediaId) {
    return cached(local, mediaId, s::localMedia);
  }

  @Override
  public Optional<RemoteMedia> remoteMedia(MxcUri uri) {
    return cached(remote, uri, s::remoteMedia);
  }

  @Override
  public boolean insertLocalMedia(LocalMedia media) {
    try {
      return s.insertLocalMedia(media);
    } finally {
      local.invalidate(media.mediaId());
    }
  }

  @Override
  public Optional<LocalMedia> deleteLocalMedia(MediaId mediaId) {
    try {
      return s.deleteLocalMedia(mediaId);
    } finally {
      changed();
      local.invalidate(mediaId);
    }
  }

  @Override
  public void recordAccess(Map<MediaId, Instant> accessTimes) {
    try {
      s.recordAccess(accessTimes);
    } finally {
      local.invalidateAll(accessTimes.keySet());
    }
  }

  @Override
  public MediaUsage usage(UserId uploader, Instant since) {
    return s.usage(uploader, since);
  }

  @Override
  public boolean insertRemoteMedia(RemoteMedia media) {
    try {
      return s.insertRemoteMedia(media);
    } finally {
      remote.invalidate(media.uri());
    }
  }

  @Override
  public Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri) {
    try {
      return s.deleteRemoteMedia(uri);
    } finally {
      changed();
      remote.invalidate(uri);
    }
  }

  @Override
  public List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit) {
    return s.remoteMediaAccessedBefore(before, limit);
  }

  @Override
  public void recordRemoteAccess(Map<MxcUri, Instant> accessTimes) {
    try {
      s.recordRemoteAccess(accessTimes);
    } finally {
      remote.invalidateAll(accessTimes.keySet());
    }
  }

  @Override
  public Optional<RemoteMedia> setRemoteQuarantined(MxcUri uri, boolean quarantined) {
    try {
      return s.setRemoteQuarantined(uri, quarantined);
    } finally {
      changed();
      remote.invalidate(uri);
    }
  }

  @Override
  public Optional<LocalMedia> setQuarantined(MediaId mediaId, boolean quarantined) {
    try {
      return s.setQuarantined(mediaId, quarantined);
    } finally {
      changed();
      local.invalidate(mediaId);
    }
  }

  @Override
  public int setQuarantinedByHash(BlobKey blob, boolean quarantined) {
    try {
      return s.setQuarantinedByHash(blob, quarantined);
    } finally {
      changed();
      local.asMap().values().removeIf(e -> e.value().blob().equals(blob));
      remote.asMap().values().removeIf(e -> e.value().blob().equals(blob));
    }
  }

  @Override
  public Optional<LocalMedia> setSafeFromQuarantine(MediaId mediaId, boolean safe) {
    try {
      return s.setSafeFromQuarantine(mediaId, safe);
    } finally {
      changed();
      local.invalidate(mediaId);
    }
  }

  @Override
  public PendingInsert insertPending(PendingMedia pending, int maxPerOwner, Instant now) {
    return s.insertPending(pending, maxPerOwner, now);
  }

  @Override
  public Optional<PendingMedia> pending(MediaId mediaId) {
    return s.pending(mediaId);
  }

  @Override
  public boolean completePending(LocalMedia media) {
    try {
      return s.completePending(media);
    } finally {
      local.invalidate(media.mediaId());
    }
  }

  @Override
  public int deleteExpiredPending(Instant now) {
    return s.deleteExpiredPending(now);
  }

  @Override
  public boolean insertThumbnail(ThumbnailRecord thumbnail) {
    return s.insertThumbnail(thumbnail);
  }

  @Override
  public List<ThumbnailRecord> thumbnails(BlobKey source) {
    return s.thumbnails(source);
  }

  @Override
  public boolean deleteThumbnail(ThumbnailRecord thumbnail) {
    return s.deleteThumbnail(thumbnail);
  }

  @Override
  public List<ThumbnailRecord> deleteThumbnails(BlobKey source) {
    return s.deleteThumbnails(source);
  }

  @Override
  public Reservation reserveBlob(BlobKey blob) {
    return s.reserveBlob(blob);
  }

  @Override
  public void releaseBlob(BlobKey blob) {
    s.releaseBlob(blob);
  }

  @Override
  public boolean claimBlobForDeletion(BlobKey blob, Instant now) {
    return s.claimBlobForDeletion(blob, now);
  }

  @Override
  public boolean takeOverDeletion(BlobKey blob, Instant claimedBefore, Instant now) {
    return s.takeOverDeletion(blob, claimedBefore, now);
  }

  @Override
  public void forgetBlob(BlobKey blob, Instant claimedAt) {
    s.forgetBlob(blob, claimedAt);
  }

  @Override
  public void cancelDeletion(BlobKey blob, Instant claimedAt) {
    s.cancelDeletion(blob, claimedAt);
  }

  @Override
  public long blobReferences(BlobKey blob) {
    return s.blobReferences(blob);
  }

  @Override
  public List<BlobKey> unreferencedBlobs(int limit) {
    return s.unreferencedBlobs(limit);
  }

  @Override
  public void renewLease(Instant now) {
    s.renewLease(now);
  }

  @Override
  public int releaseAbandonedReservations(Instant expiredBefore, Instant now) {
    return s.releaseAbandonedReservations(expiredBefore, now);
  }

  @Override
  public boolean claimWork(String work, String owner, Instant now, Instant until) {
    return s.claimWork(work, owner, now, until);
  }

  @Override
  public void releaseWork(String work, String owner) {
    s.releaseWork(work, owner);
  }

  // ---- listings and bulk changes: read through; a bulk change drops every entry

  @Override
  public Page<LocalMedia> localMediaOf(UserId uploader, MediaQuery query) {
    return s.localMediaOf(uploader, query);
  }

  @Override
  public int quarantineLocalMediaOf(UserId uploader) {
    try {
      return s.quarantineLocalMediaOf(uploader);
    } finally {
      changedAll();
    }
  }

  @Override
  public List<LocalMedia> localMediaAccessedBefore(
      Instant before, long sizeGreaterThan, Optional<MediaId> after, int limit) {
    return s.localMediaAccessedBefore(before, sizeGreaterThan, after, limit);
  }

  @Override
  public Page<MediaId> quarantinedLocalMedia(long offset, int limit) {
    return s.quarantinedLocalMedia(offset, limit);
  }

  @Override
  public Page<MxcUri> quarantinedRemoteMedia(long offset, int limit) {
    return s.quarantinedRemoteMedia(offset, limit);
  }

  @Override
  public Page<UserMediaStatistics> mediaStatistics(StatisticsQuery query) {
    return s.mediaStatistics(query);
  }

  @Override
  public List<LocalMedia> deleteLocalMediaAccessedBefore(Instant before, int limit) {
    try {
      return s.deleteLocalMediaAccessedBefore(before, limit);
    } finally {
      changedAll();
    }
  }

  @Override
  public List<RemoteMedia> deleteRemoteMediaAccessedBefore(Instant before, int limit) {
    try {
      return s.deleteRemoteMediaAccessedBefore(before, limit);
    } finally {
      changedAll();
    }
  }

  @Override
  public long remoteMediaBytes() {
    return s.remoteMediaBytes();
  }

  @Override
  public boolean insertUrlPreview(UrlPreviewRecord preview) {
    return s.insertUrlPreview(preview);
  }

  @Override
  public Optional<UrlPreviewRecord> urlPreview(String url, Instant at) {
    return s.urlPreview(url, at);
  }

  @Override
  public List<UrlPreviewRecord> urlPreviewsExpiredBy(Instant now, int limit) {
    return s.urlPreviewsExpiredBy(now, limit);
  }

  @Override
  public Optional<UrlPreviewRecord> deleteUrlPreview(String url, Instant fetchedAt) {
    return s.deleteUrlPreview(url, fetchedAt);
  }

  /**
   * After a change to records this store cannot name one by one: no entry read before it is
   * answered.
   */
  private void changedAll() {
    changed();
    local.invalidateAll();
    remote.invalidateAll();
  }

  @Override
  public String toString() {
    return s.toString();
  }
}
