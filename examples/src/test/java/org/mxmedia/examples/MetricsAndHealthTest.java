package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.testkit.TestImages;

/**
 * Operating the example server: {@code --metrics-port} serves Prometheus text whose numbers match
 * the traffic sent, and {@code /health} answers 200 while the store and storage answer, 503 when
 * they do not.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsAndHealthTest {
  @TempDir Path dir;
  final HttpClient client = HttpClient.newHttpClient();

  /** One sample of the Prometheus text format: {@code name{labels} value}. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)(?: \\d+)?");
  private static final Pattern LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  /**
   * Parses the text exposition format 0.0.4: comments and blank lines skipped, every other line a
   * sample.
   */
  static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertThat(m.matches()).as("a sample line: " + line).isTrue();
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        int end = 0;
        while (l.find()) {
          assertThat(l.start()).as("labels of " + line).isEqualTo(end);
          labels.put(l.group(1), l.group(2));
          end = l.end();
        }
        assertThat(end).as("labels of " + line).isEqualTo(m.group(2).length());
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
    return samples;
  }

  /** The value of the one sample named {@code name} with (at least) {@code labels}. */
  static double value(List<Sample> samples, String name, String... labels) {
    List<Sample> found =
        samples.stream()
            .filter(s -> s.name().equals(name))
            .filter(
                s -> {
                  for (int i = 0; i < labels.length; i += 2) {
                    if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                      return false;
                    }
                  }
                  return true;
                })
            .toList();
    assertThat(found).as(name + " " + List.of(labels)).hasSize(1);
    return found.get(0).value();
  }

  private HttpResponse<byte[]> get(String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private String upload(MediaServer server, String token, String type, byte[] body)
      throws Exception {
    HttpResponse<String> up =
        client.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", type)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
    Matcher m = Pattern.compile("mxc://[^/]+/([A-Za-z0-9_-]+)").matcher(up.body());
    assertThat(m.find()).as(up.body()).isTrue();
    return m.group(1);
  }

  private List<Sample> scrape(MediaServer server) throws Exception {
    HttpResponse<String> metrics =
        client.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.metricsPort().getAsInt() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.headers().firstValue("Content-Type")).hasValue(MetricsEndpoint.CONTENT_TYPE);
    return parse(metrics.body());
  }

  @Test
  void metricsScrapedAndParsedAfterKnownTraffic() throws Exception {
    int pa = TwoServersTest.freePort();
    int pb = TwoServersTest.freePort();
    MediaServer origin =
        MediaServer.start(
            ServerSettings.parse(
                new String[] {
                  "--port",
                  Integer.toString(pa),
                  "--server-name",
                  "a.test",
                  "--data-dir",
                  dir.resolve("a").toString(),
                  "--token",
                  "ta=@alice:a.test",
                  "--peer",
                  "b.test=http://127.0.0.1:" + pb
                }));
    MediaServer server = null;
    try {
      server =
          MediaServer.start(
              ServerSettings.parse(
                  new String[] {
                    "--port",
                    Integer.toString(pb),
                    "--server-name",
                    "b.test",
                    "--data-dir",
                    dir.resolve("b").toString(),
                    "--token",
                    "tb=@bob:b.test",
                    "--peer",
                    "a.test=http://127.0.0.1:" + pa,
                    "--metrics-port",
                    "0"
                  }));
      assertThat(origin.metricsPort()).isEmpty();
      String b = server.baseUrl() + "/_matrix/client/v1/media";

      byte[] png = TestImages.png(400, 300);
      byte[] text = "metrics, known traffic\n".getBytes(StandardCharsets.UTF_8);
      byte[] remotePng = TestImages.encode(TestImages.noisy(300, 200, 4), "png");
      String image = upload(server, "tb", "image/png", png);
      String note = upload(server, "tb", "text/plain", text);
      String remote = upload(origin, "ta", "image/png", remotePng);

      // one local download, one remote fetched, the same remote again from the cache
      assertThat(get(b + "/download/b.test/" + image, "tb").body()).isEqualTo(png);
      assertThat(get(b + "/download/a.test/" + remote, "tb").body()).isEqualTo(remotePng);
      assertThat(get(b + "/download/a.test/" + remote, "tb").body()).isEqualTo(remotePng);
      // thumbnails: a stored size for each image (each request waits for its pre-generation), and
      // a size larger than every configured one, which the source answers
      assertThat(
              get(b + "/thumbnail/b.test/" + image + "?width=96&height=96&method=crop", "tb")
                  .statusCode())
          .isEqualTo(200);
      assertThat(
              get(b + "/thumbnail/a.test/" + remote + "?width=96&height=96&method=crop", "tb")
                  .statusCode())
          .isEqualTo(200);
      HttpResponse<byte[]> big =
          get(b + "/thumbnail/b.test/" + image + "?width=1000&height=1000&method=scale", "tb");
      assertThat(big.body()).isEqualTo(png);
      // errors: unknown media, a thumbnail of text, remote media its origin does not have
      assertThat(get(b + "/download/b.test/doesNotExist", "tb").statusCode()).isEqualTo(404);
      assertThat(get(b + "/thumbnail/b.test/" + note + "?width=32&height=32", "tb").statusCode())
          .isEqualTo(400);
      assertThat(get(b + "/download/a.test/notOnTheOrigin", "tb").statusCode()).isEqualTo(404);
      // refused by the HTTP layer before the repository: not a repository error
      assertThat(get(b + "/download/b.test/" + image, null).statusCode()).isEqualTo(401);

      List<Sample> s = scrape(server);
      assertThat(value(s, "mxmedia_uploads_total", "kind", "upload", "outcome", "ok")).isEqualTo(2);
      assertThat(value(s, "mxmedia_upload_bytes_total", "kind", "upload"))
          .isEqualTo(png.length + text.length);
      assertThat(value(s, "mxmedia_upload_duration_seconds_count", "kind", "upload")).isEqualTo(2);
      assertThat(value(s, "mxmedia_downloads_total", "source", "local")).isEqualTo(1);
      assertThat(value(s, "mxmedia_download_bytes_total", "source", "local")).isEqualTo(png.length);
      assertThat(value(s, "mxmedia_downloads_total", "source", "remote_fetched")).isEqualTo(1);
      assertThat(value(s, "mxmedia_downloads_total", "source", "remote_cached")).isEqualTo(1);
      assertThat(value(s, "mxmedia_download_bytes_total", "source", "remote_cached"))
          .isEqualTo(remotePng.length);
      assertThat(value(s, "mxmedia_remote_fetches_seconds_count", "outcome", "ok")).isEqualTo(1);
      assertThat(value(s, "mxmedia_remote_fetches_seconds_count", "outcome", "M_NOT_FOUND"))
          .isEqualTo(1);
      assertThat(value(s, "mxmedia_remote_fetch_bytes_total")).isEqualTo(remotePng.length);
      assertThat(value(s, "mxmedia_thumbnails_served_total", "from", "thumbnail")).isEqualTo(2);
      assertThat(value(s, "mxmedia_thumbnails_served_total", "from", "source")).isEqualTo(1);
      assertThat(
              value(
                  s,
                  "mxmedia_thumbnail_decodes_seconds_count",
                  "sizes",
                  "configured",
                  "outcome",
                  "ok"))
          .isEqualTo(2);
      assertThat(
              value(
                  s,
                  "mxmedia_errors_total",
                  "operation",
                  "download",
                  "errcode",
                  "M_NOT_FOUND",
                  "status",
                  "404"))
          .isEqualTo(2);
      assertThat(
              value(
                  s,
                  "mxmedia_errors_total",
                  "operation",
                  "thumbnail",
                  "errcode",
                  "M_UNKNOWN",
                  "status",
                  "400"))
          .isEqualTo(1);
      assertThat(
              s.stream()
                  .filter(x -> x.name().equals("mxmedia_errors_total"))
                  .mapToDouble(Sample::value)
                  .sum())
          .isEqualTo(3);
      // two uploads and one remote copy recorded
      assertThat(
              value(
                  s,
                  "mxmedia_store_calls_seconds_count",
                  "method",
                  "insertLocalMedia",
                  "outcome",
                  "ok"))
          .isEqualTo(2);
      assertThat(
              value(
                  s,
                  "mxmedia_store_calls_seconds_count",
                  "method",
                  "insertRemoteMedia",
                  "outcome",
                  "ok"))
          .isEqualTo(1);
      assertThat(
              s.stream()
                  .filter(
                      x ->
                          x.name().equals("mxmedia_storage_calls_seconds_count")
                              && "commit".equals(x.labels().get("method")))
                  .mapToDouble(Sample::value)
                  .sum())
          .isGreaterThanOrEqualTo(3);
      assertThat(value(s, "mxmedia_background_queued", "work", "provider_copies")).isZero();
      assertThat(value(s, "mxmedia_background_queued", "work", "access_times")).isBetween(0.0, 2.0);
      assertThat(s).anyMatch(x -> x.name().equals("jvm_memory_used_bytes"));

      // the metrics listener serves only GET /metrics
      HttpResponse<String> post =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + server.metricsPort().getAsInt() + "/metrics"))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(
              get("http://127.0.0.1:" + server.metricsPort().getAsInt() + "/", null).statusCode())
          .isEqualTo(404);
      // and the main port does not serve them
      assertThat(get(server.baseUrl() + "/metrics", null).statusCode()).isEqualTo(404);
    } finally {
      if (server != null) {
        server.close();
      }
      origin.close();
    }
  }

  @Test
  void healthIs200WhileTheStoreAndStorageAnswerAnd503WhenTheStoreFails() throws Exception {
    MediaServer server =
        MediaServer.start(
            ServerSettings.parse(
                new String[] {
                  "--port", "0", "--data-dir", dir.toString(), "--token", "t=@u:localhost"
                }));
    try {
      HttpResponse<byte[]> ok = get(server.baseUrl() + "/health", null);
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(new String(ok.body(), StandardCharsets.UTF_8))
          .isEqualTo("{\"status\":\"ok\",\"store\":\"ok\",\"storage\":\"ok\"}");
      assertThat(get(server.baseUrl() + "/healthz", null).statusCode()).isEqualTo(404);

      server.metadataStore().close();
      HttpResponse<byte[]> down = get(server.baseUrl() + "/health", null);
      assertThat(down.statusCode()).isEqualTo(503);
      String body = new String(down.body(), StandardCharsets.UTF_8);
      assertThat(body)
          .isEqualTo("{\"status\":\"unavailable\",\"store\":\"failing\",\"storage\":\"ok\"}");
      assertThat(body).doesNotContain(dir.toString());
    } finally {
      server.close();
    }
  }

  @Test
  void aHungStoreIs503AfterTheTimeoutAndTheProbesStayBounded() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    MediaStore hung =
        (MediaStore)
            Proxy.newProxyInstance(
                MediaStore.class.getClassLoader(),
                new Class<?>[] {MediaStore.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("localMedia")) {
                    entered.countDown();
                    release.await(60, TimeUnit.SECONDS);
                    return Optional.<LocalMedia>empty();
                  }
                  return method.invoke(MediaStore.inMemory(), args);
                });
    try (HealthCheck health =
        new HealthCheck(hung, PrimaryStorage.inMemory(), Duration.ofMillis(200))) {
      HealthCheck.Status status = health.check();
      assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(status).isEqualTo(new HealthCheck.Status("timeout", "ok"));
      assertThat(status.healthy()).isFalse();
      // however many checks arrive while the store hangs, each answers within its timeout
      for (int i = 0; i < 20; i++) {
        assertThat(health.check().healthy()).isFalse();
      }
    } finally {
      release.countDown();
    }
    try (HealthCheck health =
        new HealthCheck(MediaStore.inMemory(), PrimaryStorage.inMemory(), Duration.ofSeconds(5))) {
      assertThat(health.check()).isEqualTo(new HealthCheck.Status("ok", "ok"));
    }
  }

  @Test
  void concurrentChecksOfAHealthySlowStoreShareOneProbeAndAllAnswer200() throws Exception {
    AtomicInteger probes = new AtomicInteger();
    CountDownLatch allAsking = new CountDownLatch(1);
    MediaStore slow =
        (MediaStore)
            Proxy.newProxyInstance(
                MediaStore.class.getClassLoader(),
                new Class<?>[] {MediaStore.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("localMedia")) {
                    probes.incrementAndGet();
                    allAsking.await(10, TimeUnit.SECONDS);
                    return Optional.<LocalMedia>empty();
                  }
                  return method.invoke(MediaStore.inMemory(), args);
                });
    try (HealthCheck health =
        new HealthCheck(slow, PrimaryStorage.inMemory(), Duration.ofSeconds(20))) {
      ExecutorService callers = Executors.newFixedThreadPool(20);
      try {
        List<Future<HealthCheck.Status>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          answers.add(callers.submit(health::check));
        }
        while (probes.get() == 0) {
          Thread.onSpinWait();
        }
        allAsking.countDown();
        for (Future<HealthCheck.Status> a : answers) {
          assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(new HealthCheck.Status("ok", "ok"));
        }
      } finally {
        callers.shutdownNow();
      }
      assertThat(probes.get()).as("one probe per flight, never one per caller").isLessThan(20);
    }
  }

  @Test
  void metricsSettingsAreValidatedAndReadFromTheConfigFile() throws Exception {
    assertThat(ServerSettings.parse(new String[] {}).metricsPort).isNull();
    ServerSettings cli =
        ServerSettings.parse(new String[] {"--metrics-port", "9092", "--metrics-bind", "0.0.0.0"});
    assertThat(cli.metricsPort).isEqualTo(9092);
    assertThat(cli.metricsBind).isEqualTo("0.0.0.0");
    assertThat(ServerSettings.parse(new String[] {"--metrics-port", "9092"}).metricsBind)
        .isEqualTo("127.0.0.1");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--metrics-port", "70000"}))
        .hasMessageContaining("metrics_port");
    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--port", "9000", "--metrics-port", "9000"}))
        .hasMessageContaining("metrics_port must differ");
    Path yaml = dir.resolve("server.yaml");
    Files.writeString(yaml, "metrics_port: 9093\nmetrics_bind: \"::1\"\n");
    ServerSettings file = ServerSettings.parse(new String[] {"--config", yaml.toString()});
    assertThat(file.metricsPort).isEqualTo(9093);
    assertThat(file.metricsBind).isEqualTo("::1");
    assertThat(
            ServerSettings.parse(
                    new String[] {"--config", yaml.toString(), "--metrics-port", "9094"})
                .metricsPort)
        .isEqualTo(9094);
  }
}
