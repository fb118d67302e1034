package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.UrlPreviews.UrlPattern;

class SafetyTest {
  private PageServer server;
  private UrlPreviews previews;
  private MemoryImageStore images;
  private Internal internal;

  /** A listener on 127.0.0.2, the "internal" address: loopback on Linux, refused by the policy. */
  static final class Internal implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger accepts = new AtomicInteger();

    /** Connections {@link #acceptedBeforeNow} made itself. */
    private int probes;

    Internal() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.2"));
      Thread t =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try (Socket s = socket.accept()) {
                    accepts.incrementAndGet();
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "internal-listener");
      t.setDaemon(true);
      t.start();
    }

    String url(String path) {
      return "http://127.0.0.2:" + socket.getLocalPort() + path;
    }

    /**
     * The connections accepted from others before this call: it connects once itself and waits for
     * the listener to accept that connection (which it counts, then closes). Connections are
     * accepted in the order they were made, so every earlier one has been counted by then.
     */
    int acceptedBeforeNow() throws IOException {
      try (Socket probe = new Socket(socket.getInetAddress(), socket.getLocalPort())) {
        probes++;
        probe.setSoTimeout(10_000);
        if (probe.getInputStream().read() != -1) {
          throw new AssertionError("the listener sent something");
        }
      }
      return accepts.get() - probes;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    server = new PageServer();
    previews = Previews.builder().pageDeadline(Duration.ofSeconds(5)).build();
    images = new MemoryImageStore();
    internal = new Internal();
    server.html("/final", "<title>Arrived</title>");
  }

  @AfterEach
  void stop() throws IOException {
    previews.close();
    server.close();
    internal.close();
  }

  private static MediaException failure(Executable call) {
    MediaException e = catchThrowableOfType(MediaException.class, call::execute);
    assertThat(e).as("a MediaException").isNotNull();
    return e;
  }

  private static void assertError(MediaException e, ErrorCode code, int status) {
    assertThat(e.errorCode()).isEqualTo(code);
    assertThat(e.httpStatus()).isEqualTo(status);
    assertThat(e.getMessage()).doesNotContain("127.0.0").doesNotContain("Exception");
  }

  @Test
  void fiveRedirectsAreFollowed() {
    for (int i = 1; i < 5; i++) {
      server.redirect("/r" + i, "/r" + (i + 1));
    }
    server.redirect("/r5", server.url("/final").toString());

    assertThat(previews.preview(server.url("/r1"), images).properties())
        .containsEntry("og:title", "Arrived");
    assertThat(server.hits("/r5")).isEqualTo(1);
  }

  @Test
  void aSixthRedirectIsRefused() {
    for (int i = 1; i < 6; i++) {
      server.redirect("/s" + i, "/s" + (i + 1));
    }
    server.redirect("/s6", "/final");

    assertError(
        failure(() -> previews.preview(server.url("/s1"), images)), ErrorCode.M_UNKNOWN, 502);
    assertThat(server.hits("/s6")).isEqualTo(1);
    assertThat(server.hits("/final")).isZero();
  }

  @Test
  void aRedirectToABlockedAddressIsRefusedWithoutConnecting() throws Exception {
    server.redirect("/r", internal.url("/admin"));

    assertError(
        failure(() -> previews.preview(server.url("/r"), images)), ErrorCode.M_FORBIDDEN, 403);
    assertThat(internal.acceptedBeforeNow()).isZero();
  }

  @Test
  void aHostNameThatResolvesToABlockedAddressIsRefusedWithoutConnecting() throws Exception {
    OutboundPolicy policy =
        Previews.LOOPBACK_ONLY
            .rebuild()
            .resolver(
                host -> {
                  switch (host) {
                    case "public.test":
                      return new InetAddress[] {InetAddress.getByName("127.0.0.1")};
                    case "internal.test":
                      return new InetAddress[] {InetAddress.getByName("127.0.0.2")};
                    case "mixed.test":
                      return new InetAddress[] {
                        InetAddress.getByName("127.0.0.1"), InetAddress.getByName("127.0.0.2")
                      };
                    default:
                      throw new UnknownHostException(host);
                  }
                })
            .build();
    int internalPort = internal.socket.getLocalPort();
    server.redirect("/to-internal", "http://internal.test:" + internalPort + "/");
    try (UrlPreviews named = UrlPreviews.builder().outboundPolicy(policy).build()) {
      assertThat(
              named
                  .preview(URI.create("http://public.test:" + server.port() + "/final"), images)
                  .properties())
          .containsEntry("og:title", "Arrived");
      assertError(
          failure(
              () ->
                  named.preview(URI.create("http://internal.test:" + internalPort + "/"), images)),
          ErrorCode.M_FORBIDDEN,
          403);
      assertError(
          failure(
              () -> named.preview(URI.create("http://mixed.test:" + internalPort + "/"), images)),
          ErrorCode.M_FORBIDDEN,
          403);
      assertError(
          failure(
              () ->
                  named.preview(
                      URI.create("http://public.test:" + server.port() + "/to-internal"), images)),
          ErrorCode.M_FORBIDDEN,
          403);
      assertError(
          failure(() -> named.preview(URI.create("http://nowhere.test/"), images)),
          ErrorCode.M_UNKNOWN,
          502);
    }
    assertThat(internal.acceptedBeforeNow()).isZero();
  }

  @Test
  void theDefaultPolicyRefusesLoopback() {
    try (UrlPreviews defaults = UrlPreviews.defaults()) {
      assertError(
          failure(() -> defaults.preview(server.url("/final"), images)),
          ErrorCode.M_FORBIDDEN,
          403);
    }
    assertThat(server.hits("/final")).isZero();
  }

  @Test
  void anImageOnABlockedAddressIsLeftOutWithoutConnecting() throws Exception {
    server.html(
        "/p",
        "<title>T</title><meta property=og:image content='" + internal.url("/img.png") + "'>");

    Map<String, Object> og = previews.preview(server.url("/p"), images).properties();

    assertThat(og).containsEntry("og:title", "T").doesNotContainKey("og:image");
    assertThat(internal.acceptedBeforeNow()).isZero();
  }

  @Test
  void urlPatternsRefuseByGlobAndByRegex() {
    server.html("/private/page", "<title>secret</title>");
    server.html("/report-2024.html", "<title>secret</title>");
    server.redirect("/hop", "/private/page");
    List<UrlPattern> patterns =
        List.of(
            UrlPattern.of("path", "/private/*"),
            UrlPattern.of(Map.of("scheme", "http", "path", "^/report-[0-9]+\\.html")));
    try (UrlPreviews blocking = Previews.builder().urlBlacklist(patterns).build()) {
      assertError(
          failure(() -> blocking.preview(server.url("/private/page"), images)),
          ErrorCode.M_FORBIDDEN,
          403);
      assertError(
          failure(() -> blocking.preview(server.url("/report-2024.html"), images)),
          ErrorCode.M_FORBIDDEN,
          403);
      assertError(
          failure(() -> blocking.preview(server.url("/hop"), images)), ErrorCode.M_FORBIDDEN, 403);
      assertThat(blocking.preview(server.url("/final"), images).properties())
          .containsEntry("og:title", "Arrived");
    }
    assertThat(server.hits("/private/page") + server.hits("/report-2024.html")).isZero();
    assertThat(server.hits("/hop")).isEqualTo(1);
  }

  @Test
  void onlyAbsoluteHttpUrlsWithoutCredentialsArePreviewed() {
    for (String url :
        List.of(
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "/relative",
            "mailto:a@b.c",
            "http://user:secret@127.0.0.1:" + server.port() + "/final")) {
      assertError(
          failure(() -> previews.preview(URI.create(url), images)), ErrorCode.M_INVALID_PARAM, 400);
    }
    assertThat(server.hits("/final")).isZero();
  }

  @Test
  void aRedirectToAnotherSchemeIsRefused() {
    server.redirect("/file", "file:///etc/passwd");

    assertError(
        failure(() -> previews.preview(server.url("/file"), images)), ErrorCode.M_UNKNOWN, 502);
  }

  @Test
  void anErrorStatusOrARefusedConnectionIs502() throws IOException {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    assertError(
        failure(() -> previews.preview(server.url("/missing"), images)), ErrorCode.M_UNKNOWN, 502);
    assertError(
        failure(() -> previews.preview(URI.create("http://127.0.0.1:" + closedPort + "/"), images)),
        ErrorCode.M_UNKNOWN,
        502);
  }

  @Test
  void aPageTricklingOneByteASecondEndsAtTheDeadline() {
    server.route(
        "/slow",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "text/html");
          exchange.sendResponseHeaders(200, 0);
          OutputStream out = exchange.getResponseBody();
          for (int i = 0; i < 60; i++) {
            out.write('<');
            out.flush();
            try {
              Thread.sleep(1000);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
    try (UrlPreviews quick = Previews.builder().pageDeadline(Duration.ofSeconds(2)).build()) {
      long start = System.nanoTime();
      MediaException e = failure(() -> quick.preview(server.url("/slow"), images));
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertError(e, ErrorCode.M_UNKNOWN, 504);
      assertThat(took).isBetween(Duration.ofMillis(1900), Duration.ofMillis(4500));
    }
  }

  @Test
  void aServerThatNeverAnswersEndsAtTheDeadline() {
    server.route(
        "/silent",
        exchange -> {
          try {
            Thread.sleep(30_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    try (UrlPreviews quick =
        Previews.builder()
            .pageDeadline(Duration.ofSeconds(1))
            .readTimeout(Duration.ofSeconds(20))
            .build()) {
      long start = System.nanoTime();
      MediaException e = failure(() -> quick.preview(server.url("/silent"), images));

      assertError(e, ErrorCode.M_UNKNOWN, 504);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3500));
    }
  }

  @Test
  void anImageTricklingPastItsDeadlineIsLeftOut() {
    server.html("/p", "<title>T</title><meta property=og:image content=/slow.png>");
    server.route(
        "/slow.png",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "image/png");
          exchange.sendResponseHeaders(200, 0);
          OutputStream out = exchange.getResponseBody();
          for (int i = 0; i < 60; i++) {
            out.write(0);
            out.flush();
            try {
              Thread.sleep(500);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
    try (UrlPreviews quick = Previews.builder().imageDeadline(Duration.ofSeconds(1)).build()) {
      long start = System.nanoTime();
      Map<String, Object> og = quick.preview(server.url("/p"), images).properties();

      assertThat(og).containsEntry("og:title", "T").doesNotContainKey("og:image");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(3500));
    }
  }
}
