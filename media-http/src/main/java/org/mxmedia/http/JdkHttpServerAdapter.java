package org.mxmedia.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link MediaHttpHandler} from the JDK's {@code com.sun.net.httpserver.HttpServer}:
 * {@code server.createContext("/_matrix/", new JdkHttpServerAdapter(handler))} (and the same
 * adapter on {@code "/_synapse/admin/"} for the admin API).
 *
 * <p>Set the system property {@code sun.net.httpserver.nodelay=true} before creating the server:
 * the JDK server writes headers and body separately, and without {@code TCP_NODELAY} every small
 * response waits for a delayed ACK (about 40 ms).
 *
 * <p>Logs one line per request to the {@code org.mxmedia.http.access} logger at INFO: method, path
 * (never the query, which may hold an access token), status, bytes and milliseconds.
 */
public final class JdkHttpServerAdapter implements HttpHandler {
  private static final Logger access = LoggerFactory.getLogger("org.mxmedia.http.access");
  private static final Logger log = LoggerFactory.getLogger(JdkHttpServerAdapter.class);

  private final MediaHttpHandler handler;

  public JdkHttpServerAdapter(MediaHttpHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    long start = System.nanoTime();
    int status = 500;
    long sent = 0;
    try (MediaHttpResponse response = handler.handle(new ExchangeRequest(exchange))) {
      status = response.status();
      response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      long length = response.body().length();
      boolean noBody =
          response.headOnly()
              || status == 204
              || status == 304
              || exchange.getRequestMethod().equals("HEAD");
      if (noBody) {
        if (length >= 0 && status != 204 && status != 304) {
          exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        }
        exchange.sendResponseHeaders(status, -1);
      } else {
        exchange.sendResponseHeaders(status, length == 0 ? -1 : length < 0 ? 0 : length);
        if (length != 0) {
          response.body().writeTo(exchange.getResponseBody());
          sent = length;
        }
      }
    } catch (IOException e) {
      log.debug(
          "Response to {} {} was cut short: {}",
          exchange.getRequestMethod(),
          exchange.getRequestURI().getRawPath(),
          e.toString());
    } finally {
      exchange.close();
      if (access.isInfoEnabled()) {
        access.info(
            "{} {} {} {} {}ms",
            exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath(),
            status,
            sent,
            (System.nanoTime() - start) / 1_000_000);
      }
    }
  }

  private record ExchangeRequest(HttpExchange exchange) implements MediaHttpRequest {
    @Override
    public String method() {
      return exchange.getRequestMethod();
    }

    @Override
    public String rawPath() {
      String path = exchange.getRequestURI().getRawPath();
      return path == null ? "/" : path;
    }

    @Override
    public Optional<String> rawQuery() {
      return Optional.ofNullable(exchange.getRequestURI().getRawQuery());
    }

    @Override
    public List<String> headers(String name) {
      List<String> values = exchange.getRequestHeaders().get(name);
      return values == null ? List.of() : values;
    }

    @Override
    public InputStream body() {
      return exchange.getRequestBody();
    }
  }
}
