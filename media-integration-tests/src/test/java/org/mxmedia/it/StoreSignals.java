package org.mxmedia.it;

import java.time.Duration;
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

  StoreSignals(MediaStore inner) {
    this.inner = inner;
    this.store = StoreHooks.after(inner, (method, result) -> {
      synchronized (changed) {
        changed.notifyAll();
      }
    });
  }

  /**
   * Returns once {@code condition} holds of the store's state.
   *
   * @throws AssertionError when it does not within {@code max}
   */
  void await(String what, Predicate<MediaStore> condition, Duration max) throws InterruptedException {
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
