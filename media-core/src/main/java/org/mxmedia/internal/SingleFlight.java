package org.mxmedia.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.mxmedia.MediaException;

/**
 * Runs at most one operation per key at a time: callers that arrive while it runs wait for it
 * and share its result or its failure (invariant 4).
 */
final class SingleFlight<K, V> {
  private final ConcurrentHashMap<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

  /** Runs {@code work} for {@code key}, or waits for the run already in flight. */
  V run(K key, Supplier<V> work) {
    CompletableFuture<V> mine = new CompletableFuture<>();
    CompletableFuture<V> running = inFlight.putIfAbsent(key, mine);
    if (running != null) {
      return await(running);
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

  private static <V> V await(CompletableFuture<V> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw MediaException.internal("Interrupted while waiting", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof MediaException me) {
        throw new MediaException(me.errorCode(), me.httpStatus(), me.getMessage());
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw MediaException.internal("Operation failed", cause);
    }
  }
}
