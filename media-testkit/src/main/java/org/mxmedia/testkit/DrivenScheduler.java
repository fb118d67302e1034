package org.mxmedia.testkit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scheduler a test can drive: give it to {@code MediaRepository.Builder#scheduler} and call
 * {@link #runPeriodicTasks()} to run the repository's background work (access-time flushes, lease
 * renewal, maintenance) now, on the test's thread, instead of waiting for their intervals.
 * Otherwise it schedules as a one-thread {@link ScheduledThreadPoolExecutor} of daemon threads, so
 * delayed work and watchdogs keep running in real time. Shut it down after the repository.
 */
public final class DrivenScheduler extends ScheduledThreadPoolExecutor {
  private final List<Periodic> periodic = new CopyOnWriteArrayList<>();

  private record Periodic(Runnable task, ScheduledFuture<?> future) {}

  public DrivenScheduler() {
    super(1, daemonThreads());
    setRemoveOnCancelPolicy(true);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(
      Runnable task, long initialDelay, long delay, TimeUnit unit) {
    ScheduledFuture<?> future = super.scheduleWithFixedDelay(task, initialDelay, delay, unit);
    periodic.add(new Periodic(task, future));
    return future;
  }

  /**
   * Runs every periodic task that is still scheduled once, now, on the calling thread, in the order
   * they were scheduled; a task's exception propagates.
   */
  public void runPeriodicTasks() {
    for (Periodic p : periodic) {
      if (!p.future().isCancelled()) {
        p.task().run();
      }
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "driven-scheduler-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
