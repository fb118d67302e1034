package org.mxmedia;

import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.UserDirectory;

/**
 * Administrative operations on local media. Obtained from {@link MediaRepository#admin()} (trusted
 * host code) or {@link MediaRepository#admin(UserId)} (every call first checks the host's {@link
 * Authorizer}, failing with 403 {@code M_FORBIDDEN}).
 *
 * <p>Quarantine, release and deletion also take the URI of cached remote media. Operations on a URI
 * that is neither local media nor cached remote media fail with 404 {@code M_NOT_FOUND}.
 *
 * <p>Lists are paged by offset in the store (never read whole); a query's limit is at most {@link
 * Page#MAX_LIMIT}. Operations on a user's media fail with 400 {@code M_UNKNOWN} for a user of
 * another server and 404 {@code M_NOT_FOUND} for a user the host's {@link UserDirectory} does not
 * know.
 */
public interface MediaAdmin {

  /**
   * What is known of local media or a cached remote copy, quarantined or not; 404 for anything
   * else.
   */
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
   * Quarantines every local media with these bytes (except protected media), and every later upload
   * of the same bytes.
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
   * Deletes cached copies of remote media last served before {@code before} (Synapse's {@code
   * delete_old_remote_media}), in batches; a download already streaming one finishes, and a later
   * request fetches it again. Returns how many were deleted.
   */
  int purgeRemoteMediaAccessedBefore(Instant before);

  /**
   * Deletes asynchronous uploads whose reservation expired; returns how many. (Also runs hourly.)
   */
  int purgeExpiredPendingUploads();

  /**
   * Brings in media kept by another media store, keeping its URI, uploader, times and flags: the
   * bytes go through the same path as an upload (staged, hashed, stored once per content), and the
   * record is written only when they are all there. Safe to repeat: media already here with the
   * same bytes is left as it is, so an interrupted import resumes without duplicates.
   *
   * @param bytes the media's bytes, read to the end (the caller closes it)
   * @return true when it was imported now, false when it was already here with the same bytes
   * @throws MediaException 400 {@code M_INVALID_PARAM} when the bytes differ from the recorded size
   *     or hash, or local media has no uploader (nothing is kept); 409 {@code
   *     M_CANNOT_OVERWRITE_MEDIA} when the URI already names other bytes; 500 when storage fails
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
   * @throws MediaException 400 {@code M_UNKNOWN} for a user of another server, 404 {@code
   *     M_NOT_FOUND} for an unknown user
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
   * Deletes local media last accessed before {@code before} and larger than {@code sizeGreaterThan}
   * bytes, except quarantined and protected media, and, when {@code keepProfiles}, except media the
   * host's {@link UserDirectory} says is a profile or room image (400 {@code M_INVALID_PARAM},
   * nothing deleted, when it cannot tell: {@link UserDirectory#knowsProfiles}). Works through the
   * store in batches.
   *
   * @param sizeGreaterThan in bytes, {@code >= 0}
   * @return how many were deleted, and the ids of the first {@value Deletion#MAX_LISTED} of them
   */
  Deletion deleteLocalMediaAccessedBefore(
      Instant before, long sizeGreaterThan, boolean keepProfiles);

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
   * total size, and their display names from the host's {@link UserDirectory}.
   */
  Page<UserMediaStatistics> userMediaStatistics(StatisticsQuery query);

  /**
   * One piece of media brought in from another media store (Synapse's, for instance) by {@link
   * MediaAdmin#importMedia}, keeping its identity: its URI, uploader, times and flags.
   *
   * @param uri its content URI: this server's name makes it local media, any other a cached remote
   *     copy
   * @param contentType its media type as recorded; absent or malformed is stored as {@code
   *     application/octet-stream}
   * @param uploadName the file name it was uploaded with, if any (dropped when it has control
   *     characters or is over 255 characters)
   * @param uploader who uploaded it: required for local media, ignored for remote media
   * @param size its length in bytes as recorded, if known: bytes of another length are refused
   * @param sha256 the SHA-256 of its bytes as recorded (64 hex characters), if known: other bytes
   *     are refused
   * @param createdAt when it was uploaded (local) or first cached (remote)
   * @param lastAccessedAt when it was last served
   * @param quarantined whether it is quarantined
   * @param safeFromQuarantine whether it is protected from quarantine (local media only)
   */
  record MediaImport(
      MxcUri uri,
      Optional<String> contentType,
      Optional<String> uploadName,
      Optional<UserId> uploader,
      OptionalLong size,
      Optional<String> sha256,
      Instant createdAt,
      Instant lastAccessedAt,
      boolean quarantined,
      boolean safeFromQuarantine) {

    public MediaImport {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(uploadName, "uploadName");
      Objects.requireNonNull(uploader, "uploader");
      Objects.requireNonNull(size, "size");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(createdAt, "createdAt");
      Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
      if (size.isPresent() && size.getAsLong() < 0) {
        throw new IllegalArgumentException("size cannot be negative");
      }
      if (sha256.isPresent() && !sha256.get().matches("[0-9a-fA-F]{64}")) {
        throw new IllegalArgumentException("sha256 must be 64 hex characters: " + sha256.get());
      }
    }
  }

  /**
   * What the repository knows of one piece of media, local or a cached remote copy: what {@link
   * MediaAdmin#describe} answers.
   *
   * @param uri its content URI
   * @param contentType the stored media type
   * @param uploadName the file name it was uploaded with, if any
   * @param uploader who uploaded it; empty for remote media
   * @param size its length in bytes
   * @param sha256 the SHA-256 of its bytes, 64 lower-case hex characters
   * @param createdAt when it was uploaded (local) or first cached (remote)
   * @param lastAccessedAt when it was last served (written in batches, so up to a minute behind)
   * @param quarantined whether it is quarantined (served to nobody)
   * @param safeFromQuarantine whether it is protected from quarantine (local media only)
   */
  record MediaInfo(
      MxcUri uri,
      String contentType,
      Optional<String> uploadName,
      Optional<UserId> uploader,
      long size,
      String sha256,
      Instant createdAt,
      Instant lastAccessedAt,
      boolean quarantined,
      boolean safeFromQuarantine) {

    public MediaInfo {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(uploadName, "uploadName");
      Objects.requireNonNull(uploader, "uploader");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(createdAt, "createdAt");
      Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
      if (size < 0) {
        throw new IllegalArgumentException("size cannot be negative");
      }
    }

    /** Whether it is media of another server (a cached copy). */
    public boolean remote() {
      return uploader.isEmpty();
    }
  }

  /**
   * Which page of a user's local media to list, and in which order (Synapse's {@code order_by},
   * {@code dir}, {@code from} and {@code limit}). Items that tie on {@code orderBy} are ordered by
   * ascending media id, so the order is total and pages never overlap.
   *
   * @param orderBy the sort key
   * @param descending whether the order of {@code orderBy} is reversed ({@code dir=b})
   * @param offset how many items of the whole list to skip, {@code >= 0}
   * @param limit how many items at most, {@code 0 <= limit <= }{@link Page#MAX_LIMIT}
   */
  record MediaQuery(Order orderBy, boolean descending, long offset, int limit) {

    public MediaQuery {
      Objects.requireNonNull(orderBy, "orderBy");
      checkPaging(offset, limit);
    }

    /** Synapse's default: newest first ({@code created_ts}, backwards), the first 100. */
    public static MediaQuery newestFirst() {
      return new MediaQuery(Order.CREATED_TS, true, 0, 100);
    }

    /**
     * The sort keys of Synapse's {@code order_by}; {@link #parameter()} is the value on the wire.
     */
    public enum Order {
      MEDIA_ID("media_id"),
      /** The upload name; media without one sorts as an empty name. */
      UPLOAD_NAME("upload_name"),
      CREATED_TS("created_ts"),
      LAST_ACCESS_TS("last_access_ts"),
      MEDIA_LENGTH("media_length"),
      MEDIA_TYPE("media_type"),
      /** Whether the media is quarantined (unquarantined first). */
      QUARANTINED_BY("quarantined_by"),
      SAFE_FROM_QUARANTINE("safe_from_quarantine");

      private final String parameter;

      Order(String parameter) {
        this.parameter = parameter;
      }

      /** The name Synapse's admin API uses for this key. */
      public String parameter() {
        return parameter;
      }

      /** The key named {@code parameter} on the wire, if any. */
      public static Optional<Order> parse(String parameter) {
        return parseOrder(values(), Order::parameter, parameter);
      }
    }
  }

  /**
   * Which page of the per-user statistics of local media to list (Synapse's {@code
   * /statistics/users/media}). Only users with at least one upload in the period are listed; users
   * that tie on {@code orderBy} are ordered by ascending user id.
   *
   * @param orderBy the sort key
   * @param descending whether the order is reversed ({@code dir=b})
   * @param offset how many users to skip, {@code >= 0}
   * @param limit how many users at most, {@code 0 <= limit <= }{@link Page#MAX_LIMIT}
   * @param from only media created at or after this instant counts
   * @param until only media created at or before this instant counts, if given; after {@code from}
   * @param searchTerm only users whose localpart contains it (ignoring ASCII case), if given; not
   *     empty
   */
  record StatisticsQuery(
      Order orderBy,
      boolean descending,
      long offset,
      int limit,
      Instant from,
      Optional<Instant> until,
      Optional<String> searchTerm) {

    public StatisticsQuery {
      Objects.requireNonNull(orderBy, "orderBy");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(until, "until");
      Objects.requireNonNull(searchTerm, "searchTerm");
      checkPaging(offset, limit);
      if (until.isPresent() && !until.get().isAfter(from)) {
        throw new IllegalArgumentException("until must be after from");
      }
      if (searchTerm.isPresent() && searchTerm.get().isEmpty()) {
        throw new IllegalArgumentException("searchTerm cannot be empty");
      }
    }

    /** Every user, by user id, the first 100. */
    public static StatisticsQuery byUserId() {
      return new StatisticsQuery(
          Order.USER_ID, false, 0, 100, Instant.EPOCH, Optional.empty(), Optional.empty());
    }

    /**
     * The sort keys of Synapse's {@code order_by}; {@link #parameter()} is the value on the wire.
     */
    public enum Order {
      USER_ID("user_id"),
      /**
       * The display name. Names belong to the host, not to the store, so this orders by user id (as
       * Synapse orders users without a name).
       */
      DISPLAYNAME("displayname"),
      MEDIA_LENGTH("media_length"),
      MEDIA_COUNT("media_count");

      private final String parameter;

      Order(String parameter) {
        this.parameter = parameter;
      }

      /** The name Synapse's admin API uses for this key. */
      public String parameter() {
        return parameter;
      }

      /** The key named {@code parameter} on the wire, if any. */
      public static Optional<Order> parse(String parameter) {
        return parseOrder(values(), Order::parameter, parameter);
      }
    }
  }

  /**
   * What a bulk deletion did. It lists at most {@value #MAX_LISTED} ids, so deleting millions of
   * media answers in bounded memory; {@code total} counts them all.
   *
   * @param firstIds the ids of the first media deleted, in the order they were deleted
   * @param total how many media were deleted, {@code >= firstIds.size()}
   */
  record Deletion(List<MediaId> firstIds, long total) {

    /** The most ids a deletion lists. */
    public static final int MAX_LISTED = 10_000;

    public Deletion {
      firstIds = List.copyOf(firstIds);
      if (firstIds.size() > MAX_LISTED || total < firstIds.size()) {
        throw new IllegalArgumentException(
            "a deletion lists at most " + MAX_LISTED + " ids and counts at least those it lists");
      }
    }

    /** True when {@link #firstIds} holds every id deleted. */
    public boolean listsAll() {
      return total == firstIds.size();
    }
  }

  /**
   * One page of a list the admin API pages through by offset, as Synapse's admin API does.
   *
   * @param items the page's items, in the list's order; at most the limit asked for
   * @param offset the position of the first item in the whole list, {@code >= 0}
   * @param total how many items the whole list holds (with the same filters), {@code >= 0}
   * @param <T> the item type
   */
  record Page<T>(List<T> items, long offset, long total) {

    /** The most items one page may ask for; larger limits are lowered to it. */
    public static final int MAX_LIMIT = 1000;

    public Page {
      items = List.copyOf(items);
      if (offset < 0 || total < 0) {
        throw new IllegalArgumentException("offset and total cannot be negative");
      }
    }

    /** The offset of the next page, or empty when no item follows this page. */
    public OptionalLong nextOffset() {
      long next = offset + items.size();
      return next < total && !items.isEmpty() ? OptionalLong.of(next) : OptionalLong.empty();
    }

    /**
     * The page of {@code all} from {@code offset}, at most {@code limit} items; for stores that
     * hold the whole list.
     */
    public static <T> Page<T> of(List<T> all, long offset, int limit) {
      Objects.requireNonNull(all, "all");
      int from = (int) Math.min(offset, all.size());
      int to = (int) Math.min((long) from + limit, all.size());
      return new Page<>(all.subList(from, to), offset, all.size());
    }
  }

  /**
   * How much local media a user has uploaded in some period.
   *
   * @param mediaCount the number of uploads, {@code >= 0}
   * @param totalBytes their total size in bytes, {@code >= 0}
   */
  record MediaUsage(long mediaCount, long totalBytes) {
    public static final MediaUsage NONE = new MediaUsage(0, 0);

    public MediaUsage {
      if (mediaCount < 0 || totalBytes < 0) {
        throw new IllegalArgumentException("usage cannot be negative");
      }
    }

    public MediaUsage plus(long bytes) {
      return new MediaUsage(mediaCount + 1, totalBytes + bytes);
    }
  }

  /**
   * How much local media one user uploaded in a period: one row of {@link
   * MediaAdmin#userMediaStatistics}.
   *
   * @param user the uploader
   * @param displayName their display name, from the host's {@link UserDirectory}; empty when the
   *     host supplies none (stores always answer empty)
   * @param mediaCount how many media, {@code >= 1}
   * @param mediaLength their total size in bytes, {@code >= 0}
   */
  record UserMediaStatistics(
      UserId user, Optional<String> displayName, long mediaCount, long mediaLength) {

    public UserMediaStatistics {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(displayName, "displayName");
      if (mediaCount < 0 || mediaLength < 0) {
        throw new IllegalArgumentException("statistics cannot be negative");
      }
    }

    /** The same row with {@code name} as its display name. */
    public UserMediaStatistics withDisplayName(Optional<String> name) {
      return new UserMediaStatistics(user, name, mediaCount, mediaLength);
    }
  }

  /**
   * The paging rules every admin query shares: {@code offset >= 0}, {@code 0 <= limit <= }{@link
   * Page#MAX_LIMIT}.
   */
  private static void checkPaging(long offset, int limit) {
    if (offset < 0) {
      throw new IllegalArgumentException("offset cannot be negative");
    }
    if (limit < 0 || limit > Page.MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 0 and " + Page.MAX_LIMIT);
    }
  }

  /** The sort key whose wire name is {@code parameter}, if any. */
  private static <O extends Enum<O>> Optional<O> parseOrder(
      O[] keys, Function<O, String> wireName, String parameter) {
    for (O o : keys) {
      if (wireName.apply(o).equals(parameter)) {
        return Optional.of(o);
      }
    }
    return Optional.empty();
  }
}
