package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxmedia.http.EndpointTest.assertError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MxcUri;

/** Hostile HTTP: always a JSON 4xx, nothing written, the server stays up. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileHttpTest {
  @TempDir Path dir;
  HttpTestServer s;

  @BeforeEach
  void start() throws Exception {
    s =
        new HttpTestServer(
            MediaConfig.defaults().withMaxUploadSize(DataSize.kibibytes(512)), b -> b);
  }

  @AfterEach
  void stop() throws Exception {
    assertServerStillAnswers();
    s.close();
  }

  private void assertServerStillAnswers() throws Exception {
    assertThat(s.send(s.authed("/_matrix/client/v1/media/config")).statusCode()).isEqualTo(200);
  }

  private void assertNothingStored() throws IOException {
    assertThat(s.blobCount()).isZero();
    assertThat(s.stagingCount()).isZero();
  }

  /** Sends raw bytes and returns the raw answer (until the server closes or the timeout). */
  private String raw(byte[] request, boolean halfClose) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", s.server.getAddress().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      if (halfClose) {
        socket.shutdownOutput();
      }
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      try {
        int n;
        while ((n = in.read(buf)) > 0) {
          answer.write(buf, 0, n);
        }
      } catch (SocketTimeoutException | SocketException e) {
        // the server may reset a connection whose body it refused
      }
      return answer.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aContentLengthOverTheLimitIsRefusedBeforeTheBodyIsSent() throws Exception {
    String head =
        "POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\n"
            + "Content-Type: image/png\r\nContent-Length: 1073741824\r\n\r\n";
    String answer = raw(head.getBytes(StandardCharsets.ISO_8859_1), false);
    assertThat(answer).startsWith("HTTP/1.1 413").contains("M_TOO_LARGE");
    assertNothingStored();
  }

  @Test
  void anOversizedChunkedBodyIsCutOffAtTheLimit() throws Exception {
    long[] sent = {0};
    HttpRequest.BodyPublisher endless =
        new HttpRequest.BodyPublisher() {
          @Override
          public long contentLength() {
            return -1; // chunked
          }

          @Override
          public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
            subscriber.onSubscribe(
                new Flow.Subscription() {
                  boolean cancelled;

                  @Override
                  public void request(long n) {
                    for (long i = 0; i < n && !cancelled && sent[0] < 64L * 1024 * 1024; i++) {
                      sent[0] += 16384;
                      subscriber.onNext(ByteBuffer.wrap(new byte[16384]));
                    }
                    if (sent[0] >= 64L * 1024 * 1024 && !cancelled) {
                      cancelled = true;
                      subscriber.onComplete();
                    }
                  }

                  @Override
                  public void cancel() {
                    cancelled = true;
                  }
                });
          }
        };
    try {
      HttpResponse<String> r = s.send(s.authed("/_matrix/media/v3/upload").POST(endless));
      assertError(r, 413, "M_TOO_LARGE");
    } catch (IOException e) {
      // the server may close the connection before the client has read the answer
    }
    assertThat(sent[0])
        .as("the server stopped reading long before 64 MiB")
        .isLessThan(64L * 1024 * 1024);
    assertNothingStored();
  }

  @Test
  void aHalfSentBodyLeavesNothing() throws Exception {
    String head =
        "POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\n"
            + "Content-Type: image/png\r\nContent-Length: 100000\r\n\r\n";
    byte[] partial = new byte[head.length() + 5000];
    System.arraycopy(head.getBytes(StandardCharsets.ISO_8859_1), 0, partial, 0, head.length());
    raw(partial, true);
    s.awaitExchangesEnded(
        1, Duration.ofSeconds(10)); // the server is done with the half-sent upload
    assertNothingStored();
  }

  @Test
  void aBadContentLengthIs400() throws Exception {
    String request =
        "POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\n"
            + "Content-Length: -5\r\nConnection: close\r\n\r\n";
    String answer = raw(request.getBytes(StandardCharsets.ISO_8859_1), false);
    assertThat(answer).matches("(?s)HTTP/1.1 4\\d\\d.*");
    assertNothingStored();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/_matrix/client/v1/media/download/../../etc/passwd",
        "/_matrix/client/v1/media/download/example.org/..",
        "/_matrix/client/v1/media/download/example.org/%2e%2e",
        "/_matrix/client/v1/media/download/%2e%2e/abc",
        "/_matrix/client/v1/media/download/..%2F..%2Fetc/passwd",
        "/_matrix/client/v1/media/download/example.org/abc%2F..%2F..%2Fetc%2Fpasswd",
        "/_matrix/client/v1/media/download/example.org/abc%00",
        "/_matrix/client/v1/media/download/example.org/%C3%A9",
        "/_matrix/client/v1/media/download/example.org/abc/..%2F..%2Fsecret",
        "/_matrix/client/v1/media/download/example.org/abc/%00",
        "/_matrix/client/v1/media/thumbnail/example.org/..?width=1&height=1",
        "/_matrix/media/v3/download/example.org%2F..%2F/abc",
        "/_matrix/media/v3/upload/example.org/..",
        "/_matrix/federation/v1/media/download/..",
      })
  void pathTraversalInAnySegmentIsAJson4xx(String path) throws Exception {
    String method = path.startsWith("/_matrix/media/v3/upload/") ? "PUT" : "GET";
    String request =
        method
            + " "
            + path
            + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\n"
            + "Content-Length: 0\r\nConnection: close\r\n\r\n";
    String answer = raw(request.getBytes(StandardCharsets.ISO_8859_1), false);
    assertThat(answer).as(path).matches("(?s)HTTP/1.1 4\\d\\d .*");
    assertThat(answer).as(path).contains("application/json");
    assertNothingStored();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/_matrix/client/v1/media/thumbnail/MXC?width=-1&height=1",
        "/_matrix/client/v1/media/thumbnail/MXC?width=99999999999&height=1",
        "/_matrix/client/v1/media/thumbnail/MXC?width=1&height=1&timeout_ms=abc",
        "/_matrix/client/v1/media/thumbnail/MXC?width=1&height=1&timeout_ms=-5",
        "/_matrix/client/v1/media/thumbnail/MXC?width=1e3&height=1",
        "/_matrix/client/v1/media/thumbnail/MXC?width=&height=1",
        "/_matrix/client/v1/media/download/MXC?timeout_ms=99999999999999999999999",
        "/_matrix/media/v3/download/MXC?allow_remote=yes",
        "/_matrix/media/v3/thumbnail/MXC?width=1&height=1&allow_redirect=2",
      })
  void absurdQueryValuesAreAJson400(String template) throws Exception {
    String mxc = s.upload(new byte[] {1, 2, 3}, "image/png", null);
    String path = template.replace("MXC", HttpTestServer.mxcPath(mxc));
    String answer =
        raw(
            ("GET "
                    + path
                    + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer alice-token\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1),
            true);
    assertThat(answer).as(path).startsWith("HTTP/1.1 400").contains("application/json");
    assertThat(answer).as(path).containsAnyOf("M_INVALID_PARAM", "M_MISSING_PARAM");
    s.repository.admin().delete(MxcUri.parse(mxc));
  }

  @Test
  void aFileNameWithControlCharactersIs400AndStoresNothing() throws Exception {
    HttpResponse<String> r =
        s.send(
            s.authed("/_matrix/media/v3/upload?filename=a%0Ab.txt")
                .POST(HttpRequest.BodyPublishers.ofString("x")));
    assertError(r, 400, "M_INVALID_PARAM");
    HttpResponse<String> badUtf8 =
        s.send(
            s.authed("/_matrix/media/v3/upload?filename=%C3")
                .POST(HttpRequest.BodyPublishers.ofString("x")));
    assertError(badUtf8, 400, "M_INVALID_PARAM");
    assertNothingStored();
  }

  @Test
  void anUnauthenticatedUploadReadsNothingAndStoresNothing() throws Exception {
    // small enough for the server to drain after refusing it, so the client reliably reads the
    // answer
    HttpResponse<String> r =
        s.send(
            s.request("/_matrix/media/v3/upload")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[10_000])));
    assertError(r, 401, "M_MISSING_TOKEN");
    assertNothingStored();
  }

  @Test
  void garbageRequestLinesDoNotTakeTheServerDown() throws Exception {
    raw("\u0000\u0001GARBAGE\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), true);
    raw(
        "GET /_matrix/client/v1/media/config HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1),
        true);
    raw(
        ("GET /_matrix/client/v1/media/download/"
                + "a".repeat(20_000)
                + " HTTP/1.1\r\nHost: x\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1),
        true);
  }
}
