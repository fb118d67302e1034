package org.mxmedia.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/** What differs between the databases: locking. The SQL itself is shared. */
enum Dialect {
  /**
   * SQLite: every write transaction starts {@code BEGIN IMMEDIATE}, so writers are serialised by
   * the database lock (waiting up to the busy timeout) and no extra locking is needed; reads
   * start a deferred {@code BEGIN} and, in WAL mode, never wait for writers.
   */
  SQLITE {
    @Override
    void lockOwner(Connection c, String owner) {}

    @Override
    void lockHash(Connection c, String sha256) {}

    @Override
    void lockMigrations(Connection c) {}

    @Override
    void begin(Connection c, boolean readOnly) throws SQLException {
      try (Statement s = c.createStatement()) {
        s.execute(readOnly ? "BEGIN" : "BEGIN IMMEDIATE");
      }
    }

    @Override
    void commit(Connection c) throws SQLException {
      try (Statement s = c.createStatement()) {
        s.execute("COMMIT");
      }
    }

    @Override
    void rollback(Connection c) throws SQLException {
      try (Statement s = c.createStatement()) {
        s.execute("ROLLBACK");
      }
    }
  },
  /** PostgreSQL: transaction-scoped advisory locks where a check-then-insert must not interleave. */
  POSTGRES {
    @Override
    void lockOwner(Connection c, String owner) throws SQLException {
      try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
        s.setString(1, "mxmedia-owner:" + owner);
        s.execute();
      }
    }

    @Override
    void lockHash(Connection c, String sha256) throws SQLException {
      try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        // the hash's first 64 bits: distinct hashes practically never share a lock, and when
        // they (or an owner's lock) do, the transactions only wait for each other
        s.setLong(1, Long.parseUnsignedLong(sha256.substring(0, 16), 16));
        s.execute();
      }
    }

    @Override
    void lockMigrations(Connection c) throws SQLException {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(7316001)");
      }
    }
  };

  /** Starts a transaction (the connection is in auto-commit mode only for SQLite). */
  void begin(Connection c, boolean readOnly) throws SQLException {}

  void commit(Connection c) throws SQLException {
    c.commit();
  }

  void rollback(Connection c) throws SQLException {
    c.rollback();
  }

  /** Serialises, until commit, transactions that count and then insert pending uploads of one owner. */
  abstract void lockOwner(Connection c, String owner) throws SQLException;

  /**
   * Serialises, until commit, the transactions that quarantine a hash and those that insert a
   * record with that hash: under READ COMMITTED neither would otherwise see the other's
   * uncommitted rows, and a record inserted while its hash is quarantined could stay visible. Taken
   * first in each of those transactions, so it never joins a lock cycle.
   */
  abstract void lockHash(Connection c, String sha256) throws SQLException;

  /** Serialises schema migrations of processes starting at once. */
  abstract void lockMigrations(Connection c) throws SQLException;

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
