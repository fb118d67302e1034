package org.mxmedia.store.jdbc;

/**
 * Every SQL statement of the store, each written once and named for what it does. A statement runs
 * unchanged on SQLite and PostgreSQL unless its Javadoc names one of them. Parameters are bound by
 * {@link Jdbc} (instants as epoch milliseconds, hashes as lower-case hex); statements that read
 * records select the column lists below, in the order {@link Rows} maps.
 */
final class Sql {
  private Sql() {}

  // ---- transactions and locks

  /**
   * SQLite: a deferred transaction, which takes no lock until it writes (reads never wait in WAL
   * mode).
   */
  static final String BEGIN = "BEGIN";

  /**
   * SQLite: a write transaction that takes the database's write lock at once (waiting up to the
   * busy timeout).
   */
  static final String BEGIN_IMMEDIATE = "BEGIN IMMEDIATE";

  static final String COMMIT = "COMMIT";

  static final String ROLLBACK = "ROLLBACK";

  /** PostgreSQL: a transaction-scoped advisory lock on a {@code BIGINT} key. */
  static final String ADVISORY_LOCK = "SELECT pg_advisory_xact_lock(?)";

  /** PostgreSQL: a transaction-scoped advisory lock on the {@code hashtext} of a text key. */
  static final String ADVISORY_LOCK_ON_TEXT = "SELECT pg_advisory_xact_lock(hashtext(?))";

  /** SQLite: the start of a pragma query; a checked pragma name follows. */
  static final String PRAGMA = "PRAGMA ";

  // ---- schema versions

  static final String SCHEMA_TABLE_CREATE =
      "CREATE TABLE IF NOT EXISTS mxmedia_schema (version INTEGER NOT NULL)";

  /** The schema's version: one row, {@code NULL} when no version was ever applied. */
  static final String SCHEMA_VERSION = "SELECT MAX(version) FROM mxmedia_schema";

  static final String SCHEMA_VERSION_INSERT = "INSERT INTO mxmedia_schema (version) VALUES (?)";

  // ---- media ids (shared by local media and pending uploads)

  /** Claims a media id: changes one row, or none when the id is taken. */
  static final String MEDIA_ID_CLAIM =
      "INSERT INTO media_ids (media_id) VALUES (?) ON CONFLICT DO NOTHING";

  static final String MEDIA_ID_FREE = "DELETE FROM media_ids WHERE media_id = ?";

  // ---- local media

  static final String LOCAL_COLUMNS =
      "media_id, content_type, upload_name, uploader, size, sha256, created_ts, last_access_ts, quarantined, safe_from_quarantine";

  static final String LOCAL_INSERT =
      "INSERT INTO local_media (" + LOCAL_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

  static final String LOCAL_SELECT =
      "SELECT " + LOCAL_COLUMNS + " FROM local_media WHERE media_id = ?";

  static final String LOCAL_DELETE =
      "DELETE FROM local_media WHERE media_id = ? RETURNING " + LOCAL_COLUMNS;

  /**
   * Parameters: the access instant, the media id, the access instant again (only a later time is
   * kept).
   */
  static final String LOCAL_ACCESS =
      "UPDATE local_media SET last_access_ts = ? WHERE media_id = ? AND last_access_ts < ?";

  static final String LOCAL_USAGE =
      "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM local_media WHERE uploader = ? AND created_ts >= ?";

  /**
   * Parameters: the flag, the media id, the flag again (media safe from quarantine is only ever
   * released).
   */
  static final String LOCAL_QUARANTINE =
      "UPDATE local_media SET quarantined = ? WHERE media_id = ? AND (? = FALSE OR safe_from_quarantine = FALSE)";

  /**
   * Parameters: the flag, the hash, the flag twice more; changes only the rows whose flag differs.
   */
  static final String LOCAL_QUARANTINE_BY_HASH =
      "UPDATE local_media SET quarantined = ? WHERE sha256 = ? AND quarantined <> ?"
          + " AND (? = FALSE OR safe_from_quarantine = FALSE)";

  static final String LOCAL_SAFE_FROM_QUARANTINE =
      "UPDATE local_media SET safe_from_quarantine = ? WHERE media_id = ?";

  // ---- admin listings (text ordered and compared byte-wise: {@code collate} is the dialect's
  // binary collation clause; ORDER BY expressions come from enum constants, never from input)

  /**
   * One page of an uploader's media in {@code orderBy}, ties by ascending media id, with the count
   * of all their media (the window is counted before LIMIT) as column 11. Parameters: uploader,
   * limit, offset.
   */
  static String localOfUploader(String orderBy, boolean descending, String collate) {
    return "SELECT "
        + LOCAL_COLUMNS
        + ", COUNT(*) OVER () FROM local_media WHERE uploader = ? ORDER BY "
        + orderBy
        + (descending ? " DESC" : " ASC")
        + ", media_id"
        + collate
        + " ASC LIMIT ? OFFSET ?";
  }

  static final String LOCAL_COUNT_OF_UPLOADER =
      "SELECT COUNT(*) FROM local_media WHERE uploader = ?";

  /** Quarantines an uploader's media that is neither quarantined nor protected. */
  static final String LOCAL_QUARANTINE_OF_UPLOADER =
      "UPDATE local_media SET quarantined = TRUE"
          + " WHERE uploader = ? AND quarantined = FALSE AND safe_from_quarantine = FALSE";

  /**
   * Parameters: accessed-before instant, size bound (exclusive), the last media id seen ({@code ""}
   * at first), limit.
   */
  static String localAccessedBefore(String collate) {
    return "SELECT "
        + LOCAL_COLUMNS
        + " FROM local_media WHERE last_access_ts < ? AND size > ? AND media_id"
        + collate
        + " > ? ORDER BY media_id"
        + collate
        + " LIMIT ?";
  }

  /** Quarantined local media ids with the count of all as column 2. Parameters: limit, offset. */
  static String localQuarantined(String collate) {
    return "SELECT media_id, COUNT(*) OVER () FROM local_media WHERE quarantined = TRUE ORDER BY media_id"
        + collate
        + " LIMIT ? OFFSET ?";
  }

  static final String LOCAL_QUARANTINED_COUNT =
      "SELECT COUNT(*) FROM local_media WHERE quarantined = TRUE";

  /**
   * Quarantined remote media (origin, media id) with the count of all as column 3. Parameters:
   * limit, offset.
   */
  static String remoteQuarantined(String collate) {
    return "SELECT origin, media_id, COUNT(*) OVER () FROM remote_media WHERE quarantined = TRUE ORDER BY origin"
        + collate
        + ", media_id"
        + collate
        + " LIMIT ? OFFSET ?";
  }

  static final String REMOTE_QUARANTINED_COUNT =
      "SELECT COUNT(*) FROM remote_media WHERE quarantined = TRUE";

  /**
   * The filter of the statistics: created from, created until, a LIKE pattern on the lower-cased
   * localpart.
   */
  private static String statisticsFilter(String localpart) {
    return " FROM local_media WHERE created_ts >= ? AND created_ts <= ? AND LOWER("
        + localpart
        + ") LIKE ? ESCAPE '\\'";
  }

  /**
   * One page of uploaders with media count and length (columns 1 to 3) and the number of all
   * matching uploaders (column 4). Parameters: from, until, pattern, limit, offset.
   */
  static String statistics(String orderBy, boolean descending, String collate, String localpart) {
    return "SELECT uploader, COUNT(*) AS media_count, COALESCE(SUM(size), 0) AS media_length, COUNT(*) OVER ()"
        + statisticsFilter(localpart)
        + " GROUP BY uploader ORDER BY "
        + orderBy
        + (descending ? " DESC" : " ASC")
        + ", uploader"
        + collate
        + " ASC LIMIT ? OFFSET ?";
  }

  /** The number of matching uploaders. Parameters: from, until, pattern. */
  static String statisticsCount(String localpart) {
    return "SELECT COUNT(*) FROM (SELECT uploader"
        + statisticsFilter(localpart)
        + " GROUP BY uploader) uploaders";
  }

  // ---- cached remote media

  static final String REMOTE_COLUMNS =
      "origin, media_id, content_type, upload_name, size, sha256, cached_ts, last_access_ts, quarantined";

  /** Changes one row, or none when that remote media is already cached. */
  static final String REMOTE_INSERT =
      "INSERT INTO remote_media ("
          + REMOTE_COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  static final String REMOTE_SELECT =
      "SELECT " + REMOTE_COLUMNS + " FROM remote_media WHERE origin = ? AND media_id = ?";

  static final String REMOTE_DELETE =
      "DELETE FROM remote_media WHERE origin = ? AND media_id = ? RETURNING " + REMOTE_COLUMNS;

  static final String REMOTE_ACCESSED_BEFORE =
      "SELECT "
          + REMOTE_COLUMNS
          + " FROM remote_media WHERE last_access_ts < ? ORDER BY last_access_ts LIMIT ?";

  /**
   * Parameters: the access instant, origin, media id, the access instant again (only a later time
   * is kept).
   */
  static final String REMOTE_ACCESS =
      "UPDATE remote_media SET last_access_ts = ? WHERE origin = ? AND media_id = ? AND last_access_ts < ?";

  static final String REMOTE_QUARANTINE =
      "UPDATE remote_media SET quarantined = ? WHERE origin = ? AND media_id = ?";

  /** Parameters: the flag, the hash, the flag again; changes only the rows whose flag differs. */
  static final String REMOTE_QUARANTINE_BY_HASH =
      "UPDATE remote_media SET quarantined = ? WHERE sha256 = ? AND quarantined <> ?";

  // ---- hashes quarantined for later records

  /** One row when the hash is quarantined, none otherwise. */
  static final String HASH_QUARANTINED = "SELECT 1 FROM quarantined_hashes WHERE sha256 = ?";

  static final String HASH_QUARANTINE =
      "INSERT INTO quarantined_hashes (sha256) VALUES (?) ON CONFLICT DO NOTHING";

  static final String HASH_RELEASE = "DELETE FROM quarantined_hashes WHERE sha256 = ?";

  // ---- pending uploads

  static final String PENDING_COLUMNS = "media_id, owner, created_ts, expires_ts";

  /** How many pending uploads an owner holds that are unexpired at an instant. */
  static final String PENDING_HELD =
      "SELECT COUNT(*) FROM pending_media WHERE owner = ? AND expires_ts > ?";

  static final String PENDING_INSERT =
      "INSERT INTO pending_media (" + PENDING_COLUMNS + ") VALUES (?, ?, ?, ?)";

  static final String PENDING_SELECT =
      "SELECT " + PENDING_COLUMNS + " FROM pending_media WHERE media_id = ?";

  static final String PENDING_DELETE = "DELETE FROM pending_media WHERE media_id = ?";

  /**
   * Deletes up to a limit of the pending uploads expired at an instant; returns the ids it deleted.
   */
  static final String PENDING_PURGE =
      "DELETE FROM pending_media WHERE media_id IN"
          + " (SELECT media_id FROM pending_media WHERE expires_ts <= ? LIMIT ?) RETURNING media_id";

  // ---- thumbnails

  /** The key columns (source, size, method, animation) come first. */
  static final String THUMBNAIL_COLUMNS =
      "source, width, height, method, animated, content_type, size, sha256, created_ts";

  /** Changes one row, or none when a thumbnail with the same key exists. */
  static final String THUMBNAIL_INSERT =
      "INSERT INTO thumbnails ("
          + THUMBNAIL_COLUMNS
          + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  static final String THUMBNAILS_SELECT =
      "SELECT " + THUMBNAIL_COLUMNS + " FROM thumbnails WHERE source = ?";

  /** Parameters: the key columns, in {@link #THUMBNAIL_COLUMNS} order, then the blob's hash. */
  static final String THUMBNAIL_DELETE =
      "DELETE FROM thumbnails WHERE source = ? AND width = ? AND height = ? AND method = ?"
          + " AND animated = ? AND sha256 = ? RETURNING "
          + THUMBNAIL_COLUMNS;

  static final String THUMBNAILS_DELETE =
      "DELETE FROM thumbnails WHERE source = ? RETURNING " + THUMBNAIL_COLUMNS;

  // ---- blob entries: reference counts and deletion claims

  /** Creates a blob's entry at count zero, unclaimed, unless it has one. */
  static final String BLOB_ENTRY =
      "INSERT INTO blobs (sha256, refs, claimed_ts) VALUES (?, 0, NULL) ON CONFLICT DO NOTHING";

  /** Takes one reference; changes no row while the blob is claimed for deletion. */
  static final String BLOB_REFERENCE_TAKE =
      "UPDATE blobs SET refs = refs + 1 WHERE sha256 = ? AND claimed_ts IS NULL";

  /** Drops one reference; changes no row at count zero. */
  static final String BLOB_REFERENCE_DROP =
      "UPDATE blobs SET refs = refs - 1 WHERE sha256 = ? AND refs > 0";

  /** Parameters: how many, the hash, how many again; changes no row when the count is smaller. */
  static final String BLOB_REFERENCES_DROP =
      "UPDATE blobs SET refs = refs - ? WHERE sha256 = ? AND refs >= ?";

  /**
   * Changes nothing but locks the blob's row (PostgreSQL), so row locks are taken in the order
   * reservations take them.
   */
  static final String BLOB_ROW_LOCK = "UPDATE blobs SET refs = refs WHERE sha256 = ?";

  static final String BLOB_CLAIM =
      "UPDATE blobs SET claimed_ts = ? WHERE sha256 = ? AND refs = 0 AND claimed_ts IS NULL";

  /** Renews a claim older than the bound (the last parameter) to a new instant (the first). */
  static final String BLOB_CLAIM_TAKE_OVER =
      "UPDATE blobs SET claimed_ts = ? WHERE sha256 = ? AND refs = 0 AND claimed_ts < ?";

  static final String BLOB_FORGET =
      "DELETE FROM blobs WHERE sha256 = ? AND refs = 0 AND claimed_ts = ?";

  static final String BLOB_CLAIM_CANCEL =
      "UPDATE blobs SET claimed_ts = NULL WHERE sha256 = ? AND claimed_ts = ?";

  static final String BLOB_REFERENCES = "SELECT refs FROM blobs WHERE sha256 = ?";

  static final String BLOBS_UNREFERENCED = "SELECT sha256 FROM blobs WHERE refs = 0 LIMIT ?";

  // ---- reservations per node, and the nodes' leases

  /** Adds one reservation of a blob to a node's books. */
  static final String RESERVATION_ADD =
      "INSERT INTO blob_reservations (node_id, sha256, held) VALUES (?, ?, 1)"
          + " ON CONFLICT (node_id, sha256) DO UPDATE SET held = blob_reservations.held + 1";

  /** Takes one reservation off a node's books; changes no row when the node holds none. */
  static final String RESERVATION_TAKE =
      "UPDATE blob_reservations SET held = held - 1 WHERE node_id = ? AND sha256 = ? AND held > 0";

  static final String RESERVATION_DELETE_IF_EMPTY =
      "DELETE FROM blob_reservations WHERE node_id = ? AND sha256 = ? AND held = 0";

  /** Takes a node's reservations of a blob off its books; returns how many it held. */
  static final String RESERVATION_DELETE =
      "DELETE FROM blob_reservations WHERE node_id = ? AND sha256 = ? RETURNING held";

  static final String RESERVATIONS_OF_NODE =
      "SELECT sha256 FROM blob_reservations WHERE node_id = ? ORDER BY sha256 LIMIT ?";

  static final String LEASE_RENEW = "UPDATE store_nodes SET heartbeat_ts = ? WHERE node_id = ?";

  static final String LEASE_START =
      "INSERT INTO store_nodes (node_id, heartbeat_ts) VALUES (?, ?)"
          + " ON CONFLICT (node_id) DO UPDATE SET heartbeat_ts = excluded.heartbeat_ts";

  /** Starts, at the given instant, a lease for every node that holds reservations but has none. */
  static final String LEASES_OF_UNSEEN_NODES =
      "INSERT INTO store_nodes (node_id, heartbeat_ts) SELECT DISTINCT node_id, ? FROM blob_reservations"
          + " WHERE node_id NOT IN (SELECT node_id FROM store_nodes) ON CONFLICT DO NOTHING";

  static final String LEASES_EXPIRED =
      "SELECT node_id FROM store_nodes WHERE heartbeat_ts < ? AND node_id <> ? ORDER BY node_id LIMIT ?";

  /**
   * Rewrites a node's heartbeat unchanged: matches its row only while the lease is still expired at
   * the bound, and on PostgreSQL locks that row until commit.
   */
  static final String LEASE_LOCK_IF_EXPIRED =
      "UPDATE store_nodes SET heartbeat_ts = heartbeat_ts WHERE node_id = ? AND heartbeat_ts < ?";

  static final String LEASE_END = "DELETE FROM store_nodes WHERE node_id = ?";

  // ---- claims of work

  /**
   * Claims a work for an owner: inserts the claim, or takes over one that lapsed, or extends the
   * owner's own; changes one row when the owner holds the claim afterwards, none otherwise.
   * Parameters: work, owner, until, now.
   */
  static final String WORK_CLAIM =
      "INSERT INTO work_claims (work, owner, until_ts) VALUES (?, ?, ?)"
          + " ON CONFLICT (work) DO UPDATE SET owner = excluded.owner, until_ts = excluded.until_ts"
          + " WHERE work_claims.owner = excluded.owner OR work_claims.until_ts <= ?";

  /** Parameters: work, owner. */
  static final String WORK_RELEASE = "DELETE FROM work_claims WHERE work = ? AND owner = ?";

  /** Claims that lapsed before the parameter: their owners died without releasing them. */
  static final String WORK_EXPIRED_DELETE = "DELETE FROM work_claims WHERE until_ts < ?";

  // ---- retention and the remote cache's space bound

  /**
   * Deletes the least recently accessed local media accessed before a time, neither quarantined nor
   * protected. The conditions are repeated outside the subquery so that PostgreSQL re-checks them
   * on a row another transaction changed meanwhile. Parameters: before, limit, before.
   */
  static final String LOCAL_DELETE_ACCESSED_BEFORE =
      "DELETE FROM local_media WHERE media_id IN ("
          + "SELECT media_id FROM local_media WHERE last_access_ts < ? AND quarantined = FALSE AND safe_from_quarantine = FALSE"
          + " ORDER BY last_access_ts LIMIT ?)"
          + " AND last_access_ts < ? AND quarantined = FALSE AND safe_from_quarantine = FALSE RETURNING "
          + LOCAL_COLUMNS;

  /**
   * As {@link #LOCAL_DELETE_ACCESSED_BEFORE} for unquarantined remote media. Parameters: before,
   * limit, before.
   */
  static final String REMOTE_DELETE_ACCESSED_BEFORE =
      "DELETE FROM remote_media WHERE (origin, media_id) IN ("
          + "SELECT origin, media_id FROM remote_media WHERE last_access_ts < ? AND quarantined = FALSE"
          + " ORDER BY last_access_ts LIMIT ?)"
          + " AND last_access_ts < ? AND quarantined = FALSE RETURNING "
          + REMOTE_COLUMNS;

  static final String REMOTE_BYTES = "SELECT COALESCE(SUM(size), 0) FROM remote_media";

  // ---- the URL preview cache (parameters start with the URL's hash and the URL itself)

  static final String PREVIEW_COLUMNS = "url, fetched_ts, expires_ts, image_id";

  /** Parameters: hash, URL, fetched, expires, image id (nullable). */
  static final String PREVIEW_INSERT =
      "INSERT INTO url_previews (url_hash, url, fetched_ts, expires_ts, image_id)"
          + " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

  /** Parameters: hash, fetched, position, name, kind, value. */
  static final String PREVIEW_PROPERTY_INSERT =
      "INSERT INTO url_preview_properties (url_hash, fetched_ts, position, name, kind, value) VALUES (?, ?, ?, ?, ?, ?)";

  /**
   * The last preview fetched at or before an instant and fresh at it. Parameters: hash, URL, at,
   * at.
   */
  static final String PREVIEW_FRESH_AT =
      "SELECT "
          + PREVIEW_COLUMNS
          + " FROM url_previews"
          + " WHERE url_hash = ? AND url = ? AND fetched_ts <= ? AND expires_ts > ? ORDER BY fetched_ts DESC LIMIT 1";

  /** The first preview fetched after an instant. Parameters: hash, URL, at. */
  static final String PREVIEW_FIRST_AFTER =
      "SELECT "
          + PREVIEW_COLUMNS
          + " FROM url_previews"
          + " WHERE url_hash = ? AND url = ? AND fetched_ts > ? ORDER BY fetched_ts LIMIT 1";

  /** Parameters: hash, URL, fetched. */
  static final String PREVIEW_SELECT =
      "SELECT "
          + PREVIEW_COLUMNS
          + " FROM url_previews"
          + " WHERE url_hash = ? AND url = ? AND fetched_ts = ?";

  /** Parameters: hash, fetched. */
  static final String PREVIEW_PROPERTIES =
      "SELECT name, kind, value FROM url_preview_properties"
          + " WHERE url_hash = ? AND fetched_ts = ? ORDER BY position";

  /** Parameters: now, limit. */
  static final String PREVIEWS_EXPIRED =
      "SELECT "
          + PREVIEW_COLUMNS
          + " FROM url_previews"
          + " WHERE expires_ts <= ? ORDER BY expires_ts, url_hash, fetched_ts LIMIT ?";

  /** Parameters: hash, URL, fetched. */
  static final String PREVIEW_DELETE =
      "DELETE FROM url_previews WHERE url_hash = ? AND url = ? AND fetched_ts = ?";

  /** Parameters: hash, fetched. */
  static final String PREVIEW_PROPERTIES_DELETE =
      "DELETE FROM url_preview_properties WHERE url_hash = ? AND fetched_ts = ?";
}
