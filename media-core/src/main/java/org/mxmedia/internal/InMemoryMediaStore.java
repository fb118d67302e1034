package org.mxmedia.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
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
 * A {@link MediaStore} in memory ({@link MediaStore#inMemory()}): for tests, test harnesses and
 * throwaway servers. Public only so that the SPI's factory reaches it; the package is not exported.
 * Everything is lost when the process ends. Each method holds one lock for its whole run, so each
 * is atomic. Its reservations die with the engine that holds them, so it keeps no leases ({@link
 * #renewLease} and {@link #releaseAbandonedReservations} do nothing).
 */
public final class InMemoryMediaStore implements MediaStore {

  private final Object lock = new Object();
  private final Map<MediaId, LocalMedia> media = new HashMap<>();
  private final Map<MediaId, PendingMedia> pending = new HashMap<>();
  private final Map<BlobKey, Long> references = new HashMap<>();

  /** The part of each blob's count held by reservations (the rest is records). */
  private final Map<BlobKey, Long> reservations = new HashMap<>();

  /** Deletion claims: blob to the instant of its claim. */
  private final Map<BlobKey, Instant> claims = new HashMap<>();

  private final Set<BlobKey> quarantinedHashes = new HashSet<>();
  private final Map<BlobKey, List<ThumbnailRecord>> thumbnails = new HashMap<>();
  private final Map<MxcUri, RemoteMedia> remote = new HashMap<>();

  /** Claims of work: the owner and when the claim lapses. */
  private final Map<String, WorkClaim> work = new HashMap<>();

  private record WorkClaim(String owner, Instant until) {}

  /** Cached URL previews: URL to its previews by the instant they were fetched. */
  private final Map<String, TreeMap<Instant, UrlPreviewRecord>> previews = new HashMap<>();

  @Override
  public boolean insertLocalMedia(LocalMedia record) {
    synchronized (lock) {
      if (media.containsKey(record.mediaId()) || pending.containsKey(record.mediaId())) {
        return false;
      }
      transferReservation(record.blob());
      putNew(record);
      return true;
    }
  }

  private void putNew(LocalMedia record) {
    boolean quarantine = quarantinedHashes.contains(record.blob()) && !record.safeFromQuarantine();
    media.put(record.mediaId(), quarantine ? record.withQuarantined(true) : record);
  }

  @Override
  public Optional<LocalMedia> localMedia(MediaId mediaId) {
    synchronized (lock) {
      return Optional.ofNullable(media.get(mediaId));
    }
  }

  @Override
  public Optional<LocalMedia> deleteLocalMedia(MediaId mediaId) {
    synchronized (lock) {
      LocalMedia removed = media.remove(mediaId);
      if (removed != null) {
        decrement(removed.blob());
      }
      return Optional.ofNullable(removed);
    }
  }

  @Override
  public void recordAccess(Map<MediaId, Instant> accessTimes) {
    synchronized (lock) {
      accessTimes.forEach(
          (id, at) ->
              media.computeIfPresent(
                  id, (k, m) -> at.isAfter(m.lastAccessedAt()) ? m.withLastAccessedAt(at) : m));
    }
  }

  @Override
  public MediaUsage usage(UserId uploader, Instant since) {
    synchronized (lock) {
      MediaUsage usage = MediaUsage.NONE;
      for (LocalMedia m : media.values()) {
        if (m.uploader().equals(uploader) && !m.createdAt().isBefore(since)) {
          usage = usage.plus(m.size());
        }
      }
      return usage;
    }
  }

  @Override
  public Page<LocalMedia> localMediaOf(UserId uploader, MediaQuery query) {
    synchronized (lock) {
      Comparator<LocalMedia> order = localOrder(query.orderBy());
      if (query.descending()) {
        order = order.reversed();
      }
      List<LocalMedia> all =
          media.values().stream()
              .filter(m -> m.uploader().equals(uploader))
              .sorted(order.thenComparing(m -> m.mediaId().value()))
              .toList();
      return Page.of(all, query.offset(), query.limit());
    }
  }

  private static Comparator<LocalMedia> localOrder(MediaQuery.Order order) {
    return switch (order) {
      case MEDIA_ID -> Comparator.comparing(m -> m.mediaId().value());
      case UPLOAD_NAME ->
          (a, b) -> byCodePoint(a.uploadName().orElse(""), b.uploadName().orElse(""));
      case CREATED_TS -> Comparator.comparing(LocalMedia::createdAt);
      case LAST_ACCESS_TS -> Comparator.comparing(LocalMedia::lastAccessedAt);
      case MEDIA_LENGTH -> Comparator.comparingLong(LocalMedia::size);
      case MEDIA_TYPE -> (a, b) -> byCodePoint(a.contentType(), b.contentType());
      case QUARANTINED_BY -> Comparator.comparing(LocalMedia::quarantined);
      case SAFE_FROM_QUARANTINE -> Comparator.comparing(LocalMedia::safeFromQuarantine);
    };
  }

  /**
   * {@code s} with ASCII letters lower-cased, as a database's {@code LOWER} treats an ASCII
   * localpart.
   */
  private static String asciiLower(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.chars().forEach(c -> b.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)));
    return b.toString();
  }

  /** Text by Unicode code point, as a database compares UTF-8 bytes. */
  private static int byCodePoint(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  @Override
  public int quarantineLocalMediaOf(UserId uploader) {
    synchronized (lock) {
      int changed = 0;
      for (LocalMedia m : List.copyOf(media.values())) {
        if (m.uploader().equals(uploader) && !m.quarantined() && !m.safeFromQuarantine()) {
          media.put(m.mediaId(), m.withQuarantined(true));
          changed++;
        }
      }
      return changed;
    }
  }

  @Override
  public List<LocalMedia> localMediaAccessedBefore(
      Instant before, long sizeGreaterThan, Optional<MediaId> after, int limit) {
    synchronized (lock) {
      return media.values().stream()
          .filter(m -> m.lastAccessedAt().isBefore(before) && m.size() > sizeGreaterThan)
          .filter(m -> after.isEmpty() || m.mediaId().value().compareTo(after.get().value()) > 0)
          .sorted(Comparator.comparing(m -> m.mediaId().value()))
          .limit(limit)
          .toList();
    }
  }

  @Override
  public Page<MediaId> quarantinedLocalMedia(long offset, int limit) {
    synchronized (lock) {
      List<MediaId> all =
          media.values().stream()
              .filter(LocalMedia::quarantined)
              .map(LocalMedia::mediaId)
              .sorted(Comparator.comparing(MediaId::value))
              .toList();
      return Page.of(all, offset, limit);
    }
  }

  @Override
  public Page<MxcUri> quarantinedRemoteMedia(long offset, int limit) {
    synchronized (lock) {
      List<MxcUri> all =
          remote.values().stream()
              .filter(RemoteMedia::quarantined)
              .map(RemoteMedia::uri)
              .sorted(
                  Comparator.comparing((MxcUri u) -> u.serverName().value())
                      .thenComparing(u -> u.mediaId().value()))
              .toList();
      return Page.of(all, offset, limit);
    }
  }

  @Override
  public Page<UserMediaStatistics> mediaStatistics(StatisticsQuery query) {
    synchronized (lock) {
      Map<UserId, MediaUsage> byUser = new HashMap<>();
      for (LocalMedia m : media.values()) {
        boolean inPeriod =
            !m.createdAt().isBefore(query.from())
                && (query.until().isEmpty() || !m.createdAt().isAfter(query.until().get()));
        boolean matches =
            query.searchTerm().isEmpty()
                || asciiLower(m.uploader().localpart())
                    .contains(asciiLower(query.searchTerm().get()));
        if (inPeriod && matches) {
          byUser.merge(
              m.uploader(),
              MediaUsage.NONE.plus(m.size()),
              (x, y) ->
                  new MediaUsage(x.mediaCount() + y.mediaCount(), x.totalBytes() + y.totalBytes()));
        }
      }
      Comparator<UserMediaStatistics> order =
          switch (query.orderBy()) {
            case USER_ID, DISPLAYNAME -> Comparator.comparing(u -> u.user().value());
            case MEDIA_LENGTH -> Comparator.comparingLong(UserMediaStatistics::mediaLength);
            case MEDIA_COUNT -> Comparator.comparingLong(UserMediaStatistics::mediaCount);
          };
      if (query.descending()) {
        order = order.reversed();
      }
      List<UserMediaStatistics> all =
          byUser.entrySet().stream()
              .map(
                  e ->
                      new UserMediaStatistics(
                          e.getKey(),
                          Optional.empty(),
                          e.getValue().mediaCount(),
                          e.getValue().totalBytes()))
              .sorted(order.thenComparing(u -> u.user().value()))
              .toList();
      return Page.of(all, query.offset(), query.limit());
    }
  }

  @Override
  public boolean insertRemoteMedia(RemoteMedia record) {
    synchronized (lock) {
      if (remote.containsKey(record.uri())) {
        return false;
      }
      transferReservation(record.blob());
      remote.put(
          record.uri(),
          quarantinedHashes.contains(record.blob()) ? record.withQuarantined(true) : record);
      return true;
    }
  }

  @Override
  public Optional<RemoteMedia> remoteMedia(MxcUri uri) {
    synchronized (lock) {
      return Optional.ofNullable(remote.get(uri));
    }
  }

  @Override
  public Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri) {
    synchronized (lock) {
      RemoteMedia removed = remote.remove(uri);
      if (removed != null) {
        decrement(removed.blob());
      }
      return Optional.ofNullable(removed);
    }
  }

  @Override
  public List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit) {
    synchronized (lock) {
      return remote.values().stream()
          .filter(m -> m.lastAccessedAt().isBefore(before))
          .sorted(Comparator.comparing(RemoteMedia::lastAccessedAt))
          .limit(limit)
          .toList();
    }
  }

  @Override
  public void recordRemoteAccess(Map<MxcUri, Instant> accessTimes) {
    synchronized (lock) {
      accessTimes.forEach(
          (uri, at) ->
              remote.computeIfPresent(
                  uri, (k, m) -> at.isAfter(m.lastAccessedAt()) ? m.withLastAccessedAt(at) : m));
    }
  }

  @Override
  public Optional<RemoteMedia> setRemoteQuarantined(MxcUri uri, boolean quarantined) {
    synchronized (lock) {
      return Optional.ofNullable(
          remote.computeIfPresent(uri, (k, m) -> m.withQuarantined(quarantined)));
    }
  }

  @Override
  public Optional<LocalMedia> setQuarantined(MediaId mediaId, boolean quarantined) {
    synchronized (lock) {
      return Optional.ofNullable(
          media.computeIfPresent(
              mediaId,
              (k, m) ->
                  quarantined && m.safeFromQuarantine() ? m : m.withQuarantined(quarantined)));
    }
  }

  @Override
  public int setQuarantinedByHash(BlobKey blob, boolean quarantined) {
    synchronized (lock) {
      if (quarantined) {
        quarantinedHashes.add(blob);
      } else {
        quarantinedHashes.remove(blob);
      }
      int changed = 0;
      for (LocalMedia m : List.copyOf(media.values())) {
        if (m.blob().equals(blob)
            && m.quarantined() != quarantined
            && !(quarantined && m.safeFromQuarantine())) {
          media.put(m.mediaId(), m.withQuarantined(quarantined));
          changed++;
        }
      }
      for (RemoteMedia m : List.copyOf(remote.values())) {
        if (m.blob().equals(blob) && m.quarantined() != quarantined) {
          remote.put(m.uri(), m.withQuarantined(quarantined));
          changed++;
        }
      }
      return changed;
    }
  }

  @Override
  public Optional<LocalMedia> setSafeFromQuarantine(MediaId mediaId, boolean safe) {
    synchronized (lock) {
      return Optional.ofNullable(
          media.computeIfPresent(mediaId, (k, m) -> m.withSafeFromQuarantine(safe)));
    }
  }

  @Override
  public PendingInsert insertPending(PendingMedia record, int maxPerOwner, Instant now) {
    synchronized (lock) {
      if (media.containsKey(record.mediaId()) || pending.containsKey(record.mediaId())) {
        return PendingInsert.ID_TAKEN;
      }
      long held =
          pending.values().stream()
              .filter(p -> p.owner().equals(record.owner()) && !p.isExpiredAt(now))
              .count();
      if (held >= maxPerOwner) {
        return PendingInsert.LIMIT_REACHED;
      }
      pending.put(record.mediaId(), record);
      return PendingInsert.INSERTED;
    }
  }

  @Override
  public Optional<PendingMedia> pending(MediaId mediaId) {
    synchronized (lock) {
      return Optional.ofNullable(pending.get(mediaId));
    }
  }

  @Override
  public boolean completePending(LocalMedia record) {
    synchronized (lock) {
      if (!pending.containsKey(record.mediaId())) {
        return false;
      }
      transferReservation(record.blob());
      pending.remove(record.mediaId());
      putNew(record);
      return true;
    }
  }

  @Override
  public int deleteExpiredPending(Instant now) {
    synchronized (lock) {
      int before = pending.size();
      pending.values().removeIf(p -> p.isExpiredAt(now));
      return before - pending.size();
    }
  }

  @Override
  public boolean insertThumbnail(ThumbnailRecord thumbnail) {
    synchronized (lock) {
      List<ThumbnailRecord> list =
          thumbnails.computeIfAbsent(thumbnail.source(), k -> new ArrayList<>());
      if (list.stream().anyMatch(t -> t.sameKey(thumbnail))) {
        return false;
      }
      transferReservation(thumbnail.blob());
      list.add(thumbnail);
      return true;
    }
  }

  @Override
  public List<ThumbnailRecord> thumbnails(BlobKey source) {
    synchronized (lock) {
      return List.copyOf(thumbnails.getOrDefault(source, List.of()));
    }
  }

  @Override
  public boolean deleteThumbnail(ThumbnailRecord thumbnail) {
    synchronized (lock) {
      List<ThumbnailRecord> list = thumbnails.get(thumbnail.source());
      if (list == null) {
        return false;
      }
      for (ThumbnailRecord t : list) {
        if (t.sameKey(thumbnail) && t.blob().equals(thumbnail.blob())) {
          list.remove(t);
          decrement(t.blob());
          return true;
        }
      }
      return false;
    }
  }

  @Override
  public List<ThumbnailRecord> deleteThumbnails(BlobKey source) {
    synchronized (lock) {
      List<ThumbnailRecord> removed = thumbnails.remove(source);
      if (removed == null) {
        return List.of();
      }
      removed.forEach(t -> decrement(t.blob()));
      return List.copyOf(removed);
    }
  }

  @Override
  public Reservation reserveBlob(BlobKey blob) {
    synchronized (lock) {
      if (claims.containsKey(blob)) {
        return Reservation.BEING_DELETED;
      }
      references.merge(blob, 1L, Long::sum);
      reservations.merge(blob, 1L, Long::sum);
      return Reservation.RESERVED;
    }
  }

  @Override
  public void releaseBlob(BlobKey blob) {
    synchronized (lock) {
      transferReservation(blob);
      decrement(blob);
    }
  }

  /** Takes one reservation of {@code blob} off the books (the count is the caller's business). */
  private void transferReservation(BlobKey blob) {
    Long held = reservations.get(blob);
    if (held == null || held < 1) {
      throw new IllegalStateException("no reservation of blob " + blob + " is held");
    }
    if (held == 1) {
      reservations.remove(blob);
    } else {
      reservations.put(blob, held - 1);
    }
  }

  private void decrement(BlobKey blob) {
    Long count = references.get(blob);
    if (count == null || count < 1) {
      throw new IllegalStateException("blob " + blob + " has no reference to release");
    }
    references.put(blob, count - 1);
  }

  @Override
  public boolean claimBlobForDeletion(BlobKey blob, Instant now) {
    synchronized (lock) {
      Long count = references.get(blob);
      if (count == null || count > 0 || claims.containsKey(blob)) {
        return false;
      }
      claims.put(blob, now);
      return true;
    }
  }

  @Override
  public boolean takeOverDeletion(BlobKey blob, Instant claimedBefore, Instant now) {
    if (now.isBefore(claimedBefore)) {
      throw new IllegalArgumentException(
          "now (" + now + ") is before claimedBefore (" + claimedBefore + ")");
    }
    synchronized (lock) {
      Instant claimedAt = claims.get(blob);
      if (claimedAt == null
          || references.getOrDefault(blob, 0L) > 0
          || !claimedAt.isBefore(claimedBefore)) {
        return false;
      }
      claims.put(blob, now);
      return true;
    }
  }

  @Override
  public void forgetBlob(BlobKey blob, Instant claimedAt) {
    synchronized (lock) {
      if (claimedAt.equals(claims.get(blob)) && references.getOrDefault(blob, 0L) == 0) {
        references.remove(blob);
        claims.remove(blob);
      }
    }
  }

  @Override
  public void cancelDeletion(BlobKey blob, Instant claimedAt) {
    synchronized (lock) {
      if (claimedAt.equals(claims.get(blob))) {
        claims.remove(blob);
      }
    }
  }

  @Override
  public long blobReferences(BlobKey blob) {
    synchronized (lock) {
      return references.getOrDefault(blob, 0L);
    }
  }

  @Override
  public List<BlobKey> unreferencedBlobs(int limit) {
    synchronized (lock) {
      List<BlobKey> result = new ArrayList<>();
      for (Map.Entry<BlobKey, Long> e : references.entrySet()) {
        if (e.getValue() == 0 && result.size() < limit) {
          result.add(e.getKey());
        }
      }
      return result;
    }
  }

  @Override
  public boolean claimWork(String name, String owner, Instant now, Instant until) {
    synchronized (lock) {
      WorkClaim held = work.get(name);
      if (held != null && !held.owner().equals(owner) && held.until().isAfter(now)) {
        return false;
      }
      WorkClaim mine = new WorkClaim(owner, until);
      work.put(name, mine);
      work.values().removeIf(c -> c != mine && !c.until().isAfter(now)); // claims of the dead
      return true;
    }
  }

  @Override
  public void releaseWork(String name, String owner) {
    synchronized (lock) {
      WorkClaim held = work.get(name);
      if (held != null && held.owner().equals(owner)) {
        work.remove(name);
      }
    }
  }

  @Override
  public List<LocalMedia> deleteLocalMediaAccessedBefore(Instant before, int limit) {
    synchronized (lock) {
      List<LocalMedia> gone =
          media.values().stream()
              .filter(
                  m ->
                      m.lastAccessedAt().isBefore(before)
                          && !m.quarantined()
                          && !m.safeFromQuarantine())
              .sorted(Comparator.comparing(LocalMedia::lastAccessedAt))
              .limit(limit)
              .toList();
      gone.forEach(m -> deleteLocalMedia(m.mediaId()));
      return gone;
    }
  }

  @Override
  public boolean insertUrlPreview(UrlPreviewRecord preview) {
    synchronized (lock) {
      return previews
              .computeIfAbsent(preview.url(), u -> new TreeMap<>())
              .putIfAbsent(preview.fetchedAt(), preview)
          == null;
    }
  }

  @Override
  public Optional<UrlPreviewRecord> urlPreview(String url, Instant at) {
    synchronized (lock) {
      TreeMap<Instant, UrlPreviewRecord> all = previews.get(url);
      if (all == null) {
        return Optional.empty();
      }
      Optional<UrlPreviewRecord> fresh =
          all.headMap(at, true).descendingMap().values().stream()
              .filter(p -> p.isFreshAt(at))
              .findFirst();
      if (fresh.isPresent()) {
        return fresh;
      }
      return Optional.ofNullable(all.higherEntry(at)).map(Map.Entry::getValue);
    }
  }

  @Override
  public List<UrlPreviewRecord> urlPreviewsExpiredBy(Instant now, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least one");
    }
    synchronized (lock) {
      return previews.values().stream()
          .flatMap(m -> m.values().stream())
          .filter(p -> !p.isFreshAt(now))
          .sorted(Comparator.comparing(UrlPreviewRecord::expiresAt))
          .limit(limit)
          .toList();
    }
  }

  @Override
  public List<RemoteMedia> deleteRemoteMediaAccessedBefore(Instant before, int limit) {
    synchronized (lock) {
      List<RemoteMedia> gone =
          remote.values().stream()
              .filter(m -> m.lastAccessedAt().isBefore(before) && !m.quarantined())
              .sorted(Comparator.comparing(RemoteMedia::lastAccessedAt))
              .limit(limit)
              .toList();
      gone.forEach(m -> deleteRemoteMedia(m.uri()));
      return gone;
    }
  }

  @Override
  public long remoteMediaBytes() {
    synchronized (lock) {
      return remote.values().stream().mapToLong(RemoteMedia::size).sum();
    }
  }

  @Override
  public Optional<UrlPreviewRecord> deleteUrlPreview(String url, Instant fetchedAt) {
    synchronized (lock) {
      TreeMap<Instant, UrlPreviewRecord> all = previews.get(url);
      if (all == null) {
        return Optional.empty();
      }
      UrlPreviewRecord removed = all.remove(fetchedAt);
      if (all.isEmpty()) {
        previews.remove(url);
      }
      return Optional.ofNullable(removed);
    }
  }
}
