package org.mxmedia.examples.federation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;

/**
 * Discovery through SRV: connect to the target, verify TLS against and send {@code Host:} the
 * server name.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerDiscoveryTest {
  private static final Duration LONG = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closeAfter.size() - 1; i >= 0; i--) {
      closeAfter.get(i).close();
    }
  }

  /**
   * A PKCS#12 key store holding a self-signed certificate for {@code dnsName}, made by the JDK's
   * keytool.
   */
  private KeyStore certificateFor(String dnsName) throws Exception {
    Path file = dir.resolve(dnsName + ".p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + dnsName,
                "-ext",
                "SAN=dns:" + dnsName,
                "-validity",
                "2",
                "-keystore",
                file.toString(),
                "-storetype",
                "PKCS12",
                "-storepass",
                "changeit",
                "-keypass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(output).isZero();
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      store.load(in, "changeit".toCharArray());
    }
    return store;
  }

  /** What the TLS server saw of one request. */
  private record Seen(String sni, String host) {}

  /**
   * A TLS server on 127.0.0.1 presenting {@code store}'s certificate, answering 200 to each
   * request.
   */
  private SSLServerSocket tlsServer(KeyStore store, List<Seen> seen) throws Exception {
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, "changeit".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    SSLServerSocket server =
        (SSLServerSocket)
            tls.getServerSocketFactory()
                .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closeAfter.add(server);
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                  s.setSoTimeout(5000);
                  s.startHandshake();
                  String sni =
                      ((ExtendedSSLSession) s.getSession())
                          .getRequestedServerNames().stream()
                              .map(n -> ((SNIHostName) n).getAsciiName())
                              .findFirst()
                              .orElse("");
                  String host = "";
                  for (String line : readHead(s.getInputStream()).split("\r\n")) {
                    if (line.toLowerCase(Locale.ROOT).startsWith("host:")) {
                      host = line.substring(5).strip();
                    }
                  }
                  seen.add(new Seen(sni, host));
                  OutputStream out = s.getOutputStream();
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                          .getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                } catch (IOException e) {
                  // a failed handshake, or the server closing
                }
              }
            },
            "tls-server");
    acceptor.setDaemon(true);
    acceptor.start();
    return server;
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private OutboundHttp http(KeyStore trusted) throws Exception {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trusted);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    OutboundHttp http =
        OutboundHttp.create(
            policy(), new OutboundHttp.Limits(Duration.ofSeconds(5), Duration.ofSeconds(5)), tls);
    closeAfter.add(http);
    return http;
  }

  /** {@code target.example} is on loopback (whitelisted); no other name resolves. */
  private static OutboundPolicy policy() {
    return OutboundPolicy.builder()
        .whitelist(List.of("127.0.0.1/32"))
        .resolver(
            host -> {
              if (host.equals("target.example")) {
                return new InetAddress[] {InetAddress.getLoopbackAddress()};
              }
              throw new UnknownHostException(host);
            })
        .build();
  }

  private static ServerDiscovery.SrvLookup srvTo(int port, AtomicInteger lookups) {
    return name -> {
      lookups.incrementAndGet();
      return name.equals("_matrix-fed._tcp.srv.example")
          ? List.of(new ServerDiscovery.SrvRecord(10, 0, port, "target.example."))
          : List.of();
    };
  }

  @Test
  void anSrvResultIsReachedAtItsTargetButVerifiedAndAddressedAsTheServerName() throws Exception {
    KeyStore certificate = certificateFor("srv.example");
    List<Seen> seen = new CopyOnWriteArrayList<>();
    SSLServerSocket server = tlsServer(certificate, seen);
    OutboundHttp http = http(certificate);
    ServerDiscovery discovery =
        new ServerDiscovery(
            Map.of(), http, policy(), LONG, srvTo(server.getLocalPort(), new AtomicInteger()));

    try (OutboundHttp.Response r =
        http.get(
            discovery.targetFor(ServerName.of("srv.example")),
            "/_matrix/key/v2/server",
            Map.of(),
            LONG,
            LONG)) {
      assertThat(r.status()).isEqualTo(200);
    }
    assertThat(seen).containsExactly(new Seen("srv.example", "srv.example"));
  }

  @Test
  void anSrvTargetWhoseCertificateDoesNotNameTheServerIsRefused() throws Exception {
    KeyStore certificate = certificateFor("target.example");
    List<Seen> seen = new CopyOnWriteArrayList<>();
    SSLServerSocket server = tlsServer(certificate, seen);
    OutboundHttp http = http(certificate);
    ServerDiscovery discovery =
        new ServerDiscovery(
            Map.of(), http, policy(), LONG, srvTo(server.getLocalPort(), new AtomicInteger()));

    assertThatThrownBy(
            () ->
                http.get(
                    discovery.targetFor(ServerName.of("srv.example")), "/", Map.of(), LONG, LONG))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("srv.example");
    assertThat(seen).isEmpty();
  }

  @Test
  void concurrentLookupsOfOneNameShareOneDiscoveryAndItIsCached() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    int callers = 20;
    CountDownLatch asked = new CountDownLatch(callers);
    List<Thread> threads = new ArrayList<>();
    // the SRV lookup answers once every caller has asked and every other caller waits (for this
    // discovery, or for a lookup of its own held here too)
    Set<Thread> looking = ConcurrentHashMap.newKeySet();
    ServerDiscovery discovery =
        new ServerDiscovery(
            Map.of(),
            http(KeyStore.getInstance("PKCS12")),
            policy(),
            LONG,
            name -> {
              lookups.incrementAndGet();
              looking.add(Thread.currentThread());
              awaitOthersWaiting(asked, threads, looking);
              return name.equals("_matrix-fed._tcp.srv.example")
                  ? List.of(new ServerDiscovery.SrvRecord(10, 0, 8448, "target.example."))
                  : List.of();
            });
    List<CompletableFuture<ServerDiscovery.Endpoint>> lookupsInFlight = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      CompletableFuture<ServerDiscovery.Endpoint> answer = new CompletableFuture<>();
      lookupsInFlight.add(answer);
      Thread t =
          new Thread(
              () -> {
                asked.countDown();
                try {
                  answer.complete(discovery.endpointFor(ServerName.of("srv.example")));
                } catch (Throwable e) {
                  answer.completeExceptionally(e);
                }
              },
              "lookup-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    for (CompletableFuture<ServerDiscovery.Endpoint> f : lookupsInFlight) {
      assertThat(f.get(10, TimeUnit.SECONDS).tlsName()).contains("srv.example");
    }
    discovery.endpointFor(ServerName.of("srv.example"));
    assertThat(lookups.get()).isEqualTo(1);
    assertThat(discovery.cachedEntries()).isEqualTo(1);
  }

  @Test
  void theLowestPrioritySrvRecordWinsAndAConfiguredPeerIsTrusted() throws Exception {
    ServerDiscovery discovery =
        new ServerDiscovery(
            Map.of(ServerName.of("peer.test"), URI.create("http://127.0.0.1:9")),
            http(KeyStore.getInstance("PKCS12")),
            policy(),
            LONG,
            name ->
                List.of(
                    new ServerDiscovery.SrvRecord(20, 0, 1111, "b.example."),
                    new ServerDiscovery.SrvRecord(10, 0, 2222, "a.example.")));
    assertThat(discovery.endpointFor(ServerName.of("srv.example")))
        .isEqualTo(
            new ServerDiscovery.Endpoint(
                "https", "a.example", 2222, Optional.of("srv.example"), false));
    assertThat(discovery.endpointFor(ServerName.of("peer.test")))
        .isEqualTo(new ServerDiscovery.Endpoint("http", "127.0.0.1", 9, Optional.empty(), true));
    assertThat(discovery.endpointFor(ServerName.of("literal.example:8449")))
        .isEqualTo(
            new ServerDiscovery.Endpoint(
                "https", "literal.example", 8449, Optional.empty(), false));
  }

  /**
   * Returns once every caller has asked ({@code asked}) and every caller but this one is blocked in
   * a wait (its thread parked) or is itself in a lookup, or has returned. No sleep: it spins,
   * yielding, until the threads' own states say so, and gives up after 10 s.
   */
  private static void awaitOthersWaiting(
      CountDownLatch asked, List<Thread> callers, Set<Thread> looking) {
    try {
      if (!asked.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("not every caller asked");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Thread self = Thread.currentThread();
    while (!callers.stream()
        .allMatch(
            t ->
                t == self
                    || looking.contains(t)
                    || t.getState() == Thread.State.WAITING
                    || t.getState() == Thread.State.TIMED_WAITING
                    || t.getState() == Thread.State.TERMINATED)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("callers not all waiting");
      }
      Thread.yield();
    }
  }
}
