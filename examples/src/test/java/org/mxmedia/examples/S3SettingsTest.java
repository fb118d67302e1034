package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The {@code --s3-*} options and {@code s3_*} file keys: read, checked, and used at start. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class S3SettingsTest {
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

  @Test
  void optionsAndFileKeysAreReadAndOptionsWin() throws Exception {
    ServerSettings flags =
        ServerSettings.parse(
            new String[] {
              "--s3-endpoint",
              "http://127.0.0.1:9000",
              "--s3-bucket",
              "media",
              "--s3-region",
              "eu-west-1",
              "--s3-path-style",
              "--s3-access-key",
              "AK",
              "--s3-secret-key",
              "SK",
              "--s3-prefix",
              "mx/"
            });
    assertThat(flags.s3.endpoint).isEqualTo("http://127.0.0.1:9000");
    assertThat(flags.s3.bucket).isEqualTo("media");
    assertThat(flags.s3.region).isEqualTo("eu-west-1");
    assertThat(flags.s3.pathStyle).isTrue();
    assertThat(flags.s3.accessKey).isEqualTo("AK");
    assertThat(flags.s3.secretKey).isEqualTo("SK");
    assertThat(flags.s3.prefix).isEqualTo("mx/");
    assertThat(ServerSettings.parse(new String[0]).s3.bucket)
        .as("no bucket: the data directory")
        .isNull();

    Path yaml =
        Files.writeString(
            dir.resolve("s3.yaml"),
            String.join(
                "\n",
                "port: 0",
                "serverName: s3.test",
                "s3_endpoint: https://minio.example.org",
                "s3_bucket: from-file",
                "s3_path_style: true",
                "s3_access_key: FK",
                "s3_secret_key: FS",
                "s3_prefix: files",
                ""));
    ServerSettings file =
        ServerSettings.parse(
            new String[] {"--config", yaml.toString(), "--s3-bucket", "from-option"});
    assertThat(file.serverName).isEqualTo("s3.test");
    assertThat(file.s3.endpoint).isEqualTo("https://minio.example.org");
    assertThat(file.s3.bucket).isEqualTo("from-option");
    assertThat(file.s3.region).as("default us-east-1").isNull();
    assertThat(file.s3.builder()).isNotNull();
    assertThat(file.s3.pathStyle).isTrue();
    assertThat(file.s3.accessKey).isEqualTo("FK");
    assertThat(file.s3.prefix).isEqualTo("files");
    assertThat(ServerSettings.USAGE)
        .contains("--s3-endpoint URL")
        .contains("--s3-bucket NAME")
        .contains("--s3-region REGION")
        .contains("--s3-path-style")
        .contains("--s3-access-key KEY")
        .contains("--s3-secret-key SECRET")
        .contains("--s3-prefix PREFIX")
        .contains("s3_bucket")
        .contains("AWS_ACCESS_KEY_ID");
  }

  @Test
  void badValuesFailAtParseNamingTheOption() throws Exception {
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--s3-bucket", "x"}))
        .hasMessageContaining("--s3-bucket");
    assertThatThrownBy(
            () ->
                ServerSettings.parse(
                    new String[] {"--s3-bucket", "media", "--s3-endpoint", "ftp://h"}))
        .hasMessageContaining("--s3-endpoint")
        .hasMessageContaining("ftp://h");
    assertThatThrownBy(
            () ->
                ServerSettings.parse(
                    new String[] {"--s3-bucket", "media", "--s3-endpoint", "http://h:9000/path"}))
        .hasMessageContaining("--s3-endpoint");
    assertThatThrownBy(
            () ->
                ServerSettings.parse(
                    new String[] {"--s3-bucket", "media", "--s3-region", "eu west"}))
        .hasMessageContaining("--s3-region");
    assertThatThrownBy(
            () ->
                ServerSettings.parse(new String[] {"--s3-bucket", "media", "--s3-prefix", "../up"}))
        .hasMessageContaining("--s3-prefix");
    assertThatThrownBy(
            () ->
                ServerSettings.parse(
                    new String[] {"--s3-bucket", "media", "--s3-access-key", "AK"}))
        .hasMessageContaining("--s3-secret-key");
    assertThatThrownBy(
            () ->
                ServerSettings.parse(
                    new String[] {"--s3-bucket", "media", "--s3-secret-key", "hunter2"}))
        .hasMessageContaining("--s3-access-key")
        .hasMessageNotContaining("hunter2");
    assertThatThrownBy(
            () -> ServerSettings.parse(new String[] {"--s3-endpoint", "http://127.0.0.1:9000"}))
        .hasMessageContaining("--s3-endpoint needs --s3-bucket");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--s3-path-style"}))
        .hasMessageContaining("needs --s3-bucket");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--s3-bucket"}))
        .hasMessageContaining("--s3-bucket");
    Path typo =
        Files.writeString(
            dir.resolve("typo.yaml"), "s3_bucket: media\ns3_path_style: yes please\n");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", typo.toString()}))
        .hasMessageContaining("s3_path_style");
    Path secret =
        Files.writeString(
            dir.resolve("secret.yaml"),
            "s3_bucket: media\ns3_access_key: AK\ns3_secret_key: [hunter2]\n");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", secret.toString()}))
        .hasMessageContaining("s3_secret_key")
        .hasMessageNotContaining("hunter2");
    Path unknown = Files.writeString(dir.resolve("unknown.yaml"), "s3_bukket: media\n");
    assertThat(ServerSettings.parse(new String[] {"--config", unknown.toString()}).ignoredKeys)
        .as("a misspelt key is warned about and ignored, as every unknown key")
        .containsExactly("s3_bukket");
    Path both =
        Files.writeString(
            dir.resolve("both.yaml"), "s3_bucket: media\nmedia_store_path: /srv/media\n");
    assertThatThrownBy(() -> ServerSettings.parse(new String[] {"--config", both.toString()}))
        .hasMessageContaining("media_store_path")
        .hasMessageContaining("--s3-bucket");
  }

  private List<String> args(String bucket, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--port",
                "0",
                "--data-dir",
                dir.toString(),
                "--server-name",
                "s3.test",
                "--token",
                "t=@a:s3.test"));
    args.addAll(s3.options(bucket, "p/"));
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void withABucketMediaGoesToItAndNothingToTheDataDirectory() throws Exception {
    String bucket = s3.newBucket();
    try (MediaServer server =
        MediaServer.start(ServerSettings.parse(args(bucket).toArray(String[]::new)))) {
      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> up =
          client.send(
              HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                  .header("Authorization", "Bearer t")
                  .header("Content-Type", "text/plain")
                  .POST(HttpRequest.BodyPublishers.ofString("in the bucket"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
      String mxc = up.body().replaceAll(".*mxc://([^\"]+)\".*", "$1");
      HttpResponse<String> down =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(server.baseUrl() + "/_matrix/client/v1/media/download/" + mxc))
                  .header("Authorization", "Bearer t")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(down.body()).isEqualTo("in the bucket");
      assertThat(s3.keys(bucket)).hasSize(1).allMatch(k -> k.startsWith("p/"));
      assertThat(dir.resolve("media")).doesNotExist();
    }
  }

  @Test
  void aBucketThatCannotBeUsedFailsTheStartNamingTheOptions() throws Exception {
    assertThatThrownBy(
            () ->
                MediaServer.start(
                    ServerSettings.parse(args("no-such-bucket").toArray(String[]::new))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--s3-bucket no-such-bucket")
        .hasMessageContaining("does not exist");
    String bucket = s3.newBucket();
    List<String> wrongSecret = args(bucket);
    wrongSecret.set(wrongSecret.indexOf(LocalS3.SECRET_KEY), "not-the-secret");
    assertThatThrownBy(
            () -> MediaServer.start(ServerSettings.parse(wrongSecret.toArray(String[]::new))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--s3-access-key / --s3-secret-key")
        .hasMessageContaining("access denied")
        .hasMessageNotContaining("not-the-secret");
    List<String> down = args(bucket);
    down.set(down.indexOf(s3.endpoint().toString()), "http://127.0.0.1:1");
    assertThatThrownBy(() -> MediaServer.start(ServerSettings.parse(down.toArray(String[]::new))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("--s3-endpoint http://127.0.0.1:1");
  }
}
