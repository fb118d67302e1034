package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mxmedia.UserId;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.RateLimiter.Action;
import org.mxmedia.spi.RateLimiter.Rate;

class LeakyBucketsTest {
  static final UserId ALICE = UserId.of("@alice:example.org");
  static final UserId BOB = UserId.of("@bob:example.org");

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  final TestClock clock = new TestClock();

  @Test
  void aBucketTakesItsBurstThenDrainsAtItsRate() {
    RateLimiter limiter = RateLimiter.leakyBucket(Map.of(Action.UPLOAD, new Rate(2, 3)), clock);
    for (int i = 0; i < 3; i++) {
      assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 1)).isEmpty();
    }
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 1)).hasValue(Duration.ofMillis(500));
    assertThat(limiter.tryAcquire(Action.UPLOAD, BOB, 1)).as("per user").isEmpty();
    assertThat(limiter.tryAcquire(Action.CREATE, ALICE, 1))
        .as("actions without a rate are free")
        .isEmpty();
    clock.advance(Duration.ofMillis(250));
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 1)).hasValue(Duration.ofMillis(250));
    clock.advance(Duration.ofMillis(250));
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 1)).isEmpty();
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 1)).isPresent();
    clock.advance(Duration.ofHours(1));
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 3))
        .as("drained, never below empty")
        .isEmpty();
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 1)).isPresent();
  }

  @Test
  void recordedBytesMayOverfillTheBucketAndAFetchWaitsUntilItIsNoLongerOverFull() {
    RateLimiter limiter =
        RateLimiter.leakyBucket(
            Map.of(Action.REMOTE_DOWNLOAD_BYTES, new Rate(1000, 10_000)), clock);
    assertThat(limiter.tryAcquire(Action.REMOTE_DOWNLOAD_BYTES, ALICE, 0)).isEmpty();
    limiter.record(Action.REMOTE_DOWNLOAD_BYTES, ALICE, 15_000);
    assertThat(limiter.tryAcquire(Action.REMOTE_DOWNLOAD_BYTES, ALICE, 0))
        .hasValue(Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(5));
    assertThat(limiter.tryAcquire(Action.REMOTE_DOWNLOAD_BYTES, ALICE, 0)).isEmpty();
  }

  @Test
  void aCostLargerThanTheBurstFitsOnlyAnEmptyBucket() {
    RateLimiter limiter = RateLimiter.leakyBucket(Map.of(Action.UPLOAD, new Rate(1, 2)), clock);
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 5)).isEmpty();
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 5)).hasValue(Duration.ofSeconds(5));
    clock.advance(Duration.ofSeconds(5));
    assertThat(limiter.tryAcquire(Action.UPLOAD, ALICE, 5)).isEmpty();
  }

  @Test
  void ratesAndCostsAreValidated() {
    assertThatThrownBy(() -> new Rate(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Rate(Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Rate(1, 0.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Rate(1, Double.POSITIVE_INFINITY))
        .isInstanceOf(IllegalArgumentException.class);
    RateLimiter limiter = RateLimiter.leakyBucket(Map.of(Action.UPLOAD, new Rate(1, 2)), clock);
    assertThatThrownBy(() -> limiter.tryAcquire(Action.UPLOAD, ALICE, -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(RateLimiter.unlimited().tryAcquire(Action.UPLOAD, ALICE, Long.MAX_VALUE)).isEmpty();
  }

  @Test
  void theBucketsAreBoundedAndAnIdleBucketIsForgotten() {
    LeakyBuckets limiter = new LeakyBuckets(Map.of(Action.UPLOAD, new Rate(1, 1)), clock);
    for (int i = 0; i < LeakyBuckets.MAX_USERS + 1000; i++) {
      limiter.tryAcquire(Action.UPLOAD, UserId.of("@u" + i + ":example.org"), 1);
    }
    assertThat(limiter.buckets(Action.UPLOAD)).isLessThanOrEqualTo(LeakyBuckets.MAX_USERS);
    clock.advance(Duration.ofMinutes(1));
    limiter.tryAcquire(Action.UPLOAD, ALICE, 1);
    assertThat(limiter.buckets(Action.UPLOAD)).isEqualTo(1);
  }
}
