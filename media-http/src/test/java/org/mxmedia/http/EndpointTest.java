package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxmedia.http.HttpTestServer.mxcPath;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.MediaConfig;
import org.mxmedia.MxcUri;

/**
 * Every media endpoint through the JDK adapter on a real loopback socket, JSON checked against the
 * spec.
 */
class EndpointTest {
  static final String CLIENT = "/_matrix/client/v1/media";
  static final String LEGACY = "/_matrix/media/v3";

  @TempDir Path dir;
  HttpTestServer s;

  @BeforeEach
  void start() throws Exception {
    s = new HttpTestServer();
  }

  @AfterEach
  void stop() {
    s.close();
  }

  static void assertError(HttpResponse<String> r, int status, String errcode) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    JsonNode body = SpecSchemas.parse(r.body());
    assertThat(body.path("errcode").asText()).isEqualTo(errcode);
    assertThat(body.path("error").asText()).isNotBlank();
  }

  // ---- config and authentication

  @Test
  void configReportsTheUploadLimit() throws Exception {
    HttpResponse<String> r = s.send(s.authed(CLIENT + "/config"));
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body =
        SpecSchemas.assertValid("GET", "/_matrix/client/v1/media/config", 200, r.body());
    assertThat(body.get("m.upload.size").asLong()).isEqualTo(50L * 1024 * 1024);
    HttpResponse<String> legacy = s.send(s.authed(LEGACY + "/config"));
    SpecSchemas.assertValid("GET", "/_matrix/media/v3/config", 200, legacy.body());
  }

  @Test
  void aMissingTokenIs401MissingTokenAndABadOneIs401UnknownToken() throws Exception {
    assertError(s.send(s.request(CLIENT + "/config")), 401, "M_MISSING_TOKEN");
    assertError(
        s.send(s.request(CLIENT + "/config").header("Authorization", "Bearer nope")),
        401,
        "M_UNKNOWN_TOKEN");
    assertError(
        s.send(s.request(CLIENT + "/config").header("Authorization", "Basic abc")),
        401,
        "M_MISSING_TOKEN");
    assertThat(
            s.send(s.request(CLIENT + "/config?access_token=" + HttpTestServer.ALICE_TOKEN))
                .statusCode())
        .isEqualTo(200);
  }

  // ---- upload and download

  @Test
  void uploadThenDownloadOnTheAuthenticatedEndpoint() throws Exception {
    byte[] png = random(20_000);
    HttpResponse<String> up =
        s.send(
            s.authed(LEGACY + "/upload?filename=cat.png")
                .header("Content-Type", "image/png")
                .POST(HttpRequest.BodyPublishers.ofByteArray(png)));
    JsonNode body = SpecSchemas.assertValid("POST", "/_matrix/media/v3/upload", 200, up.body());
    String mxc = body.get("content_uri").asText();
    assertThat(mxc).matches("mxc://example\\.org/[A-Za-z]{24}");

    HttpResponse<byte[]> down = s.sendBytes(s.authed(CLIENT + "/download/" + mxcPath(mxc)));
    assertThat(down.statusCode()).isEqualTo(200);
    assertThat(down.body()).isEqualTo(png);
    var h = down.headers();
    assertThat(h.firstValue("Content-Type")).hasValue("image/png");
    assertThat(h.firstValue("Content-Disposition")).hasValue("inline; filename=cat.png");
    assertThat(h.firstValue("Content-Length")).hasValue("20000");
    assertThat(h.firstValue("Content-Security-Policy")).hasValue(MediaResponses.MEDIA_CSP);
    assertThat(h.firstValue("Cross-Origin-Resource-Policy")).hasValue("cross-origin");
    assertThat(h.firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(h.firstValue("Referrer-Policy")).hasValue("no-referrer");
    assertThat(h.firstValue("Cache-Control")).hasValue("private, max-age=31536000, immutable");
    assertThat(h.firstValue("ETag"))
        .hasValue(
            "\""
                + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png))
                + "\"");
    assertThat(h.firstValue("Access-Control-Allow-Origin")).hasValue("*");
  }

  @Test
  void theAuthenticatedDownloadNeedsAToken() throws Exception {
    String mxc = s.upload("x".getBytes(StandardCharsets.UTF_8), "text/plain", null);
    assertError(s.send(s.request(CLIENT + "/download/" + mxcPath(mxc))), 401, "M_MISSING_TOKEN");
  }

  @Test
  void downloadWithAFileNameOverridesTheName() throws Exception {
    String mxc = s.upload("hi".getBytes(StandardCharsets.UTF_8), "text/plain", "a.txt");
    HttpResponse<String> r =
        s.send(s.authed(CLIENT + "/download/" + mxcPath(mxc) + "/r%C3%A9sum%C3%A9%20final.txt"));
    assertThat(r.headers().firstValue("Content-Disposition"))
        .hasValue("inline; filename*=utf-8''r%C3%A9sum%C3%A9%20final.txt");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"my+cat.png", "my%20cat.png"})
  void uploadFileNamesDecodePlusAndPercent20AsSpaces(String query) throws Exception {
    String mxc = s.upload(new byte[] {1}, "image/png", query);
    HttpResponse<String> r = s.send(s.authed(CLIENT + "/download/" + mxcPath(mxc)));
    assertThat(r.headers().firstValue("Content-Disposition"))
        .hasValue("inline; filename*=utf-8''my%20cat.png");
  }

  @Test
  void htmlIsServedAsAnAttachment() throws Exception {
    String mxc = s.upload("<script>".getBytes(StandardCharsets.UTF_8), "text/html", "x.html");
    HttpResponse<String> r = s.send(s.authed(CLIENT + "/download/" + mxcPath(mxc)));
    assertThat(r.headers().firstValue("Content-Disposition"))
        .hasValue("attachment; filename=x.html");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
  }

  @Test
  void legacyDownloadsAreFrozenByDefault() throws Exception {
    String mxc = s.upload("x".getBytes(StandardCharsets.UTF_8), "text/plain", null);
    assertError(s.send(s.request(LEGACY + "/download/" + mxcPath(mxc))), 404, "M_NOT_FOUND");
    assertError(
        s.send(s.request("/_matrix/media/r0/download/" + mxcPath(mxc))), 404, "M_NOT_FOUND");
  }

  @Test
  void mediaFromBeforeTheFreezeIsServedOnLegacyEndpointsWithoutAToken(@TempDir Path other)
      throws Exception {
    try (HttpTestServer legacy =
        new HttpTestServer(
            MediaConfig.defaults(), b -> b.legacyMediaFreeze(Instant.now().plusSeconds(3600)))) {
      String mxc = legacy.upload("old".getBytes(StandardCharsets.UTF_8), "text/plain", null);
      for (String prefix :
          new String[] {"/_matrix/media/v3", "/_matrix/media/r0", "/_matrix/media/v1"}) {
        HttpResponse<String> r =
            legacy.send(
                legacy.request(prefix + "/download/" + mxcPath(mxc) + "?allow_remote=false"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("old");
        assertThat(r.headers().firstValue("Cache-Control"))
            .hasValue("public, max-age=31536000, immutable");
      }
    }
  }

  @Test
  void headAnswersTheHeadersAndLengthWithoutABody() throws Exception {
    String mxc = s.upload(random(1234), "application/pdf", null);
    HttpResponse<String> r =
        s.send(
            s.authed(CLIENT + "/download/" + mxcPath(mxc))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Length")).hasValue("1234");
    assertThat(r.headers().firstValue("Content-Disposition")).hasValue("attachment");
    assertThat(r.body()).isEmpty();
  }

  @Test
  void singleRangesAreAnsweredWith206() throws Exception {
    byte[] bytes = random(1000);
    String path = CLIENT + "/download/" + mxcPath(s.upload(bytes, "video/mp4", null));
    HttpResponse<byte[]> r = s.sendBytes(s.authed(path).header("Range", "bytes=100-199"));
    assertThat(r.statusCode()).isEqualTo(206);
    assertThat(r.headers().firstValue("Content-Range")).hasValue("bytes 100-199/1000");
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(bytes, 100, 200));

    HttpResponse<byte[]> suffix = s.sendBytes(s.authed(path).header("Range", "bytes=-10"));
    assertThat(suffix.statusCode()).isEqualTo(206);
    assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(bytes, 990, 1000));

    HttpResponse<byte[]> open = s.sendBytes(s.authed(path).header("Range", "bytes=995-"));
    assertThat(open.headers().firstValue("Content-Range")).hasValue("bytes 995-999/1000");

    HttpResponse<byte[]> several = s.sendBytes(s.authed(path).header("Range", "bytes=0-1,5-6"));
    assertThat(several.statusCode()).isEqualTo(200);
    assertThat(several.body()).isEqualTo(bytes);

    HttpResponse<String> beyond = s.send(s.authed(path).header("Range", "bytes=1000-"));
    assertThat(beyond.statusCode()).isEqualTo(416);
    assertThat(beyond.headers().firstValue("Content-Range")).hasValue("bytes */1000");

    HttpResponse<byte[]> staleIfRange =
        s.sendBytes(s.authed(path).header("Range", "bytes=0-9").header("If-Range", "\"other\""));
    assertThat(staleIfRange.statusCode()).isEqualTo(200);
  }

  @Test
  void aMatchingIfNoneMatchIs304() throws Exception {
    String path = CLIENT + "/download/" + mxcPath(s.upload(random(100), "image/png", null));
    String etag = s.send(s.authed(path)).headers().firstValue("ETag").orElseThrow();
    HttpResponse<String> r = s.send(s.authed(path).header("If-None-Match", "\"abc\", " + etag));
    assertThat(r.statusCode()).isEqualTo(304);
    assertThat(r.body()).isEmpty();
    assertThat(r.headers().firstValue("ETag")).hasValue(etag);
    // authentication comes first: no token, no 304
    assertError(s.send(s.request(path).header("If-None-Match", etag)), 401, "M_MISSING_TOKEN");
  }

  @Test
  void quarantinedMediaIs404EvenForAConditionalRequest() throws Exception {
    String mxc = s.upload(random(100), "image/png", null);
    String path = CLIENT + "/download/" + mxcPath(mxc);
    String etag = s.send(s.authed(path)).headers().firstValue("ETag").orElseThrow();
    s.repository.admin().quarantine(MxcUri.parse(mxc));
    assertError(s.send(s.authed(path).header("If-None-Match", etag)), 404, "M_NOT_FOUND");
  }

  @Test
  void unknownMediaIs404() throws Exception {
    HttpResponse<String> r = s.send(s.authed(CLIENT + "/download/example.org/doesNotExist"));
    assertError(r, 404, "M_NOT_FOUND");
  }

  // ---- asynchronous uploads

  @Test
  void createThenPutThenDownload() throws Exception {
    HttpResponse<String> created =
        s.send(s.authed("/_matrix/media/v1/create").POST(HttpRequest.BodyPublishers.noBody()));
    JsonNode body =
        SpecSchemas.assertValid("POST", "/_matrix/media/v1/create", 200, created.body());
    String mxc = body.get("content_uri").asText();
    assertThat(body.get("unused_expires_at").asLong()).isGreaterThan(System.currentTimeMillis());

    HttpResponse<String> put =
        s.send(
            s.authed(LEGACY + "/upload/" + mxcPath(mxc) + "?filename=later.txt")
                .header("Content-Type", "text/plain")
                .PUT(HttpRequest.BodyPublishers.ofString("later")));
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(put.body()).isEqualTo("{}");

    assertThat(s.send(s.authed(CLIENT + "/download/" + mxcPath(mxc))).body()).isEqualTo("later");

    HttpResponse<String> again =
        s.send(
            s.authed(LEGACY + "/upload/" + mxcPath(mxc))
                .PUT(HttpRequest.BodyPublishers.ofString("x")));
    assertError(again, 409, "M_CANNOT_OVERWRITE_MEDIA");
    SpecSchemas.assertValid(
        "PUT", "/_matrix/media/v3/upload/{serverName}/{mediaId}", 409, again.body());
  }

  @Test
  void putByAnotherUserIs403AndOnAnUnknownIdIs404() throws Exception {
    String mxc =
        SpecSchemas.parse(
                s.send(
                        s.authed("/_matrix/media/v1/create")
                            .POST(HttpRequest.BodyPublishers.noBody()))
                    .body())
            .get("content_uri")
            .asText();
    HttpResponse<String> bob =
        s.send(
            s.request(LEGACY + "/upload/" + mxcPath(mxc))
                .header("Authorization", "Bearer " + HttpTestServer.BOB_TOKEN)
                .PUT(HttpRequest.BodyPublishers.ofString("x")));
    assertError(bob, 403, "M_FORBIDDEN");
    assertError(
        s.send(
            s.authed(LEGACY + "/upload/example.org/unknown")
                .PUT(HttpRequest.BodyPublishers.ofString("x"))),
        404,
        "M_NOT_FOUND");
  }

  @Test
  void tooManyPendingUploadsIs429WithRetryAfter() throws Exception {
    for (int i = 0; i < 5; i++) {
      s.send(s.authed("/_matrix/media/v1/create").POST(HttpRequest.BodyPublishers.noBody()));
    }
    HttpResponse<String> r =
        s.send(s.authed("/_matrix/media/v1/create").POST(HttpRequest.BodyPublishers.noBody()));
    assertError(r, 429, "M_LIMIT_EXCEEDED");
    JsonNode body = SpecSchemas.assertValid("POST", "/_matrix/media/v1/create", 429, r.body());
    assertThat(body.get("retry_after_ms").asLong()).isPositive();
    assertThat(r.headers().firstValue("Retry-After")).isPresent();
  }

  @Test
  void aPendingDownloadTimesOutWith504() throws Exception {
    String mxc =
        SpecSchemas.parse(
                s.send(
                        s.authed("/_matrix/media/v1/create")
                            .POST(HttpRequest.BodyPublishers.noBody()))
                    .body())
            .get("content_uri")
            .asText();
    HttpResponse<String> r =
        s.send(s.authed(CLIENT + "/download/" + mxcPath(mxc) + "?timeout_ms=200"));
    assertError(r, 504, "M_NOT_YET_UPLOADED");
  }

  // ---- thumbnails without a thumbnailer, and parameters

  @Test
  void thumbnailParametersAreValidated() throws Exception {
    String path = CLIENT + "/thumbnail/" + mxcPath(s.upload(random(10), "image/png", null));
    assertError(s.send(s.authed(path + "?height=32")), 400, "M_MISSING_PARAM");
    assertError(s.send(s.authed(path + "?width=-1&height=32")), 400, "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(path + "?width=99999999999999999999&height=32")), 400, "M_INVALID_PARAM");
    assertError(s.send(s.authed(path + "?width=0&height=32")), 400, "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(path + "?width=32&height=32&method=stretch")), 400, "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(path + "?width=32&height=32&animated=maybe")), 400, "M_INVALID_PARAM");
    assertError(
        s.send(s.authed(path + "?width=32&height=32&timeout_ms=abc")), 400, "M_INVALID_PARAM");
  }

  // ---- unknown things

  @Test
  void unknownPathsAre404UnrecognizedAndWrongMethods405() throws Exception {
    assertError(s.send(s.authed("/_matrix/media/v3/nonsense")), 404, "M_UNRECOGNIZED");
    assertError(s.send(s.authed("/somewhere/else")), 404, "M_UNRECOGNIZED");
    assertError(
        s.send(s.authed(CLIENT + "/upload").POST(HttpRequest.BodyPublishers.ofString("x"))),
        404,
        "M_UNRECOGNIZED");
    HttpResponse<String> r = s.send(s.authed(LEGACY + "/upload"));
    assertError(r, 405, "M_UNRECOGNIZED");
    assertThat(r.headers().firstValue("Allow")).hasValue("POST, OPTIONS");
    assertError(s.send(s.authed(CLIENT + "/config").DELETE()), 405, "M_UNRECOGNIZED");
  }

  @Test
  void previewUrlAndIdenticonsWithoutTheirPartsAre404Unrecognized() throws Exception {
    assertError(
        s.send(s.authed(CLIENT + "/preview_url?url=https://example.org")), 404, "M_UNRECOGNIZED");
    assertError(
        s.send(s.authed(LEGACY + "/preview_url?url=https://example.org")), 404, "M_UNRECOGNIZED");
    assertError(s.send(s.request(LEGACY + "/identicon/alice")), 404, "M_UNRECOGNIZED");
  }

  @Test
  void optionsIsAnsweredWithCorsHeaders() throws Exception {
    HttpResponse<String> r =
        s.send(
            s.request(CLIENT + "/download/example.org/abc")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", "https://app.element.io")
                .header("Access-Control-Request-Method", "GET"));
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(r.headers().firstValue("Access-Control-Allow-Methods").orElseThrow())
        .contains("GET", "POST", "PUT", "OPTIONS");
    assertThat(r.headers().firstValue("Access-Control-Allow-Headers").orElseThrow())
        .contains("Authorization", "Content-Type");
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }
}
