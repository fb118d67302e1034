package org.mxmedia.spi;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mxmedia.MediaId;
import org.mxmedia.MediaUsage;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;

/**
 * The metadata of a media repository. Every method is one atomic unit: it either happens whole
 * or not at all, and concurrent calls (from threads, or from processes sharing one database)
 * behave as if they ran one after another. Implementations pass
 * {@code org.mxmedia.testkit.MediaStoreContract}.
 *
 * <h2>Blob references</h2>
 *
 * Bytes are stored by content ({@link BlobKey}) and shared by every record with the same hash.
 * The store counts the references to each blob: one per local media record and one per
 * <em>reservation</em> held by an operation in flight. The engine follows one protocol:
 *
 * <ol>
 *   <li>{@link #reserveBlob} before it makes a blob's bytes visible, so no deletion can start;
 *   <li>{@link #insertLocalMedia} or {@link #completePending} turn that reservation into the
 *       record's reference (the count does not change); {@link #releaseBlob} gives it up instead;
 *   <li>{@link #deleteLocalMedia} drops the record's reference;
 *   <li>bytes are deleted only after {@link #claimBlobForDeletion} succeeds (count zero, and no
 *       reservation can be taken until {@link #forgetBlob}).
 * </ol>
 *
 * Exceptions: implementations throw unchecked exceptions for faults (a database that is down);
 * the engine turns them into a logged 500 {@code M_UNKNOWN}.
 */
public interface MediaStore {

  /** The outcome of {@link #reserveBlob}. */
  enum Reservation {
    /** The reference count went up by one; the caller must later transfer or release it. */
    RESERVED,
    /** The blob is being deleted; retry once the deletion ends with {@link #forgetBlob}. */
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
   * Stores a new local media record, transferring one reservation of {@code media.blob()} to it.
   * If that blob is quarantined by hash ({@link #setQuarantinedByHash}) the record is stored
   * quarantined.
   *
   * @return false, storing nothing, when the media id is already used (by media or a pending upload)
   */
  boolean insertLocalMedia(LocalMedia media);

  /** The record of a local media id, if any. */
  Optional<LocalMedia> localMedia(MediaId mediaId);

  /** Removes a local media record and drops its blob reference; returns the removed record. */
  Optional<LocalMedia> deleteLocalMedia(MediaId mediaId);

  /** Every local media record whose bytes are {@code blob}. */
  List<LocalMedia> localMediaByBlob(BlobKey blob);

  /** Sets {@code lastAccessedAt} of each listed media to the later of its stored and given time; unknown ids are ignored. */
  void recordAccess(Map<MediaId, Instant> accessTimes);

  /** The count and total size of local media {@code uploader} created at or after {@code since}. */
  MediaUsage usage(UserId uploader, Instant since);

  // ---- cached remote media

  /**
   * Stores a cached remote media record, transferring one reservation of {@code media.blob()} to
   * it. If that blob is quarantined by hash the record is stored quarantined.
   *
   * @return false, storing nothing, when that remote media is already cached
   */
  boolean insertRemoteMedia(RemoteMedia media);

  /** The cached record of remote media, if any. */
  Optional<RemoteMedia> remoteMedia(MxcUri uri);

  /** Removes a cached remote media record and drops its blob reference; returns the removed record. */
  Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri);

  /** Up to {@code limit} cached remote media last accessed before {@code before}, least recently accessed first. */
  List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit);

  /** Sets {@code lastAccessedAt} of each listed remote media to the later of its stored and given time. */
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
   * safe from quarantine, and every cached remote media with those bytes, and remembers the hash, so later uploads of the same bytes are
   * quarantined as they are stored.
   *
   * @return how many records changed
   */
  int setQuarantinedByHash(BlobKey blob, boolean quarantined);

  /** Whether {@code blob} is quarantined by hash. */
  boolean isQuarantinedByHash(BlobKey blob);

  /** Protects (or unprotects) one local media record from quarantine; empty if there is no such media. */
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
   */
  boolean insertThumbnail(ThumbnailRecord thumbnail);

  /** Every thumbnail of the source blob {@code source}. */
  List<ThumbnailRecord> thumbnails(BlobKey source);

  /** Removes one thumbnail record (matched by {@link ThumbnailRecord#sameKey}) and drops its blob reference; false if absent. */
  boolean deleteThumbnail(ThumbnailRecord thumbnail);

  /** Removes every thumbnail of {@code source} and drops their blob references; returns what was removed. */
  List<ThumbnailRecord> deleteThumbnails(BlobKey source);

  // ---- blobs

  /** Takes one reference to {@code blob}, creating its entry at count one if it has none. */
  Reservation reserveBlob(BlobKey blob);

  /** Gives up one reservation taken by {@link #reserveBlob}. */
  void releaseBlob(BlobKey blob);

  /**
   * Marks an unreferenced blob as being deleted: succeeds only when its count is zero and no
   * other deletion holds it; until {@link #forgetBlob}, {@link #reserveBlob} answers
   * {@link Reservation#BEING_DELETED}.
   */
  boolean claimBlobForDeletion(BlobKey blob);

  /** Ends a deletion: the blob's entry is removed. A no-op for a blob that is referenced. */
  void forgetBlob(BlobKey blob);

  /** The blob's reference count (records plus reservations); zero for an unknown blob. */
  long blobReferences(BlobKey blob);

  /**
   * Up to {@code limit} blobs whose count is zero (including those claimed for deletion), for the
   * sweep that finishes deletions interrupted by a crash.
   */
  List<BlobKey> unreferencedBlobs(int limit);
}
