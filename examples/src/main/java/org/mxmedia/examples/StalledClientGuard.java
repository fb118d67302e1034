package org.mxmedia.examples;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees the JDK {@code HttpServer}'s request threads from clients that stop: one that sends a
 * request's headers and then stalls its body, or stops reading a response, would otherwise hold a
 * thread forever (the server reads and writes its sockets in blocking mode, with no timeout).
 *
 * <p>Every read of the request body, write of the response, {@code sendResponseHeaders} and {@code
 * close} of a guarded exchange is timed; one that makes no progress for the idle timeout is ended
 * by interrupting its thread, which closes the connection's channel, so the blocked call fails and
 * the handler finishes. Time a handler spends on other work (waiting for remote media,
 * thumbnailing) is not counted.
 */
final class StalledClientGuard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StalledClientGuard.class);

  private final long idleNanos;
  private final Duration idle;
  private final ScheduledExecutorService checker;
  private final Set<Watch> active = ConcurrentHashMap.newKeySet();

  StalledClientGuard(Duration idle) {
    this.idle = idle;
    this.idleNanos = idle.toNanos();
    this.checker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "stalled-client-guard");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(10, idle.toMillis() / 4);
    checker.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  /** {@code handler}, with its exchanges' I/O guarded. */
  HttpHandler guard(HttpHandler handler) {
    return exchange -> {
      Watch watch =
          new Watch(
              Thread.currentThread(),
              exchange.getRequestMethod(),
              exchange.getRequestURI().getRawPath());
      active.add(watch);
      try {
        handler.handle(new GuardedExchange(exchange, watch));
      } finally {
        active.remove(watch);
        watch.finish();
      }
    };
  }

  /** Exchanges being handled now, for tests. */
  int activeExchanges() {
    return active.size();
  }

  @Override
  public void close() {
    checker.shutdownNow();
  }

  private void check() {
    long now = System.nanoTime();
    for (Watch w : active) {
      w.expireIfStalled(now);
    }
  }

  /** One exchange's current I/O call, if any. */
  private final class Watch {
    private final Thread thread;
    private final String method;
    private final String path;

    /** When the I/O call in progress started; 0 when none is. */
    private long started;

    private boolean expired;

    Watch(Thread thread, String method, String path) {
      this.thread = thread;
      this.method = method;
      this.path = path;
    }

    synchronized void begin() throws InterruptedIOException {
      if (expired) {
        throw stalled();
      }
      started = System.nanoTime() | 1L;
    }

    void end() throws InterruptedIOException {
      synchronized (this) {
        started = 0;
        if (!expired) {
          return;
        }
      }
      Thread.interrupted();
      throw stalled();
    }

    synchronized void expireIfStalled(long now) {
      if (started != 0 && !expired && now - started > idleNanos) {
        expired = true;
        log.info(
            "Closing the connection of {} {}: the client made no progress for {} ms",
            method,
            path,
            idle.toMillis());
        thread.interrupt();
      }
    }

    synchronized void finish() {
      started = 0;
      if (expired) {
        Thread.interrupted();
      }
    }

    private InterruptedIOException stalled() {
      return new InterruptedIOException(
          "the client made no progress for " + idle.toMillis() + " ms");
    }
  }

  private static final class GuardedInput extends FilterInputStream {
    private final Watch watch;

    GuardedInput(InputStream in, Watch watch) {
      super(in);
      this.watch = watch;
    }

    @Override
    public int read() throws IOException {
      watch.begin();
      try {
        return super.read();
      } finally {
        watch.end();
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      watch.begin();
      try {
        return in.read(b, off, len);
      } finally {
        watch.end();
      }
    }

    @Override
    public long skip(long n) throws IOException {
      watch.begin();
      try {
        return in.skip(n);
      } finally {
        watch.end();
      }
    }

    @Override
    public void close() throws IOException {
      watch.begin();
      try {
        in.close();
      } finally {
        watch.end();
      }
    }
  }

  private static final class GuardedOutput extends FilterOutputStream {
    private final Watch watch;

    GuardedOutput(OutputStream out, Watch watch) {
      super(out);
      this.watch = watch;
    }

    @Override
    public void write(int b) throws IOException {
      watch.begin();
      try {
        out.write(b);
      } finally {
        watch.end();
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      watch.begin();
      try {
        out.write(b, off, len);
      } finally {
        watch.end();
      }
    }

    @Override
    public void flush() throws IOException {
      watch.begin();
      try {
        out.flush();
      } finally {
        watch.end();
      }
    }

    @Override
    public void close() throws IOException {
      watch.begin();
      try {
        out.close();
      } finally {
        watch.end();
      }
    }
  }

  /** The server's exchange with its body streams, headers and close timed by a {@link Watch}. */
  private static final class GuardedExchange extends HttpExchange {
    private final HttpExchange exchange;
    private final Watch watch;
    private InputStream requestBody;
    private OutputStream responseBody;

    GuardedExchange(HttpExchange exchange, Watch watch) {
      this.exchange = exchange;
      this.watch = watch;
    }

    @Override
    public Headers getRequestHeaders() {
      return exchange.getRequestHeaders();
    }

    @Override
    public Headers getResponseHeaders() {
      return exchange.getResponseHeaders();
    }

    @Override
    public URI getRequestURI() {
      return exchange.getRequestURI();
    }

    @Override
    public String getRequestMethod() {
      return exchange.getRequestMethod();
    }

    @Override
    public HttpContext getHttpContext() {
      return exchange.getHttpContext();
    }

    @Override
    public void close() {
      try {
        watch.begin();
        try {
          exchange.close();
        } finally {
          watch.end();
        }
      } catch (InterruptedIOException e) {
        log.debug("Closing a stalled exchange: {}", e.getMessage());
      }
    }

    @Override
    public synchronized InputStream getRequestBody() {
      if (requestBody == null) {
        requestBody = new GuardedInput(exchange.getRequestBody(), watch);
      }
      return requestBody;
    }

    @Override
    public synchronized OutputStream getResponseBody() {
      if (responseBody == null) {
        responseBody = new GuardedOutput(exchange.getResponseBody(), watch);
      }
      return responseBody;
    }

    @Override
    public void sendResponseHeaders(int rCode, long responseLength) throws IOException {
      watch.begin();
      try {
        exchange.sendResponseHeaders(rCode, responseLength);
      } finally {
        watch.end();
      }
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
      return exchange.getRemoteAddress();
    }

    @Override
    public int getResponseCode() {
      return exchange.getResponseCode();
    }

    @Override
    public InetSocketAddress getLocalAddress() {
      return exchange.getLocalAddress();
    }

    @Override
    public String getProtocol() {
      return exchange.getProtocol();
    }

    @Override
    public Object getAttribute(String name) {
      return exchange.getAttribute(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
      exchange.setAttribute(name, value);
    }

    @Override
    public synchronized void setStreams(InputStream i, OutputStream o) {
      exchange.setStreams(i, o);
      requestBody = null;
      responseBody = null;
    }

    @Override
    public HttpPrincipal getPrincipal() {
      return exchange.getPrincipal();
    }
  }
}
