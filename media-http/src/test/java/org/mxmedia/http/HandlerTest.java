package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.MediaRepository;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;

/**
 * The binding called directly, for requests a server would reject before any handler sees them (the
 * JDK server answers a malformed request line with its own HTML 400).
 */
class HandlerTest {
  @TempDir Path dir;

  private MediaHttpHandler handler(Authenticator authenticator) {
    MediaRepository repo =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(MediaStore.inMemory())
            .storage(PrimaryStorage.inMemory())
            .build();
    return MediaHttpHandler.builder(repo).authenticator(authenticator).build();
  }

  private MediaHttpResponse call(String method, String rawPath, String rawQuery) {
    return call(
        handler(Authenticator.tokens(Map.of("t", HttpTestServer.ALICE))),
        method,
        rawPath,
        rawQuery);
  }

  private static MediaHttpResponse call(
      MediaHttpHandler handler, String method, String rawPath, String rawQuery) {
    return handler.handle(
        new MediaHttpRequest() {
          @Override
          public String method() {
            return method;
          }

          @Override
          public String rawPath() {
            return rawPath;
          }

          @Override
          public Optional<String> rawQuery() {
            return Optional.ofNullable(rawQuery);
          }

          @Override
          public List<String> headers(String name) {
            return name.equals("Authorization") ? List.of("Bearer t") : List.of();
          }

          @Override
          public InputStream body() {
            return new ByteArrayInputStream(new byte[0]);
          }
        });
  }

  private static String body(MediaHttpResponse r) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    r.body().writeTo(out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/_matrix/client/v1/media/download/example.org/%ZZ",
        "/_matrix/client/v1/media/download/%/abc",
        "/_matrix/client/v1/media/download/example.org/abc/%C3%28"
      })
  void malformedPercentEncodingInThePathIsAJson400(String path) throws Exception {
    try (MediaHttpResponse r = call("GET", path, null)) {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.headers()).containsEntry("Content-Type", "application/json");
      assertThat(SpecSchemas.parse(body(r)).path("errcode").asText()).isEqualTo("M_INVALID_PARAM");
    }
  }

  @Test
  void malformedPercentEncodingInTheQueryIsAJson400() throws Exception {
    try (MediaHttpResponse r =
        call("GET", "/_matrix/client/v1/media/thumbnail/example.org/abc", "width=%ZZ&height=1")) {
      assertThat(r.status()).isEqualTo(400);
      assertThat(SpecSchemas.parse(body(r)).path("errcode").asText()).isEqualTo("M_INVALID_PARAM");
    }
  }

  @Test
  void aFailingAuthenticatorIsA500WithoutDetails() throws Exception {
    MediaHttpHandler handler =
        handler(
            token -> {
              throw new IllegalStateException("session db at 10.0.0.5 is down");
            });
    MediaHttpResponse r = call(handler, "GET", "/_matrix/client/v1/media/config", null);
    assertThat(r.status()).isEqualTo(500);
    assertThat(body(r)).contains("M_UNKNOWN").doesNotContain("10.0.0.5");
  }

  @Test
  void noHeaderValueOutsideVisibleAsciiCanLeaveTheBinding() {
    for (String value :
        List.of("a\r\nSet-Cookie: x=y", "\u010D\u010A", "caf\u00e9", "a\u0000b", "\u007f")) {
      Assertions.assertThatThrownBy(
              () ->
                  new MediaHttpResponse(
                      200, Map.of("X-Test", value), Responses.bytesBody(new byte[0]), false))
          .as(value)
          .isInstanceOf(IllegalArgumentException.class);
    }
    Assertions.assertThatThrownBy(
            () ->
                new MediaHttpResponse(
                    200, Map.of("Bad Name", "v"), Responses.bytesBody(new byte[0]), false))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(
            new MediaHttpResponse(
                    200,
                    Map.of("X-Test", "visible ascii\tand tab ~"),
                    Responses.bytesBody(new byte[0]),
                    false)
                .headers())
        .containsKey("X-Test");
  }
}
