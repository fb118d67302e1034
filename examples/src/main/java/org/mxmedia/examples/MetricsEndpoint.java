package org.mxmedia.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.mxmedia.metrics.MediaMetrics;

/**
 * The metrics listener: Prometheus text at {@code GET /metrics} on a port of its own (as Synapse's
 * {@code metrics} listener and matrix-media-repo's {@code metrics} section do), bound to loopback
 * unless {@code --metrics-bind} says otherwise, so the numbers are not public by accident. It
 * serves the repository's meters ({@link MediaMetrics}) and the JVM's (memory, threads, classes,
 * CPU, uptime).
 */
final class MetricsEndpoint implements AutoCloseable {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final MediaMetrics metrics;
  private final HttpServer http;
  private final ExecutorService executor;

  private MetricsEndpoint(
      PrometheusMeterRegistry registry,
      MediaMetrics metrics,
      HttpServer http,
      ExecutorService executor) {
    this.registry = registry;
    this.metrics = metrics;
    this.http = http;
    this.executor = executor;
  }

  /** Listens on {@code bind:port} (port 0 picks a free one) and starts serving. */
  static MetricsEndpoint start(String bind, int port) throws IOException {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    HttpServer http;
    try {
      http = HttpServer.create(new InetSocketAddress(bind, port), 16);
    } catch (IOException e) {
      registry.close();
      throw new IOException(
          "cannot listen for metrics on " + bind + ":" + port + ": " + e.getMessage(), e);
    }
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "metrics-http");
              t.setDaemon(true);
              return t;
            });
    MetricsEndpoint endpoint =
        new MetricsEndpoint(registry, MediaMetrics.create(registry), http, executor);
    http.setExecutor(executor);
    http.createContext("/", endpoint::handle);
    http.start();
    return endpoint;
  }

  /** The listener to install in the repository. */
  MediaMetrics metrics() {
    return metrics;
  }

  /** The port bound. */
  int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      byte[] body;
      int status;
      if (!exchange.getRequestURI().getRawPath().equals("/metrics")) {
        status = 404;
        body = "Not found: metrics are at /metrics\n".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        status = 405;
        body = "Method not allowed\n".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      } else {
        status = 200;
        body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
      }
      boolean head = method.equals("HEAD");
      exchange.sendResponseHeaders(status, head ? -1 : body.length);
      if (!head) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    }
  }

  @Override
  public void close() {
    http.stop(0);
    executor.shutdownNow();
    registry.close();
  }
}
