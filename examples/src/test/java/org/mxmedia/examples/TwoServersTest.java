package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.testkit.TestImages;

/** Two example servers on loopback exchange media over signed federation requests. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TwoServersTest {
  @TempDir Path dir;
  final HttpClient client = HttpClient.newHttpClient();

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private HttpResponse<byte[]> get(String url, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void mediaUploadedOnAIsServedByBWhichKeepsItWhenAStops() throws Exception {
    int pa = freePort();
    int pb = freePort();
    MediaServer a =
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
    MediaServer b =
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
                  "a.test=http://127.0.0.1:" + pa
                }));
    byte[] png = TestImages.encode(TestImages.noisy(400, 300, 9), "png");
    String id;
    try {
      HttpResponse<String> up =
          client.send(
              HttpRequest.newBuilder(
                      URI.create(a.baseUrl() + "/_matrix/media/v3/upload?filename=cat.png"))
                  .header("Authorization", "Bearer ta")
                  .header("Content-Type", "image/png")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(png))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      Matcher m = Pattern.compile("mxc://a\\.test/([A-Za-z]+)").matcher(up.body());
      assertThat(m.find()).as(up.body()).isTrue();
      id = m.group(1);

      HttpResponse<byte[]> viaB =
          get(b.baseUrl() + "/_matrix/client/v1/media/download/a.test/" + id, "Bearer tb");
      assertThat(viaB.statusCode()).as(new String(viaB.body())).isEqualTo(200);
      assertThat(viaB.body()).isEqualTo(png);
      assertThat(viaB.headers().firstValue("Content-Disposition"))
          .hasValue("inline; filename=cat.png");

      HttpResponse<byte[]> thumb =
          get(
              b.baseUrl()
                  + "/_matrix/client/v1/media/thumbnail/a.test/"
                  + id
                  + "?width=96&height=96&method=crop",
              "Bearer tb");
      assertThat(thumb.statusCode()).isEqualTo(200);
      assertThat(ImageIO.read(new ByteArrayInputStream(thumb.body())).getWidth()).isEqualTo(96);

      // A refuses federation requests without a valid signature
      String fed = a.baseUrl() + "/_matrix/federation/v1/media/download/" + id;
      HttpResponse<byte[]> missing = get(fed, null);
      assertThat(missing.statusCode()).isEqualTo(401);
      assertThat(new String(missing.body())).contains("M_UNAUTHORIZED");
      String forged =
          "X-Matrix origin=\"b.test\",destination=\"a.test\",key=\"ed25519:a_00000000\",sig=\"AAAA\"";
      assertThat(get(fed, forged).statusCode()).isEqualTo(401);
      String wrongKey =
          "X-Matrix origin=\"b.test\",destination=\"a.test\",key=\""
              + b.federationKeyId()
              + "\",sig=\""
              + "A".repeat(86)
              + "\"";
      assertThat(get(fed, wrongKey).statusCode()).isEqualTo(401);
      String elsewhere =
          "X-Matrix origin=\"b.test\",destination=\"c.test\",key=\""
              + b.federationKeyId()
              + "\",sig=\"AAAA\"";
      assertThat(get(fed, elsewhere).statusCode()).isEqualTo(401);

      HttpResponse<byte[]> keys = get(a.baseUrl() + "/_matrix/key/v2/server", null);
      assertThat(new String(keys.body()))
          .contains("\"server_name\":\"a.test\"")
          .contains("\"verify_keys\"")
          .contains("\"signatures\"");
    } finally {
      a.close();
    }
    try {
      // B still serves its cached copy, and its thumbnails, after A is gone
      HttpResponse<byte[]> again =
          get(b.baseUrl() + "/_matrix/client/v1/media/download/a.test/" + id, "Bearer tb");
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(again.body()).isEqualTo(png);
      HttpResponse<byte[]> thumb =
          get(
              b.baseUrl()
                  + "/_matrix/client/v1/media/thumbnail/a.test/"
                  + id
                  + "?width=320&height=240",
              "Bearer tb");
      assertThat(thumb.statusCode()).isEqualTo(200);
      // media of A that B never fetched is now a 502 (A is unreachable), not a hang
      HttpResponse<byte[]> unknown =
          get(b.baseUrl() + "/_matrix/client/v1/media/download/a.test/neverFetched", "Bearer tb");
      assertThat(unknown.statusCode()).isEqualTo(502);
    } finally {
      b.close();
    }
  }
}
