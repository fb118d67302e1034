package org.mxmedia;

import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * Administrative operations on local media. Obtained from {@link MediaRepository#admin()} (trusted
 * host code) or {@link MediaRepository#admin(UserId)} (every call first checks the host's
 * {@link org.mxmedia.spi.Authorizer}, failing with 403 {@code M_FORBIDDEN}).
 *
 * <p>Quarantine, release and deletion also take the URI of cached remote media. Operations on a
 * URI that is neither local media nor cached remote media fail with 404 {@code M_NOT_FOUND}.
 *
 * <p>Lists are paged by offset in the store (never read whole); a query's limit is at most
 * {@link Page#MAX_LIMIT}. Operations on a user's media fail with 400 {@code M_UNKNOWN} for a user
 * of another server and 404 {@code M_NOT_FOUND} for a user the host's
 * {@link org.mxmedia.spi.UserDirectory} does not know.
 */
public interface MediaAdmin {

  /** What is known of local media or a cached remote copy, quarantined or not; 404 for anything else. */
  MediaInfo describe(MxcUri uri);

  /**
   * Quarantines local media: it is then served to nobody.
   *
   * @return false when the media is protected from quarantine and so was left as it was
   */
  boolean quarantine(MxcUri uri);

  /** Releases local media from quarantine. */
  void unquarantine(MxcUri uri);

  /**
   * Quarantines every local media with these bytes (except protected media), and every later
   * upload of the same bytes.
   *
   * @param sha256 64 lower-case hex characters; anything else is 400 {@code M_INVALID_PARAM}
   * @return how many media were quarantined now
   */
  int quarantineByHash(String sha256);

  /** Undoes {@link #quarantineByHash}; returns how many media were released. */
  int unquarantineByHash(String sha256);

  /** Protects local media from quarantine. */
  void protect(MxcUri uri);

  /** Removes the protection of {@link #protect}. */
  void unprotect(MxcUri uri);

  /**
   * Deletes local media: the record at once, then its bytes from every writable storage once no
   * other media refers to them.
   */
  void delete(MxcUri uri);

  /** How much {@code user} uploaded at or after {@code since}. */
  MediaUsage usage(UserId user, Instant since);

  /**
   * Deletes cached copies of remote media last served before {@code before} (Synapse's
   * {@code delete_old_remote_media}), in batches; a download already streaming one finishes, and
   * a later request fetches it again. Returns how many were deleted.
   */
  int purgeRemoteMediaAccessedBefore(Instant before);

  /** Deletes asynchronous uploads whose reservation expired; returns how many. (Also runs hourly.) */
  int purgeExpiredPendingUploads();

  /**
   * Brings in media kept by another media store, keeping its URI, uploader, times and flags: the
   * bytes go through the same path as an upload (staged, hashed, stored once per content), and the
   * record is written only when they are all there. Safe to repeat: media already here with the
   * same bytes is left as it is, so an interrupted import resumes without duplicates.
   *
   * @param bytes the media's bytes, read to the end (the caller closes it)
   * @return true when it was imported now, false when it was already here with the same bytes
   * @throws MediaException 400 {@code M_INVALID_PARAM} when the bytes differ from the recorded
   *     size or hash, or local media has no uploader (nothing is kept); 409
   *     {@code M_CANNOT_OVERWRITE_MEDIA} when the URI already names other bytes; 500 when storage fails
   */
  boolean importMedia(MediaImport media, InputStream bytes);

  /**
   * Quarantines many media at once, local or cached remote, for example every media of a room
   * (which the host knows): protected media and URIs that are neither are skipped.
   *
   * @return how many of them are quarantined by this call (were not before)
   */
  int quarantine(Collection<MxcUri> uris);

  /**
   * Quarantines every local media {@code user} uploaded, except protected media.
   *
   * @return how many were quarantined by this call
   */
  int quarantineMediaOf(UserId user);

  /**
   * One page of the local media {@code user} uploaded, with the number of all their media.
   *
   * @throws MediaException 400 {@code M_UNKNOWN} for a user of another server, 404
   *     {@code M_NOT_FOUND} for an unknown user
   */
  Page<MediaInfo> mediaOf(UserId user, MediaQuery query);

  /**
   * Deletes the local media on one page of {@link #mediaOf} (Synapse's {@code DELETE
   * /users/{user_id}/media}), each as {@link #delete}.
   *
   * @return the ids deleted, in the page's order
   * @throws MediaException as {@link #mediaOf}
   */
  List<MediaId> deleteMediaOf(UserId user, MediaQuery query);

  /**
   * Deletes local media last accessed before {@code before} and larger than
   * {@code sizeGreaterThan} bytes, except quarantined and protected media, and, when
   * {@code keepProfiles}, except media the host's {@link org.mxmedia.spi.UserDirectory} says is a
   * profile or room image (400 {@code M_INVALID_PARAM}, nothing deleted, when it cannot tell:
   * {@link org.mxmedia.spi.UserDirectory#knowsProfiles}). Works through the store in batches.
   *
   * @param sizeGreaterThan in bytes, {@code >= 0}
   * @return the ids deleted
   */
  List<MediaId> deleteLocalMediaAccessedBefore(Instant before, long sizeGreaterThan, boolean keepProfiles);

  /**
   * One page of the quarantined local media ({@code remote} false) or quarantined cached remote
   * media ({@code remote} true), by ascending URI, with how many there are in all.
   *
   * @param offset {@code >= 0}
   * @param limit {@code 0 <= limit <= }{@link Page#MAX_LIMIT}
   */
  Page<MxcUri> quarantinedMedia(boolean remote, long offset, int limit);

  /**
   * One page of the users who uploaded local media in the query's period, with their count and
   * total size, and their display names from the host's {@link org.mxmedia.spi.UserDirectory}.
   */
  Page<UserMediaStatistics> userMediaStatistics(StatisticsQuery query);
}
