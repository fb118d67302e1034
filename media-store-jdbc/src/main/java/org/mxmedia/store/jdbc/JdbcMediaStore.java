package org.mxmedia.store.jdbc;

import static org.mxmedia.store.jdbc.Jdbc.batch;
import static org.mxmedia.store.jdbc.Jdbc.one;
import static org.mxmedia.store.jdbc.Jdbc.query;
import static org.mxmedia.store.jdbc.Jdbc.update;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.MediaStore.UrlPreviewRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link MediaStore} in SQL: SQLite for a single server (the embedded default, a file, nothing to
 * run) or PostgreSQL for production and for several processes sharing one database.
 *
 * <p>Every method is one transaction, and blob reference counts change in the same transaction as
 * the records that hold them, so the store's invariants hold across processes. The schema is
 * created and migrated at start-up under a lock (two processes may start at once); a database whose
 * schema is newer than this version knows is refused. Connections come from a HikariCP pool. SQLite
 * runs in WAL mode with a busy timeout, foreign keys on, and immediate write transactions, with
 * {@code synchronous=FULL}: every commit is on disk before it returns, so an acknowledged upload's
 * record survives a power loss (with {@code NORMAL}, WAL commits since the last checkpoint may be
 * lost; durability is worth one fsync per write transaction). On PostgreSQL (READ COMMITTED),
 * quarantining a hash and inserting a record with that hash take a transaction-scoped advisory lock
 * on the hash, so a record never misses its hash's quarantine; SQLite serialises all writers
 * anyway.
 *
 * <p>Each instance is a <em>node</em> with a random id: the reservations it takes are recorded
 * under that id (table {@code blob_reservations}, in the same transaction as the blob's count), and
 * transfers and releases take them off its books, so a node can only give up what it holds. Its
 * lease (table {@code store_nodes}) is renewed by {@link #renewLease}; when a node stops renewing
 * it (its process died), {@link #releaseAbandonedReservations} in another node releases what it
 * still held.
 *
 * <p>Faults of the database (down, gone, full) are thrown as {@link IllegalStateException}s, which
 * the engine answers with 500 {@code M_UNKNOWN}; the pool reconnects when the database returns.
 */
public final class JdbcMediaStore implements MediaStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JdbcMediaStore.class);

  /** The schema version this code writes and understands. */
  public static final int SCHEMA_VERSION = Migrations.LATEST;

  /** Reservation entries of one stopped node released per call (the rest wait for the next). */
  private static final int RELEASE_BATCH = 1000;

  /** Stopped nodes handled per call. */
  private static final int NODE_BATCH = 100;

  /** Expired pending uploads purged per transaction. */
  private static final int PURGE_BATCH = 1000;

  private final Transactions transactions;
  private final Dialect dialect;

  /** This instance's node id: its reservations and lease are recorded under it. */
  private final String nodeId = UUID.randomUUID().toString();

  private volatile boolean leaseRenewed;

  private JdbcMediaStore(Transactions transactions) {
    this.transactions = transactions;
    this.dialect = transactions.dialect();
  }

  /**
   * A store in the SQLite file {@code file} (created with its directory if missing), in WAL mode
   * with {@code synchronous=FULL} (see the class description).
   *
   * @throws IllegalStateException when the file cannot be opened or its schema is too new
   */
  public static JdbcMediaStore sqlite(Path file) {
    return open(Transactions.sqlite(file));
  }

  /**
   * A store in the PostgreSQL database at {@code jdbcUrl} ({@code jdbc:postgresql://host/db}).
   *
   * @throws IllegalArgumentException when {@code jdbcUrl} is not a PostgreSQL JDBC URL
   * @throws IllegalStateException when the database cannot be reached (the message names the URL)
   *     or its schema is too new
   */
  public static JdbcMediaStore postgres(String jdbcUrl, String user, String password) {
    return open(Transactions.postgres(jdbcUrl, user, password));
  }

  private static JdbcMediaStore open(Transactions transactions) {
    try {
      Migrations.migrate(transactions);
    } catch (RuntimeException e) {
      transactions.close();
      throw e;
    }
    log.info(
        "Media metadata in {} (schema version {})", transactions.description(), SCHEMA_VERSION);
    return new JdbcMediaStore(transactions);
  }

  @Override
  public void close() {
    transactions.close();
  }

  /**
   * The value of the SQLite pragma {@code name} on a pooled connection, as every connection of this
   * store has it; for tests.
   *
   * @throws IllegalArgumentException for a name that is not a plain identifier
   * @throws IllegalStateException on a PostgreSQL store, or when the database fails
   */
  String sqlitePragma(String name) {
    if (dialect != Dialect.SQLITE) {
      throw new IllegalStateException("not an SQLite store");
    }
    if (!name.matches("[a-z_]+")) {
      throw new IllegalArgumentException("not a pragma name: " + name);
    }
    return transactions.read(c -> one(c, Sql.PRAGMA + name, Rows.TEXT)).orElseThrow();
  }

  @Override
  public String toString() {
    return "JdbcMediaStore(" + transactions.description() + ")";
  }

  // ---- steps shared by several operations, each inside the caller's transaction

  private static boolean claimMediaId(Connection c, MediaId mediaId) throws SQLException {
    return update(c, Sql.MEDIA_ID_CLAIM, mediaId) == 1;
  }

  private static boolean hashQuarantined(Connection c, BlobKey blob) throws SQLException {
    return one(c, Sql.HASH_QUARANTINED, Rows.EXISTS, blob).isPresent();
  }

  /**
   * Drops one reference to {@code blob}; throws {@link IllegalStateException} (rolling back) when
   * it has none.
   */
  private static void dropReference(Connection c, BlobKey blob) throws SQLException {
    if (update(c, Sql.BLOB_REFERENCE_DROP, blob) != 1) {
      throw new IllegalStateException("blob " + blob + " has no reference to release");
    }
  }

  /**
   * Takes one of this node's reservations of {@code blob} off its books (a transfer keeps the
   * count; a release drops it separately).
   *
   * @throws IllegalStateException when this node holds none (the transaction rolls back)
   */
  private void takeReservation(Connection c, BlobKey blob) throws SQLException {
    if (update(c, Sql.RESERVATION_TAKE, nodeId, blob) != 1) {
      throw new IllegalStateException(
          "this media store instance holds no reservation of blob "
              + blob
              + (leaseRenewed
                  ? " (released by another instance after this one's lease expired?)"
                  : ""));
    }
    update(c, Sql.RESERVATION_DELETE_IF_EMPTY, nodeId, blob);
  }

  /**
   * Inserts a local media record whose id is claimed, transferring one of this node's reservations
   * of its blob to it; the record is quarantined if its hash is, unless it is safe from quarantine.
   */
  private void insertLocal(Connection c, LocalMedia m) throws SQLException {
    takeReservation(c, m.blob());
    boolean quarantined =
        m.quarantined() || (hashQuarantined(c, m.blob()) && !m.safeFromQuarantine());
    update(c, Sql.LOCAL_INSERT, Rows.values(m, quarantined));
  }

  // ---- local media

  @Override
  public boolean insertLocalMedia(LocalMedia media) {
    return transactions.write(
        c -> {
          dialect.lockHash(c, media.blob());
          if (!claimMediaId(c, media.mediaId())) {
            return false;
          }
          insertLocal(c, media);
          return true;
        });
  }

  @Override
  public Optional<LocalMedia> localMedia(MediaId mediaId) {
    return transactions.read(c -> one(c, Sql.LOCAL_SELECT, Rows.LOCAL, mediaId));
  }

  @Override
  public Optional<LocalMedia> deleteLocalMedia(MediaId mediaId) {
    // one statement deletes the row and says which it was: a read before the delete could see a
    // row that another transaction replaces before the delete, and drop the wrong blob's reference
    return transactions.write(
        c -> {
          Optional<LocalMedia> m = one(c, Sql.LOCAL_DELETE, Rows.LOCAL, mediaId);
          if (m.isEmpty()) {
            return m;
          }
          update(c, Sql.MEDIA_ID_FREE, mediaId);
          dropReference(c, m.get().blob());
          return m;
        });
  }

  @Override
  public void recordAccess(Map<MediaId, Instant> accessTimes) {
    if (accessTimes.isEmpty()) {
      return;
    }
    transactions.write(
        c -> {
          batch(
              c,
              Sql.LOCAL_ACCESS,
              accessTimes.entrySet().stream()
                  .map(e -> new Object[] {e.getValue(), e.getKey(), e.getValue()})
                  .toList());
        });
  }

  @Override
  public MediaUsage usage(UserId uploader, Instant since) {
    return transactions.read(
        c ->
            one(
                    c,
                    Sql.LOCAL_USAGE,
                    r -> new MediaUsage(r.getLong(1), r.getLong(2)),
                    uploader,
                    since)
                .orElse(MediaUsage.NONE));
  }

  // ---- admin listings

  @Override
  public Page<LocalMedia> localMediaOf(UserId uploader, MediaQuery query) {
    String sql =
        Sql.localOfUploader(
            orderExpression(query.orderBy()), query.descending(), dialect.binaryCollation());
    return transactions.read(
        c -> {
          List<Counted<LocalMedia>> rows =
              query(
                  c,
                  sql,
                  r -> new Counted<>(Rows.LOCAL.map(r), r.getLong(11)),
                  uploader,
                  query.limit(),
                  query.offset());
          long total =
              rows.isEmpty()
                  ? one(c, Sql.LOCAL_COUNT_OF_UPLOADER, Rows.LONG, uploader).orElse(0L)
                  : rows.get(0).total();
          return new Page<>(rows.stream().map(Counted::item).toList(), query.offset(), total);
        });
  }

  /** A row with the count of all rows (a window over the whole result, before LIMIT). */
  private record Counted<T>(T item, long total) {}

  private String orderExpression(MediaQuery.Order order) {
    String collate = dialect.binaryCollation();
    return switch (order) {
      case MEDIA_ID -> "media_id" + collate;
      case UPLOAD_NAME -> "COALESCE(upload_name, '')" + collate;
      case CREATED_TS -> "created_ts";
      case LAST_ACCESS_TS -> "last_access_ts";
      case MEDIA_LENGTH -> "size";
      case MEDIA_TYPE -> "content_type" + collate;
      case QUARANTINED_BY -> "quarantined";
      case SAFE_FROM_QUARANTINE -> "safe_from_quarantine";
    };
  }

  @Override
  public int quarantineLocalMediaOf(UserId uploader) {
    return transactions.write(
        (Transactions.Work<Integer>) c -> update(c, Sql.LOCAL_QUARANTINE_OF_UPLOADER, uploader));
  }

  @Override
  public List<LocalMedia> localMediaAccessedBefore(
      Instant before, long sizeGreaterThan, Optional<MediaId> after, int limit) {
    String afterId = after.map(MediaId::value).orElse("");
    return transactions.read(
        c ->
            query(
                c,
                Sql.localAccessedBefore(dialect.binaryCollation()),
                Rows.LOCAL,
                before,
                sizeGreaterThan,
                afterId,
                limit));
  }

  @Override
  public Page<MediaId> quarantinedLocalMedia(long offset, int limit) {
    return transactions.read(
        c -> {
          List<Counted<MediaId>> rows =
              query(
                  c,
                  Sql.localQuarantined(dialect.binaryCollation()),
                  r -> new Counted<>(MediaId.of(r.getString(1)), r.getLong(2)),
                  limit,
                  offset);
          long total =
              rows.isEmpty()
                  ? one(c, Sql.LOCAL_QUARANTINED_COUNT, Rows.LONG).orElse(0L)
                  : rows.get(0).total();
          return new Page<>(rows.stream().map(Counted::item).toList(), offset, total);
        });
  }

  @Override
  public Page<MxcUri> quarantinedRemoteMedia(long offset, int limit) {
    return transactions.read(
        c -> {
          List<Counted<MxcUri>> rows =
              query(
                  c,
                  Sql.remoteQuarantined(dialect.binaryCollation()),
                  r ->
                      new Counted<>(
                          MxcUri.of(ServerName.of(r.getString(1)), MediaId.of(r.getString(2))),
                          r.getLong(3)),
                  limit,
                  offset);
          long total =
              rows.isEmpty()
                  ? one(c, Sql.REMOTE_QUARANTINED_COUNT, Rows.LONG).orElse(0L)
                  : rows.get(0).total();
          return new Page<>(rows.stream().map(Counted::item).toList(), offset, total);
        });
  }

  @Override
  public Page<UserMediaStatistics> mediaStatistics(StatisticsQuery query) {
    String collate = dialect.binaryCollation();
    String localpart = dialect.localpart("uploader");
    String orderBy =
        switch (query.orderBy()) {
          case USER_ID, DISPLAYNAME -> "uploader" + collate;
          case MEDIA_LENGTH -> "media_length";
          case MEDIA_COUNT -> "media_count";
        };
    long until = query.until().map(Instant::toEpochMilli).orElse(Long.MAX_VALUE);
    String pattern = "%" + query.searchTerm().map(JdbcMediaStore::likeEscaped).orElse("") + "%";
    return transactions.read(
        c -> {
          List<Counted<UserMediaStatistics>> rows =
              query(
                  c,
                  Sql.statistics(orderBy, query.descending(), collate, localpart),
                  r ->
                      new Counted<>(
                          new UserMediaStatistics(
                              UserId.of(r.getString(1)),
                              Optional.empty(),
                              r.getLong(2),
                              r.getLong(3)),
                          r.getLong(4)),
                  query.from(),
                  until,
                  pattern,
                  query.limit(),
                  query.offset());
          long total =
              rows.isEmpty()
                  ? one(c, Sql.statisticsCount(localpart), Rows.LONG, query.from(), until, pattern)
                      .orElse(0L)
                  : rows.get(0).total();
          return new Page<>(rows.stream().map(Counted::item).toList(), query.offset(), total);
        });
  }

  /**
   * {@code term} lower-cased (ASCII letters only, as a localpart is ASCII) with LIKE's wildcards
   * and escape escaped.
   */
  private static String likeEscaped(String term) {
    StringBuilder b = new StringBuilder(term.length() + 8);
    for (int i = 0; i < term.length(); i++) {
      char ch = term.charAt(i);
      if (ch == '\\' || ch == '%' || ch == '_') {
        b.append('\\');
      }
      b.append(ch >= 'A' && ch <= 'Z' ? (char) (ch + ('a' - 'A')) : ch);
    }
    return b.toString();
  }

  // ---- cached remote media

  @Override
  public boolean insertRemoteMedia(RemoteMedia m) {
    return transactions.write(
        c -> {
          dialect.lockHash(c, m.blob());
          boolean quarantined = m.quarantined() || hashQuarantined(c, m.blob());
          if (update(c, Sql.REMOTE_INSERT, Rows.values(m, quarantined)) != 1) {
            return false;
          }
          takeReservation(c, m.blob());
          return true;
        });
  }

  @Override
  public Optional<RemoteMedia> remoteMedia(MxcUri uri) {
    return transactions.read(
        c -> one(c, Sql.REMOTE_SELECT, Rows.REMOTE, uri.serverName(), uri.mediaId()));
  }

  @Override
  public Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri) {
    return transactions.write(
        c -> {
          // one statement, as in deleteLocalMedia: the same uri may be cached again, with other
          // bytes
          Optional<RemoteMedia> m =
              one(c, Sql.REMOTE_DELETE, Rows.REMOTE, uri.serverName(), uri.mediaId());
          if (m.isPresent()) {
            dropReference(c, m.get().blob());
          }
          return m;
        });
  }

  @Override
  public List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit) {
    return transactions.read(c -> query(c, Sql.REMOTE_ACCESSED_BEFORE, Rows.REMOTE, before, limit));
  }

  @Override
  public void recordRemoteAccess(Map<MxcUri, Instant> accessTimes) {
    if (accessTimes.isEmpty()) {
      return;
    }
    transactions.write(
        c -> {
          batch(
              c,
              Sql.REMOTE_ACCESS,
              accessTimes.entrySet().stream()
                  .map(
                      e ->
                          new Object[] {
                            e.getValue(),
                            e.getKey().serverName(),
                            e.getKey().mediaId(),
                            e.getValue()
                          })
                  .toList());
        });
  }

  @Override
  public Optional<RemoteMedia> setRemoteQuarantined(MxcUri uri, boolean quarantined) {
    return transactions.write(
        c -> {
          update(c, Sql.REMOTE_QUARANTINE, quarantined, uri.serverName(), uri.mediaId());
          return one(c, Sql.REMOTE_SELECT, Rows.REMOTE, uri.serverName(), uri.mediaId());
        });
  }

  // ---- quarantine and protection

  @Override
  public Optional<LocalMedia> setQuarantined(MediaId mediaId, boolean quarantined) {
    return transactions.write(
        c -> {
          update(c, Sql.LOCAL_QUARANTINE, quarantined, mediaId, quarantined);
          return one(c, Sql.LOCAL_SELECT, Rows.LOCAL, mediaId);
        });
  }

  @Override
  public int setQuarantinedByHash(BlobKey blob, boolean quarantined) {
    return transactions.write(
        c -> {
          dialect.lockHash(c, blob);
          update(c, quarantined ? Sql.HASH_QUARANTINE : Sql.HASH_RELEASE, blob);
          int local =
              update(c, Sql.LOCAL_QUARANTINE_BY_HASH, quarantined, blob, quarantined, quarantined);
          int remote = update(c, Sql.REMOTE_QUARANTINE_BY_HASH, quarantined, blob, quarantined);
          return local + remote;
        });
  }

  @Override
  public Optional<LocalMedia> setSafeFromQuarantine(MediaId mediaId, boolean safe) {
    return transactions.write(
        c -> {
          update(c, Sql.LOCAL_SAFE_FROM_QUARANTINE, safe, mediaId);
          return one(c, Sql.LOCAL_SELECT, Rows.LOCAL, mediaId);
        });
  }

  // ---- pending uploads

  @Override
  public PendingInsert insertPending(PendingMedia pending, int maxPerOwner, Instant now) {
    return transactions.write(
        c -> {
          dialect.lockOwner(c, pending.owner());
          long held = one(c, Sql.PENDING_HELD, Rows.LONG, pending.owner(), now).orElse(0L);
          if (held >= maxPerOwner) {
            return PendingInsert.LIMIT_REACHED;
          }
          if (!claimMediaId(c, pending.mediaId())) {
            return PendingInsert.ID_TAKEN;
          }
          update(c, Sql.PENDING_INSERT, Rows.values(pending));
          return PendingInsert.INSERTED;
        });
  }

  @Override
  public Optional<PendingMedia> pending(MediaId mediaId) {
    return transactions.read(c -> one(c, Sql.PENDING_SELECT, Rows.PENDING, mediaId));
  }

  @Override
  public boolean completePending(LocalMedia media) {
    return transactions.write(
        c -> {
          dialect.lockHash(c, media.blob());
          if (update(c, Sql.PENDING_DELETE, media.mediaId()) != 1) {
            return false;
          }
          insertLocal(c, media);
          return true;
        });
  }

  /**
   * {@inheritDoc}
   *
   * <p>In batches of 1000, each one transaction: each deletes pending rows and frees the ids of
   * exactly the rows it deleted (an upload that completes meanwhile keeps its id).
   */
  @Override
  public int deleteExpiredPending(Instant now) {
    int purged = 0;
    while (true) {
      List<String> ids =
          transactions.write(
              c -> {
                List<String> deleted = query(c, Sql.PENDING_PURGE, Rows.TEXT, now, PURGE_BATCH);
                for (String id : deleted) {
                  update(c, Sql.MEDIA_ID_FREE, id);
                }
                return deleted;
              });
      purged += ids.size();
      if (ids.size() < PURGE_BATCH) {
        return purged;
      }
    }
  }

  // ---- thumbnails

  @Override
  public boolean insertThumbnail(ThumbnailRecord t) {
    return transactions.write(
        c -> {
          if (update(c, Sql.THUMBNAIL_INSERT, Rows.values(t)) != 1) {
            return false;
          }
          takeReservation(c, t.blob());
          return true;
        });
  }

  @Override
  public List<ThumbnailRecord> thumbnails(BlobKey source) {
    return transactions.read(c -> query(c, Sql.THUMBNAILS_SELECT, Rows.THUMBNAIL, source));
  }

  @Override
  public boolean deleteThumbnail(ThumbnailRecord t) {
    return transactions.write(
        c -> {
          Optional<ThumbnailRecord> deleted =
              one(c, Sql.THUMBNAIL_DELETE, Rows.THUMBNAIL, Rows.keyAndBlob(t));
          if (deleted.isEmpty()) {
            return false;
          }
          dropReference(c, deleted.get().blob());
          return true;
        });
  }

  @Override
  public List<ThumbnailRecord> deleteThumbnails(BlobKey source) {
    return transactions.write(
        c -> {
          // exactly the rows deleted (a thumbnail stored between a read and the delete would lose
          // its
          // reference drop); their blobs' counts in hash order, as other transactions lock them
          List<ThumbnailRecord> deleted = query(c, Sql.THUMBNAILS_DELETE, Rows.THUMBNAIL, source);
          List<ThumbnailRecord> byBlob = new ArrayList<>(deleted);
          byBlob.sort(Comparator.comparing(t -> t.blob().sha256()));
          for (ThumbnailRecord t : byBlob) {
            dropReference(c, t.blob());
          }
          return deleted;
        });
  }

  // ---- blobs

  @Override
  public Reservation reserveBlob(BlobKey blob) {
    return transactions.write(
        c -> {
          update(c, Sql.BLOB_ENTRY, blob);
          if (update(c, Sql.BLOB_REFERENCE_TAKE, blob) != 1) {
            return Reservation.BEING_DELETED;
          }
          // the blob's row first, then this node's reservation row: the order every transaction
          // that
          // changes both keeps, so they never deadlock
          update(c, Sql.RESERVATION_ADD, nodeId, blob);
          return Reservation.RESERVED;
        });
  }

  @Override
  public void releaseBlob(BlobKey blob) {
    transactions.write(
        c -> {
          dropReference(c, blob);
          takeReservation(c, blob);
        });
  }

  @Override
  public boolean claimBlobForDeletion(BlobKey blob, Instant now) {
    return transactions.write(c -> update(c, Sql.BLOB_CLAIM, now, blob) == 1);
  }

  @Override
  public boolean takeOverDeletion(BlobKey blob, Instant claimedBefore, Instant now) {
    if (now.isBefore(claimedBefore)) {
      throw new IllegalArgumentException(
          "now (" + now + ") is before claimedBefore (" + claimedBefore + ")");
    }
    // one statement: on PostgreSQL a second taker waits for the first's row lock, then sees the
    // renewed instant, which is not before the bound
    return transactions.write(
        c -> update(c, Sql.BLOB_CLAIM_TAKE_OVER, now, blob, claimedBefore) == 1);
  }

  @Override
  public void forgetBlob(BlobKey blob, Instant claimedAt) {
    transactions.write((Transactions.Steps) c -> update(c, Sql.BLOB_FORGET, blob, claimedAt));
  }

  @Override
  public void cancelDeletion(BlobKey blob, Instant claimedAt) {
    transactions.write((Transactions.Steps) c -> update(c, Sql.BLOB_CLAIM_CANCEL, blob, claimedAt));
  }

  @Override
  public long blobReferences(BlobKey blob) {
    return transactions.read(c -> one(c, Sql.BLOB_REFERENCES, Rows.LONG, blob).orElse(0L));
  }

  @Override
  public List<BlobKey> unreferencedBlobs(int limit) {
    return transactions.read(c -> query(c, Sql.BLOBS_UNREFERENCED, Rows.BLOB_KEY, limit));
  }

  // ---- leases

  /** Claims of work lapsed this long ago belong to owners that died; lease renewals delete them. */
  private static final Duration FORGOTTEN_WORK = Duration.ofHours(1);

  @Override
  public void renewLease(Instant now) {
    boolean existed =
        transactions.write(
            c -> {
              update(c, Sql.WORK_EXPIRED_DELETE, now.minus(FORGOTTEN_WORK));
              if (update(c, Sql.LEASE_RENEW, now, nodeId) == 1) {
                return true;
              }
              update(c, Sql.LEASE_START, nodeId, now);
              return false;
            });
    if (!existed && leaseRenewed) {
      log.warn(
          "The lease of this media store instance ({}) had expired, and another instance released the blob"
              + " reservations it held; operations that held them fail",
          nodeId);
    }
    leaseRenewed = true;
  }

  @Override
  public int releaseAbandonedReservations(Instant expiredBefore, Instant now) {
    if (now.isBefore(expiredBefore)) {
      throw new IllegalArgumentException(
          "now (" + now + ") is before expiredBefore (" + expiredBefore + ")");
    }
    return transactions.write(
        c -> {
          // nodes that hold reservations but never renewed a lease: first seen now
          update(c, Sql.LEASES_OF_UNSEEN_NODES, now);
          List<String> expired =
              query(c, Sql.LEASES_EXPIRED, Rows.TEXT, expiredBefore, nodeId, NODE_BATCH);
          int released = 0;
          for (String node : expired) {
            // still expired (a renewal in between keeps the node); on PostgreSQL this also locks
            // the
            // row, so concurrent releasers take a node one after the other
            if (update(c, Sql.LEASE_LOCK_IF_EXPIRED, node, expiredBefore) != 1) {
              continue;
            }
            int releasedHere = releaseReservationsOf(c, node);
            if (releasedHere > 0) {
              log.warn(
                  "Released {} blob reservations of media store instance {}, whose lease expired before {}",
                  releasedHere,
                  node,
                  expiredBefore);
            }
            released += releasedHere;
          }
          return released;
        });
  }

  /**
   * Releases up to {@link #RELEASE_BATCH} reservation entries of the stopped node {@code node}, and
   * ends its lease once none are left; returns how many entries it released.
   *
   * @throws IllegalStateException when a blob counts fewer references than the node held (the
   *     transaction rolls back)
   */
  private static int releaseReservationsOf(Connection c, String node) throws SQLException {
    List<String> blobs = query(c, Sql.RESERVATIONS_OF_NODE, Rows.TEXT, node, RELEASE_BATCH);
    int released = 0;
    for (String sha256 : blobs) {
      update(c, Sql.BLOB_ROW_LOCK, sha256); // the blob's row first, as reservations lock
      Optional<Long> held = one(c, Sql.RESERVATION_DELETE, Rows.LONG, node, sha256);
      if (held.isEmpty()) {
        continue; // released by a concurrent call
      }
      if (update(c, Sql.BLOB_REFERENCES_DROP, held.get(), sha256, held.get()) != 1) {
        throw new IllegalStateException(
            "blob " + sha256 + " counts fewer references than node " + node + " reserved");
      }
      released++;
    }
    if (blobs.size() < RELEASE_BATCH) {
      update(c, Sql.LEASE_END, node);
    }
    return released;
  }

  // ---- claims of work

  @Override
  public boolean claimWork(String work, String owner, Instant now, Instant until) {
    if (work.length() > 512) {
      throw new IllegalArgumentException("a work's name has at most 512 characters");
    }
    return transactions.write(c -> update(c, Sql.WORK_CLAIM, work, owner, until, now) == 1);
  }

  @Override
  public void releaseWork(String work, String owner) {
    transactions.write((Transactions.Steps) c -> update(c, Sql.WORK_RELEASE, work, owner));
  }

  // ---- retention and the remote cache's space bound

  @Override
  public List<LocalMedia> deleteLocalMediaAccessedBefore(Instant before, int limit) {
    requirePositive(limit);
    return transactions.write(
        c -> {
          List<LocalMedia> gone =
              new ArrayList<>(
                  query(c, Sql.LOCAL_DELETE_ACCESSED_BEFORE, Rows.LOCAL, before, limit, before));
          for (LocalMedia m : gone) {
            update(c, Sql.MEDIA_ID_FREE, m.mediaId());
            dropReference(c, m.blob());
          }
          gone.sort(Comparator.comparing(LocalMedia::lastAccessedAt));
          return List.copyOf(gone);
        });
  }

  @Override
  public List<RemoteMedia> deleteRemoteMediaAccessedBefore(Instant before, int limit) {
    requirePositive(limit);
    return transactions.write(
        c -> {
          List<RemoteMedia> gone =
              new ArrayList<>(
                  query(c, Sql.REMOTE_DELETE_ACCESSED_BEFORE, Rows.REMOTE, before, limit, before));
          for (RemoteMedia m : gone) {
            dropReference(c, m.blob());
          }
          gone.sort(Comparator.comparing(RemoteMedia::lastAccessedAt));
          return List.copyOf(gone);
        });
  }

  @Override
  public long remoteMediaBytes() {
    return transactions.read(c -> one(c, Sql.REMOTE_BYTES, Rows.LONG).orElse(0L));
  }

  private static void requirePositive(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
  }

  // ---- the URL preview cache

  /** A preview's row before its properties are read. */
  private record PreviewRow(
      String url, Instant fetchedAt, Instant expiresAt, Optional<String> imageId) {}

  private static final Jdbc.Row<PreviewRow> PREVIEW_ROW =
      r ->
          new PreviewRow(
              r.getString(1),
              Instant.ofEpochMilli(r.getLong(2)),
              Instant.ofEpochMilli(r.getLong(3)),
              Optional.ofNullable(r.getString(4)));

  private static String urlHash(String url) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(url.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static UrlPreviewRecord withProperties(Connection c, PreviewRow row) throws SQLException {
    Map<String, Object> properties = new LinkedHashMap<>();
    for (Object[] p :
        query(
            c,
            Sql.PREVIEW_PROPERTIES,
            r -> new Object[] {r.getString(1), r.getString(2), r.getString(3)},
            urlHash(row.url()),
            row.fetchedAt())) {
      String value = (String) p[2];
      properties.put(
          (String) p[0],
          switch ((String) p[1]) {
            case "i" -> Long.parseLong(value);
            case "f" -> Double.parseDouble(value);
            default -> value;
          });
    }
    return new UrlPreviewRecord(
        row.url(), row.fetchedAt(), row.expiresAt(), properties, row.imageId().map(MediaId::of));
  }

  @Override
  public boolean insertUrlPreview(UrlPreviewRecord preview) {
    String hash = urlHash(preview.url());
    return transactions.write(
        c -> {
          if (update(
                  c,
                  Sql.PREVIEW_INSERT,
                  hash,
                  preview.url(),
                  preview.fetchedAt(),
                  preview.expiresAt(),
                  preview.image().map(MediaId::value))
              != 1) {
            return false;
          }
          List<Object[]> rows = new ArrayList<>();
          int position = 0;
          for (Map.Entry<String, Object> e : preview.properties().entrySet()) {
            Object v = e.getValue();
            String kind = v instanceof Long ? "i" : v instanceof Double ? "f" : "s";
            rows.add(
                new Object[] {
                  hash, preview.fetchedAt(), position++, e.getKey(), kind, v.toString()
                });
          }
          batch(c, Sql.PREVIEW_PROPERTY_INSERT, rows);
          return true;
        });
  }

  @Override
  public Optional<UrlPreviewRecord> urlPreview(String url, Instant at) {
    String hash = urlHash(url);
    return transactions.read(
        c -> {
          Optional<PreviewRow> row = one(c, Sql.PREVIEW_FRESH_AT, PREVIEW_ROW, hash, url, at, at);
          if (row.isEmpty()) {
            row = one(c, Sql.PREVIEW_FIRST_AFTER, PREVIEW_ROW, hash, url, at);
          }
          return row.isEmpty()
              ? Optional.<UrlPreviewRecord>empty()
              : Optional.of(withProperties(c, row.get()));
        });
  }

  @Override
  public List<UrlPreviewRecord> urlPreviewsExpiredBy(Instant now, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least one");
    }
    return transactions.read(
        c -> {
          List<UrlPreviewRecord> out = new ArrayList<>();
          for (PreviewRow row : query(c, Sql.PREVIEWS_EXPIRED, PREVIEW_ROW, now, limit)) {
            out.add(withProperties(c, row));
          }
          return out;
        });
  }

  @Override
  public Optional<UrlPreviewRecord> deleteUrlPreview(String url, Instant fetchedAt) {
    String hash = urlHash(url);
    return transactions.write(
        c -> {
          Optional<PreviewRow> row = one(c, Sql.PREVIEW_SELECT, PREVIEW_ROW, hash, url, fetchedAt);
          if (row.isEmpty()) {
            return Optional.<UrlPreviewRecord>empty();
          }
          UrlPreviewRecord record = withProperties(c, row.get());
          if (update(c, Sql.PREVIEW_DELETE, hash, url, fetchedAt) != 1) {
            return Optional
                .<UrlPreviewRecord>empty(); // deleted meanwhile (PostgreSQL: by a concurrent sweep)
          }
          update(c, Sql.PREVIEW_PROPERTIES_DELETE, hash, fetchedAt);
          return Optional.of(record);
        });
  }
}
