package org.mxmedia.internal;

import java.time.Duration;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * Waits until threads are blocked in a wait (parked, in {@code Object.wait}, or finished): the
 * JVM's own record that a caller has reached a wait of the code under test. Used instead of
 * sleeping for a guessed time; it spins (yielding the processor) only until the condition holds,
 * and fails when it has not held within the bound.
 */
final class Blocked {
  private Blocked() {}

  static void awaitAll(Collection<Thread> threads, Duration max) {
    long deadline = System.nanoTime() + max.toNanos();
    while (!threads.stream().allMatch(Blocked::isBlocked)) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "threads not blocked within "
                + max
                + ": "
                + threads.stream()
                    .map(t -> t.getName() + "=" + t.getState())
                    .collect(Collectors.joining(", ")));
      }
      Thread.yield();
    }
  }

  static boolean isBlocked(Thread t) {
    Thread.State s = t.getState();
    return s == Thread.State.WAITING
        || s == Thread.State.TIMED_WAITING
        || s == Thread.State.TERMINATED;
  }
}
