package org.mxmedia.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;

/**
 * A store that wakes its waiters after every call the engine makes to it, so a test can wait for a
 * condition on the store's state (for instance "the thumbnails of this blob are stored") as soon as
 * the call that makes it true has returned, with no polling.
 */
final class StoreSignals {
  /** The store to give the repository. */
  final MediaStore store;

  private final MediaStore inner;
  private final Object changed = new Object();

  /**
   * Every call made so far: the method's name and the thread that made it (guarded by {@code
   * changed}).
   */
  private final List<Call> calls = new ArrayList<>();

  /** A call the store answered. */
  record Call(String method, Thread thread) {}

  StoreSignals(MediaStore inner) {
    this.inner = inner;
    this.store =
        StoreHooks.after(
            inner,
            (method, result) -> {
              synchronized (changed) {
                calls.add(new Call(method, Thread.currentThread()));
                changed.notifyAll();
              }
            });
  }

  /** How many calls the store has answered so far: a mark for {@link #awaitCallSince}. */
  int mark() {
    synchronized (changed) {
      return calls.size();
    }
  }

  /**
   * Returns once a call of {@code method} made by a thread {@code by} accepts has been answered
   * since {@code mark}.
   *
   * @throws AssertionError when none is within {@code max}
   */
  void awaitCallSince(int mark, String method, Predicate<Thread> by, Duration max)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (changed) {
      while (calls.subList(mark, calls.size()).stream()
          .noneMatch(c -> c.method().equals(method) && by.test(c.thread()))) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("no call of " + method + " within " + max);
        }
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
    }
  }

  /**
   * Returns once {@code condition} holds of the store's state.
   *
   * @throws AssertionError when it does not within {@code max}
   */
  void await(String what, Predicate<MediaStore> condition, Duration max)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (changed) {
      while (!condition.test(inner)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("not within " + max + ": " + what);
        }
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
    }
  }

  /** Returns once {@code blob} has at least {@code count} thumbnails stored. */
  void awaitThumbnails(BlobKey blob, int count, Duration max) throws InterruptedException {
    await(count + " thumbnails of " + blob, s -> s.thumbnails(blob).size() >= count, max);
  }
}
