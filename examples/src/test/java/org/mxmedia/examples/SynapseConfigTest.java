package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;

/**
 * The settings file takes the media section of a Synapse {@code homeserver.yaml}, names and value
 * forms.
 */
class SynapseConfigTest {
  @TempDir Path dir;

  private ServerSettings parse(String yaml, String... flags) throws Exception {
    Path file = Files.writeString(dir.resolve("homeserver.yaml"), yaml);
    return ServerSettings.parse(
        Stream.concat(Stream.of("--config", file.toString()), Stream.of(flags))
            .toArray(String[]::new));
  }

  @Test
  void aSynapseMediaSectionIsReadWithItsValueForms() throws Exception {
    ServerSettings s =
        parse(
            String.join(
                "\n",
                "server_name: \"example.org\"       # not a media option: warned about, ignored",
                "media_store_path: \"" + dir.resolve("media_store") + "\"",
                "max_upload_size: 50M",
                "max_image_pixels: \"32M\"",
                "dynamic_thumbnails: true",
                "thumbnail_sizes:",
                "  - width: 32",
                "    height: 32",
                "    method: crop",
                "  - width: 640",
                "    height: 480",
                "    method: scale",
                "  - width: 800",
                "    height: 600",
                "federation_domain_whitelist: [matrix.org, example.com]",
                "prevent_media_downloads_from: [evil.example]",
                "enable_authenticated_media: false",
                "ip_range_blacklist: [\"10.0.0.0/8\"]",
                "media_storage_providers_comment: ignored",
                ""));
    assertThat(s.ignoredKeys).containsExactly("media_storage_providers_comment", "server_name");
    assertThat(s.mediaStore(dir.resolve("data"))).isEqualTo(dir.resolve("media_store"));
    assertThat(s.maxUploadSize).isEqualTo(50L * 1024 * 1024);
    assertThat(s.maxImagePixels).isEqualTo(32L * 1024 * 1024);
    assertThat(s.dynamicThumbnails).isTrue();
    assertThat(s.thumbnailSizes)
        .containsExactly(
            ThumbnailSpec.crop(32, 32),
            ThumbnailSpec.scale(640, 480),
            ThumbnailSpec.scale(800, 600));
    assertThat(s.federationDomainWhitelist).containsExactly("matrix.org", "example.com");
    assertThat(s.preventMediaDownloadsFrom).containsExactly("evil.example");
    assertThat(s.enableAuthenticatedMedia).isFalse();
    assertThat(s.outboundPolicy().blacklist()).containsExactly("10.0.0.0/8");
    assertThat(parse("max_upload_size: 52428800\n").maxUploadSize).isEqualTo(52428800L);
    assertThat(parse("max_upload_size: 512K\n", "--max-upload-size", "1G").maxUploadSize)
        .as("the option wins")
        .isEqualTo(1L << 30);
  }

  @Test
  void eachWrongValueStopsTheStartNamingItsKey() {
    assertThatThrownBy(() -> parse("max_upload_size: fifty\n"))
        .hasMessageContaining("max_upload_size");
    assertThatThrownBy(() -> parse("max_upload_size: [1]\n"))
        .hasMessageContaining("max_upload_size");
    assertThatThrownBy(() -> parse("max_image_pixels: 32Q\n"))
        .hasMessageContaining("max_image_pixels");
    assertThatThrownBy(() -> parse("max_image_pixels: 0\n"))
        .hasMessageContaining("max_image_pixels");
    assertThatThrownBy(() -> parse("dynamic_thumbnails: maybe\n"))
        .hasMessageContaining("dynamic_thumbnails");
    assertThatThrownBy(() -> parse("thumbnail_sizes:\n  - width: 32\n    method: crop\n"))
        .hasMessageContaining("thumbnail_sizes[0]");
    assertThatThrownBy(
            () -> parse("thumbnail_sizes:\n  - {width: 32, height: 32, method: stretch}\n"))
        .hasMessageContaining("thumbnail_sizes[0].method");
    assertThatThrownBy(() -> parse("thumbnail_sizes: []\n"))
        .hasMessageContaining("thumbnail_sizes");
    assertThatThrownBy(() -> parse("federation_domain_whitelist: [\"not a name\"]\n"))
        .hasMessageContaining("federation_domain_whitelist");
    assertThatThrownBy(() -> parse("prevent_media_downloads_from: x\n"))
        .hasMessageContaining("prevent_media_downloads_from");
    assertThatThrownBy(() -> parse("enable_authenticated_media: 3\n"))
        .hasMessageContaining("enable_authenticated_media");
    assertThatThrownBy(() -> parse("- a list\n")).hasMessageContaining("mapping");
    assertThatThrownBy(() -> parse("max_upload_size: 18446744073709551617\n"))
        .hasMessageContaining("max_upload_size");
    assertThatThrownBy(() -> parse("max_upload_size: -5\n"))
        .hasMessageContaining("max_upload_size");
    assertThatThrownBy(() -> parse("tokens: {abc: }\n")).hasMessageContaining("tokens.abc");
    assertThatThrownBy(() -> parse("federation_domain_whitelist:\n  -\n"))
        .hasMessageContaining("federation_domain_whitelist[0]");
  }

  @Test
  void synapseValueForms() {
    assertThat(SynapseUnits.size("50M", "k").bytes()).isEqualTo(50L << 20);
    assertThat(SynapseUnits.size("2T", "k").bytes()).isEqualTo(2L << 40);
    assertThat(SynapseUnits.size("512K", "k").bytes()).isEqualTo(512L << 10);
    assertThat(SynapseUnits.size("123", "k").bytes()).isEqualTo(123L);
    assertThatThrownBy(() -> SynapseUnits.size("-1", "k")).hasMessageContaining("k must be a size");
    assertThatThrownBy(() -> SynapseUnits.size("99999999999999999999T", "k"))
        .hasMessageContaining("k must be a size");
    assertThatThrownBy(() -> SynapseUnits.size("9999999T", "k")).hasMessageContaining("too large");
    assertThat(SynapseUnits.duration("90d", "k")).isEqualTo(Duration.ofDays(90));
    assertThat(SynapseUnits.duration("1y", "k")).isEqualTo(Duration.ofDays(365));
    assertThat(SynapseUnits.duration("2w", "k")).isEqualTo(Duration.ofDays(14));
    assertThat(SynapseUnits.duration("12h", "k")).isEqualTo(Duration.ofHours(12));
    assertThat(SynapseUnits.duration("5m", "k")).isEqualTo(Duration.ofMinutes(5));
    assertThat(SynapseUnits.duration("30s", "k")).isEqualTo(Duration.ofSeconds(30));
    assertThat(SynapseUnits.duration("1500", "k")).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> SynapseUnits.duration("soon", "k"))
        .hasMessageContaining("k must be a duration");
  }

  @Test
  void theServerRunsOnThem() throws Exception {
    Path store = dir.resolve("media_store");
    ServerSettings s =
        parse(
            String.join(
                "\n",
                "port: 0",
                "serverName: synapse.test",
                "dataDir: \"" + dir.resolve("data") + "\"",
                "tokens: {t: \"@alice:synapse.test\"}",
                "media_store_path: \"" + store + "\"",
                "max_upload_size: 1K",
                "enable_authenticated_media: false",
                ""));
    HttpClient client = HttpClient.newHttpClient();
    try (MediaServer server = MediaServer.start(s)) {
      HttpResponse<String> tooLarge =
          client.send(
              HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                  .header("Authorization", "Bearer t")
                  .header("Content-Type", "text/plain")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1025]))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(tooLarge.statusCode()).isEqualTo(413);
      HttpResponse<String> upload =
          client.send(
              HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                  .header("Authorization", "Bearer t")
                  .header("Content-Type", "text/plain")
                  .POST(HttpRequest.BodyPublishers.ofString("hello synapse"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
      String id = upload.body().replaceAll(".*mxc://synapse.test/([A-Za-z0-9_-]+).*", "$1");
      HttpResponse<String> legacy =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(
                          server.baseUrl() + "/_matrix/media/v3/download/synapse.test/" + id))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(legacy.statusCode())
          .as("enable_authenticated_media: false serves new media unauthenticated")
          .isEqualTo(200);
      assertThat(legacy.body()).isEqualTo("hello synapse");
      try (Stream<Path> files = Files.walk(store)) {
        assertThat(files.filter(Files::isRegularFile).count())
            .as("the bytes are under media_store_path")
            .isEqualTo(1);
      }
    }
  }
}
