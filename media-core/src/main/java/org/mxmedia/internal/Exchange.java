package org.mxmedia.internal;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.FederationClient.FederationResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One remote fetch's network exchange: every response it opens (closed when it ends, whatever
 * happened), one overall deadline, and an idle watchdog over everything read. When either fires the
 * exchange closes its responses and interrupts the fetching thread (java.net.http's body stream
 * ignores a close from another thread while a read is blocked; an interrupt ends it), and every
 * later step fails as a {@link RemoteFault}. The interrupt never outlives the exchange.
 */
final class Exchange implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Exchange.class);

  /** A transport call given the time it may take. */
  @FunctionalInterface
  interface Call {
    FederationResponse run(Duration timeout) throws IOException;
  }

  private final MxcUri uri;
  private final Duration deadlineLength;
  private final Thread fetcher = Thread.currentThread();
  private final long deadline;
  private final long idleNanos;
  private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
  private final List<FederationResponse> responses = new ArrayList<>();
  private final ScheduledFuture<?> watchdog;

  /** Waiting for a transport call: the transport's own timeout applies, not the idle one. */
  private boolean inCall;

  private boolean networkDone;
  private @Nullable String abortedBecause;

  /** Starts the watch for a fetch of {@code uri} on the calling thread. */
  Exchange(MxcUri uri, Duration deadline, Duration idle, ScheduledExecutorService scheduler) {
    this.uri = uri;
    this.deadlineLength = deadline;
    this.deadline = System.nanoTime() + deadline.toNanos();
    this.idleNanos = idle.toNanos();
    long period = Math.max(10, Math.min(idleNanos, deadline.toNanos()) / 4 / 1_000_000);
    this.watchdog =
        scheduler.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
  }

  MxcUri uri() {
    return uri;
  }

  /** Runs a transport call under the deadline; the response is closed with the exchange. */
  FederationResponse call(String target, Call call, Duration headerTimeout) {
    Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
    Duration timeout = headerTimeout.compareTo(left) < 0 ? headerTimeout : left;
    synchronized (this) {
      if (abortedBecause != null) {
        throw new RemoteFault(abortedBecause);
      }
      inCall = true;
    }
    FederationResponse response;
    try {
      response = call.run(timeout);
    } catch (IOException | RuntimeException e) {
      log.info("Could not reach {} for {}: {}", target, uri, e.toString());
      throw fault("Could not reach the remote server");
    }
    synchronized (this) {
      inCall = false;
      lastProgress.set(System.nanoTime());
      FederationResponse watched =
          new FederationResponse(
              response.status(), response.headers(), new Watched(response.body()));
      responses.add(watched);
      if (abortedBecause != null) {
        throw new RemoteFault(abortedBecause);
      }
      return watched;
    }
  }

  /** A fault of the remote; says why when the watchdog ended the exchange. */
  synchronized RemoteFault fault(String otherwise) {
    return new RemoteFault(abortedBecause != null ? abortedBecause : otherwise);
  }

  synchronized boolean aborted() {
    return abortedBecause != null;
  }

  /** The body is read: from here on only local work runs, which the watchdog leaves alone. */
  synchronized void finishNetwork() {
    networkDone = true;
    clearInterrupt();
  }

  private void check() {
    long now = System.nanoTime();
    synchronized (this) {
      if (networkDone || abortedBecause != null) {
        return;
      }
      if (now - deadline > 0) {
        abort(
            "The remote server took longer than "
                + deadlineLength.toSeconds()
                + " s to send the media");
      } else if (!inCall && now - lastProgress.get() > idleNanos) {
        abort("The remote server stopped sending the media");
      }
    }
  }

  private void abort(String why) {
    abortedBecause = why;
    log.warn("Abandoning the fetch of {}: {}", uri, why);
    responses.forEach(Exchange::closeQuietly);
    fetcher.interrupt();
  }

  private void clearInterrupt() {
    if (abortedBecause != null) {
      Thread.interrupted();
    }
  }

  @Override
  public void close() {
    watchdog.cancel(false);
    synchronized (this) {
      networkDone = true;
      clearInterrupt();
    }
    responses.forEach(Exchange::closeQuietly);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
    }
  }

  /** A response body that records progress for the idle watchdog. */
  private final class Watched extends FilterInputStream {
    Watched(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      lastProgress.set(System.nanoTime());
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      lastProgress.set(System.nanoTime());
      return n;
    }
  }
}
