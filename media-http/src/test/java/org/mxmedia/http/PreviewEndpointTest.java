package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxmedia.http.EndpointTest.assertError;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.spi.UrlPreviewer;

/**
 * {@code preview_url} and {@code identicon} through the JDK adapter, JSON checked against the spec.
 */
class PreviewEndpointTest {
  static final String CLIENT = "/_matrix/client/v1/media";
  static final List<String> LEGACY =
      List.of("/_matrix/media/v3", "/_matrix/media/r0", "/_matrix/media/v1");

  final AtomicInteger previews = new AtomicInteger();
  final List<URI> previewed = new CopyOnWriteArrayList<>();
  final AtomicInteger identicons = new AtomicInteger();
  HttpTestServer s;

  /**
   * Answers by the URL's path: /fail/{status} fails so, /image stores a 3 by 2 PNG, others a title.
   */
  private UrlPreviewer.UrlPreview preview(URI url, UrlPreviewer.ImageStore images) {
    previews.incrementAndGet();
    previewed.add(url);
    String path = url.getPath();
    if (path.startsWith("/fail/")) {
      int status = Integer.parseInt(path.substring("/fail/".length()));
      throw new MediaException(
          status == 403 ? ErrorCode.M_FORBIDDEN : ErrorCode.M_UNKNOWN, status, "failed " + status);
    }
    Map<String, Object> og = new LinkedHashMap<>();
    og.put("og:title", "Title of " + path);
    og.put("og:description", "caf\u00e9 \"quoted\"");
    if (path.equals("/image")) {
      byte[] png = png(3, 2);
      UrlPreviewer.StoredImage image =
          images.store(new ByteArrayInputStream(png), "image/png", OptionalLong.of(png.length));
      og.put("og:image", image.uri().toString());
      image.width().ifPresent(w -> og.put("og:image:width", w));
      image.height().ifPresent(h -> og.put("og:image:height", h));
      og.put("og:image:type", image.contentType());
      og.put("matrix:image:size", image.size());
    }
    return new UrlPreviewer.UrlPreview(og, Duration.ofMinutes(5));
  }

  @BeforeEach
  void start() throws Exception {
    s =
        new HttpTestServer(
            MediaConfig.defaults(),
            h ->
                h.identicons(
                    (name, w, h2) -> {
                      identicons.incrementAndGet();
                      byte[] png = png(w, h2);
                      png[png.length - 13] ^=
                          (byte) name.hashCode(); // a different IEND length byte per name: bytes
                      // differ by name
                      return png;
                    }),
            r -> r.urlPreviews(this::preview));
  }

  @AfterEach
  void stop() {
    s.close();
  }

  static byte[] png(int width, int height) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String q(String url) {
    return URLEncoder.encode(url, StandardCharsets.UTF_8);
  }

  @Test
  void aPreviewIsAnsweredAsTheSpecSaysOnEveryPathAndCachedAfterTheFirst() throws Exception {
    HttpResponse<String> r =
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/page?x=1")));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body =
        SpecSchemas.assertValid("GET", "/_matrix/client/v1/media/preview_url", 200, r.body());
    assertThat(body.get("og:title").asText()).isEqualTo("Title of /page");
    assertThat(body.get("og:description").asText()).isEqualTo("caf\u00e9 \"quoted\"");
    assertThat(previewed).containsExactly(URI.create("https://example.com/page?x=1"));
    for (String legacy : LEGACY) {
      HttpResponse<String> l =
          s.send(
              s.authed(legacy + "/preview_url?url=" + q("https://example.com/page?x=1") + "&ts=1"));
      assertThat(l.statusCode()).as(l.body()).isEqualTo(200);
      SpecSchemas.assertValid("GET", "/_matrix/media/v3/preview_url", 200, l.body());
      assertThat(l.body()).isEqualTo(r.body());
    }
    assertThat(previews).hasValue(1);
  }

  @Test
  void aPreviewImageIsStoredAsMediaWithItsSize() throws Exception {
    HttpResponse<String> r =
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/image")));
    JsonNode body =
        SpecSchemas.assertValid("GET", "/_matrix/client/v1/media/preview_url", 200, r.body());
    String mxc = body.get("og:image").asText();
    assertThat(mxc).startsWith("mxc://example.org/");
    assertThat(body.get("og:image:width").asLong()).isEqualTo(3);
    assertThat(body.get("og:image:height").asLong()).isEqualTo(2);
    assertThat(body.get("og:image:type").asText()).isEqualTo("image/png");
    HttpResponse<byte[]> image =
        s.sendBytes(s.authed(CLIENT + "/download/" + HttpTestServer.mxcPath(mxc)));
    assertThat(image.statusCode()).isEqualTo(200);
    assertThat(image.body()).hasSize((int) body.get("matrix:image:size").asLong());
  }

  @Test
  void previewsNeedAToken() throws Exception {
    assertError(
        s.send(s.request(CLIENT + "/preview_url?url=" + q("https://example.com/"))),
        401,
        "M_MISSING_TOKEN");
    assertError(
        s.send(s.request(LEGACY.get(0) + "/preview_url?url=" + q("https://example.com/"))),
        401,
        "M_MISSING_TOKEN");
    assertError(
        s.send(
            s.request(CLIENT + "/preview_url?url=" + q("https://example.com/"))
                .header("Authorization", "Bearer nope")),
        401,
        "M_UNKNOWN_TOKEN");
    assertThat(previews).hasValue(0);
  }

  @Test
  void aMissingOrBadUrlOrTsIs400() throws Exception {
    assertError(s.send(s.authed(CLIENT + "/preview_url")), 400, "M_MISSING_PARAM");
    assertError(s.send(s.authed(CLIENT + "/preview_url?url=")), 400, "M_MISSING_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("ftp://example.com/file"))),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("file:///etc/passwd"))),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("javascript:alert(1)"))),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("example.com/no-scheme"))),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("http://[::1"))), 400, "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://user:pw@example.com/"))),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(
            s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/" + "a".repeat(5000)))),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(
            s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/") + "&ts=yesterday")),
        400,
        "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/") + "&ts=-5")),
        400,
        "M_INVALID_PARAM");
    assertError(s.send(s.authed(CLIENT + "/preview_url?url=%C3%28")), 400, "M_INVALID_PARAM");
    assertThat(previews).hasValue(0);
  }

  @Test
  void thePreviewersRefusalsAndFailuresKeepTheirStatus() throws Exception {
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/fail/403"))),
        403,
        "M_FORBIDDEN");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/fail/502"))),
        502,
        "M_UNKNOWN");
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/fail/504"))),
        504,
        "M_UNKNOWN");
    // failures are not cached: the next request asks again
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/fail/502"))),
        502,
        "M_UNKNOWN");
    assertThat(previews).hasValue(4);
  }

  @Test
  void aUserPastTheirRateIs429WithRetryAfterAndOthersAreNot() throws Exception {
    HttpResponse<String> last = null;
    for (int i = 0; i < 40; i++) {
      last = s.send(s.authed(CLIENT + "/preview_url?url=" + q("https://example.com/same")));
      if (last.statusCode() == 429) {
        break;
      }
      assertThat(last.statusCode()).as(last.body()).isEqualTo(200);
    }
    assertError(last, 429, "M_LIMIT_EXCEEDED");
    assertThat(SpecSchemas.parse(last.body()).get("retry_after_ms").asLong()).isPositive();
    assertThat(last.headers().firstValue("Retry-After")).isPresent();
    HttpResponse<String> bob =
        s.send(
            s.request(CLIENT + "/preview_url?url=" + q("https://example.com/same"))
                .header("Authorization", "Bearer " + HttpTestServer.BOB_TOKEN));
    assertThat(bob.statusCode()).isEqualTo(200);
  }

  // ---- identicons

  @Test
  void anIdenticonIsAPngOfTheAskedSizeDefault96AndCachedWithAnETag() throws Exception {
    HttpResponse<byte[]> r =
        s.sendBytes(s.request(LEGACY.get(0) + "/identicon/%40alice%3Aexample.org"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("image/png");
    assertThat(r.headers().firstValue("Cache-Control"))
        .hasValueSatisfying(v -> assertThat(v).contains("max-age="));
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(r.body()));
    assertThat(image.getWidth()).isEqualTo(96);
    assertThat(image.getHeight()).isEqualTo(96);
    String etag = r.headers().firstValue("ETag").orElseThrow();
    assertThat(etag).matches("\"[0-9a-f]{64}\"");

    for (String legacy : LEGACY) {
      HttpResponse<byte[]> sized =
          s.sendBytes(s.request(legacy + "/identicon/%40alice%3Aexample.org?width=40&height=512"));
      assertThat(sized.statusCode()).isEqualTo(200);
      BufferedImage i = ImageIO.read(new ByteArrayInputStream(sized.body()));
      assertThat(i.getWidth()).isEqualTo(40);
      assertThat(i.getHeight()).isEqualTo(512);
    }
    HttpResponse<byte[]> again =
        s.sendBytes(s.request(LEGACY.get(1) + "/identicon/%40alice%3Aexample.org"));
    assertThat(again.body()).isEqualTo(r.body());
    HttpResponse<byte[]> notModified =
        s.sendBytes(
            s.request(LEGACY.get(0) + "/identicon/%40alice%3Aexample.org")
                .header("If-None-Match", etag));
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.body()).isEmpty();
    // drawn twice: 96 by 96 once (then cached), and 40 by 512 once
    assertThat(identicons).hasValue(2);
  }

  @Test
  void identiconSizesOutsideOneTo512Are400AndNothingIsDrawn() throws Exception {
    for (String query :
        List.of(
            "?width=513",
            "?height=513",
            "?width=0",
            "?height=-1",
            "?width=abc",
            "?width=99999999999999999999")) {
      assertError(
          s.send(s.request(LEGACY.get(0) + "/identicon/bob" + query)), 400, "M_INVALID_PARAM");
    }
    assertThat(identicons).hasValue(0);
    assertError(s.send(s.request(CLIENT + "/identicon/bob")), 404, "M_UNRECOGNIZED");
    assertError(s.send(s.request(LEGACY.get(0) + "/identicon/bob/extra")), 404, "M_UNRECOGNIZED");
  }
}
