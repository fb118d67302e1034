package org.mxmedia.examples;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.mxmedia.ServerName;
import org.mxmedia.examples.federation.Federation;

/**
 * What every node of a cluster (example servers with the same {@code --server-name} on one {@code
 * --jdbc-url}) must share besides media and bytes, kept in that PostgreSQL database, in the table
 * {@code mxmedia_example_secrets (server_name, name, value)}: the federation signing key (so every
 * node signs as the same server, and a node whose data directory is wiped comes back with the same
 * key) and the generated access token (so a client's token works on every node). The first node to
 * start keeps its value ({@code INSERT ... ON CONFLICT DO NOTHING}); every node then reads the
 * value kept, so nodes starting at once agree. The values are secrets: whoever can read this
 * database can sign as the server, as whoever can read the data directory could before.
 */
final class ClusterSecrets {
  static final String TABLE = "mxmedia_example_secrets";

  /** Any fixed number: serialises the {@code CREATE TABLE} of nodes starting at once. */
  private static final long CREATE_LOCK = 0x6d786d6564696131L;

  private static final int TIMEOUT_SECONDS = 10;

  private final String url;
  private final String user;
  private final String password;
  private final ServerName serverName;

  ClusterSecrets(String url, String user, String password, ServerName serverName) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.serverName = serverName;
  }

  /**
   * The value kept under {@code name} for this server, after keeping {@code fresh} if none was.
   *
   * @throws IOException when the database cannot be reached or refuses the statements
   */
  String getOrKeep(String name, String fresh) throws IOException {
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        // CREATE TABLE IF NOT EXISTS alone can fail on a unique index of the catalogue when two
        // nodes run it at once; the transaction's advisory lock makes them take turns
        s.execute("SELECT pg_advisory_xact_lock(" + CREATE_LOCK + ")");
        s.execute(
            "CREATE TABLE IF NOT EXISTS "
                + TABLE
                + " (server_name TEXT NOT NULL, name TEXT NOT NULL, "
                + "value TEXT NOT NULL, PRIMARY KEY (server_name, name))");
      }
      c.commit();
      c.setAutoCommit(true);
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO "
                  + TABLE
                  + " (server_name, name, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
        insert.setString(1, serverName.value());
        insert.setString(2, name);
        insert.setString(3, fresh);
        insert.executeUpdate();
      }
      try (PreparedStatement select =
          c.prepareStatement(
              "SELECT value FROM " + TABLE + " WHERE server_name = ? AND name = ?")) {
        select.setString(1, serverName.value());
        select.setString(2, name);
        try (ResultSet r = select.executeQuery()) {
          if (!r.next()) {
            throw new IOException(
                "the "
                    + name
                    + " of "
                    + serverName
                    + " vanished from "
                    + TABLE
                    + " as it was kept");
          }
          return r.getString(1);
        }
      }
    } catch (SQLException e) {
      throw new IOException(
          "cannot keep the "
              + name
              + " in the database "
              + url
              + " (table "
              + TABLE
              + "): "
              + e.getMessage(),
          e);
    }
  }

  /** The signing key's storage in this database. */
  Federation.KeyStorage signingKey() {
    return new Federation.KeyStorage() {
      @Override
      public String getOrKeep(String fresh) throws IOException {
        return ClusterSecrets.this.getOrKeep("signing_key", fresh);
      }

      @Override
      public String toString() {
        return TABLE + " (signing_key of " + serverName + ") in " + url;
      }
    };
  }

  private Connection connect() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    // bounded: a database that does not answer fails the start rather than hanging it
    p.setProperty("connectTimeout", Integer.toString(TIMEOUT_SECONDS));
    p.setProperty("socketTimeout", Integer.toString(3 * TIMEOUT_SECONDS));
    p.setProperty("loginTimeout", Integer.toString(TIMEOUT_SECONDS));
    return DriverManager.getConnection(url, p);
  }
}
