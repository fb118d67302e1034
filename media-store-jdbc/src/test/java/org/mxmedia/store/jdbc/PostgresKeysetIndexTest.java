package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin keyset scan of local media ({@code POST /_synapse/admin/v1/media/delete}) on PostgreSQL
 * with 100,000 rows whose ids differ only in case and punctuation: pages in byte order, every id
 * exactly once, and each page read through the byte-order index (schema V5), not by sorting the
 * whole table.
 */
class PostgresKeysetIndexTest {
  private static final int ROWS = 100_000;
  private static String url;

  @BeforeAll
  static void fill() throws Exception {
    url = Postgres.newDatabase();
    JdbcMediaStore.postgres(url, "postgres", "postgres").close();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        Statement s = c.createStatement()) {
      // ids "mediaNNNNNa", "mediaNNNNNA", "mediaNNNNN_", "mediaNNNNN-": byte order is not en_US
      // order
      s.execute(
          "INSERT INTO local_media SELECT 'media' || lpad((i / 4)::text, 5, '0') || (ARRAY['a', 'A', '_', '-'])[i % 4 + 1],"
              + " 'text/plain', NULL, '@u' || (i % 100) || ':x', 10, md5(i::text), i, i, FALSE, FALSE"
              + " FROM generate_series(0, "
              + (ROWS - 1)
              + ") i");
      s.execute("ANALYZE local_media");
    }
  }

  @Test
  void pagesAreInByteOrderWithEveryIdOnce() throws Exception {
    List<String> seen = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        PreparedStatement page =
            c.prepareStatement(Sql.localAccessedBefore(Dialect.POSTGRES.binaryCollation()))) {
      String after = "";
      while (true) {
        page.setLong(1, Long.MAX_VALUE);
        page.setLong(2, 0);
        page.setString(3, after);
        page.setInt(4, 1000);
        int rows = 0;
        try (ResultSet r = page.executeQuery()) {
          while (r.next()) {
            rows++;
            after = r.getString("media_id");
            seen.add(after);
          }
        }
        if (rows < 1000) {
          break;
        }
      }
    }
    assertThat(seen).hasSize(ROWS).doesNotHaveDuplicates().isSorted();
  }

  @Test
  void eachPageIsReadThroughTheByteOrderIndex() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        PreparedStatement explain =
            c.prepareStatement(
                "EXPLAIN " + Sql.localAccessedBefore(Dialect.POSTGRES.binaryCollation()))) {
      explain.setLong(1, Long.MAX_VALUE);
      explain.setLong(2, 0);
      explain.setString(3, "media12500");
      explain.setInt(4, 500);
      StringBuilder plan = new StringBuilder();
      try (ResultSet r = explain.executeQuery()) {
        while (r.next()) {
          plan.append(r.getString(1)).append('\n');
        }
      }
      assertThat(plan.toString())
          .as(plan.toString())
          .contains("Index Scan using local_media_id_c")
          .doesNotContain("Seq Scan")
          .doesNotContain("Sort");
    }
  }
}
