package org.mxmedia.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Callers making the same call at once, each on a thread of its own, for single-flight tests. A
 * gate in the code under test (a fake origin's answer, a thumbnailer's decode) calls {@link
 * #awaitAllWaiting} to hold the one operation until every caller has made its call and is waiting
 * inside it: each caller passes a latch just before calling, and is then seen blocked in a wait by
 * its thread state (or has already returned). No sleeps: the gate opens as soon as that holds.
 */
final class Callers<T> {
  private final List<Thread> threads = new ArrayList<>();
  private final List<CompletableFuture<T>> answers = new ArrayList<>();
  private final CountDownLatch arrived;

  /** Threads held at {@link #gate} now. */
  private final Set<Thread> atGate = ConcurrentHashMap.newKeySet();

  /** Threads held at a barrier of the test's own now: blocked, but not in a wait of the code. */
  private final Set<Thread> atTestBarrier = ConcurrentHashMap.newKeySet();

  private Callers(int n) {
    this.arrived = new CountDownLatch(n);
  }

  /**
   * {@code n} callers of {@code call}, not started yet (so a gate can refer to them before any
   * calls); {@link #start} starts them.
   */
  static <T> Callers<T> prepare(int n, Callable<T> call) {
    return prepare(Collections.nCopies(n, call));
  }

  /** One caller for each of {@code calls}, not started yet. */
  static <T> Callers<T> prepare(List<Callable<T>> calls) {
    Callers<T> callers = new Callers<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      Callable<T> call = calls.get(i);
      CompletableFuture<T> answer = new CompletableFuture<>();
      Thread t =
          new Thread(
              () -> {
                callers.arrived.countDown();
                try {
                  answer.complete(call.call());
                } catch (Throwable e) {
                  answer.completeExceptionally(e);
                }
              },
              "caller-" + i);
      t.setDaemon(true);
      callers.threads.add(t);
      callers.answers.add(answer);
    }
    return callers;
  }

  /** Starts every caller, each calling once. */
  Callers<T> start() {
    threads.forEach(Thread::start);
    return this;
  }

  /**
   * A gate for the operation the callers should share: it holds the thread that runs it until
   * {@link #awaitAllWaiting} holds. A caller held at this gate itself counts as waiting, so when
   * the code under test wrongly runs the operation more than once, every run passes the gate and is
   * counted instead of holding the others up.
   */
  Runnable gate(Duration max) {
    return () -> {
      Thread self = Thread.currentThread();
      atGate.add(self);
      try {
        awaitAllWaiting(max);
      } finally {
        atGate.remove(self);
      }
    };
  }

  /**
   * Returns once every caller has made its call and every caller but the current thread is blocked
   * in a wait of the code (parked, or in {@code Object.wait}; not at a {@linkplain
   * #awaitAtTestBarrier barrier of the test}), held at the {@link #gate}, or has returned.
   *
   * @throws AssertionError when that does not happen within {@code max}
   */
  void awaitAllWaiting(Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    try {
      if (!arrived.await(max.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("not every caller made its call within " + max);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    Thread self = Thread.currentThread();
    while (!threads.stream()
        .allMatch(
            t -> t == self || atGate.contains(t) || (isBlocked(t) && !atTestBarrier.contains(t)))) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "callers not all waiting within "
                + max
                + ": "
                + threads.stream()
                    .map(t -> t.getName() + "=" + t.getState())
                    .collect(Collectors.joining(", ")));
      }
      Thread.yield();
    }
  }

  /**
   * Holds the calling caller until every caller has reached {@code barrier} (a latch counting the
   * callers), for a test that lines the callers up at a point of their own (a store call, say). A
   * caller held here does not count as waiting for {@link #awaitAllWaiting}.
   */
  void awaitAtTestBarrier(CountDownLatch barrier, Duration max) {
    Thread self = Thread.currentThread();
    atTestBarrier.add(self);
    try {
      barrier.countDown();
      if (!barrier.await(max.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError("not every caller reached the barrier within " + max);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      atTestBarrier.remove(self);
    }
  }

  /** Whether {@code thread} is one of the callers. */
  boolean includes(Thread thread) {
    return threads.contains(thread);
  }

  private static boolean isBlocked(Thread t) {
    Thread.State s = t.getState();
    return s == Thread.State.WAITING
        || s == Thread.State.TIMED_WAITING
        || s == Thread.State.TERMINATED;
  }

  /** Every caller's answer, in order; the first failure is rethrown. */
  List<T> answers(Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    List<T> result = new ArrayList<>();
    for (CompletableFuture<T> a : answers) {
      try {
        result.add(a.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception ex ? ex : e;
      }
    }
    return result;
  }

  /** Every caller's failure, in order; a caller that did not fail is an {@link AssertionError}. */
  List<Throwable> failures(Duration max) throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    List<Throwable> result = new ArrayList<>();
    for (CompletableFuture<T> a : answers) {
      try {
        T value = a.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        throw new AssertionError("a caller succeeded: " + value);
      } catch (ExecutionException e) {
        result.add(e.getCause());
      }
    }
    return result;
  }
}
