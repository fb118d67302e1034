package org.mxmedia.store.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.mxmedia.MediaId;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;

/**
 * Running one statement on a connection: binding its parameters, executing it, and mapping its
 * rows. Parameters are bound by their type, so each value has one representation in the database:
 * an {@link Instant} as epoch milliseconds ({@code BIGINT}), an {@code Optional<String>} as a
 * nullable text, a {@link BlobKey} as its lower-case hex SHA-256, a {@link MediaId}, {@link UserId}
 * or {@link ServerName} as its text, a {@link ThumbnailMethod} as its name; {@code String}, {@code
 * Integer}, {@code Long} and {@code Boolean} as themselves. Any other type is refused with an
 * {@link IllegalArgumentException}. Every method lets the driver's {@link SQLException} through.
 */
final class Jdbc {
  private Jdbc() {}

  /** Maps the current row of a result set to a value; called once per row. */
  @FunctionalInterface
  interface Row<T> {
    T map(ResultSet r) throws SQLException;
  }

  /**
   * Runs a statement that takes no parameters and returns nothing needed (transaction control,
   * schema scripts).
   */
  static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /**
   * Runs a prepared statement for its effect, ignoring any result (a function called for a lock).
   */
  static void call(Connection c, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement s = prepare(c, sql, parameters)) {
      s.execute();
    }
  }

  /** Runs an {@code INSERT}, {@code UPDATE} or {@code DELETE}; returns how many rows it changed. */
  static int update(Connection c, String sql, Object... parameters) throws SQLException {
    try (PreparedStatement s = prepare(c, sql, parameters)) {
      return s.executeUpdate();
    }
  }

  /**
   * Runs one statement once per parameter list, as one JDBC batch; nothing is run for an empty
   * list.
   */
  static void batch(Connection c, String sql, List<Object[]> parameterLists) throws SQLException {
    if (parameterLists.isEmpty()) {
      return;
    }
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (Object[] parameters : parameterLists) {
        bind(s, parameters);
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /**
   * Every row of a query (or of a statement with {@code RETURNING}), in the order the database
   * gives them.
   */
  static <T> List<T> query(Connection c, String sql, Row<T> row, Object... parameters)
      throws SQLException {
    try (PreparedStatement s = prepare(c, sql, parameters);
        ResultSet r = s.executeQuery()) {
      List<T> out = new ArrayList<>();
      while (r.next()) {
        out.add(row.map(r));
      }
      return out;
    }
  }

  /** The first row of a query (or of a statement with {@code RETURNING}), if there is one. */
  static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... parameters)
      throws SQLException {
    List<T> all = query(c, sql, row, parameters);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  private static PreparedStatement prepare(Connection c, String sql, Object[] parameters)
      throws SQLException {
    PreparedStatement s = c.prepareStatement(sql);
    try {
      bind(s, parameters);
    } catch (SQLException | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  private static void bind(PreparedStatement s, Object[] parameters) throws SQLException {
    for (int i = 0; i < parameters.length; i++) {
      bind(s, i + 1, parameters[i]);
    }
  }

  private static void bind(PreparedStatement s, int index, Object value) throws SQLException {
    if (value instanceof Instant t) {
      s.setLong(index, t.toEpochMilli());
    } else if (value instanceof Boolean b) {
      s.setBoolean(index, b);
    } else if (value instanceof Optional<?> o) {
      s.setString(index, (String) o.orElse(null));
    } else if (value instanceof BlobKey k) {
      s.setString(index, k.sha256());
    } else if (value instanceof MediaId id) {
      s.setString(index, id.value());
    } else if (value instanceof UserId user) {
      s.setString(index, user.value());
    } else if (value instanceof ServerName server) {
      s.setString(index, server.value());
    } else if (value instanceof ThumbnailMethod method) {
      s.setString(index, method.name());
    } else if (value instanceof String || value instanceof Integer || value instanceof Long) {
      s.setObject(index, value);
    } else {
      throw new IllegalArgumentException(
          "cannot bind a " + value.getClass().getName() + " as a statement parameter");
    }
  }
}
