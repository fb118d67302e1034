package org.mxmedia.store.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;

/**
 * What differs between the databases: how transactions begin and end, and locking. The SQL itself
 * is shared.
 */
enum Dialect {
  /**
   * SQLite: every write transaction starts {@code BEGIN IMMEDIATE}, so writers are serialised by
   * the database lock (waiting up to the busy timeout) and no extra locking is needed; reads start
   * a deferred {@code BEGIN} and, in WAL mode, never wait for writers.
   */
  SQLITE {
    @Override
    String binaryCollation() {
      return ""; // BINARY, the default: UTF-8 bytes
    }

    @Override
    String localpart(String column) {
      return "substr(" + column + ", 2, instr(" + column + ", ':') - 2)";
    }

    @Override
    void lockOwner(Connection c, UserId owner) {}

    @Override
    void lockHash(Connection c, BlobKey blob) {}

    @Override
    void lockMigrations(Connection c) {}

    @Override
    void begin(Connection c, boolean readOnly) throws SQLException {
      Jdbc.execute(c, readOnly ? Sql.BEGIN : Sql.BEGIN_IMMEDIATE);
    }

    @Override
    void commit(Connection c) throws SQLException {
      Jdbc.execute(c, Sql.COMMIT);
    }

    @Override
    void rollback(Connection c) throws SQLException {
      Jdbc.execute(c, Sql.ROLLBACK);
    }
  },
  /**
   * PostgreSQL: transaction-scoped advisory locks where a check-then-insert must not interleave.
   */
  POSTGRES {
    @Override
    String binaryCollation() {
      return " COLLATE \"C\""; // byte order whatever the database's locale
    }

    @Override
    String localpart(String column) {
      return "substr(" + column + ", 2, strpos(" + column + ", ':') - 2)";
    }

    @Override
    void lockOwner(Connection c, UserId owner) throws SQLException {
      Jdbc.call(c, Sql.ADVISORY_LOCK_ON_TEXT, "mxmedia-owner:" + owner.value());
    }

    @Override
    void lockHash(Connection c, BlobKey blob) throws SQLException {
      // the hash's first 64 bits: distinct hashes practically never share a lock, and when
      // they (or an owner's lock) do, the transactions only wait for each other
      Jdbc.call(c, Sql.ADVISORY_LOCK, Long.parseUnsignedLong(blob.sha256().substring(0, 16), 16));
    }

    @Override
    void lockMigrations(Connection c) throws SQLException {
      Jdbc.call(c, Sql.ADVISORY_LOCK, MIGRATION_LOCK);
    }
  };

  /** The advisory lock key of migrations; every version of this code must use the same one. */
  private static final long MIGRATION_LOCK = 7316001;

  /** Starts a transaction (the connection is in auto-commit mode only for SQLite). */
  void begin(Connection c, boolean readOnly) throws SQLException {}

  void commit(Connection c) throws SQLException {
    c.commit();
  }

  void rollback(Connection c) throws SQLException {
    c.rollback();
  }

  /**
   * The clause after a text expression that orders and compares it by its UTF-8 bytes (Unicode code
   * points), the same on every database: empty or starting with a space.
   */
  abstract String binaryCollation();

  /**
   * The expression for the localpart of a user id held in {@code column} (between {@code @} and the
   * first {@code :}).
   */
  abstract String localpart(String column);

  /**
   * Serialises, until commit, transactions that count and then insert pending uploads of one owner.
   */
  abstract void lockOwner(Connection c, UserId owner) throws SQLException;

  /**
   * Serialises, until commit, the transactions that quarantine a hash and those that insert a
   * record with that hash: under READ COMMITTED neither would otherwise see the other's uncommitted
   * rows, and a record inserted while its hash is quarantined could stay visible. Taken first in
   * each of those transactions, so it never joins a lock cycle.
   */
  abstract void lockHash(Connection c, BlobKey blob) throws SQLException;

  /** Serialises schema migrations of processes starting at once. */
  abstract void lockMigrations(Connection c) throws SQLException;

  /**
   * The dialect of a JDBC URL.
   *
   * @throws IllegalArgumentException for a URL of neither SQLite nor PostgreSQL
   */
  static Dialect of(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:sqlite:")) {
      return SQLITE;
    }
    if (jdbcUrl.startsWith("jdbc:postgresql:")) {
      return POSTGRES;
    }
    throw new IllegalArgumentException("unsupported JDBC URL (SQLite or PostgreSQL): " + jdbcUrl);
  }
}
