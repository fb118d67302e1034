package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.assertj.core.api.Assertions;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * Remote media against an origin that attacks: internal {@code Location}s, redirect chains, stalls
 * at every stage of the exchange, floods of requests and server names. The safe outcome each time:
 * a 4xx/5xx at once or within the deadline, no connection to the internal service, nothing kept,
 * every response closed, no backoff a caller could poison.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostileRemoteTest {
  @TempDir Path dir;
  FakeOrigin origin;
  InternalService internal;
  Fixture f;

  /** A service on 127.0.0.2 that must never be reached: it counts the connections it accepts. */
  static final class InternalService implements AutoCloseable {
    final ServerSocket socket;
    final AtomicInteger accepted = new AtomicInteger();
    final Thread acceptor;

    InternalService() throws IOException {
      socket = new ServerSocket();
      socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
      acceptor =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try (Socket s = socket.accept()) {
                    accepted.incrementAndGet();
                    s.getOutputStream()
                        .write(
                            "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nContent-Type: text/plain\r\n\r\nsecret"
                                .getBytes(StandardCharsets.ISO_8859_1));
                  } catch (IOException e) {
                    // closed
                  }
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String url(String host) {
      return "http://" + host + ":" + socket.getLocalPort() + "/secret";
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @BeforeEach
  void start() throws Exception {
    origin = new FakeOrigin();
    internal = new InternalService();
    f = fixture(b -> b);
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
    origin.close();
    internal.close();
  }

  private Fixture fixture(UnaryOperator<MediaConfig.Builder> config) {
    MediaConfig c =
        config
            .apply(
                MediaConfig.defaults()
                    .rebuild()
                    .maxUploadSize(DataSize.kibibytes(512))
                    .remoteIdleTimeout(Duration.ofMillis(500))
                    .remoteDeadline(Duration.ofSeconds(3))
                    .remoteRetryBackoff(Duration.ofSeconds(30)))
            .build();
    return new Fixture(
        dir.resolve("s" + System.nanoTime()),
        MediaStore.inMemory(),
        b ->
            b.config(c)
                .federationClient(origin.client())
                .thumbnailer(new ImageIoThumbnailer())
                .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY));
  }

  private byte[] download(MxcUri uri, DownloadOptions options) throws Exception {
    try (MediaResponse r = f.repo.download(uri, options)) {
      return r.content().openStream().readAllBytes();
    }
  }

  private MediaException failure(MxcUri uri) {
    return catchFailure(() -> download(uri, DownloadOptions.defaults()));
  }

  private static MediaException catchFailure(ThrowableAssert.ThrowingCallable call) {
    Throwable t = Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(MediaException.class);
    return (MediaException) t;
  }

  private static void assertStatus(MediaException e, int status, ErrorCode code) {
    assertThat(e.httpStatus()).as(e.getMessage()).isEqualTo(status);
    assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(code);
  }

  private long fetches() {
    return origin.federationRequests.get() + origin.legacyRequests.get();
  }

  private void assertNothingKept() throws IOException {
    assertThat(f.files().stream().filter(p -> p.startsWith("blobs"))).as("no blob kept").isEmpty();
    assertThat(f.stagingFiles()).as("no staging file left").isEmpty();
  }

  private static FakeOrigin.Script locationPart(String location) {
    return ex ->
        FakeOrigin.send(
            ex,
            200,
            "multipart/mixed; boundary=b1",
            ("--b1\r\nContent-Type: application/json\r\n\r\n{}\r\n--b1\r\nLocation: "
                    + location
                    + "\r\n\r\n\r\n--b1--\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  void aLocationToAnInternalAddressIsRefusedWithoutConnecting() throws Exception {
    List<String> targets =
        List.of(
            internal.url("127.0.0.2"),
            internal.url("[::ffff:127.0.0.2]"),
            internal.url("[::ffff:7f00:2]"),
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0:" + internal.socket.getLocalPort() + "/",
            internal.url("localhost"),
            "file:///etc/passwd",
            "gopher://127.0.0.2/");
    int i = 0;
    for (String target : targets) {
      MxcUri uri = MxcUri.of("evil" + i++ + ".test", "stolen");
      origin.federation = locationPart(target);
      assertStatus(failure(uri), 502, ErrorCode.M_UNKNOWN);
      assertThat(f.store.remoteMedia(uri)).as(target).isEmpty();
    }
    assertThat(internal.accepted.get()).as("connections to the internal service").isZero();
    assertNothingKept();
    assertThat(origin.bodiesClosed.get()).isEqualTo(origin.bodiesOpened.get());
  }

  @Test
  void aRedirectChainEndingInternallyIsRefusedAndEveryResponseClosed() throws Exception {
    origin.federation =
        ex ->
            FakeOrigin.send(
                ex, 404, "application/json", "{\"errcode\":\"M_UNRECOGNIZED\"}".getBytes());
    origin.legacy = ex -> redirect(ex, origin.base() + "/hop1");
    origin.other =
        ex -> {
          String path = ex.getRequestURI().getPath();
          redirect(ex, path.equals("/hop1") ? origin.base() + "/hop2" : internal.url("127.0.0.2"));
        };
    assertStatus(failure(MxcUri.of("chain.test", "m1")), 502, ErrorCode.M_UNKNOWN);
    assertThat(internal.accepted.get()).isZero();
    assertThat(origin.bodiesClosed.get())
        .as("every response closed")
        .isEqualTo(origin.bodiesOpened.get());
    assertThat(origin.bodiesOpened.get()).isEqualTo(4);
    assertNothingKept();
  }

  private static void redirect(HttpExchange ex, String to) throws IOException {
    ex.getResponseHeaders().set("Location", to);
    ex.sendResponseHeaders(302, -1);
  }

  @Test
  void redirectsThatEndWellOrLoopCloseEveryResponse() throws Exception {
    byte[] bytes = RemoteMediaTest.random(3000);
    origin.federation = locationPart(origin.base() + "/a");
    origin.other =
        ex -> {
          switch (ex.getRequestURI().getPath()) {
            case "/a" -> redirect(ex, origin.base() + "/b");
            case "/b" -> redirect(ex, origin.base() + "/c");
            case "/c" -> FakeOrigin.send(ex, 200, "application/octet-stream", bytes);
            default -> redirect(ex, origin.base() + ex.getRequestURI().getPath() + "x"); // endless
          }
        };
    assertThat(download(MxcUri.of("good.test", "m"), DownloadOptions.defaults())).isEqualTo(bytes);
    assertThat(origin.bodiesClosed.get()).isEqualTo(origin.bodiesOpened.get()).isEqualTo(4);

    origin.federation = locationPart(origin.base() + "/loop");
    assertStatus(failure(MxcUri.of("loop.test", "m")), 502, ErrorCode.M_UNKNOWN);
    assertThat(origin.bodiesClosed.get()).isEqualTo(origin.bodiesOpened.get());
  }

  @Test
  void headersThenSilenceIs502AtTheIdleTimeout() throws Exception {
    origin.federation =
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody().flush();
          Thread.sleep(20_000);
        };
    long start = System.nanoTime();
    assertStatus(failure(MxcUri.of("silent.test", "m")), 502, ErrorCode.M_UNKNOWN);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    assertNothingKept();
  }

  @Test
  void aTricklingPreambleOrPartHeaderIsCutOffByTheDeadline() throws Exception {
    String[] prefixes = {"", "--s\r\nContent-Type: application/json\r\n\r\n{}\r\n--s\r\nX-Pad: "};
    int i = 0;
    for (String prefix : prefixes) {
      origin.federation =
          ex -> {
            ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            out.write(prefix.getBytes(StandardCharsets.ISO_8859_1));
            for (int k = 0; k < 400; k++) {
              out.write('x'); // a byte every 50 ms: never idle, never done
              out.flush();
              Thread.sleep(50);
            }
          };
      long start = System.nanoTime();
      assertStatus(failure(MxcUri.of("trickle" + i++ + ".test", "m")), 502, ErrorCode.M_UNKNOWN);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as(prefix)
          .isGreaterThan(Duration.ofMillis(2500))
          .isLessThan(Duration.ofMillis(5000));
    }
    assertNothingKept();
  }

  @Test
  void aFloodOfPreamblesIsRefusedAtItsBound() throws Exception {
    origin.federation =
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
          ex.sendResponseHeaders(200, 0);
          OutputStream out = ex.getResponseBody();
          byte[] junk = new byte[64 * 1024];
          for (int k = 0; k < 1000; k++) {
            out.write(junk);
          }
        };
    long start = System.nanoTime();
    assertStatus(failure(MxcUri.of("flood.test", "m")), 502, ErrorCode.M_UNKNOWN);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void stallsCannotTakeEveryRequestThread() throws Exception {
    f.close();
    f = fixture(b -> b.maxConcurrentRemoteDownloads(8).maxRemoteFetchesPerServer(4));
    AtomicInteger concurrent = new AtomicInteger();
    AtomicInteger maxConcurrent = new AtomicInteger();
    origin.federation =
        ex -> {
          maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
          try {
            ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().flush();
            Thread.sleep(10_000);
          } finally {
            concurrent.decrementAndGet();
          }
        };
    ExecutorService pool = Executors.newFixedThreadPool(100);
    List<Future<Long>> answers = new ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < 100; i++) {
      MxcUri uri = MxcUri.of(i % 2 == 0 ? "stall.test" : "stall2.test", "m" + i);
      answers.add(
          pool.submit(
              () -> {
                go.await();
                long start = System.nanoTime();
                MediaException e = catchFailure(() -> download(uri, DownloadOptions.defaults()));
                assertThat(e.httpStatus()).isIn(429, 502);
                return (System.nanoTime() - start) / 1_000_000;
              }));
    }
    go.countDown();
    int quick = 0;
    for (Future<Long> a : answers) {
      long millis = a.get(30, TimeUnit.SECONDS);
      assertThat(millis).as("every request is answered within the deadline").isLessThan(5000);
      if (millis < 1000) {
        quick++;
      }
    }
    pool.shutdown();
    assertThat(quick).as("requests past the caps are refused at once").isGreaterThanOrEqualTo(92);
    assertThat(maxConcurrent.get()).as("fetches at the origin at once").isLessThanOrEqualTo(8);
    assertNothingKept();
  }

  @Test
  void aCallersShortTimeoutNeverCountsAgainstTheRemote() throws Exception {
    byte[] bytes = RemoteMediaTest.random(2000);
    origin.federation =
        ex -> {
          Thread.sleep(1500);
          FakeOrigin.multipartAnswer(bytes, "application/octet-stream", "attachment").answer(ex);
        };
    MxcUri first = MxcUri.of("slow.test", "m1");
    assertThat(download(first, DownloadOptions.defaults().withTimeout(Duration.ZERO)))
        .isEqualTo(bytes);
    assertThat(
            download(
                MxcUri.of("slow.test", "m2"),
                DownloadOptions.defaults().withTimeout(Duration.ofMillis(1))))
        .isEqualTo(bytes);
    assertThat(origin.federationRequests.get()).isEqualTo(2);
  }

  @Test
  void sizeLimitsDoNotBackOffTheRemote() throws Exception {
    origin.federation =
        FakeOrigin.multipartAnswer(RemoteMediaTest.random(600 * 1024), "image/png", "inline");
    assertStatus(failure(MxcUri.of("big.test", "m1")), 502, ErrorCode.M_TOO_LARGE);
    byte[] small = RemoteMediaTest.random(100);
    origin.federation = FakeOrigin.multipartAnswer(small, "image/png", "inline");
    assertThat(download(MxcUri.of("big.test", "m2"), DownloadOptions.defaults())).isEqualTo(small);
  }

  @Test
  void aBoundaryLongerThanTheRfcAllowsIs502AndCountsAgainstTheRemote() throws Exception {
    String boundary = "b".repeat(201);
    origin.federation =
        ex ->
            FakeOrigin.send(
                ex,
                200,
                "multipart/mixed; boundary=" + boundary,
                FakeOrigin.multipart(boundary, "Content-Type: image/png", new byte[10]));
    assertStatus(failure(MxcUri.of("long.test", "m1")), 502, ErrorCode.M_UNKNOWN);
    MediaException again = failure(MxcUri.of("long.test", "m2"));
    assertThat(again.getMessage()).contains("Not retrying");
    assertThat(origin.federationRequests.get()).isEqualTo(1);
  }

  @Test
  void thousandsOfInventedServerNamesLeaveTheBackoffMapAtItsBound() throws Exception {
    origin.federation = ex -> FakeOrigin.send(ex, 500, "application/json", "{}".getBytes());
    assertStatus(failure(MxcUri.of("first.test", "m")), 502, ErrorCode.M_UNKNOWN);
    assertThat(failure(MxcUri.of("first.test", "m2")).getMessage())
        .as("backed off")
        .contains("Not retrying");
    for (int i = 0; i < 2000; i++) {
      assertStatus(failure(MxcUri.of("invented" + i + ".test", "m")), 502, ErrorCode.M_UNKNOWN);
    }
    // the map holds at most 1000 servers: the first one's entry was evicted, so it is asked again
    int asked = origin.federationRequests.get();
    assertStatus(failure(MxcUri.of("first.test", "m3")), 502, ErrorCode.M_UNKNOWN);
    assertThat(origin.federationRequests.get())
        .as("asked again: its backoff was forgotten")
        .isEqualTo(asked + 1);
    // and the most recent ones are still backed off
    assertThat(failure(MxcUri.of("invented1999.test", "m2")).getMessage()).contains("Not retrying");
  }

  @Test
  void frozenRequestsForUncachedRemoteMediaAre404WithoutAskingTheOrigin() throws Exception {
    byte[] png = TestImages.encode(TestImages.noisy(200, 150, 3), "png");
    origin.federation = FakeOrigin.multipartAnswer(png, "image/png", "inline");
    DownloadOptions frozen = DownloadOptions.defaults().withLegacyFreeze(Instant.EPOCH);
    MxcUri uri = MxcUri.of("frozen.test", "m1");
    assertStatus(catchFailure(() -> download(uri, frozen)), 404, ErrorCode.M_NOT_FOUND);
    assertStatus(
        catchFailure(() -> f.repo.thumbnail(uri, ThumbnailSpec.crop(32, 32), frozen).close()),
        404,
        ErrorCode.M_NOT_FOUND);
    assertThat(origin.federationRequests.get()).isZero();
    assertThat(fetches()).isZero();
    assertNothingKept();

    // cached before the freeze: still served on the frozen endpoints
    Instant freeze = f.clock.instant().plusSeconds(60);
    assertThat(download(uri, DownloadOptions.defaults().withLegacyFreeze(freeze))).isEqualTo(png);
    f.clock.advance(Duration.ofMinutes(5));
    assertThat(download(uri, DownloadOptions.defaults().withLegacyFreeze(freeze))).isEqualTo(png);
    MxcUri later = MxcUri.of("frozen.test", "m2");
    assertStatus(
        catchFailure(() -> download(later, DownloadOptions.defaults().withLegacyFreeze(freeze))),
        404,
        ErrorCode.M_NOT_FOUND);
    assertThat(origin.federationRequests.get()).isEqualTo(1);
  }

  @Test
  void waitersShareTheFetchersFateWithinTheDeadline() throws Exception {
    origin.federation =
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
          ex.sendResponseHeaders(200, 0);
          OutputStream out = ex.getResponseBody();
          for (int k = 0; k < 400; k++) {
            out.write('x');
            out.flush();
            Thread.sleep(50);
          }
        };
    MxcUri uri = MxcUri.of("shared.test", "m");
    ExecutorService pool = Executors.newFixedThreadPool(10);
    List<Future<MediaException>> answers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      answers.add(pool.submit(() -> catchFailure(() -> download(uri, DownloadOptions.defaults()))));
    }
    for (Future<MediaException> a : answers) {
      assertStatus(a.get(10, TimeUnit.SECONDS), 502, ErrorCode.M_UNKNOWN);
    }
    pool.shutdown();
    assertThat(origin.federationRequests.get()).isEqualTo(1);
  }

  @Test
  void theFetchingThreadIsNotLeftInterrupted() throws Exception {
    origin.federation =
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody().flush();
          Thread.sleep(20_000);
        };
    failure(MxcUri.of("interrupt.test", "m"));
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    InputStream in = new ByteArrayInputStream(new byte[10]);
    assertThat(in.readAllBytes()).hasSize(10);
  }
}
