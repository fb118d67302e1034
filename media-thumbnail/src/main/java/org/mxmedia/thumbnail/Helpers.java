package org.mxmedia.thumbnail;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Spare cores for the resampler: at most one thread fewer than the processors (none on one core),
 * shared by every thumbnailer in the process, so a thumbnail uses a second core only while one is
 * idle, and all thumbnails together never run more threads than there are processors plus the
 * callers' own. A caller never waits for a helper to become free: work no helper takes at once is
 * done by the caller itself.
 */
final class Helpers {
  private Helpers() {}

  private static final int THREADS = Runtime.getRuntime().availableProcessors() - 1;

  private static final @Nullable ThreadPoolExecutor POOL = THREADS < 1 ? null : newPool();

  private static ThreadPoolExecutor newPool() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            0,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            r -> {
              Thread t = new Thread(r, "mxmedia-thumbnail-helper");
              t.setDaemon(true);
              return t;
            });
    return pool;
  }

  /**
   * Hands {@code task} to an idle helper; false (and the task untouched) when none is idle at once.
   */
  static boolean fork(FutureTask<?> task) {
    ThreadPoolExecutor pool = POOL;
    if (pool == null) {
      return false;
    }
    try {
      pool.execute(task);
      return true;
    } catch (RejectedExecutionException busy) {
      return false;
    }
  }

  /**
   * Waits for a forked task that the caller has already {@code run()} itself: it is then done, or
   * running on a helper (a bounded piece of CPU work), never waiting in a queue.
   */
  static void join(FutureTask<?> task) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          task.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true; // the helper is writing into the caller's arrays: let it finish
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException r) {
            throw r;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw new IllegalStateException(cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
