package org.mxmedia.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * Transactions on a pool of connections to one database: the HikariCP pool and its settings for
 * each database, how a transaction begins and ends there ({@link Dialect}), and which failures are
 * retried. Thread-safe. Every failure that is not retried, or fails every attempt, is thrown as an
 * {@link IllegalStateException} naming the database.
 */
final class Transactions implements AutoCloseable {
  /** Logged under the public class's name, which is what operators configure. */
  private static final Logger log = LoggerFactory.getLogger(JdbcMediaStore.class);

  /** Attempts of one transaction, the first included. */
  private static final int MAX_ATTEMPTS = 5;

  /**
   * One transaction's statements; the connection is already in a transaction, which the caller
   * ends.
   */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /** One transaction's statements that answer nothing. */
  @FunctionalInterface
  interface Steps {
    void run(Connection c) throws SQLException;
  }

  private final HikariDataSource pool;
  private final Dialect dialect;
  private final String description;

  private Transactions(HikariDataSource pool, Dialect dialect, String description) {
    this.pool = pool;
    this.dialect = dialect;
    this.description = description;
  }

  /**
   * A pool on the SQLite file {@code file} (created with its directory if missing), in WAL mode
   * with {@code synchronous=FULL}, a busy timeout of 30 s and foreign keys on.
   *
   * @throws IllegalStateException when the directory cannot be created or the file cannot be opened
   */
  static Transactions sqlite(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot create the directory of the media database " + file + ": " + e.getMessage(), e);
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
   * A pool on the PostgreSQL database at {@code jdbcUrl}, of at most 10 connections.
   *
   * @throws IllegalArgumentException when {@code jdbcUrl} is not a PostgreSQL JDBC URL
   * @throws IllegalStateException when the database cannot be reached within 10 s (the message
   *     names the URL)
   */
  static Transactions postgres(String jdbcUrl, String user, String password) {
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

  private static Transactions open(HikariConfig config, Dialect dialect, String description) {
    config.setPoolName("mxmedia-" + dialect.name().toLowerCase(Locale.ROOT));
    config.setConnectionTimeout(10_000);
    config.setInitializationFailTimeout(10_000);
    try {
      return new Transactions(new HikariDataSource(config), dialect, description);
    } catch (HikariPool.PoolInitializationException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(
          "cannot connect to the media database " + description + ": " + cause.getMessage(), e);
    }
  }

  Dialect dialect() {
    return dialect;
  }

  /**
   * The database's kind and location, for messages (a file path or a JDBC URL, without
   * credentials).
   */
  String description() {
    return description;
  }

  /** Runs {@code work} in one write transaction and returns its result. */
  <T> T write(Work<T> work) {
    return run(work, false);
  }

  /** Runs {@code steps} in one write transaction. */
  void write(Steps steps) {
    run(
        c -> {
          steps.run(c);
          return Boolean.TRUE;
        },
        false);
  }

  /**
   * Runs {@code work} in one read-only transaction (on SQLite it takes no write lock) and returns
   * its result.
   */
  <T> T read(Work<T> work) {
    return run(work, true);
  }

  /**
   * Runs {@code work} in one transaction, retrying (with a fresh connection) on serialization
   * failures, deadlocks and connections the database dropped, as long as the failure came before
   * the commit: a failed commit may have committed, and running the work again could apply it
   * twice. A {@link RuntimeException} thrown by {@code work} rolls the transaction back and is
   * rethrown as it is, never retried.
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
        boolean retry =
            !committing
                && (state.equals("40001")
                    || state.equals("40P01")
                    || state.startsWith("08")
                    || state.startsWith("57P"));
        if (!retry || attempt == MAX_ATTEMPTS) {
          break;
        }
        log.debug("Retrying a media database transaction after {} ({})", state, e.getMessage());
      }
    }
    throw new IllegalStateException(
        "media database error (" + description + "): " + (last == null ? "" : last.getMessage()),
        last);
  }

  /** Closes the pool and its connections; transactions running on them fail. */
  @Override
  public void close() {
    pool.close();
  }
}
