package org.mxmedia.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mxmedia.testkit.MediaServerExtension;

/**
 * A media server whose primary storage is S3, behind the HTTP binding, while its S3 store goes away
 * and comes back: requests fail fast with a JSON error instead of hanging, and work again once the
 * store is back on the same port.
 */
@Timeout(120)
class S3OutageTest {
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(3);
  private static final LocalS3 s3 = new LocalS3();
  private static final String BUCKET = s3.newBucket();
  private static @Nullable S3Storage storage;

  @RegisterExtension
  static final MediaServerExtension media =
      MediaServerExtension.builder()
          .storage(
              () -> {
                storage =
                    s3.storage(BUCKET)
                        .connectTimeout(Duration.ofMillis(500))
                        .readTimeout(Duration.ofSeconds(1))
                        .attemptTimeout(Duration.ofSeconds(1))
                        .callTimeout(CALL_TIMEOUT)
                        .build();
                return storage;
              })
          .build();

  @AfterAll
  static void stop() {
    if (storage != null) {
      storage.close();
    }
    s3.close();
  }

  private record Answer(int status, String body, Duration took) {}

  private Answer call(String method, String path, @Nullable String body) throws Exception {
    long start = System.nanoTime();
    HttpURLConnection c =
        (HttpURLConnection) media.baseUrl().resolve(path).toURL().openConnection();
    c.setConnectTimeout(30_000);
    c.setReadTimeout(30_000);
    c.setRequestMethod(method);
    c.setRequestProperty("Authorization", "Bearer " + media.accessToken());
    if (body != null) {
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "text/plain");
      try (OutputStream out = c.getOutputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new Answer(status, text, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  private Answer upload(String text) throws Exception {
    return call("POST", "/_matrix/media/v3/upload", text);
  }

  private Answer download(String mxc) throws Exception {
    return call(
        "GET",
        "/_matrix/client/v1/media/download/"
            + URI.create(mxc).getAuthority()
            + URI.create(mxc).getPath(),
        null);
  }

  private static String mxcOf(Answer upload) {
    assertThat(upload.status()).as(upload.body()).isEqualTo(200);
    return upload.body().replaceAll(".*\"(mxc://[^\"]+)\".*", "$1");
  }

  @Test
  void whileS3IsDownRequestsFailFastWithAJsonErrorAndWorkAgainWhenItIsBack() throws Exception {
    String before = mxcOf(upload("stored before the outage"));
    assertThat(download(before).body()).isEqualTo("stored before the outage");

    s3.stop();

    Answer up = upload("sent during the outage");
    assertThat(up.status()).as(up.body()).isBetween(500, 599);
    assertThat(up.body())
        .contains("\"errcode\"")
        .doesNotContain("127.0.0.1")
        .doesNotContain(BUCKET);
    assertThat(up.took()).isLessThan(CALL_TIMEOUT.plusSeconds(2));
    assertThat(storage).isNotNull();
    assertThat(storage.stagingFiles()).as("the failed upload's staging file").isZero();

    // which error a storage fault on a download becomes is the engine's choice; here: a prompt JSON
    // one
    Answer down = download(before);
    assertThat(down.status()).as(down.body()).isGreaterThanOrEqualTo(400);
    assertThat(down.body()).contains("\"errcode\"");
    assertThat(down.took()).isLessThan(CALL_TIMEOUT.plusSeconds(2));

    s3.restart();

    assertThat(download(before).body()).isEqualTo("stored before the outage");
    String after = mxcOf(upload("sent after the outage"));
    assertThat(download(after).body()).isEqualTo("sent after the outage");
  }
}
