package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaException;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.storage.fs.FileSystemStorage;

class JdbcMediaStoreTest {
  @TempDir Path dir;
  static final UserId ALICE = UserId.of("@alice:example.org");

  @Test
  void aDatabaseThatIsDownAtStartIsAClearErrorNamingIt() {
    assertThatThrownBy(
            () -> JdbcMediaStore.postgres("jdbc:postgresql://127.0.0.1:1/nothing", "u", "p"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/nothing")
        .hasMessageContaining("cannot connect");
  }

  @Test
  void anUnwritableDataDirectoryIsAClearError() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertThatThrownBy(() -> JdbcMediaStore.sqlite(file.resolve("media.db")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(file.resolve("media.db").toString());
  }

  /**
   * WAL with synchronous=NORMAL may lose the last commits on power loss; FULL syncs every commit.
   */
  @Test
  void sqliteSyncsEveryCommitToDisk() {
    try (JdbcMediaStore store = JdbcMediaStore.sqlite(dir.resolve("media.db"))) {
      assertThat(store.sqlitePragma("journal_mode")).isEqualToIgnoringCase("wal");
      assertThat(store.sqlitePragma("synchronous")).as("2 is FULL").isEqualTo("2");
    }
  }

  @Test
  void aSchemaNewerThanThisCodeIsRefused() throws Exception {
    Path db = dir.resolve("media.db");
    JdbcMediaStore.sqlite(db).close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO mxmedia_schema (version) VALUES (99)");
    }
    assertThatThrownBy(() -> JdbcMediaStore.sqlite(db))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("99");
  }

  @Test
  void twoProcessesStartingAtOnceMigrateOnce() throws Exception {
    String url = Postgres.newDatabase();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<JdbcMediaStore>> stores = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      stores.add(pool.submit(() -> JdbcMediaStore.postgres(url, "postgres", "postgres")));
    }
    for (Future<JdbcMediaStore> f : stores) {
      f.get(60, TimeUnit.SECONDS).close();
    }
    pool.shutdown();
    try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
        Statement s = c.createStatement();
        var r =
            s.executeQuery(
                "SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM mxmedia_schema")) {
      r.next();
      assertThat(r.getInt(1))
          .as("each version migrated once")
          .isEqualTo(JdbcMediaStore.SCHEMA_VERSION);
      assertThat(r.getInt(2)).isEqualTo(JdbcMediaStore.SCHEMA_VERSION);
      assertThat(r.getInt(3)).isEqualTo(JdbcMediaStore.SCHEMA_VERSION);
    }
  }

  /**
   * Creates the version 1 schema (as a release before version 2 left it) in the database at {@code
   * url}.
   */
  private static void createVersionOne(String url, String user, String password) throws Exception {
    String sql;
    try (var in = JdbcMediaStore.class.getResourceAsStream("V1__media.sql")) {
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE mxmedia_schema (version INTEGER NOT NULL)");
      StringBuilder statement = new StringBuilder();
      for (String line : sql.split("\n")) {
        if (line.strip().startsWith("--")) {
          continue;
        }
        statement.append(line).append('\n');
        if (line.strip().endsWith(";")) {
          s.execute(statement.toString());
          statement.setLength(0);
        }
      }
      s.execute("INSERT INTO mxmedia_schema (version) VALUES (1)");
      // a deletion that a version 1 process claimed and never finished, and a live blob
      s.execute(
          "INSERT INTO blobs (sha256, refs, deleting) VALUES ('" + "a".repeat(64) + "', 0, TRUE)");
      s.execute(
          "INSERT INTO blobs (sha256, refs, deleting) VALUES ('" + "b".repeat(64) + "', 1, FALSE)");
    }
  }

  private static void assertMigratedFromVersionOne(JdbcMediaStore store) {
    BlobKey claimed = BlobKey.of("a".repeat(64));
    BlobKey live = BlobKey.of("b".repeat(64));
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(store.reserveBlob(claimed))
        .as("the old claim still holds")
        .isEqualTo(MediaStore.Reservation.BEING_DELETED);
    assertThat(store.takeOverDeletion(claimed, now.minusSeconds(300), now))
        .as("and counts as abandoned")
        .isTrue();
    store.forgetBlob(claimed, now);
    assertThat(store.unreferencedBlobs(10)).isEmpty();
    assertThat(store.blobReferences(live)).isEqualTo(1);
    assertThat(store.claimBlobForDeletion(live, now)).isFalse();
  }

  @Test
  void aVersionOneSqliteDatabaseIsMigratedAndItsOldClaimsCountAsAbandoned() throws Exception {
    Path db = dir.resolve("v1.db");
    createVersionOne("jdbc:sqlite:" + db, null, null);
    try (JdbcMediaStore store = JdbcMediaStore.sqlite(db)) {
      assertMigratedFromVersionOne(store);
    }
  }

  @Test
  void aVersionOnePostgresDatabaseIsMigratedAndItsOldClaimsCountAsAbandoned() throws Exception {
    String url = Postgres.newDatabase();
    createVersionOne(url, "postgres", "postgres");
    try (JdbcMediaStore store = JdbcMediaStore.postgres(url, "postgres", "postgres")) {
      assertMigratedFromVersionOne(store);
    }
  }

  @Test
  void dataSurvivesReopeningTheSqliteFile() throws Exception {
    Path db = dir.resolve("media.db");
    MxcUri uri;
    try (JdbcMediaStore store = JdbcMediaStore.sqlite(db);
        MediaRepository repo = repo(store, dir.resolve("blobs"))) {
      uri =
          repo.upload(
              ALICE,
              UploadRequest.of("text/plain").withFileName("kept.txt"),
              new ByteArrayInputStream("kept".getBytes()));
    }
    try (JdbcMediaStore store = JdbcMediaStore.sqlite(db);
        MediaRepository repo = repo(store, dir.resolve("blobs"));
        var r = repo.download(uri, DownloadOptions.defaults())) {
      assertThat(r.fileName()).contains("kept.txt");
      assertThat(r.contentType()).isEqualTo("text/plain");
      assertThat(new String(r.content().openStream().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("kept");
    }
  }

  private static MediaRepository repo(JdbcMediaStore store, Path blobs) {
    return MediaRepository.builder()
        .serverName("example.org")
        .mediaStore(store)
        .storage(FileSystemStorage.at(blobs))
        .build();
  }

  /**
   * Two repositories (as two processes would be) on one PostgreSQL and one storage directory upload
   * and delete the same content at once: no orphan blob, no record without its blob.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void twoRepositoriesOnOnePostgresStayConsistent() throws Exception {
    String url = Postgres.newDatabase();
    Path blobs = dir.resolve("shared");
    byte[][] contents = {"one".getBytes(), "two".getBytes(), "x".repeat(50_000).getBytes()};
    try (JdbcMediaStore s1 = JdbcMediaStore.postgres(url, "postgres", "postgres");
        JdbcMediaStore s2 = JdbcMediaStore.postgres(url, "postgres", "postgres");
        MediaRepository r1 = repo(s1, blobs);
        MediaRepository r2 = repo(s2, blobs)) {
      MediaRepository[] repos = {r1, r2};
      ConcurrentHashMap<MxcUri, byte[]> live = new ConcurrentHashMap<>();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        workers.add(
            pool.submit(
                () -> {
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  while (System.nanoTime() < until) {
                    MediaRepository repo = repos[random.nextInt(2)];
                    if (random.nextInt(3) > 0 || live.isEmpty()) {
                      byte[] bytes = contents[random.nextInt(contents.length)];
                      MxcUri uri =
                          repo.upload(
                              ALICE, UploadRequest.empty(), new ByteArrayInputStream(bytes));
                      live.put(uri, bytes);
                    } else {
                      MxcUri victim = live.keySet().stream().findAny().orElse(null);
                      if (victim != null && live.remove(victim) != null) {
                        repo.admin().delete(victim);
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> w : workers) {
        w.get();
      }
      pool.shutdown();
      Map<String, Long> recordsPerBlob = new HashMap<>();
      for (var e : live.entrySet()) {
        try (var r = r1.download(e.getKey(), DownloadOptions.defaults())) {
          assertThat(r.content().openStream().readAllBytes()).isEqualTo(e.getValue());
          recordsPerBlob.merge(r.sha256(), 1L, Long::sum);
        }
      }
      Set<String> onDisk = new HashSet<>();
      try (Stream<Path> files = Files.walk(blobs.resolve("blobs"))) {
        files.filter(Files::isRegularFile).forEach(p -> onDisk.add(p.getFileName().toString()));
      }
      assertThat(onDisk).isEqualTo(recordsPerBlob.keySet());
      recordsPerBlob.forEach(
          (sha, records) ->
              assertThat(s1.blobReferences(BlobKey.of(sha))).as(sha).isEqualTo(records));
    }
  }

  /**
   * The database goes away mid-run: requests fail with a 5xx, nothing is half-written, and they
   * work again when it returns.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aDatabaseThatGoesAwayMidRunFailsCleanlyAndRecovers() throws Exception {
    String url = Postgres.newDatabase();
    String name = url.substring(url.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    try (JdbcMediaStore store = JdbcMediaStore.postgres(url, "postgres", "postgres");
        MediaRepository repo = repo(store, dir.resolve("b"))) {
      MxcUri before =
          repo.upload(ALICE, UploadRequest.empty(), new ByteArrayInputStream("before".getBytes()));
      try (Connection admin = Postgres.server().getPostgresDatabase().getConnection();
          Statement s = admin.createStatement()) {
        s.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
        s.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
                + name
                + "'");
      }
      assertThatThrownBy(
              () ->
                  repo.upload(
                      ALICE, UploadRequest.empty(), new ByteArrayInputStream("during".getBytes())))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isGreaterThanOrEqualTo(500));
      try (Stream<Path> tmp = Files.list(dir.resolve("b").resolve("tmp"))) {
        assertThat(tmp).as("no staging file left").isEmpty();
      }
      try (Connection admin = Postgres.server().getPostgresDatabase().getConnection();
          Statement s = admin.createStatement()) {
        s.execute("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
      }
      MxcUri after =
          repo.upload(ALICE, UploadRequest.empty(), new ByteArrayInputStream("after".getBytes()));
      try (var r = repo.download(before, DownloadOptions.defaults())) {
        assertThat(r.content().openStream().readAllBytes()).isEqualTo("before".getBytes());
      }
      try (var r = repo.download(after, DownloadOptions.defaults())) {
        assertThat(r.content().openStream().readAllBytes()).isEqualTo("after".getBytes());
      }
    }
  }
}
