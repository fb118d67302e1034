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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.spi.UploadPolicy.Quota;

/**
 * Synapse's media_retention and media_upload_limits in the example server's config file, and their
 * formats.
 */
class LifecycleSettingsTest {
  @TempDir Path dir;

  private ServerSettings parse(String yaml) throws Exception {
    Path file = dir.resolve("homeserver.yaml");
    Files.writeString(file, yaml);
    return ServerSettings.parse(new String[] {"--config", file.toString()});
  }

  @Test
  void synapsesDurationAndSizeFormats() {
    assertThat(SynapseUnits.duration("90d", "k")).isEqualTo(Duration.ofDays(90));
    assertThat(SynapseUnits.duration("1y", "k")).isEqualTo(Duration.ofDays(365));
    assertThat(SynapseUnits.duration("12h", "k")).isEqualTo(Duration.ofHours(12));
    assertThat(SynapseUnits.duration("2w", "k")).isEqualTo(Duration.ofDays(14));
    assertThat(SynapseUnits.duration("30m", "k")).isEqualTo(Duration.ofMinutes(30));
    assertThat(SynapseUnits.duration("45s", "k")).isEqualTo(Duration.ofSeconds(45));
    assertThat(SynapseUnits.duration("1500", "k")).isEqualTo(Duration.ofMillis(1500));
    assertThat(SynapseUnits.duration(60000, "k")).isEqualTo(Duration.ofMinutes(1));
    assertThat(SynapseUnits.size("50M", "k")).isEqualTo(DataSize.mebibytes(50));
    assertThat(SynapseUnits.size("1G", "k")).isEqualTo(DataSize.gibibytes(1));
    assertThat(SynapseUnits.size("10K", "k")).isEqualTo(DataSize.kibibytes(10));
    assertThat(SynapseUnits.size(1234, "k")).isEqualTo(DataSize.bytes(1234));
    assertThat(SynapseUnits.size("1234", "k")).isEqualTo(DataSize.bytes(1234));
    for (Object bad : List.of("", "d", "5x", "-5d", "0", "1.5d", "5 d", true, 1.5)) {
      assertThatThrownBy(() -> SynapseUnits.duration(bad, "some.key"))
          .as(String.valueOf(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("some.key");
    }
    assertThatThrownBy(() -> SynapseUnits.size("99999999999999T", "max"))
        .hasMessageContaining("too large");
    assertThatThrownBy(() -> SynapseUnits.size("50MB", "max")).hasMessageContaining("max");
  }

  @Test
  void theConfigFileTakesMediaRetentionAndMediaUploadLimits() throws Exception {
    ServerSettings s =
        parse(
            String.join(
                "\n",
                "media_retention:",
                "  local_media_lifetime: 90d",
                "  remote_media_lifetime: 14d",
                "media_upload_limits:",
                "  - time_period: 1h",
                "    max_size: 100M",
                "  - time_period: 1w",
                "    max_size: 1G",
                ""));
    assertThat(s.mediaRetention.localMediaLifetime()).hasValue(Duration.ofDays(90));
    assertThat(s.mediaRetention.remoteMediaLifetime()).hasValue(Duration.ofDays(14));
    assertThat(s.mediaUploadLimits)
        .containsExactly(
            new Quota(DataSize.mebibytes(100), Duration.ofHours(1)),
            new Quota(DataSize.gibibytes(1), Duration.ofDays(7)));
    ServerSettings partial = parse("media_retention:\n  remote_media_lifetime: 1y\n");
    assertThat(partial.mediaRetention.localMediaLifetime()).isEmpty();
    assertThat(partial.mediaRetention.remoteMediaLifetime()).hasValue(Duration.ofDays(365));
  }

  @Test
  void wrongValuesFailAtStartNamingTheKey() {
    assertThatThrownBy(() -> parse("media_retention:\n  local_media_lifetime: soon\n"))
        .hasMessageContaining("media_retention.local_media_lifetime");
    assertThatThrownBy(() -> parse("media_retention:\n  local_lifetime: 1d\n"))
        .hasMessageContaining("local_lifetime");
    assertThatThrownBy(() -> parse("media_upload_limits:\n  - time_period: 1d\n"))
        .hasMessageContaining("media_upload_limits[0]");
    assertThatThrownBy(
            () -> parse("media_upload_limits:\n  - time_period: 1d\n    max_size: lots\n"))
        .hasMessageContaining("media_upload_limits[0].max_size");
  }

  @Test
  void aServerWithUploadLimitsRefusesTheUploadPastThemWith400() throws Exception {
    Path file = dir.resolve("homeserver.yaml");
    Files.writeString(
        file,
        "media_upload_limits:\n  - time_period: 1d\n    max_size: 10\nmedia_retention:\n  local_media_lifetime: 30d\n");
    ServerSettings settings =
        ServerSettings.parse(
            new String[] {
              "--config",
              file.toString(),
              "--port",
              "0",
              "--data-dir",
              dir.resolve("data").toString(),
              "--token",
              "t=@a:example.test",
              "--server-name",
              "example.test"
            });
    HttpClient client = HttpClient.newHttpClient();
    try (MediaServer server = MediaServer.start(settings)) {
      Map<Integer, String> bodies = Map.of(200, "0123456789", 400, "x");
      for (int status : List.of(200, 400)) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                    .header("Authorization", "Bearer t")
                    .header("Content-Type", "text/plain")
                    .POST(HttpRequest.BodyPublishers.ofString(bodies.get(status)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        if (status == 400) {
          assertThat(r.body()).contains("M_RESOURCE_LIMIT_EXCEEDED");
        }
      }
    }
  }
}
