package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxmedia.preview.UrlPreviews.OEmbedProvider;
import org.mxmedia.spi.UrlPreviewer.UrlPreview;

class OEmbedTest {
  private PageServer server;
  private MemoryImageStore images;
  private UrlPreviews previews;
  private final AtomicReference<String> oEmbedQuery = new AtomicReference<>();

  @BeforeEach
  void start() throws Exception {
    server = new PageServer();
    images = new MemoryImageStore();
    OEmbedProvider local =
        OEmbedProvider.of(
            "Local",
            server.url("/oembed").toString(),
            List.of("http://127.0.0.1:" + server.port() + "/watch/*"));
    previews = Previews.builder().oEmbedProviders(List.of(local)).build();
    server.bytes("/thumb.png", "image/png", MemoryImageStore.png(480, 360));
  }

  @AfterEach
  void stop() {
    previews.close();
    server.close();
  }

  private void oEmbed(String path, String json) {
    server.route(
        path,
        exchange -> {
          oEmbedQuery.set(exchange.getRequestURI().getRawQuery());
          byte[] body = json.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
  }

  @Test
  void aProvidersUrlIsPreviewedFromItsEndpointWithoutFetchingThePage() {
    oEmbed(
        "/oembed",
        """
        {"version": "1.0", "type": "video", "title": "A &amp; B", "author_name": "Author",
         "provider_name": "LocalTube", "thumbnail_url": "%s", "width": 640, "height": 360,
         "html": "<iframe src='https://player.example/1'></iframe><p>What the video is about.</p>",
         "cache_age": "7200", "extra": {"nested": [1, 2, 3]}}"""
            .formatted(server.url("/thumb.png")));
    URI page = server.url("/watch/abc?t=1");

    UrlPreview preview = previews.preview(page, images);

    assertThat(preview.properties())
        .containsEntry("og:title", "A & B")
        .containsEntry("og:site_name", "LocalTube")
        .containsEntry("og:url", page.toString())
        .containsEntry("og:type", "video.other")
        .containsEntry("og:video:width", 640)
        .containsEntry("og:video:height", 360)
        .containsEntry("og:description", "What the video is about.")
        .containsEntry("og:image", "mxc://test.example/img1")
        .containsEntry("og:image:width", 480);
    assertThat(preview.maxAge()).isEqualTo(Duration.ofHours(2));
    assertThat(URLDecoder.decode(oEmbedQuery.get(), StandardCharsets.UTF_8))
        .isEqualTo("url=" + page + "&format=json");
    assertThat(server.hits("/watch/abc")).isZero();
  }

  @Test
  void aPhotoUsesTheFullImageAndTheAuthorStandsInForAMissingTitle() {
    server.bytes("/full.png", "image/png", MemoryImageStore.png(1000, 800));
    oEmbed(
        "/oembed",
        """
        {"version": 1, "type": "photo", "author_name": "Photographer", "url": "%s", "thumbnail_url": "%s"}"""
            .formatted(server.url("/full.png"), server.url("/thumb.png")));

    Map<String, Object> og = previews.preview(server.url("/watch/photo"), images).properties();

    assertThat(og).containsEntry("og:title", "Photographer").containsEntry("og:image:width", 1000);
    assertThat(server.hits("/thumb.png")).isZero();
  }

  @Test
  void anUnusableProviderAnswerFallsBackToThePage() {
    server.html("/watch/one", "<title>The page itself</title>");
    server.html("/watch/two", "<title>The page itself</title>");
    server.route(
        "/oembed",
        exchange -> {
          String query = exchange.getRequestURI().getQuery();
          if (query.contains("/watch/one")) {
            exchange.sendResponseHeaders(500, -1);
            return;
          }
          byte[] body =
              "{\"version\": \"2.0\", \"type\": \"link\"}".getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
        });

    assertThat(previews.preview(server.url("/watch/one"), images).properties())
        .containsEntry("og:title", "The page itself");
    assertThat(previews.preview(server.url("/watch/two"), images).properties())
        .containsEntry("og:title", "The page itself");
    assertThat(server.hits("/oembed")).isEqualTo(2);
  }

  @Test
  void discoveredOEmbedFillsWhatThePageLacksAndThePageWins() {
    server.html(
        "/article",
        """
        <html><head>
        <meta property="og:title" content="Page title">
        <link rel="alternate" type="application/json+oembed" href="/discovered?format=json">
        </head><body><p>Page text</p></body></html>""");
    oEmbed(
        "/discovered",
        """
        {"type": "rich", "title": "oEmbed title", "provider_name": "Provider", "cache_age": 10800,
         "html": "<blockquote><p>Quoted text</p><img src='%s'></blockquote>"}"""
            .formatted(server.url("/thumb.png")));

    UrlPreview preview = previews.preview(server.url("/article"), images);

    assertThat(preview.properties())
        .containsEntry("og:title", "Page title")
        .containsEntry("og:site_name", "Provider")
        .containsEntry("og:description", "Page text")
        .containsEntry("og:image", "mxc://test.example/img1");
    assertThat(preview.maxAge()).isEqualTo(Duration.ofHours(3));
    assertThat(server.hits("/discovered")).isEqualTo(1);
  }

  @Test
  void aFailedOrRefusedDiscoveryLeavesThePagePreview() throws Exception {
    try (SafetyTest.Internal internal = new SafetyTest.Internal()) {
      server.html(
          "/missing",
          "<title>One</title><link rel=alternative type=application/json+oembed href=/nothing-here>");
      server.html(
          "/blocked",
          "<title>Two</title><link rel=alternate type=application/json+oembed href='"
              + internal.url("/oembed")
              + "'>");

      assertThat(previews.preview(server.url("/missing"), images).properties())
          .containsEntry("og:title", "One");
      assertThat(previews.preview(server.url("/blocked"), images).properties())
          .containsEntry("og:title", "Two");
      assertThat(server.hits("/nothing-here")).isEqualTo(1);
      assertThat(internal.acceptedBeforeNow()).isZero();
    }
  }

  @Test
  void theBuiltInProvidersClaimYouTubeXAndTwitterUrls() {
    List<OEmbedProvider> builtIn = OEmbedProvider.builtIn();

    assertThat(claimant(builtIn, "https://www.youtube.com/watch?v=dQw4w9WgXcQ"))
        .isEqualTo("YouTube");
    assertThat(claimant(builtIn, "https://youtu.be/dQw4w9WgXcQ")).isEqualTo("YouTube");
    assertThat(claimant(builtIn, "https://youtube.com/shorts/abc")).isEqualTo("YouTube");
    assertThat(claimant(builtIn, "https://m.youtube.com/shorts/abc")).isEqualTo("YouTube");
    assertThat(claimant(builtIn, "https://x.com/matrixdotorg/status/123")).isEqualTo("X");
    assertThat(claimant(builtIn, "https://mobile.x.com/matrixdotorg/status/123")).isEqualTo("X");
    assertThat(claimant(builtIn, "https://twitter.com/matrixdotorg/status/123"))
        .isEqualTo("Twitter");
    assertThat(claimant(builtIn, "http://www.youtube.com/watch?v=abc")).isEqualTo("none");
    assertThat(claimant(builtIn, "https://evil.example/www.youtube.com/watch")).isEqualTo("none");
    assertThat(claimant(builtIn, "https://a.b.youtube.com/watch?v=1")).isEqualTo("none");
    assertThat(builtIn).allSatisfy(p -> assertThat(p.endpoint()).startsWith("https://"));
  }

  @Test
  void aProvidersFileIsReadAsSynapseReadsIt() {
    String json =
        """
        [{"provider_name": "Vimeo", "provider_url": "https://vimeo.com/",
          "endpoints": [
            {"schemes": ["https://vimeo.com/*"], "url": "https://vimeo.com/api/oembed.{format}", "discovery": true},
            {"schemes": ["https://vimeo.com/*"], "url": "https://vimeo.com/api/oembed.xml"},
            {"schemes": ["https://vimeo.com/*"], "url": "https://vimeo.com/api/oembed", "formats": ["xml"]}]},
         {"provider_name": "Discovered", "provider_url": "https://d.example/",
          "endpoints": [{"url": "https://d.example/oembed", "discovery": true}]},
         {"provider_name": "X", "provider_url": "https://x.com/",
          "endpoints": [{"schemes": ["https://x.com/*/status/*"], "url": "https://publish.x.com/oembed"}]}]""";

    List<OEmbedProvider> providers =
        OEmbedProvider.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));

    assertThat(providers).extracting(OEmbedProvider::name).containsExactly("Vimeo", "X");
    assertThat(providers.get(0).endpoint()).isEqualTo("https://vimeo.com/api/oembed.{format}");
    assertThat(claimant(providers, "https://vimeo.com/123")).isEqualTo("Vimeo");
    assertThat(claimant(providers, "https://x.com/someone/status/1")).isEqualTo("X");
    assertThatThrownBy(
            () ->
                OEmbedProvider.parse(
                    new ByteArrayInputStream("{\"a\": 1}".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                OEmbedProvider.parse(
                    new ByteArrayInputStream(
                        "[{\"provider_name\": \"F\", \"endpoints\": [{\"url\": \"ftp://f/\", \"schemes\": [\"https://f/*\"]}]}]"
                            .getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static String claimant(List<OEmbedProvider> providers, String url) {
    return providers.stream()
        .filter(p -> p.matches(URI.create(url)))
        .map(OEmbedProvider::name)
        .findFirst()
        .orElse("none");
  }
}
