package org.mxmedia.internal;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;

/**
 * Runs at most one operation per key at a time: callers that arrive while it runs wait for it (at
 * most a bound each) and share its result or its failure (invariant 4). The map holds only
 * operations in flight, so its size is bounded by the callers running at once.
 */
final class SingleFlight<K, V> {
  private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

  /**
   * Runs {@code work} for {@code key}, or waits up to {@code maxWait} for the run already in
   * flight.
   *
   * @throws MediaException the run's own failure (the same immutable exception for every caller),
   *     or 504 {@code M_UNKNOWN} when the wait runs out (the run goes on for its own caller)
   */
  V run(K key, Duration maxWait, Supplier<V> work) {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      return await(running, maxWait);
    }
    try {
      V value = work.get();
      mine.complete(value);
      return value;
    } catch (RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(key, mine);
    }
  }

  /** Whether an operation for {@code key} is running. */
  boolean isRunning(K key) {
    return inFlight.containsKey(key);
  }

  /** Operations in flight. */
  int size() {
    return inFlight.size();
  }

  private static <V> V await(CompletableFuture<V> future, Duration maxWait) {
    try {
      return future.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new MediaException(
          ErrorCode.M_UNKNOWN,
          504,
          "Timed out waiting for the same request of another client; try again");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw MediaException.internal("Interrupted while waiting", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw MediaException.internal("Operation failed", cause == null ? e : cause);
    }
  }
}
