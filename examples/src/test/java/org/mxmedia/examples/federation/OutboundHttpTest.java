package org.mxmedia.examples.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.http.HttpHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.examples.ScriptedServer;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OutboundHttpTest {
  private static final Duration LONG = Duration.ofSeconds(10);
  private static final OutboundHttp.Limits LIMITS =
      new OutboundHttp.Limits(Duration.ofSeconds(2), Duration.ofSeconds(10));

  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeAfter.add(c);
    return c;
  }

  private OutboundHttp http(OutboundPolicy policy) {
    return closing(OutboundHttp.create(policy, LIMITS));
  }

  private ScriptedServer ok(String bind) throws IOException {
    return closing(
        ScriptedServer.start(bind, (req, ex) -> ex.respond(200, "text/plain", "ok".getBytes())));
  }

  private static long millisSince(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  @Test
  void aBlockedAddressIsRefusedWithoutConnecting() throws Exception {
    ScriptedServer internal = ok("127.0.0.2");
    OutboundHttp http = http(OutboundPolicy.defaults());
    assertThatThrownBy(() -> http.get(URI.create(internal.url() + "/secret"), LONG, LONG))
        .isInstanceOf(OutboundPolicy.BlockedAddressException.class);
    assertThat(internal.accepted()).isZero();
  }

  @Test
  void everyAddressIsCheckedWhenConnectingSoARebindingNameIsRefused() throws Exception {
    ScriptedServer internal = ok("127.0.0.2");
    AtomicInteger lookups = new AtomicInteger();
    // the first answer is harmless (127.0.0.1 is whitelisted), every later one is the internal
    // service
    OutboundPolicy policy =
        OutboundPolicy.builder()
            .whitelist(List.of("127.0.0.1/32"))
            .resolver(
                host ->
                    new InetAddress[] {
                      InetAddress.getByName(
                          lookups.getAndIncrement() == 0 ? "127.0.0.1" : "127.0.0.2")
                    })
            .build();
    URI uri = URI.create("http://rebinding.example:" + internal.port() + "/secret");
    policy.check(uri);
    assertThatThrownBy(() -> http(policy).get(uri, LONG, LONG))
        .isInstanceOf(OutboundPolicy.BlockedAddressException.class);
    assertThat(lookups.get()).isEqualTo(2);
    assertThat(internal.accepted()).isZero();

    OutboundPolicy allowed =
        OutboundPolicy.builder()
            .whitelist(List.of("127.0.0.2/32"))
            .resolver(host -> new InetAddress[] {InetAddress.getByName("127.0.0.2")})
            .build();
    try (OutboundHttp.Response r = http(allowed).get(uri, LONG, LONG)) {
      assertThat(r.status()).as("the same request reaches a permitted address").isEqualTo(200);
    }
  }

  @Test
  void aTrustedTargetIsReachedWithoutThePolicy() throws Exception {
    ScriptedServer peer = ok("127.0.0.1");
    OutboundHttp.Target target =
        new OutboundHttp.Target(
            new HttpHost("http", "127.0.0.1", peer.port()), Optional.empty(), true);
    try (OutboundHttp.Response r =
        http(OutboundPolicy.defaults()).get(target, "/x", Map.of(), LONG, LONG)) {
      assertThat(r.status()).isEqualTo(200);
      assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("ok");
    }
  }

  @Test
  void redirectsAreReturnedNotFollowedAndNothingIsRetried() throws Exception {
    ScriptedServer target = ok("127.0.0.1");
    ScriptedServer redirecting =
        closing(
            ScriptedServer.start(
                (req, ex) ->
                    ex.respond(
                        302, null, new byte[0], "Location: " + target.url() + "/elsewhere")));
    ScriptedServer hangingUp = closing(ScriptedServer.start((req, ex) -> {}));
    OutboundHttp http = http(OutboundPolicy.permitAll());
    try (OutboundHttp.Response r = http.get(URI.create(redirecting.url() + "/"), LONG, LONG)) {
      assertThat(r.status()).isEqualTo(302);
    }
    assertThat(target.accepted()).isZero();
    assertThatThrownBy(() -> http.get(URI.create(hangingUp.url() + "/"), LONG, LONG))
        .isInstanceOf(IOException.class);
    assertThat(hangingUp.accepted()).isEqualTo(1);
  }

  @Test
  void headersThatNeverComeEndTheCallAtTheHeaderTimeout() throws Exception {
    ScriptedServer silent = closing(ScriptedServer.start((req, ex) -> ex.stall()));
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                http(OutboundPolicy.permitAll())
                    .get(URI.create(silent.url() + "/"), Duration.ofMillis(300), LONG))
        .isInstanceOf(InterruptedIOException.class);
    assertThat(millisSince(start)).isLessThan(2000);
  }

  @Test
  void aBodyThatStallsEndsAtTheCallsDeadline() throws Exception {
    ScriptedServer stalling =
        closing(
            ScriptedServer.start(
                (req, ex) -> {
                  ex.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
                  ex.stall();
                }));
    OutboundHttp.Response r =
        http(OutboundPolicy.permitAll())
            .get(URI.create(stalling.url() + "/"), LONG, Duration.ofMillis(700));
    long start = System.nanoTime();
    InputStream body = r.body();
    assertThatThrownBy(() -> body.readNBytes(1000)).isInstanceOf(IOException.class);
    assertThat(millisSince(start)).isLessThan(3000);
    r.close();
  }

  @Test
  void closingABodyEarlyAbandonsTheConnectionWithoutReadingTheRest() throws Exception {
    ScriptedServer huge =
        closing(
            ScriptedServer.start(
                (req, ex) -> {
                  long size = 200L * 1024 * 1024;
                  ex.write("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n");
                  byte[] chunk = new byte[64 * 1024];
                  for (long sent = 0; sent < size; sent += chunk.length) {
                    ex.write(chunk);
                  }
                }));
    OutboundHttp.Response r =
        http(OutboundPolicy.permitAll()).get(URI.create(huge.url() + "/"), LONG, LONG);
    assertThat(r.body().readNBytes(10)).hasSize(10);
    long start = System.nanoTime();
    r.close();
    assertThat(millisSince(start)).isLessThan(1000);
    huge.awaitEnded(
        1, Duration.ofSeconds(10)); // its write failed: the connection was closed, not drained
    assertThat(huge.written()).isLessThan(16L * 1024 * 1024);
  }

  @Test
  void endlessHeadersAreRefusedWithoutBufferingThem() throws Exception {
    ScriptedServer manyHeaders =
        closing(
            ScriptedServer.start(
                (req, ex) -> {
                  ex.write("HTTP/1.1 200 OK\r\n");
                  for (int i = 0; i < 1_000_000; i++) {
                    ex.write("X-Header-" + i + ": " + "v".repeat(100) + "\r\n");
                  }
                }));
    ScriptedServer longLine =
        closing(
            ScriptedServer.start(
                (req, ex) -> {
                  ex.write("HTTP/1.1 200 OK\r\nX-Long: ");
                  byte[] chunk = "v".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
                  for (int i = 0; i < 10_000; i++) {
                    ex.write(chunk);
                  }
                }));
    OutboundHttp http = http(OutboundPolicy.permitAll());
    for (ScriptedServer server : List.of(manyHeaders, longLine)) {
      assertThatThrownBy(() -> http.get(URI.create(server.url() + "/"), LONG, LONG))
          .isInstanceOf(IOException.class);
      server.awaitEnded(
          1, Duration.ofSeconds(10)); // its write failed: the connection was closed, not drained
      assertThat(server.written()).isLessThan(16L * 1024 * 1024);
    }
  }

  @Test
  void readAtMostRefusesALargerBodyAfterTheLimit() throws Exception {
    ScriptedServer chunked =
        closing(
            ScriptedServer.start(
                (req, ex) -> {
                  ex.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                  for (int i = 0; i < 1000; i++) {
                    ex.write("400\r\n" + "x".repeat(1024) + "\r\n");
                  }
                  ex.write("0\r\n\r\n");
                }));
    OutboundHttp http = http(OutboundPolicy.permitAll());
    assertThatThrownBy(
            () -> http.get(URI.create(chunked.url() + "/"), LONG, LONG).readAtMost(64 * 1024))
        .isInstanceOf(OutboundHttp.TooLargeException.class);
    assertThat(http.get(URI.create(chunked.url() + "/"), LONG, LONG).readAtMost(2 * 1024 * 1024))
        .hasSize(1000 * 1024);
  }
}
