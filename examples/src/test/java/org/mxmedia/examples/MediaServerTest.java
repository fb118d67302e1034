package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.OutboundPolicy;

class MediaServerTest {
  @TempDir Path dir;
  final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> get(String url, String token) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String upload(String base, String token, String body) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/_matrix/media/v3/upload?filename=a.txt"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Matcher m = Pattern.compile("\"content_uri\":\"mxc://([^\"]+)\"").matcher(r.body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void servesMediaWithTheGivenTokenAndAnswersVersions() throws Exception {
    ServerSettings settings =
        ServerSettings.parse(
            new String[] {
              "--port",
              "0",
              "--data-dir",
              dir.toString(),
              "--token",
              "secret=@bob:example.test",
              "--server-name",
              "example.test",
              "--max-upload-size",
              "1000"
            });
    try (MediaServer server = MediaServer.start(settings)) {
      String path = upload(server.baseUrl(), "secret", "hello");
      assertThat(path).startsWith("example.test/");
      assertThat(
              get(server.baseUrl() + "/_matrix/client/v1/media/download/" + path, "secret").body())
          .isEqualTo("hello");
      assertThat(get(server.baseUrl() + "/_matrix/client/v1/media/config", "secret").body())
          .isEqualTo("{\"m.upload.size\":1000}");
      HttpResponse<String> versions = get(server.baseUrl() + "/_matrix/client/versions", "");
      assertThat(versions.body()).contains("\"v1.11\"").contains("\"v1.19\"");
      assertThat(Files.exists(dir.resolve("media").resolve("blobs"))).isTrue();
    }
  }

  @Test
  void everythingIsStillServedAfterARestartOnTheSameDataDirectory() throws Exception {
    String[] args = {
      "--port",
      "0",
      "--data-dir",
      dir.toString(),
      "--server-name",
      "restart.test",
      "--token",
      "t=@a:restart.test"
    };
    String path;
    try (MediaServer first = MediaServer.start(ServerSettings.parse(args))) {
      path = upload(first.baseUrl(), "t", "survives");
    }
    try (MediaServer second = MediaServer.start(ServerSettings.parse(args))) {
      HttpResponse<String> r =
          get(second.baseUrl() + "/_matrix/client/v1/media/download/" + path, "t");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("survives");
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
      assertThat(r.headers().firstValue("Content-Disposition")).hasValue("inline; filename=a.txt");
    }
  }

  @Test
  void metadataGoesToPostgresWithJdbcUrl() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = pg.getJdbcUrl("postgres", "postgres");
      String[] args = {
        "--port",
        "0",
        "--data-dir",
        dir.toString(),
        "--server-name",
        "pg.test",
        "--token",
        "t=@a:pg.test",
        "--jdbc-url",
        url,
        "--jdbc-user",
        "postgres",
        "--jdbc-password",
        "postgres"
      };
      String path;
      try (MediaServer first = MediaServer.start(ServerSettings.parse(args))) {
        path = upload(first.baseUrl(), "t", "in postgres");
      }
      try (MediaServer second = MediaServer.start(ServerSettings.parse(args))) {
        assertThat(get(second.baseUrl() + "/_matrix/client/v1/media/download/" + path, "t").body())
            .isEqualTo("in postgres");
      }
      assertThat(Files.exists(dir.resolve("media.db")))
          .as("no SQLite file when PostgreSQL is used")
          .isFalse();
    }
  }

  @Test
  void aDatabaseThatIsDownAtStartIsOneClearLine() throws Exception {
    assertThatThrownBy(
            () ->
                MediaServer.start(
                    ServerSettings.parse(
                        new String[] {
                          "--port",
                          "0",
                          "--data-dir",
                          dir.toString(),
                          "--jdbc-url",
                          "jdbc:postgresql://127.0.0.1:1/media"
                        })))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/media");
  }

  @Test
  void aGeneratedTokenIsKeptAcrossRestarts() throws Exception {
    String[] args = {"--port", "0", "--data-dir", dir.toString()};
    String token;
    try (MediaServer first = MediaServer.start(ServerSettings.parse(args))) {
      token = first.tokens().keySet().iterator().next();
      assertThat(token).startsWith("mxm_");
      assertThat(first.serverName().value()).isEqualTo("localhost:" + first.port());
    }
    try (MediaServer second = MediaServer.start(ServerSettings.parse(args))) {
      // another port means another server name and so another admin user: a new token
      assertThat(second.tokens()).hasSize(1);
    }
    try (MediaServer third =
        MediaServer.start(
            ServerSettings.parse(
                new String[] {
                  "--port", "0", "--data-dir", dir.toString(), "--server-name", "fixed.test"
                }))) {
      String fixed = third.tokens().keySet().iterator().next();
      try (MediaServer fourth =
          MediaServer.start(
              ServerSettings.parse(
                  new String[] {
                    "--port", "0", "--data-dir", dir.toString(), "--server-name", "fixed.test"
                  }))) {
        assertThat(fourth.tokens().keySet()).containsExactly(fixed);
      }
    }
    assertThat(token).isNotBlank();
  }

  @Test
  void settingsComeFromYamlOrJsonAndOptionsWin() throws Exception {
    Path yaml =
        Files.writeString(
            dir.resolve("mxmedia.yaml"),
            String.join(
                "\n",
                "port: 0",
                "serverName: yaml.test",
                "maxUploadSize: 2048",
                "dynamicThumbnails: true",
                "tokens:",
                "  t1: \"@alice:yaml.test\"",
                "peers:",
                "  other.test: http://127.0.0.1:9999",
                ""));
    ServerSettings s =
        ServerSettings.parse(
            new String[] {"--config", yaml.toString(), "--max-upload-size", "4096"});
    assertThat(s.serverName).isEqualTo("yaml.test");
    assertThat(s.maxUploadSize).isEqualTo(4096L);
    assertThat(s.dynamicThumbnails).isTrue();
    assertThat(s.tokens).containsEntry("t1", "@alice:yaml.test");
    assertThat(s.peers).containsEntry("other.test", "http://127.0.0.1:9999");

    Path json =
        Files.writeString(
            dir.resolve("mxmedia.json"),
            "{\"port\": 0, \"bind\": \"127.0.0.1\", \"tokens\": {\"t\": \"@a:b.test\"}}");
    assertThat(ServerSettings.parse(new String[] {"--config", json.toString()}).tokens)
        .containsKey("t");
  }

  @Test
  void adminOptionAndFileKeyMakeServerAdminsOfTheAdminApi() throws Exception {
    Path yaml =
        Files.writeString(
            dir.resolve("admins.yaml"),
            String.join("\n", "admins:", "  - \"@carol:example.test\"", ""));
    ServerSettings settings =
        ServerSettings.parse(
            new String[] {
              "--config",
              yaml.toString(),
              "--port",
              "0",
              "--data-dir",
              dir.toString(),
              "--server-name",
              "example.test",
              "--token",
              "admin=@root:example.test",
              "--token",
              "carol=@carol:example.test",
              "--token",
              "user=@bob:example.test",
              "--admin",
              "@root:example.test"
            });
    assertThat(settings.admins).containsExactly("@carol:example.test", "@root:example.test");
    try (MediaServer server = MediaServer.start(settings)) {
      String path = upload(server.baseUrl(), "user", "hello");
      String info = server.baseUrl() + "/_synapse/admin/v1/media/" + path;
      assertThat(get(info, "user").statusCode()).isEqualTo(403);
      assertThat(get(info, "user").body()).contains("M_FORBIDDEN");
      assertThat(get(info, "").statusCode()).isEqualTo(401);
      for (String admin : List.of("admin", "carol")) {
        HttpResponse<String> r = get(info, admin);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body())
            .contains("\"user_id\":\"@bob:example.test\"")
            .contains("\"media_length\":5");
      }
      HttpResponse<String> media =
          get(server.baseUrl() + "/_synapse/admin/v1/users/%40bob%3Aexample.test/media", "admin");
      assertThat(media.body()).contains("\"total\":1");
    }
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--admin", "root"}))
        .hasMessageContaining("--admin");
  }

  @Test
  void badSettingsFailWithAMessageNamingThem() throws Exception {
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--port", "99999"}))
        .hasMessageContaining("port");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--server-name", "bad..name"}))
        .hasMessageContaining("server name");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--token", "abc"}))
        .hasMessageContaining("KEY=VALUE");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--token", "t=alice"}))
        .hasMessageContaining("user id");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--peer", "x.test=ftp://x"}))
        .hasMessageContaining("http");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--frobnicate"}))
        .hasMessageContaining("unknown option");
    Path typo = Files.writeString(dir.resolve("typo.yaml"), "prot: 8008\n");
    ServerSettings typoed = ServerSettings.parse(new String[] {"--config", typo.toString()});
    assertThat(typoed.ignoredKeys)
        .as("an unknown key is warned about and ignored")
        .containsExactly("prot");
    assertThat(typoed.port).isEqualTo(8008);
    Path wrong = Files.writeString(dir.resolve("wrong.yaml"), "port: eighty\n");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", wrong.toString()}))
        .hasMessageContaining("port");
  }

  @Test
  void outboundPolicyOptionsAndFileKeysAreReadAndABadRangeIsNamed() throws Exception {
    ServerSettings flags =
        ServerSettings.parse(
            new String[] {
              "--ip-range-whitelist",
              "10.1.0.0/16",
              "--ip-range-whitelist",
              "127.0.0.1/32",
              "--ip-range-blacklist",
              "10.0.0.0/8"
            });
    assertThat(flags.outboundPolicy().whitelist()).containsExactly("10.1.0.0/16", "127.0.0.1/32");
    assertThat(flags.outboundPolicy().blacklist()).containsExactly("10.0.0.0/8");
    assertThat(ServerSettings.parse(new String[0]).outboundPolicy().blacklist())
        .isEqualTo(OutboundPolicy.DEFAULT_BLACKLIST);

    Path yaml =
        Files.writeString(
            dir.resolve("policy.yaml"),
            String.join(
                "\n",
                "ip_range_whitelist:",
                "  - 192.168.1.0/24",
                "ip_range_blacklist: [\"192.168.0.0/16\", \"fc00::/7\"]",
                "remoteDeadlineMs: 60000",
                "remoteIdleTimeoutMs: 5000",
                "keyFetchTimeoutMs: 2000",
                "clientIdleTimeoutMs: 7000",
                ""));
    ServerSettings file = ServerSettings.parse(new String[] {"--config", yaml.toString()});
    assertThat(file.outboundPolicy().whitelist()).containsExactly("192.168.1.0/24");
    assertThat(file.outboundPolicy().blacklist()).containsExactly("192.168.0.0/16", "fc00::/7");
    assertThat(file.remoteDeadline()).isEqualTo(Duration.ofSeconds(60));
    assertThat(file.remoteIdleTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(file.keyFetchTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(file.clientIdleTimeout()).isEqualTo(Duration.ofSeconds(7));
    ServerSettings both =
        ServerSettings.parse(
            new String[] {"--config", yaml.toString(), "--ip-range-whitelist", "192.168.2.0/24"});
    assertThat(both.outboundPolicy().whitelist())
        .as("options win over the file")
        .containsExactly("192.168.2.0/24");
    assertThat(both.outboundPolicy().blacklist()).containsExactly("192.168.0.0/16", "fc00::/7");

    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--ip-range-blacklist", "10.0.0.0/33"}))
        .hasMessageContaining("10.0.0.0/33")
        .hasMessageContaining("--ip-range-blacklist");
    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--ip-range-whitelist", "localhost"}))
        .hasMessageContaining("localhost")
        .hasMessageContaining("--ip-range-whitelist");
    Path bad = Files.writeString(dir.resolve("bad.yaml"), "ip_range_whitelist: [\"10.0.0.1/8\"]\n");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", bad.toString()}))
        .hasMessageContaining("10.0.0.1/8")
        .hasMessageContaining("ip_range_whitelist");
    Path slow =
        Files.writeString(
            dir.resolve("slow.yaml"), "remoteDeadlineMs: 1000\nremoteIdleTimeoutMs: 2000\n");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", slow.toString()}))
        .hasMessageContaining("remoteIdleTimeoutMs");
    assertThat(ServerSettings.USAGE)
        .contains("--ip-range-whitelist CIDR")
        .contains("--ip-range-blacklist CIDR")
        .contains("ip_range_whitelist")
        .contains("remoteDeadlineMs")
        .contains("keyFetchTimeoutMs")
        .contains("clientIdleTimeoutMs");
  }

  @Test
  void theTokenFileAndTheSigningKeyAreReadableByTheirOwnerOnly() throws Exception {
    Assumptions.assumeTrue(
        Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null,
        "a POSIX file system");
    String[] args = {"--port", "0", "--data-dir", dir.toString(), "--server-name", "private.test"};
    String token;
    try (MediaServer first = MediaServer.start(ServerSettings.parse(args))) {
      token = first.tokens().keySet().iterator().next();
    }
    Path tokenFile = dir.resolve("example-access-token");
    Path keyFile = dir.resolve("signing.key");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
        .isEqualTo("rw-------");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .as("no temporary file left behind")
          .noneMatch(n -> n.endsWith(".tmp"));
    }

    // files an older version left readable by others are narrowed at start, and still used
    Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-r--r--"));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));
    try (MediaServer second = MediaServer.start(ServerSettings.parse(args))) {
      assertThat(second.tokens().keySet()).containsExactly(token);
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)))
        .isEqualTo("rw-------");
  }

  @Test
  void theKeyResponseIsSignedOnceNotPerRequest() throws Exception {
    try (MediaServer server =
        MediaServer.start(
            ServerSettings.parse(
                new String[] {
                  "--port",
                  "0",
                  "--data-dir",
                  dir.toString(),
                  "--server-name",
                  "keys.test",
                  "--token",
                  "t=@a:keys.test"
                }))) {
      String first = get(server.baseUrl() + "/_matrix/key/v2/server", "").body();
      // the clock moves past the millisecond of the first answer, so a response signed per
      // request would carry another valid_until_ts
      long answered = System.currentTimeMillis();
      while (System.currentTimeMillis() == answered) {
        Thread.onSpinWait();
      }
      assertThat(get(server.baseUrl() + "/_matrix/key/v2/server", "").body())
          .isEqualTo(first)
          .contains("\"server_name\":\"keys.test\"");
    }
  }

  @Test
  void theJettyServletExampleServesMedia() throws Exception {
    try (ServerSocket probe = new ServerSocket(0)) {
      int port = probe.getLocalPort();
      probe.close();
      Server jetty = JettyServletExample.start(port, dir, "tok");
      try {
        String base = "http://127.0.0.1:" + port;
        String path = upload(base, "tok", "via jetty");
        assertThat(get(base + "/_matrix/client/v1/media/download/" + path, "tok").body())
            .isEqualTo("via jetty");
      } finally {
        jetty.stop();
      }
    }
  }

  /**
   * The packaged main, in its own JVM: prints a token and a curl line, logs requests, stops cleanly
   * on SIGTERM.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void theMainProcessStopsCleanlyOnSigterm() throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classpath,
                MediaServer.class.getName(),
                "--port",
                "0",
                "--data-dir",
                dir.toString())
            .redirectErrorStream(true)
            .start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      String base = null;
      String token = null;
      while ((line = out.readLine()) != null) {
        lines.add(line);
        Matcher m = Pattern.compile(" on (http://127\\.0\\.0\\.1:\\d+) ").matcher(line);
        if (m.find()) {
          base = m.group(1);
        }
        if (line.startsWith("Access token for ")) {
          token = line.substring(line.lastIndexOf(' ') + 1);
        }
        if (line.contains("--data-binary")) {
          break;
        }
      }
      assertThat(base).as(String.join("\n", lines)).isNotNull();
      assertThat(token).isNotNull();
      upload(base, token, "before sigterm");
      p.toHandle().destroy(); // SIGTERM, leaving our end of its output open
      while ((line = out.readLine()) != null) {
        lines.add(line);
      }
    }
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(String.join("\n", lines))
        .contains("INFO org.mxmedia.http.access - POST /_matrix/media/v3/upload 200")
        .contains("Shutting down")
        .contains("Stopped");
  }
}
