package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.internal.DefaultMediaRepository;

/**
 * The packaged example server, started as a new user would, against a scripted evil origin
 * ({@code --peer evil.test=http://127.0.0.1:P}), evil key servers, and an internal service on
 * {@code 127.0.0.2} that nothing may reach. Each test replays a finding of the security review and
 * asserts the safe outcome.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileWorldTest {
  private static final String SERVER = "hostile.test";
  private static final String TOKEN = "Bearer secret";

  @TempDir Path dir;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private ScriptedServer internal;
  private ScriptedServer evil;
  private int servers;

  @BeforeEach
  void startTheWorld() throws IOException {
    internal = closing(ScriptedServer.start("127.0.0.2", (req, ex) -> ex.respond(200, "text/plain", "secret".getBytes())));
    evil = closing(ScriptedServer.start(this::evilOrigin));
  }

  @AfterEach
  void stopTheWorld() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeAfter.add(c);
    return c;
  }

  /** The evil origin's answers, chosen by the media id's prefix. */
  private void evilOrigin(ScriptedServer.Request req, ScriptedServer.Exchange ex) throws IOException, InterruptedException {
    String path = req.path();
    String id = path.substring(path.lastIndexOf('/') + 1);
    if (path.startsWith("/_matrix/federation/v1/media/download/")) {
      if (id.startsWith("loc")) {
        ex.respond(200, "multipart/mixed; boundary=b0undary", multipart("Location: " + internal.url() + "/secret", ""));
      } else if (id.startsWith("chain")) {
        ex.respond(404, "application/json", "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"no\"}".getBytes());
      } else if (id.startsWith("stall")) {
        ex.write("HTTP/1.1 200 OK\r\nContent-Type: multipart/mixed; boundary=b0undary\r\nConnection: close\r\n\r\n");
        ex.stall();
      } else if (id.startsWith("slow")) {
        Thread.sleep(1200);
        ex.respond(200, "multipart/mixed; boundary=b0undary", multipart("Content-Type: text/plain", "bytes of " + id));
      } else {
        ex.respond(200, "multipart/mixed; boundary=b0undary", multipart("Content-Type: text/plain", "bytes of " + id));
      }
    } else if (path.startsWith("/_matrix/media/v3/download/evil.test/chain")) {
      ex.respond(302, null, new byte[0], "Location: " + evil.url() + "/hop1");
    } else if (path.equals("/hop1")) {
      ex.respond(302, null, new byte[0], "Location: " + internal.url() + "/secret");
    } else {
      ex.respond(404, "application/json", "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}".getBytes());
    }
  }

  private static byte[] multipart(String mediaHeader, String body) {
    return ("--b0undary\r\nContent-Type: application/json\r\n\r\n{}\r\n--b0undary\r\n" + mediaHeader + "\r\n\r\n" + body
        + "\r\n--b0undary--\r\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The example server with short deadlines (from its config file), a token, and the evil origin as a peer. */
  private MediaServer startServer(String... extra) throws IOException {
    Path config = Files.writeString(dir.resolve("deadlines-" + servers + ".yaml"), String.join("\n",
        "remoteDeadlineMs: 3000", "remoteIdleTimeoutMs: 1500", ""));
    List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--port", "0", "--server-name", SERVER,
        "--data-dir", dir.resolve("data-" + servers++).toString(), "--token", "secret=@alice:" + SERVER,
        "--peer", "evil.test=" + evil.url()));
    args.addAll(List.of(extra));
    return closing(MediaServer.start(ServerSettings.parse(args.toArray(String[]::new))));
  }

  private HttpResponse<String> get(MediaServer server, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(20));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static long backoffEntries(MediaServer server) {
    return ((DefaultMediaRepository) server.repository()).remoteBackoffEntries();
  }

  // ---- SSRF through the media path

  @Test
  void aLocationPointingAtAnInternalAddressIs502AndNothingConnectsToIt() throws Exception {
    MediaServer server = startServer();
    HttpResponse<String> r = get(server, "/_matrix/client/v1/media/download/evil.test/loc1", "Authorization", TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(evil.requestsTo("/_matrix/federation/v1/media/download/loc1")).isEqualTo(1);
    assertThat(internal.accepted()).isZero();
  }

  @Test
  void aRedirectChainEndingAtAnInternalAddressIsFollowedOnlyUntilThere() throws Exception {
    // the evil origin's own address is whitelisted so the chain's first hops are followed
    MediaServer server = startServer("--ip-range-whitelist", "127.0.0.1/32");
    HttpResponse<String> r = get(server, "/_matrix/client/v1/media/download/evil.test/chain1", "Authorization", TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(evil.requestsTo("/hop1")).as("the chain was followed to its last hop").isEqualTo(1);
    assertThat(internal.accepted()).isZero();
  }

  @Test
  void unauthenticatedLegacyRequestsForNewRemoteMediaAre404WithoutAskingTheOrigin() throws Exception {
    MediaServer server = startServer();
    Path data = dir.resolve("data-0");
    Set<Path> before = files(data);
    for (String path : List.of("/_matrix/media/v3/download/evil.test/fresh1", "/_matrix/media/r0/download/evil.test/fresh2",
        "/_matrix/media/v1/download/evil.test/fresh3", "/_matrix/media/v3/thumbnail/evil.test/fresh4?width=32&height=32")) {
      HttpResponse<String> r = get(server, path);
      assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(404);
    }
    assertThat(evil.requests()).isEmpty();
    assertThat(files(data)).isEqualTo(before);
  }

  private static Set<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("media.db"))
          .collect(Collectors.toSet());
    }
  }

  // ---- deadlines and backoff

  @Test
  void aRemoteThatStallsAfterItsHeadersIs502WithinTheDeadline() throws Exception {
    MediaServer server = startServer();
    long start = System.nanoTime();
    HttpResponse<String> r = get(server, "/_matrix/client/v1/media/download/evil.test/stall1", "Authorization", TOKEN);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(millis).as("answered within the 3 s deadline").isLessThan(4500);
  }

  @Test
  void aHundredStalledDownloadsLeaveTheServerAnswering() throws Exception {
    MediaServer server = startServer();
    List<CompletableFuture<HttpResponse<String>>> stalled = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      stalled.add(client.sendAsync(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/client/v1/media/download/evil.test/stall" + i))
          .header("Authorization", TOKEN).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    Thread.sleep(500);
    long start = System.nanoTime();
    HttpResponse<String> versions = client.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/client/versions"))
        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(versions.statusCode()).isEqualTo(200);
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> f : stalled) {
      statuses.add(f.get(15, TimeUnit.SECONDS).statusCode());
    }
    assertThat(statuses).containsOnly(502, 429).contains(502);
  }

  @Test
  void aZeroTimeoutLeavesTheRemotesBackoffAlone() throws Exception {
    MediaServer server = startServer();
    HttpResponse<String> slow = get(server, "/_matrix/client/v1/media/download/evil.test/slowA?timeout_ms=0", "Authorization", TOKEN);
    assertThat(slow.statusCode()).as(slow.body()).isEqualTo(200);
    assertThat(backoffEntries(server)).isZero();
    long start = System.nanoTime();
    HttpResponse<String> next = get(server, "/_matrix/client/v1/media/download/evil.test/okB", "Authorization", TOKEN);
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(next.body()).isEqualTo("bytes of okB");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
  }
}
