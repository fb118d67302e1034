package org.mxmedia.benchmarks;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.store.jdbc.JdbcMediaStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The engine's hot look-ups on a populated {@link JdbcMediaStore}: local media by id, remote media
 * by origin and id, and the thumbnails of a blob, with {@code rows} rows in each table, on SQLite
 * and on PostgreSQL (embedded, real binaries, loopback). Sample mode, so JMH prints p50 and p99.
 * Rows are bulk-loaded in setup with plain JDBC batches.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx1g"})
public class LookupBenchmark {

  @Param({"sqlite", "postgres"})
  public String database;

  @Param({"10000", "1000000"})
  public int rows;

  private JdbcMediaStore store;
  private EmbeddedPostgres postgres;
  private Path dir;
  private final SplittableRandom random = new SplittableRandom(42);

  static String id(int i) {
    return "media" + i;
  }

  static String sha(int i) {
    byte[] b = new byte[32];
    for (int k = 0; k < 4; k++) {
      b[k] = (byte) (i >>> (8 * k));
    }
    return HexFormat.of().formatHex(b);
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("mxmedia-lookups");
    String url;
    String user = "";
    String password = "";
    if (database.equals("sqlite")) {
      store = JdbcMediaStore.sqlite(dir.resolve("media.db"));
      url = "jdbc:sqlite:" + dir.resolve("media.db");
    } else {
      postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(dir.resolve("pg"))
              .setCleanDataDirectory(true)
              .start();
      url = postgres.getJdbcUrl("postgres", "postgres");
      user = "postgres";
      password = "postgres";
      store = JdbcMediaStore.postgres(url, user, password);
    }
    try (Connection c = DriverManager.getConnection(url, user, password)) {
      c.setAutoCommit(false);
      try (PreparedStatement local =
              c.prepareStatement(
                  "INSERT INTO local_media (media_id, content_type, upload_name, uploader, size,"
                      + " sha256, created_ts, last_access_ts, quarantined, safe_from_quarantine) VALUES (?, 'image/png', 'a.png', '@u:x.org', 100, ?, 0, 0, FALSE, FALSE)");
          PreparedStatement remote =
              c.prepareStatement(
                  "INSERT INTO remote_media (origin, media_id, content_type, upload_name, size,"
                      + " sha256, cached_ts, last_access_ts, quarantined) VALUES ('remote.org', ?, 'image/png', NULL, 100, ?, 0, 0, FALSE)");
          PreparedStatement thumb =
              c.prepareStatement(
                  "INSERT INTO thumbnails (source, width, height, method, animated, content_type,"
                      + " size, sha256, created_ts) VALUES (?, ?, ?, ?, FALSE, 'image/jpeg', 10, ?, 0)")) {
        for (int i = 0; i < rows; i++) {
          local.setString(1, id(i));
          local.setString(2, sha(i));
          local.addBatch();
          remote.setString(1, id(i));
          remote.setString(2, sha(i));
          remote.addBatch();
          if (i % 5 == 0) { // thumbnails for a fifth of the blobs, five each: as many rows as media
            int[][] sizes = {{32, 32}, {96, 96}, {320, 240}, {640, 480}, {800, 600}};
            for (int[] s : sizes) {
              thumb.setString(1, sha(i));
              thumb.setInt(2, s[0]);
              thumb.setInt(3, s[1]);
              thumb.setString(4, s[0] < 100 ? "CROP" : "SCALE");
              thumb.setString(5, sha(i + s[0]));
              thumb.addBatch();
            }
          }
          if (i % 10_000 == 9_999) {
            local.executeBatch();
            remote.executeBatch();
            thumb.executeBatch();
            c.commit();
          }
        }
        local.executeBatch();
        remote.executeBatch();
        thumb.executeBatch();
        c.commit();
      }
      if (database.equals("postgres")) {
        c.setAutoCommit(true);
        c.createStatement().execute("ANALYZE");
      }
    }
  }

  @Benchmark
  public Optional<LocalMedia> localMediaById() {
    return store.localMedia(MediaId.of(id(random.nextInt(rows))));
  }

  @Benchmark
  public Optional<RemoteMedia> remoteMediaByOriginAndId() {
    return store.remoteMedia(MxcUri.of("remote.org", id(random.nextInt(rows))));
  }

  @Benchmark
  public List<ThumbnailRecord> thumbnailsOfABlob() {
    return store.thumbnails(BlobKey.of(sha(random.nextInt(rows / 5) * 5)));
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    store.close();
    if (postgres != null) {
      postgres.close();
    }
  }
}
