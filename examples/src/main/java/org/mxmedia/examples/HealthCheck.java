package org.mxmedia.examples;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.StorageProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /health}: 200 {@code {"status":"ok","store":"ok","storage":"ok"}} when the metadata
 * store and the primary storage each answer a cheap probe (a look-up of a media id and of a blob
 * that need not exist) within the timeout, else 503 with {@code "failing"} or {@code "timeout"} for
 * the one that did not. Nothing of the failure (messages, hosts, paths) is in the answer; it is
 * logged.
 *
 * <p>Probes run on two threads of their own with a queue of 8, so a hung store cannot take the
 * server's request threads: a request finding the queue full answers 503 at once. Concurrent
 * requests share the probe in flight, so a flood of unauthenticated checks costs the store one
 * look-up at a time and never turns a healthy node into a 503.
 */
final class HealthCheck implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthCheck.class);
  private static final MediaId PROBE_ID = MediaId.of("mxmedia-health-probe");
  private static final BlobKey PROBE_BLOB = new BlobKey("0".repeat(64));

  private final MediaStore store;
  private final StorageProvider storage;
  private final Duration timeout;
  private final ThreadPoolExecutor probes;
  private @Nullable CompletableFuture<Status> inFlight;

  HealthCheck(MediaStore store, StorageProvider storage, Duration timeout) {
    this.store = store;
    this.storage = storage;
    this.timeout = timeout;
    AtomicInteger n = new AtomicInteger();
    this.probes =
        new ThreadPoolExecutor(
            2,
            2,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(8),
            r -> {
              Thread t = new Thread(r, "health-probe-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.probes.allowCoreThreadTimeOut(true);
  }

  /** The probes' results: each {@code "ok"}, {@code "failing"} or {@code "timeout"}. */
  record Status(String store, String storage) {
    boolean healthy() {
      return store.equals("ok") && storage.equals("ok");
    }

    String json() {
      return "{\"status\":\""
          + (healthy() ? "ok" : "unavailable")
          + "\",\"store\":\""
          + store
          + "\",\"storage\":\""
          + storage
          + "\"}";
    }
  }

  /** The store's and the storage's state, from a new probe or the one in flight. */
  Status check() {
    CompletableFuture<Status> mine = null;
    CompletableFuture<Status> shared;
    synchronized (this) {
      if (inFlight == null) {
        inFlight = mine = new CompletableFuture<>();
      }
      shared = inFlight;
    }
    if (mine != null) {
      Status status;
      try {
        status = probe();
      } catch (RuntimeException e) {
        log.warn("Health check failed", e);
        status = new Status("failing", "failing");
      }
      synchronized (this) {
        inFlight = null;
      }
      mine.complete(status);
      return status;
    }
    try {
      return shared.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      return new Status("timeout", "timeout");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Status("timeout", "timeout");
    }
  }

  /** Probes the store and the storage at once, each bounded by the timeout. */
  private Status probe() {
    long deadline = System.nanoTime() + timeout.toNanos();
    Future<?> s;
    Future<?> b;
    try {
      s = probes.submit((Callable<Object>) () -> store.localMedia(PROBE_ID));
    } catch (RejectedExecutionException e) {
      return new Status("timeout", "timeout");
    }
    try {
      b = probes.submit((Callable<Object>) () -> storage.exists(PROBE_BLOB));
    } catch (RejectedExecutionException e) {
      s.cancel(true);
      return new Status(result("store", s, deadline), "timeout");
    }
    return new Status(result("store", s, deadline), result("storage", b, deadline));
  }

  private static String result(String what, Future<?> probe, long deadline) {
    try {
      probe.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      return "ok";
    } catch (TimeoutException e) {
      probe.cancel(true);
      log.warn("Health check: the {} did not answer in time", what);
      return "timeout";
    } catch (ExecutionException e) {
      log.warn("Health check: the {} failed", what, e.getCause());
      return "failing";
    } catch (CancellationException e) {
      return "timeout";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      probe.cancel(true);
      return "timeout";
    }
  }

  /** Answers {@code GET} and {@code HEAD /health}; other methods 405. */
  void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getRawPath().equals("/health")) {
        send(
            exchange,
            404,
            "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"Unrecognized request\"}",
            false);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        send(
            exchange,
            405,
            "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"Unrecognized request\"}",
            false);
        return;
      }
      Status status = check();
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      send(exchange, status.healthy() ? 200 : 503, status.json(), method.equals("HEAD"));
    }
  }

  private static void send(HttpExchange exchange, int status, String json, boolean head)
      throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    probes.shutdownNow();
  }
}
