package org.mxmedia.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.UserId;
import org.mxmedia.internal.InMemoryMediaStore;

/**
 * The metadata of a media repository. Every method is one atomic unit: it either happens whole or
 * not at all, and concurrent calls (from threads, or from processes sharing one database) behave as
 * if they ran one after another. Implementations pass {@code
 * org.mxmedia.testkit.MediaStoreContract}.
 *
 * <p>Arguments are never null (the package is {@code @NullMarked}); results are never null ({@link
 * Optional} or an empty list for "nothing"). Instants are stored at least to the millisecond; the
 * engine passes instants truncated to milliseconds, and an implementation compares the instants it
 * is given with the ones it stored at that precision.
 *
 * <h2>Blob references</h2>
 *
 * Bytes are stored by content ({@link BlobKey}) and shared by every record with the same hash. The
 * store counts the references to each blob: one per record (local media, cached remote media,
 * thumbnail) and one per <em>reservation</em> held by an operation in flight. A blob the store
 * knows has an <em>entry</em>: its count, and at most one <em>deletion claim</em> (the instant it
 * was made). The engine follows one protocol:
 *
 * <ol>
 *   <li>{@link #reserveBlob} before it makes a blob's bytes visible, so no deletion can start while
 *       it works with them;
 *   <li>{@link #insertLocalMedia}, {@link #completePending}, {@link #insertRemoteMedia} and {@link
 *       #insertThumbnail} turn one reservation into the record's reference (the count does not
 *       change); {@link #releaseBlob} gives it up instead;
 *   <li>{@link #deleteLocalMedia}, {@link #deleteRemoteMedia}, {@link #deleteThumbnail} and {@link
 *       #deleteThumbnails} drop the records' references;
 *   <li>bytes are deleted only by the holder of a deletion claim it won: {@link
 *       #claimBlobForDeletion} succeeds only at count zero with no claim, and from then on {@link
 *       #reserveBlob} answers {@link Reservation#BEING_DELETED}, so the count stays zero;
 *   <li>the holder ends its claim with {@link #forgetBlob} once every copy of the bytes is gone
 *       (the entry goes), or with {@link #cancelDeletion} when it could not delete them all (the
 *       entry stays at count zero, unclaimed, and a later sweep tries again). Both name the claim
 *       by its instant and are no-ops for any other claim, so a holder whose claim was taken over
 *       can no longer end its successor's.
 * </ol>
 *
 * <h3>Abandoned claims</h3>
 *
 * A process may die holding a claim. Such a claim is <em>abandoned</em> once it is older than a
 * staleness bound the engine chooses (5 minutes: far longer than a deletion takes; the engine also
 * stops deleting under its own claim well before that age). {@link #takeOverDeletion} hands an
 * abandoned claim to a new holder: it succeeds only for a claimed blob at count zero whose claim is
 * older than {@code claimedBefore}, and renews the claim to {@code now}; since {@code now} is never
 * before {@code claimedBefore}, of several concurrent takers exactly one succeeds. The instants
 * come from each process's injected clock, so the processes sharing a store must keep their clocks
 * in step to well within the bound. Within one process the engine also holds a lock for the whole
 * claim, delete, forget of a blob, so it never takes over its own live deletion.
 *
 * <h3>Reservations of a store instance that stops</h3>
 *
 * A reservation belongs to the store instance that took it, and only that instance can transfer or
 * release it: a transfer or release without one throws {@link IllegalStateException} and changes
 * nothing. A process that dies between {@link #reserveBlob} and the record would leave the count
 * above zero forever, so a store shared by processes that can die on their own (a database) keeps,
 * per instance, its reservations and a <em>lease</em>: the engine renews it every minute ({@link
 * #renewLease}), and its sweep releases the reservations of instances whose lease expired ({@link
 * #releaseAbandonedReservations}, 5 minutes); their counts drop, and blobs left at zero are deleted
 * by the sweep like any other. An instance never releases its own reservations. A store whose
 * reservations die with the engine (in memory) keeps no leases: the defaults do nothing.
 *
 * <p>Exceptions: implementations throw unchecked exceptions for faults (a database that is down);
 * the engine turns them into a logged 500 {@code M_UNKNOWN}. A method that is called against the
 * protocol (for example a transfer or release of a reservation this instance does not hold) throws
 * {@link IllegalStateException} and changes nothing.
 */
public interface MediaStore {

  /**
   * A new, empty store held in memory, for tests, test harnesses and throwaway servers: everything
   * is lost when the process ends. It passes {@code org.mxmedia.testkit.MediaStoreContract}; with
   * {@link PrimaryStorage#inMemory()} a complete repository needs no disk:
   *
   * <pre>{@code
   * MediaRepository repo = MediaRepository.builder().serverName("test.local")
   *     .mediaStore(MediaStore.inMemory()).storage(PrimaryStorage.inMemory()).build();
   * }</pre>
   */
  static MediaStore inMemory() {
    return new InMemoryMediaStore();
  }

  /** The outcome of {@link #reserveBlob}. */
  enum Reservation {
    /** The reference count went up by one; the caller must later transfer or release it. */
    RESERVED,
    /**
     * The blob is claimed for deletion; nothing changed. Retry once the deletion ends ({@link
     * #forgetBlob}, {@link #cancelDeletion}), or take over an abandoned claim ({@link
     * #takeOverDeletion}).
     */
    BEING_DELETED
  }

  /** The outcome of {@link #insertPending}. */
  enum PendingInsert {
    INSERTED,
    /** The media id is already used by a pending upload or by media. */
    ID_TAKEN,
    /** The owner already holds the maximum number of unexpired pending uploads. */
    LIMIT_REACHED
  }

  // ---- local media

  /**
   * Stores a new local media record, transferring one reservation of {@code media.blob()} to it. If
   * that blob is quarantined by hash ({@link #setQuarantinedByHash}) the record is stored
   * quarantined.
   *
   * @return false, storing nothing, when the media id is already used (by media or a pending
   *     upload)
   * @throws IllegalStateException storing nothing, when this instance holds no reservation of the
   *     blob (for example it was released because this instance's lease expired)
   */
  boolean insertLocalMedia(LocalMedia media);

  /** The record of a local media id, if any. */
  Optional<LocalMedia> localMedia(MediaId mediaId);

  /** Removes a local media record and drops its blob reference; returns the removed record. */
  Optional<LocalMedia> deleteLocalMedia(MediaId mediaId);

  /**
   * Sets {@code lastAccessedAt} of each listed media to the later of its stored and given time;
   * unknown ids are ignored.
   */
  void recordAccess(Map<MediaId, Instant> accessTimes);

  /** The count and total size of local media {@code uploader} created at or after {@code since}. */
  MediaUsage usage(UserId uploader, Instant since);

  /**
   * One page of the local media {@code uploader} uploaded, in {@code query}'s order (ties by
   * ascending media id; text compared by Unicode code point, a missing upload name as {@code ""}),
   * with the number of all their media. Read in one consistent snapshot.
   */
  Page<LocalMedia> localMediaOf(UserId uploader, MediaQuery query);

  /**
   * Quarantines every local media record {@code uploader} uploaded, except those safe from
   * quarantine.
   *
   * @return how many records changed (were not quarantined before)
   */
  int quarantineLocalMediaOf(UserId uploader);

  /**
   * Up to {@code limit} local media last accessed before {@code before} and larger than {@code
   * sizeGreaterThan} bytes, quarantined and protected ones included, whose media id is after {@code
   * after} (when given), by ascending media id: a deletion pages through them by the last id it
   * saw.
   *
   * @param limit at least one
   */
  List<LocalMedia> localMediaAccessedBefore(
      Instant before, long sizeGreaterThan, Optional<MediaId> after, int limit);

  /**
   * One page of the quarantined local media, by ascending media id, with how many there are in all.
   *
   * @param offset how many to skip, {@code >= 0}
   * @param limit how many at most, {@code >= 0}
   */
  Page<MediaId> quarantinedLocalMedia(long offset, int limit);

  /**
   * One page of the quarantined cached remote media, by ascending origin then media id, with how
   * many there are in all.
   *
   * @param offset how many to skip, {@code >= 0}
   * @param limit how many at most, {@code >= 0}
   */
  Page<MxcUri> quarantinedRemoteMedia(long offset, int limit);

  /**
   * One page of the uploaders of local media created in {@code query}'s period (and matching its
   * search term), each with the count and total size of those media, in {@code query}'s order (ties
   * by ascending user id), with how many such uploaders there are in all. Display names are always
   * empty (the host's {@link UserDirectory} knows them). Read in one consistent snapshot.
   */
  Page<UserMediaStatistics> mediaStatistics(StatisticsQuery query);

  // ---- cached remote media

  /**
   * Stores a cached remote media record, transferring one reservation of {@code media.blob()} to
   * it. If that blob is quarantined by hash the record is stored quarantined.
   *
   * @return false, storing nothing, when that remote media is already cached
   * @throws IllegalStateException storing nothing, when this instance holds no reservation of the
   *     blob
   */
  boolean insertRemoteMedia(RemoteMedia media);

  /** The cached record of remote media, if any. */
  Optional<RemoteMedia> remoteMedia(MxcUri uri);

  /**
   * Removes a cached remote media record and drops its blob reference; returns the removed record.
   */
  Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri);

  /**
   * Up to {@code limit} cached remote media last accessed before {@code before}, least recently
   * accessed first.
   */
  List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit);

  /**
   * Sets {@code lastAccessedAt} of each listed remote media to the later of its stored and given
   * time.
   */
  void recordRemoteAccess(Map<MxcUri, Instant> accessTimes);

  /** Quarantines or releases cached remote media; empty if it is not cached. */
  Optional<RemoteMedia> setRemoteQuarantined(MxcUri uri, boolean quarantined);

  // ---- quarantine and protection

  /**
   * Quarantines or releases one local media record. Media that is safe from quarantine is never
   * quarantined (the record is returned unchanged).
   *
   * @return the record after the change, or empty if there is no such media
   */
  Optional<LocalMedia> setQuarantined(MediaId mediaId, boolean quarantined);

  /**
   * Quarantines (or releases) every local media record whose bytes are {@code blob}, except those
   * safe from quarantine, and every cached remote media with those bytes, and remembers the hash,
   * so later uploads of the same bytes are quarantined as they are stored.
   *
   * @return how many records changed
   */
  int setQuarantinedByHash(BlobKey blob, boolean quarantined);

  /**
   * Protects (or unprotects) one local media record from quarantine; empty if there is no such
   * media.
   */
  Optional<LocalMedia> setSafeFromQuarantine(MediaId mediaId, boolean safe);

  // ---- pending (asynchronous) uploads

  /**
   * Reserves a media id for an asynchronous upload, unless the id is taken or the owner already
   * holds {@code maxPerOwner} pending uploads unexpired at {@code now}.
   */
  PendingInsert insertPending(PendingMedia pending, int maxPerOwner, Instant now);

  /** The pending upload of a media id, expired or not, if its bytes have not arrived. */
  Optional<PendingMedia> pending(MediaId mediaId);

  /**
   * Turns a pending upload into local media: removes the pending row and inserts {@code media}
   * (which transfers one reservation of its blob, as {@link #insertLocalMedia}).
   *
   * @return false, changing nothing, when there is no pending upload of that id (never created,
   *     already completed, or purged)
   * @throws IllegalStateException changing nothing, when there is such a pending upload but this
   *     instance holds no reservation of the blob
   */
  boolean completePending(LocalMedia media);

  /** Removes pending uploads that expired at or before {@code now}; returns how many. */
  int deleteExpiredPending(Instant now);

  // ---- thumbnails

  /**
   * Stores a thumbnail record, transferring one reservation of {@code thumbnail.blob()} to it.
   *
   * @return false, storing nothing, when a thumbnail with the same source, size, method and
   *     animation exists (the caller releases its reservation)
   * @throws IllegalStateException storing nothing, when this instance holds no reservation of the
   *     thumbnail's blob
   */
  boolean insertThumbnail(ThumbnailRecord thumbnail);

  /**
   * Every thumbnail of the source blob {@code source}. Not limited: the engine keeps a bounded set
   * per source (the configured sizes, and dynamic sizes snapped to 17 per dimension, two methods,
   * still or animated).
   */
  List<ThumbnailRecord> thumbnails(BlobKey source);

  /**
   * Removes one thumbnail record, matched by {@link ThumbnailRecord#sameKey} and naming the same
   * blob, and drops its blob reference; false if absent. Matching the blob too means a caller that
   * found a record's bytes lost never drops the record another caller has just regenerated in their
   * place.
   */
  boolean deleteThumbnail(ThumbnailRecord thumbnail);

  /**
   * Removes every thumbnail of {@code source} and drops their blob references; returns exactly what
   * was removed (bounded as {@link #thumbnails}).
   */
  List<ThumbnailRecord> deleteThumbnails(BlobKey source);

  // ---- blobs

  /**
   * Takes one reference to {@code blob}, creating its entry at count one if it has none.
   *
   * @return {@link Reservation#RESERVED}, or {@link Reservation#BEING_DELETED} (changing nothing)
   *     while the blob is claimed for deletion
   */
  Reservation reserveBlob(BlobKey blob);

  /**
   * Gives up one reservation taken by {@link #reserveBlob}. The count may drop to zero; the entry
   * stays until a deletion ends with {@link #forgetBlob}.
   *
   * @throws IllegalStateException changing nothing, when this instance holds no reservation of
   *     {@code blob}
   */
  void releaseBlob(BlobKey blob);

  /**
   * Claims an unreferenced blob for deletion at {@code now}: succeeds only when the blob has an
   * entry at count zero and no deletion claim. Until the claim ends ({@link #forgetBlob}, {@link
   * #cancelDeletion}) or is taken over, {@link #reserveBlob} answers {@link
   * Reservation#BEING_DELETED}.
   *
   * @param now the claim's instant, which names it from now on
   * @return whether the caller now holds the claim (false, changing nothing, for an unknown,
   *     referenced or already claimed blob)
   */
  boolean claimBlobForDeletion(BlobKey blob, Instant now);

  /**
   * Takes over an abandoned deletion claim: succeeds only when {@code blob} is claimed, at count
   * zero, by a claim made before {@code claimedBefore}; the claim is then renewed to {@code now}
   * and belongs to the caller (its previous holder can no longer end it). Of concurrent calls with
   * the same bound, at most one succeeds.
   *
   * @param claimedBefore exclusive bound on the instant of the claim to take over (the engine
   *     passes {@code now} minus its staleness bound)
   * @param now the renewed claim's instant; not before {@code claimedBefore}
   * @return whether the caller now holds the claim (false, changing nothing, otherwise)
   * @throws IllegalArgumentException when {@code now} is before {@code claimedBefore}
   */
  boolean takeOverDeletion(BlobKey blob, Instant claimedBefore, Instant now);

  /**
   * Ends a finished deletion: removes the blob's entry if it is still claimed by the claim made at
   * {@code claimedAt}. A no-op otherwise (the claim was taken over, or there is none).
   */
  void forgetBlob(BlobKey blob, Instant claimedAt);

  /**
   * Ends a deletion that could not delete every copy of the bytes: if the blob is still claimed by
   * the claim made at {@code claimedAt}, the claim goes and the entry stays at count zero (listed
   * by {@link #unreferencedBlobs}, reservable again). A no-op otherwise.
   */
  void cancelDeletion(BlobKey blob, Instant claimedAt);

  /**
   * The blob's reference count (records plus reservations); zero for an unknown blob. A plain read
   * that may be stale when it returns: the engine uses it as a cheap check before attempting a
   * deletion claim, and only {@link #claimBlobForDeletion} decides whether the blob may go.
   */
  long blobReferences(BlobKey blob);

  /**
   * Up to {@code limit} blobs whose count is zero (claimed for deletion or not), for the sweep that
   * deletes what a crash or a failure left behind. No order is promised.
   *
   * @param limit at least one
   */
  List<BlobKey> unreferencedBlobs(int limit);

  // ---- leases of store instances

  /**
   * Renews this store instance's lease at {@code now}, so other instances sharing the store do not
   * take it as stopped and release its reservations. The engine calls it every minute, and at the
   * start of each sweep. The default does nothing (for stores that cannot outlive or lose their
   * engine, such as one in memory).
   *
   * @param now the renewal's instant, from the engine's clock
   */
  default void renewLease(Instant now) {}

  /**
   * Releases the reservations held by other instances of this store whose lease was last renewed
   * before {@code expiredBefore} (they stopped without giving their reservations up): each blob's
   * count drops by the reservations released, the instance's lease goes, and a blob left at zero is
   * listed by {@link #unreferencedBlobs}. An instance holding reservations that this call sees
   * without any lease (it stopped before its first renewal) counts as renewed at {@code now}. This
   * instance's own reservations are never released. Of concurrent calls, each abandoned reservation
   * is released by exactly one. The default does nothing and returns zero.
   *
   * @param expiredBefore exclusive bound on the last renewal of the leases to end (the engine
   *     passes {@code now} minus its lease of 5 minutes)
   * @param now the caller's instant, not before {@code expiredBefore}
   * @return how many reservation entries were released: one per blob per stopped instance
   * @throws IllegalArgumentException when {@code now} is before {@code expiredBefore}
   */
  default int releaseAbandonedReservations(Instant expiredBefore, Instant now) {
    if (now.isBefore(expiredBefore)) {
      throw new IllegalArgumentException(
          "now (" + now + ") is before expiredBefore (" + expiredBefore + ")");
    }
    return 0;
  }

  // ---- claims of work (one remote fetch, one thumbnail generation, cluster-wide)

  /**
   * Claims the work named {@code work} (for example one remote fetch or one thumbnail to make) for
   * {@code owner} until {@code until}, so that repositories sharing this store do it once in all:
   * succeeds when no claim of it exists, when the existing claim expired at or before {@code now},
   * or when {@code owner} holds it already (which extends it to {@code until}). Of concurrent
   * claims of one work by different owners at most one succeeds. The engine renews a claim while it
   * works and releases it when done; a claim whose owner died expires.
   *
   * <p>The default always succeeds: right for a store only one repository uses.
   *
   * @param work the work's name, at most 512 characters
   * @param owner the claiming repository's random id
   * @param now the caller's clock
   * @param until when the claim lapses unless renewed, after {@code now}
   * @return whether {@code owner} now holds the claim
   */
  default boolean claimWork(String work, String owner, Instant now, Instant until) {
    return true;
  }

  /**
   * Ends {@code owner}'s claim of {@code work}; a no-op when it holds none (it expired and another
   * took it).
   */
  default void releaseWork(String work, String owner) {}

  // ---- retention and the remote cache's space bound

  /**
   * Removes, in one atomic step, up to {@code limit} local media last accessed before {@code
   * before} that are neither quarantined nor safe from quarantine (Synapse's {@code
   * media_retention} keeps both), least recently accessed first; drops their blob references and
   * frees their ids, as {@link #deleteLocalMedia}. An access recorded before the call keeps a
   * media.
   *
   * @param limit at least one
   * @return exactly the removed records
   */
  List<LocalMedia> deleteLocalMediaAccessedBefore(Instant before, int limit);

  /**
   * Removes, in one atomic step, up to {@code limit} cached remote media last accessed before
   * {@code before} that are not quarantined (a quarantined record is what keeps the media from
   * being fetched and served again), least recently accessed first; drops their blob references.
   *
   * @param limit at least one
   * @return exactly the removed records
   */
  List<RemoteMedia> deleteRemoteMediaAccessedBefore(Instant before, int limit);

  /**
   * The total size in bytes of the cached remote media records (bytes shared by records count once
   * per record).
   */
  long remoteMediaBytes();

  // ---- the URL preview cache

  /**
   * Caches a preview. Stores without a cache keep the defaults: previews are then fetched again for
   * each request that does not join one in flight, and their images stay as ordinary media of the
   * user who asked.
   *
   * @return false, storing nothing, when a preview of the same URL fetched at the same instant
   *     exists; the default stores nothing and returns false
   */
  default boolean insertUrlPreview(UrlPreviewRecord preview) {
    return false;
  }

  /**
   * The cached preview of {@code url} to answer for the instant {@code at} (as Synapse's history of
   * previews): of the previews fetched at or before {@code at} and not expired at {@code at}
   * ({@code expiresAt} after it), the one fetched last; failing that, the preview fetched first
   * after {@code at}, expired or not. Empty when there is none; the default has none.
   */
  default Optional<UrlPreviewRecord> urlPreview(String url, Instant at) {
    return Optional.empty();
  }

  /**
   * Up to {@code limit} cached previews that expired at or before {@code now}, those that expired
   * first first, for the sweep that deletes them (and their images). The default has none.
   *
   * @param limit at least one
   */
  default List<UrlPreviewRecord> urlPreviewsExpiredBy(Instant now, int limit) {
    return List.of();
  }

  /**
   * Removes the cached preview of {@code url} fetched at {@code fetchedAt}; returns what was
   * removed (its image's media record stays, for the engine to delete). The default removes
   * nothing.
   */
  default Optional<UrlPreviewRecord> deleteUrlPreview(String url, Instant fetchedAt) {
    return Optional.empty();
  }

  /**
   * The metadata of one piece of media uploaded to this server.
   *
   * @param mediaId its id
   * @param contentType the stored media type (already normalised)
   * @param uploadName the file name the uploader gave, if any
   * @param uploader who uploaded it
   * @param size its length in bytes
   * @param blob where its bytes are stored
   * @param createdAt when it was uploaded
   * @param lastAccessedAt when it was last downloaded (initially {@code createdAt}); updated in
   *     batches
   * @param quarantined whether it is quarantined (then it is served to nobody)
   * @param safeFromQuarantine whether it is protected from quarantine
   */
  record LocalMedia(
      MediaId mediaId,
      String contentType,
      Optional<String> uploadName,
      UserId uploader,
      long size,
      BlobKey blob,
      Instant createdAt,
      Instant lastAccessedAt,
      boolean quarantined,
      boolean safeFromQuarantine) {

    public LocalMedia {
      Objects.requireNonNull(mediaId, "mediaId");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(uploadName, "uploadName");
      Objects.requireNonNull(uploader, "uploader");
      Objects.requireNonNull(blob, "blob");
      Objects.requireNonNull(createdAt, "createdAt");
      Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
      if (size < 0) {
        throw new IllegalArgumentException("size cannot be negative");
      }
    }

    /** A new, unflagged record accessed at its creation. */
    public static LocalMedia uploaded(
        MediaId mediaId,
        String contentType,
        Optional<String> uploadName,
        UserId uploader,
        long size,
        BlobKey blob,
        Instant createdAt) {
      return new LocalMedia(
          mediaId,
          contentType,
          uploadName,
          uploader,
          size,
          blob,
          createdAt,
          createdAt,
          false,
          false);
    }

    public LocalMedia withQuarantined(boolean quarantined) {
      return new LocalMedia(
          mediaId,
          contentType,
          uploadName,
          uploader,
          size,
          blob,
          createdAt,
          lastAccessedAt,
          quarantined,
          safeFromQuarantine);
    }

    public LocalMedia withSafeFromQuarantine(boolean safe) {
      return new LocalMedia(
          mediaId,
          contentType,
          uploadName,
          uploader,
          size,
          blob,
          createdAt,
          lastAccessedAt,
          quarantined,
          safe);
    }

    public LocalMedia withLastAccessedAt(Instant at) {
      return new LocalMedia(
          mediaId,
          contentType,
          uploadName,
          uploader,
          size,
          blob,
          createdAt,
          at,
          quarantined,
          safeFromQuarantine);
    }
  }

  /**
   * A media id reserved for an asynchronous upload whose bytes have not arrived.
   *
   * @param mediaId the reserved id
   * @param owner the only user who may upload its bytes
   * @param createdAt when it was reserved
   * @param expiresAt when the reservation lapses
   */
  record PendingMedia(MediaId mediaId, UserId owner, Instant createdAt, Instant expiresAt) {
    public PendingMedia {
      Objects.requireNonNull(mediaId, "mediaId");
      Objects.requireNonNull(owner, "owner");
      Objects.requireNonNull(createdAt, "createdAt");
      Objects.requireNonNull(expiresAt, "expiresAt");
      if (expiresAt.isBefore(createdAt)) {
        throw new IllegalArgumentException("a pending upload cannot expire before it is created");
      }
    }

    public boolean isExpiredAt(Instant now) {
      return !now.isBefore(expiresAt);
    }
  }

  /**
   * The metadata of media from another server, cached here.
   *
   * @param origin the server that owns it
   * @param mediaId its id there
   * @param contentType the type the origin served it with (normalised)
   * @param uploadName the file name from the origin's {@code Content-Disposition}, if any
   * @param size its length in bytes
   * @param blob where its bytes are stored here
   * @param cachedAt when it was fetched
   * @param lastAccessedAt when it was last served (initially {@code cachedAt}); updated in batches
   * @param quarantined whether it is quarantined here
   */
  record RemoteMedia(
      ServerName origin,
      MediaId mediaId,
      String contentType,
      Optional<String> uploadName,
      long size,
      BlobKey blob,
      Instant cachedAt,
      Instant lastAccessedAt,
      boolean quarantined) {

    public RemoteMedia {
      Objects.requireNonNull(origin, "origin");
      Objects.requireNonNull(mediaId, "mediaId");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(uploadName, "uploadName");
      Objects.requireNonNull(blob, "blob");
      Objects.requireNonNull(cachedAt, "cachedAt");
      Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
      if (size < 0) {
        throw new IllegalArgumentException("size cannot be negative");
      }
    }

    /** A new, unflagged record accessed when cached. */
    public static RemoteMedia cached(
        ServerName origin,
        MediaId mediaId,
        String contentType,
        Optional<String> uploadName,
        long size,
        BlobKey blob,
        Instant at) {
      return new RemoteMedia(origin, mediaId, contentType, uploadName, size, blob, at, at, false);
    }

    public MxcUri uri() {
      return MxcUri.of(origin, mediaId);
    }

    public RemoteMedia withQuarantined(boolean quarantined) {
      return new RemoteMedia(
          origin,
          mediaId,
          contentType,
          uploadName,
          size,
          blob,
          cachedAt,
          lastAccessedAt,
          quarantined);
    }

    public RemoteMedia withLastAccessedAt(Instant at) {
      return new RemoteMedia(
          origin, mediaId, contentType, uploadName, size, blob, cachedAt, at, quarantined);
    }
  }

  /**
   * A stored thumbnail. Thumbnails belong to the source's bytes (its blob), not to a media id, so
   * identical uploads share them; they are deleted with the source blob.
   *
   * @param source the blob it was made from
   * @param width its actual width in pixels
   * @param height its actual height in pixels
   * @param method the method it was made with
   * @param animated whether it is animated
   * @param contentType its media type
   * @param size its length in bytes
   * @param blob where its bytes are stored
   * @param createdAt when it was made
   */
  record ThumbnailRecord(
      BlobKey source,
      int width,
      int height,
      ThumbnailMethod method,
      boolean animated,
      String contentType,
      long size,
      BlobKey blob,
      Instant createdAt) {

    public ThumbnailRecord {
      Objects.requireNonNull(source, "source");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(blob, "blob");
      Objects.requireNonNull(createdAt, "createdAt");
      if (width < 1 || height < 1 || size < 0) {
        throw new IllegalArgumentException(
            "impossible thumbnail " + width + "x" + height + ", " + size + " bytes");
      }
    }

    /**
     * Whether this record and {@code other} are the same thumbnail: same source, size, method and
     * animation.
     */
    public boolean sameKey(ThumbnailRecord other) {
      return source.equals(other.source)
          && width == other.width
          && height == other.height
          && method == other.method
          && animated == other.animated;
    }
  }

  /**
   * One cached preview of a URL, shared by the repositories that use the store. A URL may have
   * several (fetched at different times); the pair of {@code url} and {@code fetchedAt} names one.
   *
   * @param url the URL as requested (an absolute {@code http} or {@code https} URL, at most {@link
   *     #MAX_URL_LENGTH} characters)
   * @param fetchedAt when the page was fetched (milliseconds)
   * @param expiresAt when it stops being served and may be deleted with its image, after {@code
   *     fetchedAt}
   * @param properties the preview's keys and values, each a {@link String}, {@link Long} or {@link
   *     Double}, in the order given (stores keep the order)
   * @param image the local media holding the preview's image, if it has one: deleted with the entry
   */
  record UrlPreviewRecord(
      String url,
      Instant fetchedAt,
      Instant expiresAt,
      Map<String, Object> properties,
      Optional<MediaId> image) {

    /** The longest URL previewed, in characters. */
    public static final int MAX_URL_LENGTH = 4096;

    /**
     * @throws IllegalArgumentException for an empty or too long URL, {@code expiresAt} not after
     *     {@code fetchedAt}, a value of another type, or a key or string value holding U+0000
     *     (which SQL text cannot)
     */
    public UrlPreviewRecord {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(fetchedAt, "fetchedAt");
      Objects.requireNonNull(expiresAt, "expiresAt");
      Objects.requireNonNull(image, "image");
      if (url.isEmpty() || url.length() > MAX_URL_LENGTH || url.indexOf(0) >= 0) {
        throw new IllegalArgumentException("a URL has 1 to " + MAX_URL_LENGTH + " characters");
      }
      if (!expiresAt.isAfter(fetchedAt)) {
        throw new IllegalArgumentException("expiresAt must be after fetchedAt");
      }
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : properties.entrySet()) {
        Object v = Objects.requireNonNull(e.getValue(), e.getKey());
        if (!(v instanceof String || v instanceof Long || v instanceof Double)) {
          throw new IllegalArgumentException(
              "the value of " + e.getKey() + " is not a String, Long or Double");
        }
        if (e.getKey().indexOf(0) >= 0 || (v instanceof String str && str.indexOf(0) >= 0)) {
          throw new IllegalArgumentException("a key or value holds U+0000");
        }
        copy.put(Objects.requireNonNull(e.getKey(), "key"), v);
      }
      properties = Collections.unmodifiableMap(copy);
    }

    /** Whether it may still be served at {@code at}. */
    public boolean isFreshAt(Instant at) {
      return expiresAt.isAfter(at);
    }
  }
}
