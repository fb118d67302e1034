package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MxcUri;
import org.mxmedia.testkit.TestImages;

/**
 * Example servers with the same server name on one PostgreSQL database and one S3 bucket (an
 * embedded PostgreSQL and an in-process s3proxy) are one media server: media uploaded on one node
 * is served and thumbnailed by the other, a node whose data directory is wiped comes back serving
 * everything, a remote media asked on both nodes at once is fetched once, a node killed while
 * fetching holds the other up only until its claim lapses, and a deletion on one node racing an
 * upload of the same bytes on the other never loses them. Real HTTP throughout.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterTest {
  static final String SERVER = "cluster.test";
  static final String PREFIX = "media/";
  private static final AtomicInteger databases = new AtomicInteger();

  static EmbeddedPostgres pg;
  static LocalS3 s3;

  @TempDir Path dir;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  String jdbcUrl;
  String bucket;
  Origin origin;
  final List<MediaServer> servers = new ArrayList<>();

  @BeforeAll
  static void startBackends() throws Exception {
    pg = EmbeddedPostgres.builder().start();
    s3 = new LocalS3();
  }

  @AfterAll
  static void stopBackends() throws Exception {
    s3.close();
    pg.close();
  }

  @BeforeEach
  void newDatabaseAndBucket() throws Exception {
    String db = "cluster" + databases.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db);
    }
    jdbcUrl = pg.getJdbcUrl("postgres", db);
    bucket = s3.newBucket();
    origin = new Origin();
  }

  @AfterEach
  void stopServers() {
    servers.forEach(MediaServer::close);
    origin.close();
  }

  /** The options of one node: its own port and data directory, everything else shared. */
  private List<String> nodeArgs(Path dataDir) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port",
                "0",
                "--server-name",
                SERVER,
                "--data-dir",
                dataDir.toString(),
                "--jdbc-url",
                jdbcUrl,
                "--jdbc-user",
                "postgres",
                "--jdbc-password",
                "postgres",
                "--peer",
                "origin.test=http://127.0.0.1:" + origin.port()));
    args.addAll(s3.options(bucket, PREFIX));
    return args;
  }

  private MediaServer node(Path dataDir) throws Exception {
    MediaServer server =
        MediaServer.start(ServerSettings.parse(nodeArgs(dataDir).toArray(String[]::new)));
    servers.add(server);
    return server;
  }

  private static String token(MediaServer node) {
    return node.tokens().keySet().iterator().next();
  }

  private HttpResponse<byte[]> get(MediaServer node, String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(node.baseUrl() + path))
            .timeout(Duration.ofSeconds(120))
            .header("Authorization", "Bearer " + token(node))
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private String upload(MediaServer node, byte[] body, String type) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(
                    URI.create(node.baseUrl() + "/_matrix/media/v3/upload?filename=f"))
                .header("Authorization", "Bearer " + token(node))
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Matcher m =
        Pattern.compile("\"content_uri\":\"mxc://" + Pattern.quote(SERVER) + "/([A-Za-z0-9_-]+)\"")
            .matcher(r.body());
    assertThat(m.find()).as(r.body()).isTrue();
    return m.group(1);
  }

  /** The {@code verify_keys} a node publishes (the response's expiry is its own). */
  private String publishedKey(MediaServer node) throws Exception {
    String body = new String(get(node, "/_matrix/key/v2/server").body(), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("\"verify_keys\":(\\{[^}]*\\}\\})").matcher(body);
    assertThat(m.find()).as(body).isTrue();
    return m.group(1);
  }

  private static String objectKey(byte[] bytes) throws Exception {
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    return PREFIX + hex.substring(0, 2) + "/" + hex.substring(2, 4) + "/" + hex;
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static List<Path> filesUnder(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void mediaUploadedOnAIsServedAndThumbnailedByBAndByAWipedAndRestartedA() throws Exception {
    Path dirA = dir.resolve("a");
    MediaServer a = node(dirA);
    MediaServer b = node(dir.resolve("b"));
    assertThat(b.tokens()).as("the generated token is the cluster's").isEqualTo(a.tokens());
    assertThat(b.federationKeyId())
        .as("both nodes sign as one server")
        .isEqualTo(a.federationKeyId());
    String keysOfA = publishedKey(a);

    byte[] png = TestImages.encode(TestImages.noisy(640, 480, 3), "png");
    String id = upload(a, png, "image/png");
    assertThat(s3.keys(bucket)).contains(objectKey(png));

    HttpResponse<byte[]> download =
        get(b, "/_matrix/client/v1/media/download/" + SERVER + "/" + id);
    assertThat(download.statusCode()).isEqualTo(200);
    assertThat(download.body()).isEqualTo(png);
    HttpResponse<byte[]> thumb =
        get(
            b,
            "/_matrix/client/v1/media/thumbnail/"
                + SERVER
                + "/"
                + id
                + "?width=96&height=96&method=crop");
    assertThat(thumb.statusCode())
        .as(new String(thumb.body(), StandardCharsets.UTF_8))
        .isEqualTo(200);
    assertThat(ImageIO.read(new ByteArrayInputStream(thumb.body())).getWidth()).isEqualTo(96);

    // nothing of A's disk is needed: wipe it and start A again, empty
    a.close();
    servers.remove(a);
    try (Stream<Path> all = Files.walk(dirA)) {
      all.sorted((x, y) -> y.getNameCount() - x.getNameCount()).forEach(p -> p.toFile().delete());
    }
    assertThat(dirA).doesNotExist();
    MediaServer again = node(dirA);
    assertThat(again.tokens()).isEqualTo(b.tokens());
    assertThat(again.federationKeyId()).isEqualTo(b.federationKeyId());
    assertThat(publishedKey(again))
        .as("the same published key")
        .isEqualTo(keysOfA)
        .isEqualTo(publishedKey(b));
    HttpResponse<byte[]> afterWipe =
        get(again, "/_matrix/client/v1/media/download/" + SERVER + "/" + id);
    assertThat(afterWipe.statusCode()).isEqualTo(200);
    assertThat(afterWipe.body()).isEqualTo(png);
    HttpResponse<byte[]> thumbAfterWipe =
        get(
            again,
            "/_matrix/client/v1/media/thumbnail/"
                + SERVER
                + "/"
                + id
                + "?width=96&height=96&method=crop");
    assertThat(thumbAfterWipe.statusCode()).isEqualTo(200);
    assertThat(thumbAfterWipe.body())
        .as("the thumbnail B made, from the bucket")
        .isEqualTo(thumb.body());
    // an upload on the restarted A is on B at once
    String second = upload(again, "after the wipe".getBytes(StandardCharsets.UTF_8), "text/plain");
    assertThat(
            new String(
                get(b, "/_matrix/client/v1/media/download/" + SERVER + "/" + second).body(),
                StandardCharsets.UTF_8))
        .isEqualTo("after the wipe");
    assertThat(filesUnder(dirA.resolve("media"))).as("no blob on A's disk").isEmpty();
    assertThat(filesUnder(dirA.resolve("s3-staging"))).as("no staging file left").isEmpty();
  }

  @Test
  void twentyRequestsOnEachNodeForOneSlowRemoteMediaMakeOneFetchAndAllGetTheBytes()
      throws Exception {
    MediaServer a = node(dir.resolve("a"));
    MediaServer b = node(dir.resolve("b"));
    byte[] bytes = random(300_000, 1);
    CountDownLatch allAsked = new CountDownLatch(40);
    origin.answer =
        (exchange, n) -> {
          allAsked.await(30, TimeUnit.SECONDS); // answer once every request is on its way
          Origin.multipart(exchange, bytes);
        };
    ExecutorService pool = Executors.newFixedThreadPool(40);
    try {
      List<Future<HttpResponse<byte[]>>> answers = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        MediaServer node = i % 2 == 0 ? a : b;
        answers.add(
            pool.submit(
                () -> {
                  allAsked.countDown();
                  return get(node, "/_matrix/client/v1/media/download/origin.test/slowMedia");
                }));
      }
      for (Future<HttpResponse<byte[]>> answer : answers) {
        HttpResponse<byte[]> r = answer.get(120, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        assertThat(r.body()).isEqualTo(bytes);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(origin.requests.get())
        .as("fetches at the origin for 40 requests on 2 nodes")
        .isEqualTo(1);
    System.out.println(
        "cluster fetch count: 40 concurrent requests (20 per node, 2 nodes) -> "
            + origin.requests.get()
            + " fetch at the origin");
  }

  @Test
  void aNodeKilledWhileFetchingHoldsTheOtherUpOnlyUntilItsClaimLapses() throws Exception {
    MediaServer b = node(dir.resolve("b"));
    byte[] bytes = random(50_000, 2);
    CountDownLatch firstFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong firstFetchAt = new AtomicLong();
    AtomicLong secondFetchAt = new AtomicLong();
    origin.answer =
        (exchange, n) -> {
          if (n == 1) {
            firstFetchAt.set(System.nanoTime());
            firstFetch.countDown();
            release.await(200, TimeUnit.SECONDS); // the fetching node dies meanwhile
            exchange.close();
            return;
          }
          secondFetchAt.compareAndSet(0, System.nanoTime());
          Origin.multipart(exchange, bytes);
        };
    Process child = startChild(dir.resolve("child"));
    try {
      String childUrl = childBaseUrl(child);
      CompletableFuture<HttpResponse<byte[]>> onChild =
          client.sendAsync(
              HttpRequest.newBuilder(
                      URI.create(childUrl + "/_matrix/client/v1/media/download/origin.test/killed"))
                  .header("Authorization", "Bearer " + token(b))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(firstFetch.await(60, TimeUnit.SECONDS)).as("the child node fetches").isTrue();
      child.destroyForcibly(); // SIGKILL: no finally block runs, the claim stays in the database
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(onChild).failsWithin(Duration.ofSeconds(30));

      HttpResponse<byte[]> onB = get(b, "/_matrix/client/v1/media/download/origin.test/killed");
      long answeredAt = System.nanoTime();
      assertThat(onB.statusCode())
          .as(new String(onB.body(), StandardCharsets.UTF_8))
          .isEqualTo(200);
      assertThat(onB.body()).isEqualTo(bytes);
      assertThat(origin.requests.get()).as("the dead node's fetch and B's").isEqualTo(2);
      Duration waited = Duration.ofNanos(secondFetchAt.get() - firstFetchAt.get());
      // the claim lasts 30 s from when it was taken (just before the first fetch) and was never
      // renewed
      assertThat(waited).as("B waits for the claim to lapse").isGreaterThan(Duration.ofSeconds(28));
      assertThat(Duration.ofNanos(answeredAt - firstFetchAt.get()))
          .as("and no longer")
          .isLessThan(Duration.ofSeconds(45));
      System.out.println(
          "killed node's claim: B fetched "
              + waited.toMillis()
              + " ms after the dead node's fetch began");
    } finally {
      release.countDown();
      child.destroyForcibly();
    }
  }

  /** An example server in a child JVM, on this test's database and bucket. */
  private Process startChild(Path dataDir) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-Djava.awt.headless=true",
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                MediaServer.class.getName()));
    command.addAll(nodeArgs(dataDir));
    return new ProcessBuilder(command).redirectError(dir.resolve("child.log").toFile()).start();
  }

  /** Reads the child's banner, which it prints once it serves. */
  private static String childBaseUrl(Process child) throws Exception {
    CompletableFuture<String> url =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                BufferedReader out =
                    new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                Pattern banner =
                    Pattern.compile("mxmedia example server for \\S+ on (http://\\S+) ");
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  Matcher m = banner.matcher(line);
                  if (m.find()) {
                    return m.group(1);
                  }
                }
                throw new IllegalStateException("the child server exited before it served");
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
            });
    return url.get(90, TimeUnit.SECONDS);
  }

  @Test
  void aDeletionOnARacingAnUploadOfTheSameBytesOnBNeverLosesThem() throws Exception {
    MediaServer a = node(dir.resolve("a"));
    MediaServer b = node(dir.resolve("b"));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 15; round++) {
        byte[] bytes = random(20_000 + round, 100 + round);
        String first = upload(a, bytes, "application/octet-stream");
        CyclicBarrier go = new CyclicBarrier(2);
        Future<?> deletion =
            pool.submit(
                () -> {
                  go.await(10, TimeUnit.SECONDS);
                  a.repository().admin().delete(MxcUri.of(SERVER, first));
                  return null;
                });
        Future<String> reupload =
            pool.submit(
                () -> {
                  go.await(10, TimeUnit.SECONDS);
                  return upload(b, bytes, "application/octet-stream");
                });
        deletion.get(60, TimeUnit.SECONDS);
        String second = reupload.get(60, TimeUnit.SECONDS);
        for (MediaServer node : List.of(a, b)) {
          assertThat(
                  get(node, "/_matrix/client/v1/media/download/" + SERVER + "/" + first)
                      .statusCode())
              .isEqualTo(404);
          HttpResponse<byte[]> kept =
              get(node, "/_matrix/client/v1/media/download/" + SERVER + "/" + second);
          assertThat(kept.statusCode())
              .as("round %d: the new upload is served", round)
              .isEqualTo(200);
          assertThat(kept.body()).isEqualTo(bytes);
        }
        assertThat(s3.keys(bucket))
            .as("round %d: the bytes are in the bucket", round)
            .contains(objectKey(bytes));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A federation origin ({@code origin.test}, reached by {@code --peer}) that counts its media
   * requests.
   */
  static final class Origin implements AutoCloseable {
    interface Answer {
      void answer(HttpExchange exchange, int n) throws Exception;
    }

    final AtomicInteger requests = new AtomicInteger();
    volatile Answer answer =
        (exchange, n) -> {
          exchange.sendResponseHeaders(404, -1);
          exchange.close();
        };
    private final HttpServer http;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    Origin() throws IOException {
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
      http.setExecutor(executor);
      http.createContext(
          "/_matrix/federation/v1/media/download/",
          exchange -> {
            int n = requests.incrementAndGet();
            try {
              answer.answer(exchange, n);
            } catch (Exception e) {
              exchange.close();
            }
          });
      http.start();
    }

    int port() {
      return http.getAddress().getPort();
    }

    /** The federation answer: a JSON part, then the bytes. */
    static void multipart(HttpExchange exchange, byte[] media) throws IOException {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.writeBytes(
          ("--b0undary\r\nContent-Type: application/json\r\n\r\n{}\r\n--b0undary\r\n"
                  + "Content-Type: application/octet-stream\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      body.writeBytes(media);
      body.writeBytes("\r\n--b0undary--\r\n".getBytes(StandardCharsets.ISO_8859_1));
      exchange.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=b0undary");
      exchange.sendResponseHeaders(200, body.size());
      try (OutputStream out = exchange.getResponseBody()) {
        body.writeTo(out);
      }
    }

    @Override
    public void close() {
      http.stop(0);
      executor.shutdownNow();
    }
  }
}
