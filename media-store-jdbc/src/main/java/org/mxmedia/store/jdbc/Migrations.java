package org.mxmedia.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema's versions: the scripts {@code V<n>__media.sql} beside this class, applied in order in
 * one transaction under a lock (processes may start at once), each recorded in {@code
 * mxmedia_schema}. A script holds statements ending with {@code ;} at the end of a line, and
 * comment lines starting with {@code --}; applied scripts are never edited.
 */
final class Migrations {
  /** Logged under the public class's name, which is what operators configure. */
  private static final Logger log = LoggerFactory.getLogger(JdbcMediaStore.class);

  /** The schema version this code writes and understands: the last script's. */
  static final int LATEST = 5;

  private Migrations() {}

  /**
   * Creates or upgrades the schema of the database behind {@code transactions} to {@link #LATEST}.
   *
   * @throws IllegalStateException when the schema is newer than {@link #LATEST} (the message names
   *     the database and both versions; nothing changes), or when the database fails
   */
  static void migrate(Transactions transactions) {
    transactions.write(
        c -> {
          transactions.dialect().lockMigrations(c);
          Jdbc.execute(c, Sql.SCHEMA_TABLE_CREATE);
          int version = Jdbc.one(c, Sql.SCHEMA_VERSION, r -> r.getInt(1)).orElse(0);
          if (version > LATEST) {
            throw new IllegalStateException(
                "the media database "
                    + transactions.description()
                    + " has schema version "
                    + version
                    + ", newer than this mxmedia understands ("
                    + LATEST
                    + "); upgrade mxmedia");
          }
          for (int v = version + 1; v <= LATEST; v++) {
            apply(c, v, transactions.dialect());
            log.info(
                "Migrated the media database {} to schema version {}",
                transactions.description(),
                v);
          }
        });
  }

  private static void apply(Connection c, int version, Dialect dialect) throws SQLException {
    for (String statement : script("V" + version + "__media.sql", dialect)) {
      Jdbc.execute(c, statement);
    }
    Jdbc.update(c, Sql.SCHEMA_VERSION_INSERT, version);
  }

  /**
   * The statements of the script {@code name} for {@code dialect}, without comment lines and final
   * semicolons; a statement after the comment line {@code -- postgresql only} is PostgreSQL's
   * alone.
   */
  private static List<String> script(String name, Dialect dialect) {
    try (InputStream in = Migrations.class.getResourceAsStream(name)) {
      String sql =
          new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
      List<String> statements = new ArrayList<>();
      StringBuilder current = new StringBuilder();
      boolean postgresOnly = false;
      for (String line : sql.split("\n")) {
        if (line.strip().startsWith("--")) {
          postgresOnly |= line.strip().equals("-- postgresql only");
          continue;
        }
        current.append(line).append('\n');
        if (line.strip().endsWith(";")) {
          if (!postgresOnly || dialect == Dialect.POSTGRES) {
            statements.add(current.toString().strip().replaceAll(";$", ""));
          }
          current.setLength(0);
          postgresOnly = false;
        }
      }
      return statements;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the schema script " + name, e);
    }
  }
}
