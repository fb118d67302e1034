package org.mxmedia.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.spi.MediaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single flight across repositories that share a store (a cluster): work that must happen once in
 * all (a remote fetch, a thumbnail to make) is claimed in the store ({@link MediaStore#claimWork});
 * the claimant does it and renews its claim meanwhile, the others wait for its result to appear in
 * the store, polling, and take the claim over if it lapses (its owner died) or is released without
 * a result (it failed: they try themselves). Within one repository {@link SingleFlight} already
 * lets one caller per key reach this.
 */
final class WorkClaims {
  private static final Logger log = LoggerFactory.getLogger(WorkClaims.class);

  /** How long a claim lasts unless renewed: how long a dead node can hold up the others. */
  static final Duration TTL = Duration.ofSeconds(30);

  private static final Duration RENEW_EVERY = TTL.dividedBy(3);
  private static final long FIRST_POLL_MILLIS = 25;
  private static final long MAX_POLL_MILLIS = 500;

  private final MediaStore store;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;

  /** This repository, as claims name it. */
  private final String owner = UUID.randomUUID().toString();

  WorkClaims(MediaStore store, Clock clock, ScheduledExecutorService scheduler) {
    this.store = store;
    this.clock = clock;
    this.scheduler = scheduler;
  }

  /**
   * The result of {@code work}, done once by whichever repository claims it first.
   *
   * @param name the work's name, the same in every repository
   * @param maxWait how long to wait for another repository's run before 504
   * @param done the result if it is already in the store (read before claiming and while waiting)
   * @param perform does the work (under the claim) and returns its result
   * @throws MediaException what {@code perform} throws; 504 {@code M_UNKNOWN} when another
   *     repository's run outlasts {@code maxWait}
   */
  <T> T once(String name, Duration maxWait, Supplier<Optional<T>> done, Supplier<T> perform) {
    return once(name, maxWait, done, perform, true);
  }

  /**
   * Like {@link #once}, for work whose result appears piece by piece (several records): its result
   * is read only while holding the claim, so a repository that comes while another is halfway never
   * takes the pieces written so far for the whole; it waits for the claim instead.
   */
  <T> T onceWhole(String name, Duration maxWait, Supplier<Optional<T>> done, Supplier<T> perform) {
    return once(name, maxWait, done, perform, false);
  }

  private <T> T once(
      String name,
      Duration maxWait,
      Supplier<Optional<T>> done,
      Supplier<T> perform,
      boolean doneIsWhole) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    long pause = FIRST_POLL_MILLIS;
    while (true) {
      Optional<T> result = doneIsWhole ? done.get() : Optional.empty();
      if (result.isPresent()) {
        return result.get();
      }
      Instant now = clock.instant();
      if (store.claimWork(name, owner, now, now.plus(TTL))) {
        return performClaimed(name, done, perform);
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new MediaException(
            ErrorCode.M_UNKNOWN,
            504,
            "Timed out waiting for another server of this cluster doing the same work; try again");
      }
      sleep(Math.min(pause, left));
      pause = Math.min(MAX_POLL_MILLIS, pause * 2);
    }
  }

  private <T> T performClaimed(String name, Supplier<Optional<T>> done, Supplier<T> perform) {
    ScheduledFuture<?> renewal =
        scheduler.scheduleWithFixedDelay(
            () -> renew(name),
            RENEW_EVERY.toMillis(),
            RENEW_EVERY.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      Optional<T> result = done.get(); // it may have been done between the look and the claim
      return result.isPresent() ? result.get() : perform.get();
    } finally {
      renewal.cancel(false);
      try {
        store.releaseWork(name, owner);
      } catch (RuntimeException e) {
        log.warn("Could not release the claim of {}; it lapses in {}", name, TTL, e);
      }
    }
  }

  private void renew(String name) {
    Instant now = clock.instant();
    try {
      if (!store.claimWork(name, owner, now, now.plus(TTL))) {
        log.warn("The claim of {} was taken over while this server still worked on it", name);
      }
    } catch (RuntimeException e) {
      log.warn("Could not renew the claim of {}", name, e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw MediaException.internal("Interrupted while waiting", e);
    }
  }
}
