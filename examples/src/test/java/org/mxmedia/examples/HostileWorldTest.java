package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged example server, started as a new user would, against a scripted evil origin ({@code
 * --peer evil.test=http://127.0.0.1:P}), evil key servers, and an internal service on {@code
 * 127.0.0.2} that nothing may reach. Each test replays a finding of the security review and asserts
 * the safe outcome.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HostileWorldTest {
  private static final String SERVER = "hostile.test";
  private static final String TOKEN = "Bearer secret";
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

  @TempDir Path dir;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  /** Told of the media id of each stalling download that reached the evil origin. */
  private volatile Consumer<String> stallArrived = id -> {};

  private ScriptedServer internal;
  private ScriptedServer evil;
  private int servers;

  @BeforeEach
  void startTheWorld() throws IOException {
    internal =
        closing(
            ScriptedServer.start(
                "127.0.0.2", (req, ex) -> ex.respond(200, "text/plain", "secret".getBytes())));
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
  private void evilOrigin(ScriptedServer.Request req, ScriptedServer.Exchange ex)
      throws IOException, InterruptedException {
    String path = req.path();
    String id = path.substring(path.lastIndexOf('/') + 1);
    if (path.startsWith("/_matrix/federation/v1/media/download/")) {
      if (id.startsWith("loc")) {
        ex.respond(
            200,
            "multipart/mixed; boundary=b0undary",
            multipart("Location: " + internal.url() + "/secret", ""));
      } else if (id.startsWith("chain")) {
        ex.respond(
            404,
            "application/json",
            "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"no\"}".getBytes());
      } else if (id.startsWith("stall")) {
        stallArrived.accept(id);
        ex.write(
            "HTTP/1.1 200 OK\r\nContent-Type: multipart/mixed; boundary=b0undary\r\nConnection: close\r\n\r\n");
        ex.stall();
      } else if (id.startsWith("slow")) {
        Thread.sleep(1200);
        ex.respond(
            200,
            "multipart/mixed; boundary=b0undary",
            multipart("Content-Type: text/plain", "bytes of " + id));
      } else {
        ex.respond(
            200,
            "multipart/mixed; boundary=b0undary",
            multipart("Content-Type: text/plain", "bytes of " + id));
      }
    } else if (path.startsWith("/_matrix/media/v3/download/evil.test/chain")) {
      ex.respond(302, null, new byte[0], "Location: " + evil.url() + "/hop1");
    } else if (path.equals("/hop1")) {
      ex.respond(302, null, new byte[0], "Location: " + internal.url() + "/secret");
    } else {
      ex.respond(
          404, "application/json", "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"no\"}".getBytes());
    }
  }

  private static byte[] multipart(String mediaHeader, String body) {
    return ("--b0undary\r\nContent-Type: application/json\r\n\r\n{}\r\n--b0undary\r\n"
            + mediaHeader
            + "\r\n\r\n"
            + body
            + "\r\n--b0undary--\r\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The example server with short deadlines (from its config file), a token, and the evil origin as
   * a peer.
   */
  private MediaServer startServer(String... extra) throws IOException {
    Path config =
        Files.writeString(
            dir.resolve("deadlines-" + servers + ".yaml"),
            String.join(
                "\n",
                "remoteDeadlineMs: 3000",
                "remoteIdleTimeoutMs: 1500",
                "keyFetchTimeoutMs: 1500",
                "clientIdleTimeoutMs: 1000",
                ""));
    List<String> args =
        new ArrayList<>(
            List.of(
                "--config",
                config.toString(),
                "--port",
                "0",
                "--server-name",
                SERVER,
                "--data-dir",
                dir.resolve("data-" + servers++).toString(),
                "--token",
                "secret=@alice:" + SERVER,
                "--peer",
                "evil.test=" + evil.url()));
    args.addAll(List.of(extra));
    return closing(MediaServer.start(ServerSettings.parse(args.toArray(String[]::new))));
  }

  private HttpResponse<String> get(MediaServer server, String path, String... headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).timeout(Duration.ofSeconds(20));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ---- SSRF through the media path

  @Test
  void aLocationPointingAtAnInternalAddressIs502AndNothingConnectsToIt() throws Exception {
    MediaServer server = startServer();
    HttpResponse<String> r =
        get(server, "/_matrix/client/v1/media/download/evil.test/loc1", "Authorization", TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(evil.requestsTo("/_matrix/federation/v1/media/download/loc1")).isEqualTo(1);
    assertThat(internal.accepted()).isZero();
  }

  @Test
  void aRedirectChainEndingAtAnInternalAddressIsFollowedOnlyUntilThere() throws Exception {
    // the evil origin's own address is whitelisted so the chain's first hops are followed
    MediaServer server = startServer("--ip-range-whitelist", "127.0.0.1/32");
    HttpResponse<String> r =
        get(server, "/_matrix/client/v1/media/download/evil.test/chain1", "Authorization", TOKEN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(evil.requestsTo("/hop1")).as("the chain was followed to its last hop").isEqualTo(1);
    assertThat(internal.accepted()).isZero();
  }

  @Test
  void unauthenticatedLegacyRequestsForNewRemoteMediaAre404WithoutAskingTheOrigin()
      throws Exception {
    MediaServer server = startServer();
    Path data = dir.resolve("data-0");
    Set<Path> before = files(data);
    for (String path :
        List.of(
            "/_matrix/media/v3/download/evil.test/fresh1",
            "/_matrix/media/r0/download/evil.test/fresh2",
            "/_matrix/media/v1/download/evil.test/fresh3",
            "/_matrix/media/v3/thumbnail/evil.test/fresh4?width=32&height=32")) {
      HttpResponse<String> r = get(server, path);
      assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(404);
    }
    assertThat(evil.requests()).isEmpty();
    assertThat(files(data)).isEqualTo(before);
  }

  private static Set<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("media.db"))
          .collect(Collectors.toSet());
    }
  }

  // ---- deadlines and backoff

  @Test
  void aRemoteThatStallsAfterItsHeadersIs502WithinTheDeadline() throws Exception {
    MediaServer server = startServer();
    long start = System.nanoTime();
    HttpResponse<String> r =
        get(server, "/_matrix/client/v1/media/download/evil.test/stall1", "Authorization", TOKEN);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
    assertThat(millis).as("answered within the 3 s deadline").isLessThan(4500);
  }

  @Test
  void aHundredStalledDownloadsLeaveTheServerAnswering() throws Exception {
    MediaServer server = startServer();
    // every download is either stalled at the origin or already answered (429 past the caps)
    Set<String> accountedFor = ConcurrentHashMap.newKeySet();
    CountDownLatch allInPlace = new CountDownLatch(100);
    stallArrived =
        id -> {
          if (accountedFor.add(id)) {
            allInPlace.countDown();
          }
        };
    List<CompletableFuture<HttpResponse<String>>> stalled = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String id = "stall" + i;
      CompletableFuture<HttpResponse<String>> download =
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create(
                          server.baseUrl() + "/_matrix/client/v1/media/download/evil.test/" + id))
                  .header("Authorization", TOKEN)
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      download.whenComplete((r, e) -> stallArrived.accept(id));
      stalled.add(download);
    }
    assertThat(allInPlace.await(15, TimeUnit.SECONDS))
        .as("all 100 downloads stalled at the origin or answered")
        .isTrue();
    long start = System.nanoTime();
    HttpResponse<String> versions =
        client.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/client/versions"))
                .timeout(Duration.ofSeconds(1))
                .build(),
            HttpResponse.BodyHandlers.ofString());
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
    HttpResponse<String> slow =
        get(
            server,
            "/_matrix/client/v1/media/download/evil.test/slowA?timeout_ms=0",
            "Authorization",
            TOKEN);
    assertThat(slow.statusCode()).as(slow.body()).isEqualTo(200);
    long start = System.nanoTime();
    HttpResponse<String> next =
        get(server, "/_matrix/client/v1/media/download/evil.test/okB", "Authorization", TOKEN);
    assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
    assertThat(next.body()).isEqualTo("bytes of okB");
    assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1000);
  }

  // ---- signature verification: no scanner, no memory sink, no hang

  private static String xMatrix(String origin, String destination, String keyId, String sig) {
    return "X-Matrix origin=\""
        + origin
        + "\",destination=\""
        + destination
        + "\",key=\""
        + keyId
        + "\",sig=\""
        + sig
        + "\"";
  }

  private static final String ANY_SIG = "A".repeat(86);
  private static final String FED_PATH = "/_matrix/federation/v1/media/download/abc";

  @Test
  void anXMatrixOriginOnLoopbackIsNeverConnectedTo() throws Exception {
    ScriptedServer probe = closing(ScriptedServer.start((req, ex) -> {}));
    MediaServer server = startServer();
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> r =
          get(
              server,
              FED_PATH,
              "Authorization",
              xMatrix("127.0.0.1:" + probe.port(), SERVER, "ed25519:k", ANY_SIG));
      assertThat(r.statusCode()).isEqualTo(401);
    }
    assertThat(probe.accepted()).isZero();
    assertThat(server.federationCacheSizes().failedKeyFetches()).isEqualTo(1);
  }

  @Test
  void malformedHeadersNeverFetchAndAFailedFetchIsRemembered() throws Exception {
    ScriptedServer probe = closing(ScriptedServer.start((req, ex) -> {}));
    MediaServer server = startServer("--ip-range-whitelist", "127.0.0.1/32");
    String origin = "127.0.0.1:" + probe.port();
    for (String header :
        List.of(
            xMatrix(origin, SERVER, "ed25519:k", "short"),
            xMatrix(origin, SERVER, "ed25519:k", "!".repeat(86)),
            xMatrix(origin, SERVER, "rsa:k", ANY_SIG),
            xMatrix(origin, SERVER, "ed25519:k/../x", ANY_SIG),
            xMatrix(origin, "elsewhere.test", "ed25519:k", ANY_SIG),
            xMatrix("bad..origin", SERVER, "ed25519:k", ANY_SIG))) {
      assertThat(get(server, FED_PATH, "Authorization", header).statusCode())
          .as(header)
          .isEqualTo(401);
    }
    assertThat(probe.accepted()).as("nothing fetched for a malformed header").isZero();
    for (int i = 0; i < 3; i++) {
      assertThat(
              get(server, FED_PATH, "Authorization", xMatrix(origin, SERVER, "ed25519:k", ANY_SIG))
                  .statusCode())
          .isEqualTo(401);
    }
    assertThat(probe.accepted()).as("one attempt, then the failure is remembered").isEqualTo(1);
  }

  /**
   * A key server on loopback that streams {@code size} bytes lazily, chunked or with a declared
   * length.
   */
  private ScriptedServer hugeKeyServer(long size, boolean declared) throws IOException {
    return closing(
        ScriptedServer.start(
            (req, ex) -> {
              ex.write(
                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                      + (declared ? "Content-Length: " + size : "Transfer-Encoding: chunked")
                      + "\r\n\r\n");
              byte[] spaces = new byte[64 * 1024];
              Arrays.fill(spaces, (byte) ' ');
              byte[] chunkHead =
                  (Integer.toHexString(spaces.length) + "\r\n").getBytes(StandardCharsets.US_ASCII);
              for (long sent = 0; sent < size; sent += spaces.length) {
                if (!declared) {
                  ex.write(chunkHead);
                }
                ex.write(spaces);
                if (!declared) {
                  ex.write("\r\n");
                }
              }
            }));
  }

  @Test
  void aKeyServerAnswering400MegabytesIsRefusedWithoutReadingIt() throws Exception {
    long size = 400L * 1024 * 1024;
    ScriptedServer chunked = hugeKeyServer(size, false);
    ScriptedServer declared = hugeKeyServer(size, true);
    MediaServer server =
        startServer(
            "--peer", "chunked.test=" + chunked.url(), "--peer", "declared.test=" + declared.url());
    for (ScriptedServer keyServer : List.of(chunked, declared)) {
      String origin = keyServer == chunked ? "chunked.test" : "declared.test";
      long start = System.nanoTime();
      HttpResponse<String> r =
          get(server, FED_PATH, "Authorization", xMatrix(origin, SERVER, "ed25519:k", ANY_SIG));
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat((System.nanoTime() - start) / 1_000_000).as(origin).isLessThan(3000);
      keyServer.awaitEnded(
          1, Duration.ofSeconds(10)); // its write failed: the connection was closed, not drained
      assertThat(keyServer.written())
          .as(origin + " sent far less than 400 MB")
          .isLessThan(16L * 1024 * 1024);
    }
  }

  @Test
  void aKeyServerThatStallsAfterItsHeadersIs401WithinTheDeadline() throws Exception {
    ScriptedServer stalling =
        closing(
            ScriptedServer.start(
                (req, ex) -> {
                  ex.write(
                      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"server_name\":");
                  ex.stall();
                }));
    MediaServer server = startServer("--peer", "stalling.test=" + stalling.url());
    long start = System.nanoTime();
    HttpResponse<String> r =
        get(
            server,
            FED_PATH,
            "Authorization",
            xMatrix("stalling.test", SERVER, "ed25519:k", ANY_SIG));
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat((System.nanoTime() - start) / 1_000_000)
        .as("within the 1.5 s key-fetch deadline")
        .isLessThan(3500);
  }

  /**
   * An origin's Ed25519 key, its signed key response, and its signed requests (independent of the
   * server's code).
   */
  private static final class Origin {
    final String name;
    final KeyPair pair;

    Origin(String name) throws Exception {
      this.name = name;
      this.pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    String sign(Object json) throws Exception {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(pair.getPrivate());
      s.update(CANONICAL.writeValueAsBytes(json));
      return B64.encodeToString(s.sign());
    }

    byte[] keyResponse(Instant validUntil) throws Exception {
      return keyResponse(name, validUntil);
    }

    /** A key response for {@code serverName} with this origin's key. */
    byte[] keyResponse(String serverName, Instant validUntil) throws Exception {
      byte[] encoded = pair.getPublic().getEncoded();
      Map<String, Object> json = new TreeMap<>();
      json.put("server_name", serverName);
      if (validUntil != null) {
        json.put("valid_until_ts", validUntil.toEpochMilli());
      }
      json.put(
          "verify_keys",
          Map.of(
              "ed25519:k",
              Map.of(
                  "key",
                  B64.encodeToString(
                      Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length)))));
      json.put("old_verify_keys", Map.of());
      json.put("signatures", Map.of(serverName, Map.of("ed25519:k", sign(json))));
      return CANONICAL.writeValueAsBytes(json);
    }

    String authorization(String method, String uri) throws Exception {
      Map<String, Object> json =
          new TreeMap<>(
              Map.of("method", method, "uri", uri, "origin", name, "destination", SERVER));
      return xMatrix(name, SERVER, "ed25519:k", sign(json));
    }
  }

  @Test
  void keysMustBeSelfSignedAndValidNow() throws Exception {
    Origin good = new Origin("good.test");
    Origin expired = new Origin("expired.test");
    Origin undated = new Origin("undated.test");
    Map<String, byte[]> responses =
        Map.of(
            "good.test", good.keyResponse(Instant.now().plus(Duration.ofDays(1))),
            "expired.test", expired.keyResponse(Instant.now().minus(Duration.ofMinutes(1))),
            "undated.test", undated.keyResponse(null));
    AtomicReference<String> asked = new AtomicReference<>();
    ScriptedServer keys =
        closing(
            ScriptedServer.start(
                (req, ex) -> ex.respond(200, "application/json", responses.get(asked.get()))));
    MediaServer server =
        startServer(
            "--peer",
            "good.test=" + keys.url(),
            "--peer",
            "expired.test=" + keys.url(),
            "--peer",
            "undated.test=" + keys.url());
    for (Origin o : List.of(good, expired, undated)) {
      asked.set(o.name);
      HttpResponse<String> r =
          get(server, FED_PATH, "Authorization", o.authorization("GET", FED_PATH));
      // a valid signature gets past authentication to the (unknown) media: 404
      assertThat(r.statusCode()).as(o.name + " " + r.body()).isEqualTo(o == good ? 404 : 401);
    }
  }

  // ---- every map keyed by outside input is bounded

  @Test
  void twoThousandInventedServerNamesLeaveEveryMapAtItsBound() throws Exception {
    ScriptedServer probe = closing(ScriptedServer.start((req, ex) -> {}));
    MediaServer server = startServer();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        // IP literals with ports: invented names that need no DNS, on addresses a scan would probe
        String origin =
            (i % 2 == 0 ? "127.0.0.1:" : "127.0.0.2:") + (i == 0 ? probe.port() : 20000 + i);
        String media = (i % 2 == 0 ? "127.0.0.2:" : "127.0.0.1:") + (30000 + i);
        answers.add(
            pool.submit(
                () ->
                    get(
                            server,
                            FED_PATH,
                            "Authorization",
                            xMatrix(origin, SERVER, "ed25519:k", ANY_SIG))
                        .statusCode()));
        answers.add(
            pool.submit(
                () ->
                    get(
                            server,
                            "/_matrix/client/v1/media/download/" + media + "/abc",
                            "Authorization",
                            TOKEN)
                        .statusCode()));
      }
      for (int i = 0; i < answers.size(); i++) {
        assertThat(answers.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(i % 2 == 0 ? 401 : 502);
      }
    } finally {
      pool.shutdownNow();
    }
    var sizes = server.federationCacheSizes();
    assertThat(sizes.discovery()).isLessThanOrEqualTo(1000);
    assertThat(sizes.keys()).isLessThanOrEqualTo(1000);
    assertThat(sizes.failedKeyFetches()).isLessThanOrEqualTo(1000);
    // the repository's own backoff map is held to its bound too (HostileRemoteTest shows the
    // eviction)
    assertThat(probe.accepted()).isZero();
  }

  @Test
  void theKeysOfManyOriginsStayWithinTheCacheBound() throws Exception {
    // each origin is a peer at its own loopback address, so one key server can tell them apart by
    // Host;
    // the keys are fetched and verified before the request's signature is checked, so that may be
    // any
    int origins = 1100;
    Map<String, byte[]> responses = new ConcurrentHashMap<>();
    ScriptedServer keys =
        closing(
            ScriptedServer.start(
                "0.0.0.0",
                (req, ex) ->
                    ex.respond(
                        200,
                        "application/json",
                        responses.get(req.header("Host").replaceAll(":.*", "")))));
    Origin signer = new Origin("unused.test");
    StringBuilder yaml = new StringBuilder("peers:\n");
    for (int i = 0; i < origins; i++) {
      String address = "127.0." + (1 + i / 250) + "." + (1 + i % 250);
      responses.put(
          address, signer.keyResponse("o" + i + ".test", Instant.now().plus(Duration.ofDays(1))));
      yaml.append("  o")
          .append(i)
          .append(".test: http://")
          .append(address)
          .append(':')
          .append(keys.port())
          .append('\n');
    }
    Path peers = Files.writeString(dir.resolve("peers.yaml"), yaml.toString());
    ServerSettings settings =
        ServerSettings.parse(
            new String[] {
              "--config",
              peers.toString(),
              "--port",
              "0",
              "--server-name",
              SERVER,
              "--data-dir",
              dir.resolve("many").toString(),
              "--token",
              "secret=@alice:" + SERVER
            });
    MediaServer server = closing(MediaServer.start(settings));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < origins; i++) {
        String auth = xMatrix("o" + i + ".test", SERVER, "ed25519:k", ANY_SIG);
        answers.add(pool.submit(() -> get(server, FED_PATH, "Authorization", auth)));
      }
      for (Future<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.get(30, TimeUnit.SECONDS);
        assertThat(r.body())
            .as("the origin's keys were fetched and verified")
            .contains("Invalid X-Matrix signature");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.federationCacheSizes().keys()).isLessThanOrEqualTo(1000);
  }

  // ---- clients that stop: no request thread is held forever

  @Test
  void aClientThatStallsItsUploadIsCutOff() throws Exception {
    MediaServer server = startServer();
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(8000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nAuthorization: "
                  + TOKEN
                  + "\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n0123456789")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long start = System.nanoTime();
      InputStream in = s.getInputStream();
      try {
        while (in.read() >= 0) {
          // whatever the server says before closing
        }
      } catch (SocketException reset) {
        // closed under us: also cut off
      }
      assertThat((System.nanoTime() - start) / 1_000_000)
          .as("cut off after the 1 s idle timeout")
          .isLessThan(5000);
    }
    awaitNoActiveExchanges(server);
  }

  @Test
  void aClientThatStopsReadingADownloadIsCutOff() throws Exception {
    MediaServer server = startServer();
    byte[] big = new byte[24 * 1024 * 1024];
    HttpResponse<String> up =
        client.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                .header("Authorization", TOKEN)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
    String id = up.body().replaceAll(".*mxc://[^/]+/([A-Za-z0-9_-]+).*", "$1");
    long received = 0;
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new InetSocketAddress("127.0.0.1", server.port()));
      s.setSoTimeout(8000);
      s.getOutputStream()
          .write(
              ("GET /_matrix/client/v1/media/download/"
                      + SERVER
                      + "/"
                      + id
                      + " HTTP/1.1\r\nHost: x\r\nAuthorization: "
                      + TOKEN
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      Thread.sleep(3000);
      InputStream in = s.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received += n;
        }
      } catch (SocketException reset) {
        // closed under us: also cut off
      }
    }
    assertThat(received).as("the response was cut off").isLessThan(big.length);
    awaitNoActiveExchanges(server);
  }

  private static void awaitNoActiveExchanges(MediaServer server) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (server.activeExchanges() > 0 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(server.activeExchanges()).as("the request thread was freed").isZero();
  }

  /**
   * The animated-GIF frame bomb (a 64x64 screen, then 20 frames declaring 40000x40000 with an 8-bit
   * palette, about 1.6 GB each if decoded) against the packaged server in a 128 MiB heap: the
   * animated thumbnail is a 400 and the server goes on answering.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void theGifFrameBombIsA400InA128MiBHeap() throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-XX:+ExitOnOutOfMemoryError",
                "-cp",
                classpath,
                MediaServer.class.getName(),
                "--port",
                "0",
                "--data-dir",
                dir.resolve("bomb").toString(),
                "--token",
                "bomb=@alice:localhost")
            .redirectErrorStream(true)
            .start();
    closeAfter.add(
        () -> {
          p.destroy();
          p.waitFor(20, TimeUnit.SECONDS);
        });
    String base = null;
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      Matcher m = Pattern.compile(" on (http://127\\.0\\.0\\.1:\\d+) ").matcher(line);
      if (m.find()) {
        base = m.group(1);
        break;
      }
    }
    assertThat(base).isNotNull();
    Thread drain =
        new Thread(
            () -> {
              try {
                out.transferTo(Writer.nullWriter());
              } catch (IOException e) {
                // the process ended
              }
            });
    drain.setDaemon(true);
    drain.start();

    HttpResponse<String> up =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/_matrix/media/v3/upload?filename=bomb.gif"))
                .header("Authorization", "Bearer bomb")
                .header("Content-Type", "image/gif")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gifFrameBomb()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
    String mxc = up.body().replaceAll(".*\"mxc://([^\"]+)\".*", "$1");
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> thumb =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          base
                              + "/_matrix/client/v1/media/thumbnail/"
                              + mxc
                              + "?width=96&height=96&method=scale&animated=true"))
                  .header("Authorization", "Bearer bomb")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(thumb.statusCode()).as(thumb.body()).isEqualTo(400);
      assertThat(thumb.body()).contains("\"errcode\":\"M_UNKNOWN\"");
    }
    HttpResponse<String> versions =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/_matrix/client/versions")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(versions.statusCode()).isEqualTo(200);
    assertThat(p.isAlive()).as("no OutOfMemoryError ended the server").isTrue();
  }

  /**
   * A 64x64 GIF whose 20 further frames each declare 40000x40000 pixels with an 8-bit palette and
   * carry almost no data.
   */
  private static byte[] gifFrameBomb() {
    ByteArrayOutputStream gif = new ByteArrayOutputStream();
    gif.writeBytes("GIF89a".getBytes(StandardCharsets.US_ASCII));
    gif.writeBytes(
        new byte[] {64, 0, 64, 0, (byte) 0xF7, 0, 0}); // screen 64x64, a 256-colour global table
    gif.writeBytes(new byte[256 * 3]);
    for (int frame = 0; frame <= 20; frame++) {
      int side = frame == 0 ? 64 : 40_000;
      gif.writeBytes(new byte[] {0x21, (byte) 0xF9, 4, 0, 10, 0, 0, 0}); // graphic control: 100 ms
      gif.writeBytes(
          new byte[] {
            0x2C, 0, 0, 0, 0, (byte) side, (byte) (side >> 8), (byte) side, (byte) (side >> 8), 0
          });
      gif.writeBytes(new byte[] {8, 3, 0x00, 0x03, 0x02, 0}); // LZW: clear, end of information
    }
    gif.write(0x3B);
    return gif.toByteArray();
  }
}
