package org.mxmedia.it;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationClient.FederationResponse;

/**
 * A remote server on loopback whose answers a test scripts (honest or hostile), and an unsigned
 * transport that reaches it: enough to exercise the engine's federation logic.
 */
final class FakeOrigin implements AutoCloseable {
  /** The default outbound policy with the fake origin's own address (127.0.0.1) let through. */
  static final OutboundPolicy LOOPBACK_ORIGIN_ONLY =
      OutboundPolicy.builder().whitelist(List.of("127.0.0.1/32")).build();

  /** What to answer for one request. */
  @FunctionalInterface
  interface Script {
    void answer(HttpExchange exchange) throws Exception;
  }

  final HttpServer server;
  final ExecutorService pool = Executors.newCachedThreadPool();
  final AtomicInteger federationRequests = new AtomicInteger();
  final AtomicInteger legacyRequests = new AtomicInteger();

  /** Response bodies the transport handed to the engine, and how many the engine closed. */
  final AtomicInteger bodiesOpened = new AtomicInteger();

  final AtomicInteger bodiesClosed = new AtomicInteger();
  volatile Script federation =
      ex -> send(ex, 404, "application/json", "{\"errcode\":\"M_NOT_FOUND\"}".getBytes());
  volatile Script legacy =
      ex -> send(ex, 404, "application/json", "{\"errcode\":\"M_NOT_FOUND\"}".getBytes());
  volatile Script other = ex -> send(ex, 404, "text/plain", "no".getBytes());

  FakeOrigin() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(pool);
    server.createContext(
        "/",
        ex -> {
          try {
            String path = ex.getRequestURI().getPath();
            if (path.startsWith("/_matrix/federation/v1/media/download/")) {
              federationRequests.incrementAndGet();
              federation.answer(ex);
            } else if (path.startsWith("/_matrix/media/v3/download/")) {
              legacyRequests.incrementAndGet();
              legacy.answer(ex);
            } else {
              other.answer(ex);
            }
          } catch (Exception e) {
            // the client may have gone away; a hostile script may have thrown on purpose
          } finally {
            ex.close();
          }
        });
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** The spec's federation answer: a JSON part, then the media part with its headers. */
  static byte[] multipart(String boundary, String mediaHeaders, byte[] media) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--"
                + boundary
                + "\r\n"
                + mediaHeaders
                + "\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(media);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  static Script multipartAnswer(byte[] media, String type, String disposition) {
    return ex ->
        send(
            ex,
            200,
            "multipart/mixed; boundary=xyz123",
            multipart(
                "xyz123",
                "Content-Type: " + type + "\r\nContent-Disposition: " + disposition,
                media));
  }

  /** Transport: server names map to this origin; no signing. */
  FederationClient client() {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    return new FederationClient() {
      @Override
      public FederationResponse get(
          ServerName destination, String path, Map<String, String> query, Duration timeout)
          throws IOException {
        String q =
            query.entrySet().stream()
                .map(
                    e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return get(URI.create(base() + path + (q.isEmpty() ? "" : "?" + q)), timeout);
      }

      @Override
      public FederationResponse get(URI uri, Duration timeout) throws IOException {
        try {
          HttpResponse<InputStream> r =
              http.send(
                  HttpRequest.newBuilder(uri).timeout(timeout).build(),
                  HttpResponse.BodyHandlers.ofInputStream());
          bodiesOpened.incrementAndGet();
          InputStream counted =
              new FilterInputStream(r.body()) {
                private final AtomicBoolean closed = new AtomicBoolean();

                @Override
                public void close() throws IOException {
                  if (closed.compareAndSet(false, true)) {
                    bodiesClosed.incrementAndGet();
                  }
                  super.close();
                }
              };
          return new FederationResponse(r.statusCode(), r.headers().map(), counted);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
      }
    };
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
