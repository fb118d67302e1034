package org.mxmedia.internal;

import com.google.common.base.Ticker;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.mxmedia.UserId;
import org.mxmedia.spi.RateLimiter;

/**
 * {@link RateLimiter#leakyBucket}: per action, a bounded cache of buckets by user. A bucket is its
 * level and when it was last updated; it drains continuously, so a bucket untouched for {@code
 * burst / perSecond} seconds is empty and its entry may go (the cache's expiry runs on the injected
 * clock).
 */
final class LeakyBuckets implements RateLimiter {
  /** Buckets kept per action at most. */
  static final int MAX_USERS = 100_000;

  /** {@link RateLimiter#unlimited()}. */
  static final RateLimiter UNLIMITED =
      new RateLimiter() {
        @Override
        public Optional<Duration> tryAcquire(Action action, UserId user, long cost) {
          Objects.requireNonNull(user, "user");
          return Optional.empty();
        }

        @Override
        public void record(Action action, UserId user, long cost) {
          Objects.requireNonNull(user, "user");
        }

        @Override
        public String toString() {
          return "RateLimiter.unlimited()";
        }
      };

  private static final class Bucket {
    double level;
    long updatedMillis;
  }

  private final Map<Action, Rate> rates;
  private final Map<Action, Cache<UserId, Bucket>> buckets = new EnumMap<>(Action.class);
  private final Clock clock;

  LeakyBuckets(Map<Action, Rate> rates, Clock clock) {
    this.rates = Map.copyOf(rates);
    this.clock = Objects.requireNonNull(clock, "clock");
    Ticker ticker =
        new Ticker() {
          @Override
          public long read() {
            return TimeUnit.MILLISECONDS.toNanos(clock.millis());
          }
        };
    this.rates.forEach(
        (action, rate) -> {
          long drainMillis = (long) Math.ceil(rate.burst() / rate.perSecond() * 1000) + 1000;
          buckets.put(
              action,
              CacheBuilder.newBuilder()
                  .maximumSize(MAX_USERS)
                  .ticker(ticker)
                  .expireAfterAccess(drainMillis, TimeUnit.MILLISECONDS)
                  .build());
        });
  }

  @Override
  public Optional<Duration> tryAcquire(Action action, UserId user, long cost) {
    Objects.requireNonNull(user, "user");
    if (cost < 0) {
      throw new IllegalArgumentException("cost cannot be negative: " + cost);
    }
    Rate rate = rates.get(action);
    if (rate == null) {
      return Optional.empty();
    }
    Bucket b = bucket(action, user);
    synchronized (b) {
      drain(b, rate);
      double over = b.level + cost - rate.burst();
      if (over <= 0 || (cost > rate.burst() && b.level <= 0)) {
        b.level += cost;
        return Optional.empty();
      }
      // a cost larger than the bucket fits only an empty one: then the wait is for it to empty
      double wait = Math.min(over, b.level) / rate.perSecond();
      return Optional.of(Duration.ofMillis(Math.max(1, (long) Math.ceil(wait * 1000))));
    }
  }

  @Override
  public void record(Action action, UserId user, long cost) {
    Objects.requireNonNull(user, "user");
    if (cost < 0) {
      throw new IllegalArgumentException("cost cannot be negative: " + cost);
    }
    Rate rate = rates.get(action);
    if (rate == null) {
      return;
    }
    Bucket b = bucket(action, user);
    synchronized (b) {
      drain(b, rate);
      b.level += cost;
    }
  }

  private Bucket bucket(Action action, UserId user) {
    Cache<UserId, Bucket> cache = Objects.requireNonNull(buckets.get(action));
    try {
      return cache.get(
          user,
          () -> {
            Bucket b = new Bucket();
            b.updatedMillis = clock.millis();
            return b;
          });
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Buckets kept for {@code action} (for tests; expired entries are cleaned up first). */
  long buckets(Action action) {
    Cache<UserId, Bucket> cache = Objects.requireNonNull(buckets.get(action));
    cache.cleanUp();
    return cache.size();
  }

  private void drain(Bucket b, Rate rate) {
    long now = clock.millis();
    long elapsed = Math.max(0, now - b.updatedMillis);
    b.level = Math.max(0, b.level - elapsed * rate.perSecond() / 1000.0);
    b.updatedMillis = Math.max(now, b.updatedMillis);
  }

  @Override
  public String toString() {
    return "RateLimiter.leakyBucket(" + rates + ")";
  }
}
