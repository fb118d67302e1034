package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.UrlPreviews.UrlPattern;

/**
 * URL previews and identicons end to end: the example server with {@code --url-previews}, the real
 * {@code UrlPreviews} behind it, and a page server on loopback (let through by {@code
 * --url-preview-ip-range-whitelist}); each error code a client can see.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UrlPreviewServerTest {
  static final String TOKEN = "preview-token";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  HttpServer pages;
  String pageBase;
  final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  final HttpClient client = HttpClient.newHttpClient();
  MediaServer server;

  static byte[] png(int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    image.setRGB(0, 0, 0xFF8800);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  @BeforeEach
  void startPages() throws Exception {
    byte[] image = png(20, 10);
    byte[] big = new byte[4096];
    System.arraycopy(image, 0, big, 0, image.length);
    pages = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    pages.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
          switch (path) {
            case "/page" ->
                send(
                    exchange,
                    200,
                    "text/html; charset=utf-8",
                    ("<html><head><title>Fallback</title>"
                            + "<meta property=\"og:title\" content=\"A &amp; B\">"
                            + "<meta property=\"og:description\" content=\"Caf\u00e9 page\">"
                            + "<meta property=\"og:image\" content=\"/img.png\"></head><body><p>text</p></body></html>")
                        .getBytes(StandardCharsets.UTF_8));
            case "/img.png" -> send(exchange, 200, "image/png", image);
            case "/big.png" -> send(exchange, 200, "image/png", big);
            case "/to-private" -> {
              exchange.getResponseHeaders().set("Location", "http://10.1.2.3/secret");
              send(exchange, 302, "text/plain", new byte[0]);
            }
            default ->
                send(exchange, 404, "text/plain", "not here".getBytes(StandardCharsets.UTF_8));
          }
        });
    pages.start();
    pageBase = "http://127.0.0.1:" + pages.getAddress().getPort();
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private MediaServer start(String... extra) throws Exception {
    Path config = Files.writeString(dir.resolve("previews.yaml"), "max_spider_size: 2K\n");
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port",
                "0",
                "--data-dir",
                dir.resolve("data").toString(),
                "--server-name",
                "preview.test",
                "--token",
                TOKEN + "=@alice:preview.test",
                "--config",
                config.toString()));
    args.addAll(List.of(extra));
    server = MediaServer.start(ServerSettings.parse(args.toArray(String[]::new)));
    return server;
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    pages.stop(0);
  }

  private HttpResponse<String> preview(String path, String url) throws Exception {
    return client.send(
        HttpRequest.newBuilder(
                URI.create(
                    server.baseUrl()
                        + path
                        + "?url="
                        + URLEncoder.encode(url, StandardCharsets.UTF_8)))
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> preview(String url) throws Exception {
    return preview("/_matrix/client/v1/media/preview_url", url);
  }

  private static void assertError(HttpResponse<String> r, int status, String errcode)
      throws IOException {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(r.body()).path("errcode").asText()).isEqualTo(errcode);
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create(server.baseUrl() + path))
            .header("Authorization", "Bearer " + TOKEN)
            .build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void aPageIsPreviewedWithItsImageStoredAndTheSecondRequestFetchesNothing() throws Exception {
    start("--url-previews", "--url-preview-ip-range-whitelist", "127.0.0.1/32");
    HttpResponse<String> r = preview(pageBase + "/page");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode og = JSON.readTree(r.body());
    assertThat(og.get("og:title").asText()).isEqualTo("A & B");
    assertThat(og.get("og:description").asText()).isEqualTo("Caf\u00e9 page");
    assertThat(og.get("og:image:width").asInt()).isEqualTo(20);
    assertThat(og.get("og:image:height").asInt()).isEqualTo(10);
    assertThat(og.get("og:image:type").asText()).isEqualTo("image/png");
    String mxc = og.get("og:image").asText();
    assertThat(mxc).startsWith("mxc://preview.test/");
    HttpResponse<byte[]> image =
        get("/_matrix/client/v1/media/download/" + mxc.substring("mxc://".length()));
    assertThat(image.statusCode()).isEqualTo(200);
    assertThat(image.body()).isEqualTo(png(20, 10));
    assertThat(og.get("matrix:image:size").asLong()).isEqualTo(image.body().length);

    HttpResponse<String> legacy = preview("/_matrix/media/v3/preview_url", pageBase + "/page");
    assertThat(legacy.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(legacy.body())).isEqualTo(og);
    assertThat(hits.get("/page")).hasValue(1);
    assertThat(hits.get("/img.png")).hasValue(1);
  }

  @Test
  void eachErrorAClientCanSee() throws Exception {
    start(
        "--url-previews",
        "--url-preview-ip-range-whitelist",
        "127.0.0.1/32",
        "--url-preview-url-blacklist",
        "path=/blocked*");
    assertError(
        client.send(
            HttpRequest.newBuilder(
                    URI.create(
                        server.baseUrl()
                            + "/_matrix/client/v1/media/preview_url?url="
                            + URLEncoder.encode(pageBase + "/page", StandardCharsets.UTF_8)))
                .build(),
            HttpResponse.BodyHandlers.ofString()),
        401,
        "M_MISSING_TOKEN");
    assertError(preview("ftp://127.0.0.1/file"), 400, "M_INVALID_PARAM");
    assertError(preview(""), 400, "M_MISSING_PARAM");
    // a URL pattern, an address outside the whitelist, a redirect to a private address: 403,
    // nothing fetched
    assertError(preview(pageBase + "/blocked/page"), 403, "M_FORBIDDEN");
    assertError(preview("http://10.0.0.1/"), 403, "M_FORBIDDEN");
    assertError(
        preview("http://[::1]:" + pages.getAddress().getPort() + "/page"), 403, "M_FORBIDDEN");
    assertError(preview(pageBase + "/to-private"), 403, "M_FORBIDDEN");
    assertThat(hits).doesNotContainKey("/blocked/page");
    // a page that is not there, a port nothing listens on, an image over max_spider_size (2K): 502
    assertError(preview(pageBase + "/missing"), 502, "M_UNKNOWN");
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    assertError(preview("http://127.0.0.1:" + closed + "/"), 502, "M_UNKNOWN");
    assertError(preview(pageBase + "/big.png"), 502, "M_UNKNOWN");
  }

  @Test
  void withoutTheWhitelistLoopbackIsRefusedAndWithoutTheFlagPreviewsAreOff() throws Exception {
    start("--url-previews");
    assertError(preview(pageBase + "/page"), 403, "M_FORBIDDEN");
    assertThat(hits).isEmpty();
    server.close();
    server = null;
    start();
    assertError(preview(pageBase + "/page"), 404, "M_UNRECOGNIZED");
    assertThat(hits).isEmpty();
  }

  @Test
  void identiconsAreDeterministicSymmetricPngsOfTheAskedSize() throws Exception {
    start();
    HttpResponse<byte[]> alice = get("/_matrix/media/v3/identicon/%40alice%3Apreview.test");
    assertThat(alice.statusCode()).isEqualTo(200);
    assertThat(alice.headers().firstValue("Content-Type")).hasValue("image/png");
    assertThat(alice.headers().firstValue("ETag")).isPresent();
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(alice.body()));
    assertThat(image.getWidth()).isEqualTo(96);
    assertThat(image.getHeight()).isEqualTo(96);
    for (int y = 0; y < 96; y++) {
      for (int x = 0; x < 48; x++) {
        assertThat(image.getRGB(x, y)).isEqualTo(image.getRGB(95 - x, y));
      }
    }
    assertThat(get("/_matrix/media/r0/identicon/%40alice%3Apreview.test").body())
        .isEqualTo(alice.body());
    assertThat(get("/_matrix/media/v1/identicon/%40bob%3Apreview.test").body())
        .isNotEqualTo(alice.body());
    HttpResponse<byte[]> wide = get("/_matrix/media/v3/identicon/x?width=512&height=33");
    BufferedImage w = ImageIO.read(new ByteArrayInputStream(wide.body()));
    assertThat(w.getWidth()).isEqualTo(512);
    assertThat(w.getHeight()).isEqualTo(33);
    HttpResponse<byte[]> tooWide = get("/_matrix/media/v3/identicon/x?width=513");
    assertThat(tooWide.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(tooWide.body()).path("errcode").asText()).isEqualTo("M_INVALID_PARAM");
  }

  @Test
  void previewOptionsAndFileKeysAreReadAndBadValuesNamed() throws Exception {
    Path providers =
        Files.writeString(
            dir.resolve("providers.json"),
            "[{\"provider_name\": \"Example\", \"endpoints\": ["
                + "{\"url\": \"https://oembed.example.com/api\", \"schemes\": [\"https://video.example.com/*\"]}]}]");
    Path yaml =
        Files.writeString(
            dir.resolve("all.yaml"),
            String.join(
                "\n",
                "url_preview_enabled: true",
                "url_preview_ip_range_blacklist: [\"10.0.0.0/8\"]",
                "url_preview_ip_range_whitelist: [\"10.9.0.0/16\"]",
                "url_preview_url_blacklist:",
                "  - netloc: \"*.corp.example\"",
                "    scheme: http",
                "  - path: \"^/admin\"",
                "max_spider_size: 1M",
                "url_preview_accept_language: [\"en-GB\", \"en;q=0.5\"]",
                "oembed:",
                "  disable_default_providers: true",
                "  additional_providers: [providers.json]",
                ""));
    ServerSettings s = ServerSettings.parse(new String[] {"--config", yaml.toString()});
    ServerSettings.UrlPreviewSettings p = s.urlPreviews;
    assertThat(p.enabled).isTrue();
    assertThat(p.outboundPolicy().blacklist()).containsExactly("10.0.0.0/8");
    assertThat(p.outboundPolicy().whitelist()).containsExactly("10.9.0.0/16");
    assertThat(s.outboundPolicy().blacklist())
        .as("federation keeps its own list")
        .isEqualTo(OutboundPolicy.DEFAULT_BLACKLIST);
    assertThat(p.urlBlacklist)
        .containsExactly(
            Map.of("netloc", "*.corp.example", "scheme", "http"), Map.of("path", "^/admin"));
    assertThat(UrlPattern.of(p.urlBlacklist.get(0)).matches(URI.create("http://a.corp.example/")))
        .isTrue();
    assertThat(p.maxSpiderSize).isEqualTo(1024L * 1024);
    assertThat(p.acceptLanguage).containsExactly("en-GB", "en;q=0.5");
    assertThat(p.disableDefaultOEmbedProviders).isTrue();
    assertThat(p.oEmbedProviderFiles).containsExactly(providers);

    ServerSettings flags =
        ServerSettings.parse(
            new String[] {
              "--config",
              yaml.toString(),
              "--url-preview-ip-range-whitelist",
              "127.0.0.1/32",
              "--url-preview-ip-range-whitelist",
              "::1/128",
              "--url-preview-url-blacklist",
              "hostname=evil.example"
            });
    assertThat(flags.urlPreviews.outboundPolicy().whitelist())
        .as("options win")
        .containsExactly("127.0.0.1/32", "::1/128");
    assertThat(flags.urlPreviews.urlBlacklist).containsExactly(Map.of("hostname", "evil.example"));
    assertThat(ServerSettings.parse(new String[] {"--url-previews"}).urlPreviews.enabled).isTrue();
    assertThat(ServerSettings.parse(new String[0]).urlPreviews.enabled).isFalse();
    assertThat(ServerSettings.parse(new String[0]).urlPreviews.outboundPolicy().blacklist())
        .isEqualTo(OutboundPolicy.DEFAULT_BLACKLIST);
    assertThat(ServerSettings.USAGE)
        .contains("--url-previews")
        .contains("--url-preview-ip-range-whitelist CIDR")
        .contains("--url-preview-url-blacklist COMPONENT=PATTERN")
        .contains("url_preview_enabled");

    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--url-preview-ip-range-whitelist", "nope"}))
        .hasMessageContaining("nope")
        .hasMessageContaining("url_preview_ip_range_whitelist");
    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--url-preview-url-blacklist", "colour=red"}))
        .hasMessageContaining("colour");
    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--url-preview-url-blacklist", "path=^(["}))
        .hasMessageContaining("url_preview_url_blacklist");
    for (String bad :
        List.of(
            "max_spider_size: lots",
            "max_spider_size: 0",
            "url_preview_enabled: maybe",
            "url_preview_accept_language: [\"en,fr\"]",
            "oembed:\n  additional_providers: [missing.json]",
            "oembed:\n  colour: red",
            "url_preview_ip_range_blacklist: [\"10.0.0.0/99\"]")) {
      Path file = Files.writeString(dir.resolve("bad.yaml"), bad + "\n");
      String key = bad.startsWith("oembed") ? "oembed" : bad.substring(0, bad.indexOf(':'));
      assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", file.toString()}))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(
              key.equals("oembed")
                  ? (bad.contains("colour") ? "oembed.colour" : "oEmbed")
                  : key.equals("max_spider_size") ? "max_spider_size" : key);
    }
  }
}
