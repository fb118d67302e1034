package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Synapse's {@code media_storage_providers}, pasted from a {@code homeserver.yaml}: S3 and file
 * backends.
 */
class StorageProvidersSettingsTest {
  static LocalS3 s3;

  @TempDir Path dir;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = new LocalS3();
  }

  @AfterAll
  static void stopS3() throws Exception {
    s3.close();
  }

  private ServerSettings parse(String yaml) throws Exception {
    Path file = Files.writeString(dir.resolve("homeserver.yaml"), yaml);
    return ServerSettings.parse(new String[] {"--config", file.toString()});
  }

  @Test
  void uploadsAreCopiedToAnS3ProviderAndAFileProviderSynchronously() throws Exception {
    String bucket = s3.newBucket();
    ServerSettings s =
        parse(
            String.join(
                "\n",
                "port: 0",
                "serverName: backup.test",
                "dataDir: \"" + dir.resolve("data") + "\"",
                "tokens: {t: \"@a:backup.test\"}",
                "media_storage_providers:",
                "- module: s3_storage_provider.S3StorageProviderBackend",
                "  store_local: True",
                "  store_remote: True",
                "  store_synchronous: True",
                "  config:",
                "    bucket: " + bucket,
                "    region_name: us-east-1",
                "    endpoint_url: " + s3.endpoint(),
                "    access_key_id: " + LocalS3.ACCESS_KEY,
                "    secret_access_key: " + LocalS3.SECRET_KEY,
                "    prefix: synapse/",
                "- module: synapse.media.storage_provider.FileStorageProviderBackend",
                "  store_synchronous: true",
                "  config:",
                "    directory: \"" + dir.resolve("backup") + "\"",
                ""));
    assertThat(s.storageProviders).hasSize(2);
    try (MediaServer server = MediaServer.start(s)) {
      HttpResponse<String> upload =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                      .header("Authorization", "Bearer t")
                      .header("Content-Type", "text/plain")
                      .POST(HttpRequest.BodyPublishers.ofString("kept three times"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(upload.statusCode()).as(upload.body()).isEqualTo(200);
      assertThat(s3.keys(bucket))
          .as("the synchronous S3 copy, under the prefix")
          .hasSize(1)
          .allMatch(k -> k.startsWith("synapse/"));
      try (Stream<Path> files = Files.walk(dir.resolve("backup"))) {
        assertThat(files.filter(Files::isRegularFile).count())
            .as("the synchronous file copy")
            .isEqualTo(1);
      }
    }
  }

  @Test
  void eachWrongEntryFailsAtStartNamingIt() {
    assertThatThrownBy(
            () -> parse("media_storage_providers:\n- module: my.Backend\n  config: {}\n"))
        .hasMessageContaining("media_storage_providers[0].module");
    assertThatThrownBy(
            () ->
                parse(
                    "media_storage_providers:\n- module: s3_storage_provider.S3StorageProviderBackend\n"
                        + "  config: {bucket: b, sse_customer_key: x}\n"))
        .hasMessageContaining("media_storage_providers[0].config.sse_customer_key");
    assertThatThrownBy(
            () ->
                parse(
                    "media_storage_providers:\n- module: s3_storage_provider.S3StorageProviderBackend\n"
                        + "  config: {region_name: eu}\n"))
        .hasMessageContaining("media_storage_providers[0].config.bucket");
    assertThatThrownBy(
            () ->
                parse(
                    "media_storage_providers:\n- module: s3_storage_provider.S3StorageProviderBackend\n"
                        + "  store_local: maybe\n  config: {bucket: b}\n"))
        .hasMessageContaining("media_storage_providers[0].store_local");
    assertThatThrownBy(
            () ->
                parse(
                    "media_storage_providers:\n- module: s3_storage_provider.S3StorageProviderBackend\n"
                        + "  stor_remote: true\n  config: {bucket: b}\n"))
        .hasMessageContaining("stor_remote");
    assertThatThrownBy(
            () ->
                parse(
                    "media_storage_providers:\n- module: synapse.media.storage_provider.FileStorageProviderBackend\n"
                        + "  config: {}\n"))
        .hasMessageContaining("directory");
  }
}
