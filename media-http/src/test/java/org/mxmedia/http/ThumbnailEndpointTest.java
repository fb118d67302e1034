package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxmedia.http.EndpointTest.assertError;
import static org.mxmedia.http.HttpTestServer.mxcPath;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Thumbnails over HTTP: the spec's parameters, headers and errors. */
class ThumbnailEndpointTest {
  @TempDir Path dir;
  HttpTestServer s;
  String path;

  @BeforeEach
  void start() throws Exception {
    s = new HttpTestServer();
    String mxc = s.upload(noisyPng(640, 480), "image/png", "photo.png");
    path = mxcPath(mxc);
  }

  @AfterEach
  void stop() {
    s.close();
  }

  private BufferedImage fetch(String query, String expectedType) throws Exception {
    HttpResponse<byte[]> r =
        s.sendBytes(s.authed("/_matrix/client/v1/media/thumbnail/" + path + "?" + query));
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue(expectedType);
    assertThat(r.headers().firstValue("Content-Disposition").orElseThrow()).startsWith("inline");
    assertThat(r.headers().firstValue("Content-Security-Policy"))
        .hasValue(MediaResponses.MEDIA_CSP);
    assertThat(r.headers().firstValue("ETag")).isPresent();
    return ImageIO.read(new ByteArrayInputStream(r.body()));
  }

  @Test
  void cropAndScaleAnswerTheSpecsSizes() throws Exception {
    BufferedImage crop = fetch("width=96&height=96&method=crop", "image/jpeg");
    assertThat(crop.getWidth()).isEqualTo(96);
    assertThat(crop.getHeight()).isEqualTo(96);
    BufferedImage scale = fetch("width=320&height=240", "image/jpeg");
    assertThat(scale.getWidth()).isEqualTo(320);
    assertThat(scale.getHeight()).isEqualTo(240);
  }

  @Test
  void absurdSizesAreClampedNotUpscaled() throws Exception {
    BufferedImage big = fetch("width=2147483647&height=2147483647&method=scale", "image/jpeg");
    assertThat(big.getWidth()).isEqualTo(640);
  }

  @Test
  void nonImagesAre400() throws Exception {
    String text = mxcPath(s.upload("hello".getBytes(), "text/plain", null));
    assertError(
        s.send(s.authed("/_matrix/client/v1/media/thumbnail/" + text + "?width=32&height=32")),
        400,
        "M_UNKNOWN");
  }

  @Test
  void legacyThumbnailsAreFrozenToo() throws Exception {
    assertError(
        s.send(s.request("/_matrix/media/v3/thumbnail/" + path + "?width=32&height=32")),
        404,
        "M_NOT_FOUND");
  }

  /** A PNG of random-looking pixels, so its thumbnails are smaller than it. */
  private static byte[] noisyPng(int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(3);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, random.nextInt(0x1000000));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
