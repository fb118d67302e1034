package org.mxmedia.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;

/**
 * Lets downloads of a pending upload wait for its bytes: a completion in this process wakes them at
 * once; the caller also re-checks the store between waits, for completions in other processes.
 */
final class PendingWaiters {
  private final ConcurrentHashMap<MediaId, Waiting> waiting = new ConcurrentHashMap<>();

  private static final class Waiting {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    int waiters;
  }

  /** Registers interest in {@code id}; pair with {@link #leave}. */
  CompletableFuture<Void> join(MediaId id) {
    return waiting.compute(
            id,
            (k, w) -> {
              Waiting entry = w == null ? new Waiting() : w;
              entry.waiters++;
              return entry;
            })
        .done;
  }

  void leave(MediaId id) {
    waiting.computeIfPresent(id, (k, w) -> --w.waiters == 0 ? null : w);
  }

  /** Wakes every waiter of {@code id}. */
  void completed(MediaId id) {
    Waiting w = waiting.remove(id);
    if (w != null) {
      w.done.complete(null);
    }
  }

  /** Waits up to {@code millis} for {@code future}; returns whether it completed. */
  static boolean await(CompletableFuture<Void> future, long millis) {
    try {
      future.get(millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw MediaException.internal("Interrupted while waiting for an upload", e);
    } catch (ExecutionException e) {
      return true;
    }
  }
}
