package org.mxmedia.internal;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads of a repository: the background executor and the scheduler (the host's, or small
 * daemon pools of the repository's own), and the bounded pool that pre-generates thumbnails. Owns
 * the periodic tasks and stops everything in order on close: the periodic tasks first, then the
 * thumbnail pool, then (when it is the repository's own) the executor after its work is done, up to
 * {@link #DRAIN}. A host's executor and scheduler are never shut down.
 */
final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

  /** Background thumbnail threads: few, so pre-generation never starves request threads of CPU. */
  private static final int THUMBNAIL_THREADS =
      Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  private static final int THUMBNAIL_QUEUE = 256;
  private static final Duration DRAIN = Duration.ofSeconds(10);

  private final Executor executor;
  private final Optional<ExecutorService> ownedExecutor;
  private final ScheduledExecutorService scheduler;
  private final Optional<ScheduledExecutorService> ownedScheduler;
  private final ThreadPoolExecutor thumbnailPool;
  private final List<ScheduledFuture<?>> periodic = new CopyOnWriteArrayList<>();

  Lifecycle(Optional<Executor> executor, Optional<ScheduledExecutorService> scheduler) {
    if (executor.isPresent()) {
      this.executor = executor.get();
      this.ownedExecutor = Optional.empty();
    } else {
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(
              2,
              2,
              30,
              TimeUnit.SECONDS,
              new LinkedBlockingQueue<>(),
              daemonThreads("mxmedia-background"));
      pool.allowCoreThreadTimeOut(true);
      this.executor = pool;
      this.ownedExecutor = Optional.of(pool);
    }
    if (scheduler.isPresent()) {
      this.scheduler = scheduler.get();
      this.ownedScheduler = Optional.empty();
    } else {
      ScheduledThreadPoolExecutor own =
          new ScheduledThreadPoolExecutor(1, daemonThreads("mxmedia-scheduler"));
      own.setRemoveOnCancelPolicy(true);
      this.scheduler = own;
      this.ownedScheduler = Optional.of(own);
    }
    this.thumbnailPool =
        new ThreadPoolExecutor(
            1,
            THUMBNAIL_THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(THUMBNAIL_QUEUE),
            daemonThreads("mxmedia-thumbnails"));
    this.thumbnailPool.allowCoreThreadTimeOut(true);
  }

  Executor executor() {
    return executor;
  }

  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /**
   * Where thumbnails are pre-generated: a few threads, a bounded queue (a full queue skips the
   * work).
   */
  ExecutorService thumbnailPool() {
    return thumbnailPool;
  }

  /** Sources waiting in the thumbnail pre-generation queue. */
  int thumbnailsQueued() {
    return thumbnailPool.getQueue().size();
  }

  /**
   * Runs {@code task} every {@code interval}, first after {@code initialDelay}; a failure is logged
   * and the task runs again.
   */
  void every(String what, Duration initialDelay, Duration interval, Runnable task) {
    periodic.add(
        scheduler.scheduleWithFixedDelay(
            () -> {
              try {
                task.run();
              } catch (RuntimeException e) {
                log.warn("Background {} failed; it runs again later", what, e);
              }
            },
            initialDelay.toMillis(),
            interval.toMillis(),
            TimeUnit.MILLISECONDS));
  }

  /** Stops the periodic tasks and the thumbnail pool; call {@link #finish} after the last flush. */
  void stopTasks() {
    periodic.forEach(f -> f.cancel(false));
    ownedScheduler.ifPresent(ScheduledExecutorService::shutdownNow);
    thumbnailPool.shutdownNow();
  }

  /** Lets the repository's own executor finish its work, up to {@link #DRAIN}, then stops it. */
  void finish() {
    if (ownedExecutor.isEmpty()) {
      return;
    }
    ExecutorService pool = ownedExecutor.get();
    pool.shutdown();
    try {
      if (!pool.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        pool.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      pool.shutdownNow();
    }
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
