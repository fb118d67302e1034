package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.UnixOperatingSystemMXBean;
import com.sun.net.httpserver.BasicAuthenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.http.Authenticator;
import org.mxmedia.http.MediaHttpHandler;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;

/** The Jetty front end keeps the JDK {@code HttpServer} contract its contexts are written for. */
class JettyHttpServerTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private JettyHttpServer server;

  @BeforeEach
  void start() throws IOException {
    server =
        JettyHttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16, Duration.ofSeconds(10));
    server.createContext("/hello", JettyHttpServerTest::hello);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void bindingAgainFailsAsTheJdkServerDoes() {
    assertThatThrownBy(() -> server.bind(new InetSocketAddress("127.0.0.1", 0), 0))
        .isInstanceOf(BindException.class);
  }

  @Test
  void pastTheConnectionLimitANewConnectionWaitsUntilAnotherCloses() throws Exception {
    JettyHttpServer limited =
        JettyHttpServer.create(
            new InetSocketAddress("127.0.0.1", 0), 16, Duration.ofSeconds(30), 1);
    limited.createContext("/hello", JettyHttpServerTest::hello);
    limited.start();
    int port = limited.getAddress().getPort();
    try (Socket idle = new Socket("127.0.0.1", port);
        Socket waiting = new Socket("127.0.0.1", port)) {
      // the first connection is accepted (it answers), the second waits in the accept queue
      assertThat(exchange(idle, 10_000)).startsWith("HTTP/1.1 200");
      waiting.setSoTimeout(500);
      waiting
          .getOutputStream()
          .write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThatThrownBy(() -> waiting.getInputStream().read())
          .as("no answer while the only connection allowed is open")
          .isInstanceOf(SocketTimeoutException.class);

      idle.close();

      waiting.setSoTimeout(10_000);
      assertThat(new String(waiting.getInputStream().readNBytes(12), StandardCharsets.US_ASCII))
          .isEqualTo("HTTP/1.1 200");
    } finally {
      limited.stop(0);
    }
  }

  @Test
  void theDefaultConnectionLimitLeavesDescriptorsForFiles() {
    assertThat(JettyHttpServer.defaultMaxConnections()).isGreaterThanOrEqualTo(64);
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
      assertThat((long) JettyHttpServer.defaultMaxConnections())
          .isLessThan(unix.getMaxFileDescriptorCount());
    }
  }

  /** Sends one GET of /hello on {@code socket} and reads the status line. */
  private static String exchange(Socket socket, int timeoutMillis) throws IOException {
    socket.setSoTimeout(timeoutMillis);
    socket
        .getOutputStream()
        .write("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
  }

  @Test
  void filtersRunInOrderAroundTheHandler() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    HttpContext context = server.createContext("/filtered", JettyHttpServerTest::hello);
    context.getFilters().add(recording("first", seen));
    context.getFilters().add(recording("second", seen));

    HttpResponse<String> response = get("/filtered", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("X-Filter")).hasValue("first");
    assertThat(seen).containsExactly("first", "second", "second done", "first done");
  }

  @Test
  void aFilterMayAnswerWithoutTheHandler() throws Exception {
    HttpContext context =
        server.createContext(
            "/blocked",
            exchange -> {
              throw new AssertionError("the handler must not run");
            });
    context
        .getFilters()
        .add(filter("refuses", (exchange, chain) -> exchange.sendResponseHeaders(403, -1)));

    assertThat(get("/blocked", null).statusCode()).isEqualTo(403);
  }

  @Test
  void theAuthenticatorDecidesAndNamesThePrincipal() throws Exception {
    HttpContext context =
        server.createContext(
            "/private",
            exchange -> {
              String user = exchange.getPrincipal().getUsername();
              reply(exchange, "hello " + user);
            });
    context.setAuthenticator(
        new BasicAuthenticator("media") {
          @Override
          public boolean checkCredentials(String username, String password) {
            return username.equals("alice") && password.equals("secret");
          }
        });

    HttpResponse<String> anonymous = get("/private", null);
    HttpResponse<String> wrong = get("/private", basic("alice", "guess"));
    HttpResponse<String> right = get("/private", basic("alice", "secret"));

    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"media\""));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(right.statusCode()).isEqualTo(200);
    assertThat(right.body()).isEqualTo("hello alice");
    assertThat(context.getAuthenticator()).isNotNull();
  }

  @Test
  void aFilterOnTheMediaContextAddsItsHeadersAndTheMediaAnswerKeepsItsOwn() throws Exception {
    MediaRepository repository =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(MediaStore.inMemory())
            .storage(PrimaryStorage.inMemory())
            .build();
    try {
      UserId alice = UserId.of("@alice:example.org");
      MxcUri uri =
          repository.upload(
              alice,
              UploadRequest.of("text/plain"),
              new ByteArrayInputStream("media".getBytes(StandardCharsets.UTF_8)));
      MediaHttpHandler media =
          MediaHttpHandler.builder(repository)
              .authenticator(Authenticator.tokens(Map.of("token", alice)))
              .build();
      HttpContext context = server.createMediaContext("/_matrix/", media);
      context
          .getFilters()
          .add(
              filter(
                  "headers",
                  (exchange, chain) -> {
                    exchange.getResponseHeaders().add("X-Filter", "seen");
                    exchange.getResponseHeaders().add("Cache-Control", "no-store");
                    chain.doFilter(exchange);
                  }));

      HttpResponse<String> response =
          get(
              "/_matrix/client/v1/media/download/example.org/" + uri.mediaId().value(),
              "Bearer token");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("media");
      assertThat(response.headers().allValues("X-Filter")).containsExactly("seen");
      assertThat(response.headers().allValues("Cache-Control"))
          .singleElement()
          .satisfies(v -> assertThat(v).startsWith("private"));
    } finally {
      repository.close();
    }
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path))
            .timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** What a test filter does. */
  private interface FilterBody {
    void doFilter(HttpExchange exchange, Filter.Chain chain) throws IOException;
  }

  private static Filter filter(String description, FilterBody body) {
    return new Filter() {
      @Override
      public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        body.doFilter(exchange, chain);
      }

      @Override
      public String description() {
        return description;
      }
    };
  }

  private static Filter recording(String name, List<String> seen) {
    return filter(
        name,
        (exchange, chain) -> {
          seen.add(name);
          if (!exchange.getResponseHeaders().containsKey("X-Filter")) {
            exchange.getResponseHeaders().add("X-Filter", name);
          }
          chain.doFilter(exchange);
          seen.add(name + " done");
        });
  }

  private static void hello(HttpExchange exchange) throws IOException {
    reply(exchange, "hello");
  }

  private static void reply(HttpExchange exchange, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
