package org.mxmedia.preview;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A web server on 127.0.0.1 serving crafted pages, counting the requests for each path. */
final class PageServer implements AutoCloseable {

  /** Writes a response. */
  @FunctionalInterface
  interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  private final HttpServer server;
  private final ExecutorService executor =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "page-server");
            t.setDaemon(true);
            return t;
          });
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

  PageServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 64);
    server.setExecutor(executor);
    server.createContext(
        "/",
        exchange -> {
          String path = exchange.getRequestURI().getPath();
          hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
          Handler h = routes.get(path);
          try {
            if (h == null) {
              exchange.sendResponseHeaders(404, -1);
            } else {
              h.handle(exchange);
            }
          } catch (IOException e) {
            // the client went away: expected when a preview stops reading
          } finally {
            exchange.close();
          }
        });
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  URI url(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
  }

  int hits(String path) {
    AtomicInteger n = hits.get(path);
    return n == null ? 0 : n.get();
  }

  PageServer route(String path, Handler handler) {
    routes.put(path, handler);
    return this;
  }

  PageServer html(String path, String html) {
    return bytes(path, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8));
  }

  PageServer html(String path, String contentType, String html, Charset charset) {
    return bytes(path, contentType, html.getBytes(charset));
  }

  PageServer bytes(String path, String contentType, byte[] body, String... headers) {
    return route(
        path,
        exchange -> {
          if (contentType != null) {
            exchange.getResponseHeaders().add("Content-Type", contentType);
          }
          for (int i = 0; i + 1 < headers.length; i += 2) {
            exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
          }
          exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
  }

  PageServer redirect(String path, String location) {
    return route(
        path,
        exchange -> {
          exchange.getResponseHeaders().add("Location", location);
          exchange.sendResponseHeaders(302, -1);
        });
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
