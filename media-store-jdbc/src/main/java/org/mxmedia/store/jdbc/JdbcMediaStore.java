package org.mxmedia.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.mxmedia.MediaId;
import org.mxmedia.MediaUsage;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailMethod;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.LocalMedia;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PendingMedia;
import org.mxmedia.spi.RemoteMedia;
import org.mxmedia.spi.ThumbnailRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * A {@link MediaStore} in SQL: SQLite for a single server (the embedded default, a file, nothing
 * to run) or PostgreSQL for production and for several processes sharing one database.
 *
 * <p>Every method is one transaction, and blob reference counts change in the same transaction as
 * the records that hold them, so the store's invariants hold across processes. The schema is
 * created and migrated at start-up under a lock (two processes may start at once); a database
 * whose schema is newer than this version knows is refused. Connections come from a HikariCP pool.
 * SQLite runs in WAL mode with a busy timeout, foreign keys on, and immediate write transactions,
 * with {@code synchronous=FULL}: every commit is on disk before it returns, so an acknowledged
 * upload's record survives a power loss (with {@code NORMAL}, WAL commits since the last
 * checkpoint may be lost; durability is worth one fsync per write transaction).
 * On PostgreSQL (READ COMMITTED), quarantining a hash and inserting a record with that hash take
 * a transaction-scoped advisory lock on the hash, so a record never misses its hash's quarantine;
 * SQLite serialises all writers anyway.
 *
 * <p>Each instance is a <em>node</em> with a random id: the reservations it takes are recorded
 * under that id (table {@code blob_reservations}, in the same transaction as the blob's count),
 * and transfers and releases take them off its books, so a node can only give up what it holds.
 * Its lease (table {@code store_nodes}) is renewed by {@link #renewLease}; when a node stops
 * renewing it (its process died), {@link #releaseAbandonedReservations} in another node releases
 * what it still held.
 *
 * <p>Faults of the database (down, gone, full) are thrown as {@link IllegalStateException}s,
 * which the engine answers with 500 {@code M_UNKNOWN}; the pool reconnects when the database
 * returns.
 */
public final class JdbcMediaStore implements MediaStore, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JdbcMediaStore.class);

  /** The schema version this code writes and understands. */
  public static final int SCHEMA_VERSION = 2;
  private static final int MAX_ATTEMPTS = 5;

  /** Reservation entries of one stopped node released per call (the rest wait for the next). */
  private static final int RELEASE_BATCH = 1000;
  /** Stopped nodes handled per call. */
  private static final int NODE_BATCH = 100;
  /** Expired pending uploads purged per transaction. */
  private static final int PURGE_BATCH = 1000;

  private final HikariDataSource pool;
  private final Dialect dialect;
  private final String description;
  /** This instance's node id: its reservations and lease are recorded under it. */
  private final String nodeId = UUID.randomUUID().toString();
  private volatile boolean leaseRenewed;

  private JdbcMediaStore(HikariDataSource pool, Dialect dialect, String description) {
    this.pool = pool;
    this.dialect = dialect;
    this.description = description;
  }

  /**
   * A store in the SQLite file {@code file} (created with its directory if missing), in WAL mode
   * with {@code synchronous=FULL} (see the class description).
   *
   * @throws IllegalStateException when the file cannot be opened or its schema is too new
   */
  public static JdbcMediaStore sqlite(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the directory of the media database " + file + ": " + e.getMessage(), e);
    }
    SQLiteConfig sqlite = new SQLiteConfig();
    sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
    // FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints, so a power loss can undo
    // commits that were already acknowledged (an upload answered with its mxc URI whose record is
    // then gone, or a reservation lost while its bytes stay); FULL syncs the WAL on every commit
    sqlite.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    sqlite.setBusyTimeout(30_000);
    sqlite.enforceForeignKeys(true);
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:sqlite:" + file.toAbsolutePath());
    config.setDataSourceProperties(sqlite.toProperties());
    config.setMaximumPoolSize(4);
    // transactions are begun explicitly: the driver would otherwise open one eagerly after each
    // commit, and an idle pooled connection would hold the write lock
    config.setAutoCommit(true);
    return open(config, Dialect.SQLITE, "SQLite " + file.toAbsolutePath());
  }

  /**
   * A store in the PostgreSQL database at {@code jdbcUrl} ({@code jdbc:postgresql://host/db}).
   *
   * @throws IllegalStateException when the database cannot be reached (the message names the
   *     URL) or its schema is too new
   */
  public static JdbcMediaStore postgres(String jdbcUrl, String user, String password) {
    if (Dialect.of(jdbcUrl) != Dialect.POSTGRES) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL: " + jdbcUrl);
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(jdbcUrl);
    config.setUsername(user);
    config.setPassword(password);
    config.setMaximumPoolSize(10);
    config.setAutoCommit(false);
    return open(config, Dialect.POSTGRES, "PostgreSQL " + jdbcUrl);
  }

  private static JdbcMediaStore open(HikariConfig config, Dialect dialect, String description) {
    config.setPoolName("mxmedia-" + dialect.name().toLowerCase(java.util.Locale.ROOT));
    config.setConnectionTimeout(10_000);
    config.setInitializationFailTimeout(10_000);
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (HikariPool.PoolInitializationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException("cannot connect to the media database " + description + ": " + cause.getMessage(), e);
    }
    JdbcMediaStore store = new JdbcMediaStore(pool, dialect, description);
    try {
      store.migrate();
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    log.info("Media metadata in {} (schema version {})", description, SCHEMA_VERSION);
    return store;
  }

  /** Creates or upgrades the schema; refuses a schema newer than {@link #SCHEMA_VERSION}. */
  private void migrate() {
    transaction(c -> {
      dialect.lockMigrations(c);
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS mxmedia_schema (version INTEGER NOT NULL)");
      }
      int version = 0;
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT MAX(version) FROM mxmedia_schema")) {
        if (r.next()) {
          version = r.getInt(1);
        }
      }
      if (version > SCHEMA_VERSION) {
        throw new IllegalStateException("the media database " + description + " has schema version " + version
            + ", newer than this mxmedia understands (" + SCHEMA_VERSION + "); upgrade mxmedia");
      }
      for (int v = version + 1; v <= SCHEMA_VERSION; v++) {
        for (String statement : script("V" + v + "__media.sql")) {
          try (Statement s = c.createStatement()) {
            s.execute(statement);
          }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO mxmedia_schema (version) VALUES (?)")) {
          s.setInt(1, v);
          s.executeUpdate();
        }
        log.info("Migrated the media database {} to schema version {}", description, v);
      }
      return null;
    });
  }

  private static List<String> script(String name) {
    try (InputStream in = JdbcMediaStore.class.getResourceAsStream(name)) {
      String sql = new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
      List<String> statements = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      for (String line : sql.split("\n")) {
        if (line.strip().startsWith("--")) {
          continue;
        }
        current.append(line).append('\n');
        if (line.strip().endsWith(";")) {
          statements.add(current.toString().strip().replaceAll(";$", ""));
          current.setLength(0);
        }
      }
      return statements;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the schema script " + name, e);
    }
  }

  @Override
  public void close() {
    pool.close();
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
    return read(c -> one(c, "PRAGMA " + name, r -> r.getString(1))).orElseThrow();
  }

  @Override
  public String toString() {
    return "JdbcMediaStore(" + description + ")";
  }

  // ---- transactions

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} in one write transaction. */
  private <T> T transaction(Work<T> work) {
    return run(work, false);
  }

  /** Runs {@code work} in one read-only transaction (on SQLite it takes no write lock). */
  private <T> T read(Work<T> work) {
    return run(work, true);
  }

  /**
   * Runs {@code work} in one transaction, retrying (with a fresh connection) on serialization
   * failures, deadlocks and connections the database dropped, as long as the failure came before
   * the commit.
   */
  private <T> T run(Work<T> work, boolean readOnly) {
    SQLException last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      boolean committing = false;
      try (Connection c = pool.getConnection()) {
        dialect.begin(c, readOnly);
        try {
          T result = work.run(c);
          committing = true;
          dialect.commit(c);
          return result;
        } catch (SQLException | RuntimeException e) {
          if (!committing) {
            try {
              dialect.rollback(c);
            } catch (SQLException rollback) {
              e.addSuppressed(rollback);
            }
          }
          throw e;
        }
      } catch (SQLException e) {
        last = e;
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean retry = !committing
            && (state.equals("40001") || state.equals("40P01") || state.startsWith("08") || state.startsWith("57P"));
        if (!retry || attempt == MAX_ATTEMPTS) {
          break;
        }
        log.debug("Retrying a media database transaction after {} ({})", state, e.getMessage());
      }
    }
    throw new IllegalStateException("media database error (" + description + "): " + (last == null ? "" : last.getMessage()), last);
  }

  private static int update(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement s = prepare(c, sql, args)) {
      return s.executeUpdate();
    }
  }

  private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    for (int i = 0; i < args.length; i++) {
      Object a = args[i];
      if (a instanceof Instant t) {
        s.setLong(i + 1, t.toEpochMilli());
      } else if (a instanceof Boolean b) {
        s.setBoolean(i + 1, b);
      } else if (a instanceof Optional<?> o) {
        s.setString(i + 1, (String) o.orElse(null));
      } else {
        s.setObject(i + 1, a);
      }
    }
    return s;
  }

  @FunctionalInterface
  private interface Row<T> {
    T map(ResultSet r) throws SQLException;
  }

  private static <T> List<T> query(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
    try (PreparedStatement s = prepare(c, sql, args); ResultSet r = s.executeQuery()) {
      List<T> out = new ArrayList<>();
      while (r.next()) {
        out.add(row.map(r));
      }
      return out;
    }
  }

  private static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
    List<T> all = query(c, sql, row, args);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  // ---- rows

  private static final String LOCAL_COLUMNS =
      "media_id, content_type, upload_name, uploader, size, sha256, created_ts, last_access_ts, quarantined, safe_from_quarantine";

  private static LocalMedia local(ResultSet r) throws SQLException {
    return new LocalMedia(MediaId.of(r.getString(1)), r.getString(2), Optional.ofNullable(r.getString(3)), UserId.of(r.getString(4)),
        r.getLong(5), BlobKey.of(r.getString(6)), Instant.ofEpochMilli(r.getLong(7)), Instant.ofEpochMilli(r.getLong(8)),
        r.getBoolean(9), r.getBoolean(10));
  }

  private static final String REMOTE_COLUMNS =
      "origin, media_id, content_type, upload_name, size, sha256, cached_ts, last_access_ts, quarantined";

  private static RemoteMedia remote(ResultSet r) throws SQLException {
    return new RemoteMedia(ServerName.of(r.getString(1)), MediaId.of(r.getString(2)), r.getString(3),
        Optional.ofNullable(r.getString(4)), r.getLong(5), BlobKey.of(r.getString(6)), Instant.ofEpochMilli(r.getLong(7)),
        Instant.ofEpochMilli(r.getLong(8)), r.getBoolean(9));
  }

  private static final String THUMBNAIL_COLUMNS = "source, width, height, method, animated, content_type, size, sha256, created_ts";

  private static ThumbnailRecord thumbnail(ResultSet r) throws SQLException {
    return new ThumbnailRecord(BlobKey.of(r.getString(1)), r.getInt(2), r.getInt(3), ThumbnailMethod.valueOf(r.getString(4)),
        r.getBoolean(5), r.getString(6), r.getLong(7), BlobKey.of(r.getString(8)), Instant.ofEpochMilli(r.getLong(9)));
  }

  private static boolean hashQuarantined(Connection c, BlobKey blob) throws SQLException {
    return one(c, "SELECT 1 FROM quarantined_hashes WHERE sha256 = ?", r -> true, blob.sha256()).isPresent();
  }

  private static void dropReference(Connection c, BlobKey blob) throws SQLException {
    if (update(c, "UPDATE blobs SET refs = refs - 1 WHERE sha256 = ? AND refs > 0", blob.sha256()) != 1) {
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
    if (update(c, "UPDATE blob_reservations SET held = held - 1 WHERE node_id = ? AND sha256 = ? AND held > 0",
        nodeId, blob.sha256()) != 1) {
      throw new IllegalStateException("this media store instance holds no reservation of blob " + blob
          + (leaseRenewed ? " (released by another instance after this one's lease expired?)" : ""));
    }
    update(c, "DELETE FROM blob_reservations WHERE node_id = ? AND sha256 = ? AND held = 0", nodeId, blob.sha256());
  }

  private static void insertLocal(Connection c, LocalMedia m) throws SQLException {
    boolean quarantined = m.quarantined() || (hashQuarantined(c, m.blob()) && !m.safeFromQuarantine());
    update(c, "INSERT INTO local_media (" + LOCAL_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        m.mediaId().value(), m.contentType(), m.uploadName(), m.uploader().value(), m.size(), m.blob().sha256(),
        m.createdAt(), m.lastAccessedAt(), quarantined, m.safeFromQuarantine());
  }

  // ---- local media

  @Override
  public boolean insertLocalMedia(LocalMedia media) {
    return transaction(c -> {
      dialect.lockHash(c, media.blob().sha256());
      if (update(c, "INSERT INTO media_ids (media_id) VALUES (?) ON CONFLICT DO NOTHING", media.mediaId().value()) != 1) {
        return false;
      }
      takeReservation(c, media.blob());
      insertLocal(c, media);
      return true;
    });
  }

  @Override
  public Optional<LocalMedia> localMedia(MediaId mediaId) {
    return read(c -> one(c, "SELECT " + LOCAL_COLUMNS + " FROM local_media WHERE media_id = ?", JdbcMediaStore::local, mediaId.value()));
  }

  @Override
  public Optional<LocalMedia> deleteLocalMedia(MediaId mediaId) {
    // one statement deletes the row and says which it was: a read before the delete could see a
    // row that another transaction replaces before the delete, and drop the wrong blob's reference
    return transaction(c -> {
      Optional<LocalMedia> m = one(c, "DELETE FROM local_media WHERE media_id = ? RETURNING " + LOCAL_COLUMNS, JdbcMediaStore::local,
          mediaId.value());
      if (m.isEmpty()) {
        return m;
      }
      update(c, "DELETE FROM media_ids WHERE media_id = ?", mediaId.value());
      dropReference(c, m.get().blob());
      return m;
    });
  }

  @Override
  public List<LocalMedia> localMediaByBlob(BlobKey blob, int limit) {
    return read(c -> query(c, "SELECT " + LOCAL_COLUMNS + " FROM local_media WHERE sha256 = ? LIMIT ?", JdbcMediaStore::local,
        blob.sha256(), limit));
  }

  @Override
  public void recordAccess(Map<MediaId, Instant> accessTimes) {
    if (accessTimes.isEmpty()) {
      return;
    }
    transaction(c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE local_media SET last_access_ts = ? WHERE media_id = ? AND last_access_ts < ?")) {
        for (Map.Entry<MediaId, Instant> e : accessTimes.entrySet()) {
          s.setLong(1, e.getValue().toEpochMilli());
          s.setString(2, e.getKey().value());
          s.setLong(3, e.getValue().toEpochMilli());
          s.addBatch();
        }
        s.executeBatch();
      }
      return null;
    });
  }

  @Override
  public MediaUsage usage(UserId uploader, Instant since) {
    return read(c -> one(c, "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM local_media WHERE uploader = ? AND created_ts >= ?",
        r -> new MediaUsage(r.getLong(1), r.getLong(2)), uploader.value(), since).orElse(MediaUsage.NONE));
  }

  // ---- cached remote media

  @Override
  public boolean insertRemoteMedia(RemoteMedia m) {
    return transaction(c -> {
      dialect.lockHash(c, m.blob().sha256());
      boolean quarantined = m.quarantined() || hashQuarantined(c, m.blob());
      if (update(c, "INSERT INTO remote_media (" + REMOTE_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          m.origin().value(), m.mediaId().value(), m.contentType(), m.uploadName(), m.size(), m.blob().sha256(), m.cachedAt(),
          m.lastAccessedAt(), quarantined) != 1) {
        return false;
      }
      takeReservation(c, m.blob());
      return true;
    });
  }

  @Override
  public Optional<RemoteMedia> remoteMedia(MxcUri uri) {
    return read(c -> one(c, "SELECT " + REMOTE_COLUMNS + " FROM remote_media WHERE origin = ? AND media_id = ?",
        JdbcMediaStore::remote, uri.serverName().value(), uri.mediaId().value()));
  }

  @Override
  public Optional<RemoteMedia> deleteRemoteMedia(MxcUri uri) {
    return transaction(c -> {
      // one statement, as in deleteLocalMedia: the same uri may be cached again, with other bytes
      Optional<RemoteMedia> m = one(c, "DELETE FROM remote_media WHERE origin = ? AND media_id = ? RETURNING " + REMOTE_COLUMNS,
          JdbcMediaStore::remote, uri.serverName().value(), uri.mediaId().value());
      if (m.isPresent()) {
        dropReference(c, m.get().blob());
      }
      return m;
    });
  }

  @Override
  public List<RemoteMedia> remoteMediaAccessedBefore(Instant before, int limit) {
    return read(c -> query(c, "SELECT " + REMOTE_COLUMNS + " FROM remote_media WHERE last_access_ts < ? ORDER BY last_access_ts LIMIT ?",
        JdbcMediaStore::remote, before, limit));
  }

  @Override
  public void recordRemoteAccess(Map<MxcUri, Instant> accessTimes) {
    if (accessTimes.isEmpty()) {
      return;
    }
    transaction(c -> {
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE remote_media SET last_access_ts = ? WHERE origin = ? AND media_id = ? AND last_access_ts < ?")) {
        for (Map.Entry<MxcUri, Instant> e : accessTimes.entrySet()) {
          s.setLong(1, e.getValue().toEpochMilli());
          s.setString(2, e.getKey().serverName().value());
          s.setString(3, e.getKey().mediaId().value());
          s.setLong(4, e.getValue().toEpochMilli());
          s.addBatch();
        }
        s.executeBatch();
      }
      return null;
    });
  }

  @Override
  public Optional<RemoteMedia> setRemoteQuarantined(MxcUri uri, boolean quarantined) {
    return transaction(c -> {
      update(c, "UPDATE remote_media SET quarantined = ? WHERE origin = ? AND media_id = ?", quarantined, uri.serverName().value(),
          uri.mediaId().value());
      return one(c, "SELECT " + REMOTE_COLUMNS + " FROM remote_media WHERE origin = ? AND media_id = ?", JdbcMediaStore::remote,
          uri.serverName().value(), uri.mediaId().value());
    });
  }

  // ---- quarantine and protection

  @Override
  public Optional<LocalMedia> setQuarantined(MediaId mediaId, boolean quarantined) {
    return transaction(c -> {
      update(c, "UPDATE local_media SET quarantined = ? WHERE media_id = ? AND (? = FALSE OR safe_from_quarantine = FALSE)",
          quarantined, mediaId.value(), quarantined);
      return one(c, "SELECT " + LOCAL_COLUMNS + " FROM local_media WHERE media_id = ?", JdbcMediaStore::local, mediaId.value());
    });
  }

  @Override
  public int setQuarantinedByHash(BlobKey blob, boolean quarantined) {
    return transaction(c -> {
      dialect.lockHash(c, blob.sha256());
      if (quarantined) {
        update(c, "INSERT INTO quarantined_hashes (sha256) VALUES (?) ON CONFLICT DO NOTHING", blob.sha256());
      } else {
        update(c, "DELETE FROM quarantined_hashes WHERE sha256 = ?", blob.sha256());
      }
      int local = update(c, "UPDATE local_media SET quarantined = ? WHERE sha256 = ? AND quarantined <> ?"
          + " AND (? = FALSE OR safe_from_quarantine = FALSE)", quarantined, blob.sha256(), quarantined, quarantined);
      int remote = update(c, "UPDATE remote_media SET quarantined = ? WHERE sha256 = ? AND quarantined <> ?",
          quarantined, blob.sha256(), quarantined);
      return local + remote;
    });
  }

  @Override
  public boolean isQuarantinedByHash(BlobKey blob) {
    return read(c -> hashQuarantined(c, blob));
  }

  @Override
  public Optional<LocalMedia> setSafeFromQuarantine(MediaId mediaId, boolean safe) {
    return transaction(c -> {
      update(c, "UPDATE local_media SET safe_from_quarantine = ? WHERE media_id = ?", safe, mediaId.value());
      return one(c, "SELECT " + LOCAL_COLUMNS + " FROM local_media WHERE media_id = ?", JdbcMediaStore::local, mediaId.value());
    });
  }

  // ---- pending uploads

  @Override
  public PendingInsert insertPending(PendingMedia pending, int maxPerOwner, Instant now) {
    return transaction(c -> {
      dialect.lockOwner(c, pending.owner().value());
      long held = one(c, "SELECT COUNT(*) FROM pending_media WHERE owner = ? AND expires_ts > ?", r -> r.getLong(1),
          pending.owner().value(), now).orElse(0L);
      if (held >= maxPerOwner) {
        return PendingInsert.LIMIT_REACHED;
      }
      if (update(c, "INSERT INTO media_ids (media_id) VALUES (?) ON CONFLICT DO NOTHING", pending.mediaId().value()) != 1) {
        return PendingInsert.ID_TAKEN;
      }
      update(c, "INSERT INTO pending_media (media_id, owner, created_ts, expires_ts) VALUES (?, ?, ?, ?)",
          pending.mediaId().value(), pending.owner().value(), pending.createdAt(), pending.expiresAt());
      return PendingInsert.INSERTED;
    });
  }

  @Override
  public Optional<PendingMedia> pending(MediaId mediaId) {
    return read(c -> one(c, "SELECT media_id, owner, created_ts, expires_ts FROM pending_media WHERE media_id = ?",
        r -> new PendingMedia(MediaId.of(r.getString(1)), UserId.of(r.getString(2)), Instant.ofEpochMilli(r.getLong(3)),
            Instant.ofEpochMilli(r.getLong(4))), mediaId.value()));
  }

  @Override
  public boolean completePending(LocalMedia media) {
    return transaction(c -> {
      dialect.lockHash(c, media.blob().sha256());
      if (update(c, "DELETE FROM pending_media WHERE media_id = ?", media.mediaId().value()) != 1) {
        return false;
      }
      takeReservation(c, media.blob());
      insertLocal(c, media);
      return true;
    });
  }

  /**
   * {@inheritDoc}
   *
   * <p>In batches of 1000, each one transaction: each deletes pending rows and
   * frees the ids of exactly the rows it deleted (an upload that completes meanwhile keeps its id).
   */
  @Override
  public int deleteExpiredPending(Instant now) {
    int purged = 0;
    while (true) {
      List<String> ids = transaction(c -> {
        List<String> deleted = query(c, "DELETE FROM pending_media WHERE media_id IN"
            + " (SELECT media_id FROM pending_media WHERE expires_ts <= ? LIMIT ?) RETURNING media_id", r -> r.getString(1),
            now, PURGE_BATCH);
        for (String id : deleted) {
          update(c, "DELETE FROM media_ids WHERE media_id = ?", id);
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
    return transaction(c -> {
      if (update(c, "INSERT INTO thumbnails (" + THUMBNAIL_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          t.source().sha256(), t.width(), t.height(), t.method().name(), t.animated(), t.contentType(), t.size(), t.blob().sha256(),
          t.createdAt()) != 1) {
        return false;
      }
      takeReservation(c, t.blob());
      return true;
    });
  }

  @Override
  public List<ThumbnailRecord> thumbnails(BlobKey source) {
    return read(c -> query(c, "SELECT " + THUMBNAIL_COLUMNS + " FROM thumbnails WHERE source = ?", JdbcMediaStore::thumbnail,
        source.sha256()));
  }

  @Override
  public boolean deleteThumbnail(ThumbnailRecord t) {
    return transaction(c -> {
      Optional<ThumbnailRecord> deleted = one(c, "DELETE FROM thumbnails WHERE source = ? AND width = ? AND height = ? AND method = ?"
          + " AND animated = ? RETURNING " + THUMBNAIL_COLUMNS, JdbcMediaStore::thumbnail, t.source().sha256(), t.width(), t.height(),
          t.method().name(), t.animated());
      if (deleted.isEmpty()) {
        return false;
      }
      dropReference(c, deleted.get().blob());
      return true;
    });
  }

  @Override
  public List<ThumbnailRecord> deleteThumbnails(BlobKey source) {
    return transaction(c -> {
      // exactly the rows deleted (a thumbnail stored between a read and the delete would lose its
      // reference drop); their blobs' counts in hash order, as other transactions lock them
      List<ThumbnailRecord> deleted = query(c, "DELETE FROM thumbnails WHERE source = ? RETURNING " + THUMBNAIL_COLUMNS,
          JdbcMediaStore::thumbnail, source.sha256());
      List<ThumbnailRecord> byBlob = new ArrayList<>(deleted);
      byBlob.sort(java.util.Comparator.comparing(t -> t.blob().sha256()));
      for (ThumbnailRecord t : byBlob) {
        dropReference(c, t.blob());
      }
      return deleted;
    });
  }

  // ---- blobs

  @Override
  public Reservation reserveBlob(BlobKey blob) {
    return transaction(c -> {
      update(c, "INSERT INTO blobs (sha256, refs, claimed_ts) VALUES (?, 0, NULL) ON CONFLICT DO NOTHING", blob.sha256());
      if (update(c, "UPDATE blobs SET refs = refs + 1 WHERE sha256 = ? AND claimed_ts IS NULL", blob.sha256()) != 1) {
        return Reservation.BEING_DELETED;
      }
      // the blob's row first, then this node's reservation row: the order every transaction that
      // changes both keeps, so they never deadlock
      update(c, "INSERT INTO blob_reservations (node_id, sha256, held) VALUES (?, ?, 1)"
          + " ON CONFLICT (node_id, sha256) DO UPDATE SET held = blob_reservations.held + 1", nodeId, blob.sha256());
      return Reservation.RESERVED;
    });
  }

  @Override
  public void releaseBlob(BlobKey blob) {
    transaction(c -> {
      dropReference(c, blob);
      takeReservation(c, blob);
      return null;
    });
  }

  @Override
  public boolean claimBlobForDeletion(BlobKey blob, Instant now) {
    return transaction(c -> update(c, "UPDATE blobs SET claimed_ts = ? WHERE sha256 = ? AND refs = 0 AND claimed_ts IS NULL",
        now, blob.sha256()) == 1);
  }

  @Override
  public boolean takeOverDeletion(BlobKey blob, Instant claimedBefore, Instant now) {
    if (now.isBefore(claimedBefore)) {
      throw new IllegalArgumentException("now (" + now + ") is before claimedBefore (" + claimedBefore + ")");
    }
    // one statement: on PostgreSQL a second taker waits for the first's row lock, then sees the
    // renewed instant, which is not before the bound
    return transaction(c -> update(c, "UPDATE blobs SET claimed_ts = ? WHERE sha256 = ? AND refs = 0 AND claimed_ts < ?",
        now, blob.sha256(), claimedBefore) == 1);
  }

  @Override
  public void forgetBlob(BlobKey blob, Instant claimedAt) {
    transaction(c -> update(c, "DELETE FROM blobs WHERE sha256 = ? AND refs = 0 AND claimed_ts = ?", blob.sha256(), claimedAt));
  }

  @Override
  public void cancelDeletion(BlobKey blob, Instant claimedAt) {
    transaction(c -> update(c, "UPDATE blobs SET claimed_ts = NULL WHERE sha256 = ? AND claimed_ts = ?", blob.sha256(), claimedAt));
  }

  @Override
  public long blobReferences(BlobKey blob) {
    return read(c -> one(c, "SELECT refs FROM blobs WHERE sha256 = ?", r -> r.getLong(1), blob.sha256()).orElse(0L));
  }

  @Override
  public List<BlobKey> unreferencedBlobs(int limit) {
    return read(c -> query(c, "SELECT sha256 FROM blobs WHERE refs = 0 LIMIT ?", r -> BlobKey.of(r.getString(1)), limit));
  }

  // ---- leases

  @Override
  public void renewLease(Instant now) {
    boolean existed = transaction(c -> {
      if (update(c, "UPDATE store_nodes SET heartbeat_ts = ? WHERE node_id = ?", now, nodeId) == 1) {
        return true;
      }
      update(c, "INSERT INTO store_nodes (node_id, heartbeat_ts) VALUES (?, ?)"
          + " ON CONFLICT (node_id) DO UPDATE SET heartbeat_ts = excluded.heartbeat_ts", nodeId, now);
      return false;
    });
    if (!existed && leaseRenewed) {
      log.warn("The lease of this media store instance ({}) had expired, and another instance released the blob"
          + " reservations it held; operations that held them fail", nodeId);
    }
    leaseRenewed = true;
  }

  @Override
  public int releaseAbandonedReservations(Instant expiredBefore, Instant now) {
    if (now.isBefore(expiredBefore)) {
      throw new IllegalArgumentException("now (" + now + ") is before expiredBefore (" + expiredBefore + ")");
    }
    return transaction(c -> {
      // nodes that hold reservations but never renewed a lease: first seen now
      update(c, "INSERT INTO store_nodes (node_id, heartbeat_ts) SELECT DISTINCT node_id, ? FROM blob_reservations"
          + " WHERE node_id NOT IN (SELECT node_id FROM store_nodes) ON CONFLICT DO NOTHING", now);
      List<String> expired = query(c, "SELECT node_id FROM store_nodes WHERE heartbeat_ts < ? AND node_id <> ? ORDER BY node_id LIMIT ?",
          r -> r.getString(1), expiredBefore, nodeId, NODE_BATCH);
      int released = 0;
      for (String node : expired) {
        // still expired (a renewal in between keeps the node); on PostgreSQL this also locks the
        // row, so concurrent releasers take a node one after the other
        if (update(c, "UPDATE store_nodes SET heartbeat_ts = heartbeat_ts WHERE node_id = ? AND heartbeat_ts < ?",
            node, expiredBefore) != 1) {
          continue;
        }
        List<String> blobs = query(c, "SELECT sha256 FROM blob_reservations WHERE node_id = ? ORDER BY sha256 LIMIT ?",
            r -> r.getString(1), node, RELEASE_BATCH);
        int releasedHere = 0;
        for (String sha256 : blobs) {
          update(c, "UPDATE blobs SET refs = refs WHERE sha256 = ?", sha256); // the blob's row first, as reservations lock
          Optional<Long> held = one(c, "DELETE FROM blob_reservations WHERE node_id = ? AND sha256 = ? RETURNING held",
              r -> r.getLong(1), node, sha256);
          if (held.isEmpty()) {
            continue; // released by a concurrent call
          }
          if (update(c, "UPDATE blobs SET refs = refs - ? WHERE sha256 = ? AND refs >= ?", held.get(), sha256, held.get()) != 1) {
            throw new IllegalStateException("blob " + sha256 + " counts fewer references than node " + node + " reserved");
          }
          releasedHere++;
        }
        if (blobs.size() < RELEASE_BATCH) {
          update(c, "DELETE FROM store_nodes WHERE node_id = ?", node);
        }
        if (releasedHere > 0) {
          log.warn("Released {} blob reservations of media store instance {}, whose lease expired before {}", releasedHere, node,
              expiredBefore);
        }
        released += releasedHere;
      }
      return released;
    });
  }
}
