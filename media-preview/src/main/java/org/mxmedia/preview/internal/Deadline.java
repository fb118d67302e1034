package org.mxmedia.preview.internal;

import java.time.Duration;

/** A point in time (monotonic) by which a fetch must be over. */
final class Deadline {
  private final long end;

  private Deadline(long end) {
    this.end = end;
  }

  static Deadline after(Duration budget) {
    return new Deadline(System.nanoTime() + budget.toNanos());
  }

  /** What is left, never negative. */
  Duration remaining() {
    return Duration.ofNanos(Math.max(0, end - System.nanoTime()));
  }

  boolean passed() {
    return end - System.nanoTime() <= 0;
  }
}
