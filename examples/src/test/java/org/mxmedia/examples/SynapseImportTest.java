package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaAdmin.MediaInfo;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;

/**
 * {@code import-synapse} against a Synapse-shaped fixture: a SQLite database with Synapse's media
 * tables (its column names and types, as of its current schema) and a {@code media_store} tree in
 * its layout, built here.
 */
class SynapseImportTest {
  private static final String SERVER = "synapse.test";
  private static final int LOCAL = 700;
  private static final int REMOTE = 40;
  private static final Instant CREATED = Instant.parse("2023-04-05T06:07:08Z");

  @TempDir Path dir;
  Path mediaStore;
  Path dataDir;
  String jdbcUrl;
  final List<String> localIds = new ArrayList<>();
  final List<String> remoteIds = new ArrayList<>();
  final Random random = new Random(5);

  @BeforeEach
  void fixture() throws Exception {
    mediaStore = dir.resolve("media_store");
    dataDir = dir.resolve("mxmedia");
    jdbcUrl = "jdbc:sqlite:" + dir.resolve("homeserver.db");
    try (Connection db = DriverManager.getConnection(jdbcUrl);
        Statement s = db.createStatement()) {
      s.execute(
          "CREATE TABLE local_media_repository (media_id TEXT, media_type TEXT, media_length INTEGER, created_ts BIGINT,"
              + " upload_name TEXT, user_id TEXT, quarantined_by TEXT, url_cache TEXT, last_access_ts BIGINT,"
              + " safe_from_quarantine BOOLEAN DEFAULT 0 NOT NULL, authenticated BOOLEAN DEFAULT 0 NOT NULL, sha256 TEXT,"
              + " UNIQUE (media_id))");
      s.execute(
          "CREATE TABLE remote_media_cache (media_origin TEXT, media_id TEXT, media_type TEXT, created_ts BIGINT,"
              + " upload_name TEXT, media_length INTEGER, filesystem_id TEXT, last_access_ts BIGINT, quarantined_by TEXT,"
              + " authenticated BOOLEAN DEFAULT 0 NOT NULL, sha256 TEXT, UNIQUE (media_origin, media_id))");
      s.execute(
          "CREATE TABLE local_media_repository_thumbnails (media_id TEXT, thumbnail_width INTEGER,"
              + " thumbnail_height INTEGER, thumbnail_type TEXT, thumbnail_method TEXT, thumbnail_length INTEGER)");
      for (int i = 0; i < LOCAL; i++) {
        String id = synapseId();
        localIds.add(id);
        byte[] bytes = ("local media " + i + " " + id).getBytes(StandardCharsets.UTF_8);
        // media 7 is quarantined, media 8 protected; every third has no recorded hash (older
        // Synapse)
        local(
            db,
            id,
            "text/plain",
            bytes,
            bytes.length,
            "note-" + i + ".txt",
            "@user" + (i % 7) + ":" + SERVER,
            i == 7 ? "@admin:" + SERVER : null,
            null,
            i == 8,
            i % 3 == 0 ? null : sha256(bytes));
      }
      byte[] large = new byte[3 * 1024 * 1024 + 17];
      random.nextBytes(large);
      String largeId = synapseId();
      localIds.add(largeId);
      local(
          db,
          largeId,
          "video/mp4",
          large,
          large.length,
          "clip.mp4",
          "@user1:" + SERVER,
          null,
          null,
          false,
          sha256(large));
      for (int i = 0; i < REMOTE; i++) {
        String id = "remote" + i;
        String fsid = synapseId();
        remoteIds.add(id);
        byte[] bytes = ("remote media " + i).getBytes(StandardCharsets.UTF_8);
        try (PreparedStatement p =
            db.prepareStatement(
                "INSERT INTO remote_media_cache (media_origin, media_id, media_type,"
                    + " created_ts, upload_name, media_length, filesystem_id, last_access_ts, quarantined_by) VALUES (?,?,?,?,?,?,?,?,?)")) {
          p.setString(1, i % 2 == 0 ? "matrix.org" : "example.com:8448");
          p.setString(2, id);
          p.setString(3, "image/png");
          p.setLong(4, CREATED.toEpochMilli());
          p.setString(5, null);
          p.setLong(6, bytes.length);
          p.setString(7, fsid);
          p.setLong(8, CREATED.plusSeconds(60).toEpochMilli());
          p.setString(9, null);
          p.execute();
        }
        write(
            mediaStore
                .resolve("remote_content")
                .resolve(i % 2 == 0 ? "matrix.org" : "example.com:8448"),
            fsid,
            bytes);
      }
      // what must not be imported, or must fail alone
      byte[] preview = "a preview".getBytes(StandardCharsets.UTF_8);
      local(
          db,
          "2026-11-28_abcdefghijklmnop",
          "text/html",
          preview,
          preview.length,
          null,
          "@user1:" + SERVER,
          null,
          "https://example.com/",
          false,
          null);
      // these three sort after every other id, so the first run's 400 are all good media
      insertRow(
          db,
          "zzzzzNoFile" + synapseId().substring(11),
          "text/plain",
          10,
          "@user1:" + SERVER,
          null);
      String shortFile = "zzzzzShort" + synapseId().substring(10);
      byte[] shortBytes = "too short".getBytes(StandardCharsets.UTF_8);
      local(
          db,
          shortFile,
          "text/plain",
          shortBytes,
          shortBytes.length + 5,
          null,
          "@user1:" + SERVER,
          null,
          null,
          false,
          null);
      String damaged = "zzzzzDamaged" + synapseId().substring(12);
      byte[] damagedBytes = "damaged".getBytes(StandardCharsets.UTF_8);
      local(
          db,
          damaged,
          "text/plain",
          damagedBytes,
          damagedBytes.length,
          null,
          "@user1:" + SERVER,
          null,
          null,
          false,
          sha256("original".getBytes(StandardCharsets.UTF_8)));
      s.execute(
          "INSERT INTO local_media_repository_thumbnails VALUES ('"
              + localIds.get(0)
              + "', 32, 32, 'image/png', 'crop', 10)");
    }
  }

  @Test
  void importsEverythingOnceAcrossAnInterruptedRunAndAResumedOne() throws Exception {
    Run first = importSynapse("--limit", "400");
    assertThat(first.status).as(first.err).isEqualTo(0);
    assertThat(first.out).contains("Stopped after --limit 400");
    assertThat(first.out).contains("400/" + (LOCAL + 1 + 3 + REMOTE) + " media: 400 imported");

    Run second = importSynapse("--limit", "400");
    assertThat(second.status).as("three media fail alone").isEqualTo(1);
    assertThat(second.out)
        .as("the limit counts work done, not media skipped")
        .doesNotContain("Stopped after")
        .containsPattern(
            "744/744 media: 341 imported \\([0-9.]+ MiB\\), 400 already here, 3 failed");
    assertThat(second.err)
        .contains("no file at local_content/")
        .contains("zzzzzShort")
        .contains("SHA-256");

    Run third = importSynapse();
    assertThat(third.out)
        .as("a third run finds everything here")
        .contains("744/744 media: 0 imported (0.0 MiB), 741 already here, 3 failed");

    try (MediaServer server =
        MediaServer.start(
            ServerSettings.parse(
                new String[] {
                  "--port",
                  "0",
                  "--data-dir",
                  dataDir.toString(),
                  "--server-name",
                  SERVER,
                  "--token",
                  "t=@admin:" + SERVER
                }))) {
      for (int i = 0; i < LOCAL; i += 97) {
        assertThat(download(server, SERVER, localIds.get(i)))
            .isEqualTo("local media " + i + " " + localIds.get(i));
      }
      MediaInfo quarantined =
          server.repository().admin().describe(MxcUri.of(SERVER, localIds.get(7)));
      assertThat(quarantined.quarantined()).isTrue();
      MediaInfo protectedOne =
          server.repository().admin().describe(MxcUri.of(SERVER, localIds.get(8)));
      assertThat(protectedOne.safeFromQuarantine()).isTrue();
      assertThat(protectedOne.uploader()).contains(UserId.of("@user1:" + SERVER));
      assertThat(protectedOne.uploadName()).contains("note-8.txt");
      assertThat(protectedOne.createdAt()).isEqualTo(CREATED);
      MediaInfo large =
          server.repository().admin().describe(MxcUri.of(SERVER, localIds.get(LOCAL)));
      assertThat(large.size()).isEqualTo(3 * 1024 * 1024 + 17);
      assertThat(large.contentType()).isEqualTo("video/mp4");
      assertThat(download(server, "matrix.org", "remote0")).isEqualTo("remote media 0");
      assertThat(download(server, "example.com:8448", "remote39")).isEqualTo("remote media 39");
      long uploads = 0;
      for (int u = 0; u < 7; u++) {
        uploads +=
            server
                .repository()
                .admin()
                .usage(UserId.of("@user" + u + ":" + SERVER), Instant.EPOCH)
                .mediaCount();
      }
      assertThat(uploads).as("every local media once, none twice, no preview").isEqualTo(LOCAL + 1);
      assertThat(
              server
                  .repository()
                  .admin()
                  .usage(UserId.of("@user1:" + SERVER), Instant.EPOCH)
                  .mediaCount())
          .as("media 1, 8, ... 694 and the large one")
          .isEqualTo(LOCAL / 7 + 1);
    }
  }

  @Test
  void symbolicLinksAndSpecialFilesInTheStoreAreReportedNotImported() throws Exception {
    byte[] secret = "root:$6$secret:19000:0:99999:7:::".getBytes(StandardCharsets.UTF_8);
    Path outside = Files.write(dir.resolve("shadow"), secret);
    try (Connection db = DriverManager.getConnection(jdbcUrl)) {
      // a link to a file outside the store, with the row describing that file exactly
      String linked = "zzzzzLink" + synapseId().substring(9);
      insertRow(db, linked, "text/plain", secret.length, "@user1:" + SERVER, sha256(secret));
      Path link = sharded(mediaStore.resolve("local_content"), linked);
      Files.createDirectories(link.getParent());
      Files.createSymbolicLink(link, outside);
      // a regular file reached through a directory that links out of the store
      String throughDir = "0dirLink" + synapseId().substring(8);
      insertRow(db, throughDir, "text/plain", secret.length, "@user1:" + SERVER, sha256(secret));
      Path elsewhere =
          Files.createDirectories(dir.resolve("elsewhere").resolve(throughDir.substring(2, 4)));
      Files.write(elsewhere.resolve(throughDir.substring(4)), secret);
      Files.createSymbolicLink(
          mediaStore.resolve("local_content").resolve(throughDir.substring(0, 2)),
          elsewhere.getParent());
      // a directory where the file should be
      String directory = "zzzzzDirectory" + synapseId().substring(14);
      insertRow(db, directory, "text/plain", 0, "@user1:" + SERVER, null);
      Files.createDirectories(sharded(mediaStore.resolve("local_content"), directory));
    }

    Run run = importSynapse();
    assertThat(run.status).isEqualTo(1);
    assertThat(run.out)
        .containsPattern("747/747 media: 741 imported \\([0-9.]+ MiB\\), 0 already here, 6 failed");
    assertThat(run.err)
        .contains("zzzzzLink")
        .contains("not a regular file (a symbolic link)")
        .contains("0dirLink")
        .contains("its directory is a link out of the media store")
        .contains("zzzzzDirectory")
        .contains("not a regular file (a directory or special file)");
    try (MediaServer server =
        MediaServer.start(
            ServerSettings.parse(
                new String[] {
                  "--port",
                  "0",
                  "--data-dir",
                  dataDir.toString(),
                  "--server-name",
                  SERVER,
                  "--token",
                  "t=@admin:" + SERVER
                }))) {
      assertThat(
              server
                  .repository()
                  .admin()
                  .usage(UserId.of("@user1:" + SERVER), Instant.EPOCH)
                  .mediaCount())
          .as("none of the linked files became media")
          .isEqualTo(LOCAL / 7 + 1);
    }
  }

  @Test
  void badArgumentsAreExplainedWithoutTouchingAnything() throws Exception {
    Run noDb =
        run(
            "--media-store",
            mediaStore.toString(),
            "--server-name",
            SERVER,
            "--data-dir",
            dataDir.toString());
    assertThat(noDb.status).isEqualTo(2);
    assertThat(noDb.err).contains("--media-store and --synapse-db are required");
    Run noName =
        run(
            "--media-store",
            mediaStore.toString(),
            "--synapse-db",
            jdbcUrl,
            "--data-dir",
            dataDir.toString());
    assertThat(noName.err).contains("--server-name is required");
    Run mysql =
        run(
            "--media-store",
            mediaStore.toString(),
            "--synapse-db",
            "jdbc:mysql://x/y",
            "--server-name",
            SERVER);
    assertThat(mysql.err).contains("jdbc:sqlite:... or jdbc:postgresql:...");
    Run limit = run("--limit", "0");
    assertThat(limit.err).contains("--limit must be a positive number");
    assertThat(dataDir).doesNotExist();
  }

  private Run importSynapse(String... extra) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--media-store",
                mediaStore.toString(),
                "--synapse-db",
                jdbcUrl,
                "--server-name",
                SERVER,
                "--data-dir",
                dataDir.toString()));
    args.addAll(List.of(extra));
    return run(args.toArray(String[]::new));
  }

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        SynapseImport.cli(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static String download(MediaServer server, String origin, String id) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            server.baseUrl()
                                + "/_matrix/client/v1/media/download/"
                                + origin
                                + "/"
                                + id))
                    .header("Authorization", "Bearer t")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private String synapseId() {
    StringBuilder id = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      id.append((char) ((random.nextBoolean() ? 'a' : 'A') + random.nextInt(26)));
    }
    return id.toString();
  }

  private void local(
      Connection db,
      String id,
      String type,
      byte[] bytes,
      long recordedLength,
      String name,
      String user,
      String quarantinedBy,
      String urlCache,
      boolean safe,
      String sha)
      throws SQLException, IOException {
    try (PreparedStatement p =
        db.prepareStatement(
            "INSERT INTO local_media_repository (media_id, media_type, media_length,"
                + " created_ts, upload_name, user_id, quarantined_by, url_cache, last_access_ts, safe_from_quarantine, sha256)"
                + " VALUES (?,?,?,?,?,?,?,?,?,?,?)")) {
      p.setString(1, id);
      p.setString(2, type);
      p.setLong(3, recordedLength);
      p.setLong(4, CREATED.toEpochMilli());
      p.setString(5, name);
      p.setString(6, user);
      p.setString(7, quarantinedBy);
      p.setString(8, urlCache);
      p.setNull(9, Types.BIGINT);
      p.setBoolean(10, safe);
      p.setString(11, sha);
      p.execute();
    }
    write(mediaStore.resolve(urlCache == null ? "local_content" : "url_cache"), id, bytes);
  }

  private static void insertRow(
      Connection db, String id, String type, long length, String user, String sha)
      throws SQLException {
    try (PreparedStatement p =
        db.prepareStatement(
            "INSERT INTO local_media_repository (media_id, media_type, media_length,"
                + " created_ts, user_id, sha256) VALUES (?,?,?,?,?,?)")) {
      p.setString(1, id);
      p.setString(2, type);
      p.setLong(3, length);
      p.setLong(4, CREATED.toEpochMilli());
      p.setString(5, user);
      p.setString(6, sha);
      p.execute();
    }
  }

  private static Path sharded(Path base, String id) {
    return base.resolve(id.substring(0, 2)).resolve(id.substring(2, 4)).resolve(id.substring(4));
  }

  private static void write(Path base, String id, byte[] bytes) throws IOException {
    Path file = sharded(base, id);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
          .toLowerCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
