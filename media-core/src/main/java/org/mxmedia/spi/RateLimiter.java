package org.mxmedia.spi;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.mxmedia.UserId;
import org.mxmedia.internal.RepositoryFactory;

/**
 * Limits how fast each user may act: upload, create pending uploads, and pull bytes from other
 * servers. A refusal becomes 429 {@code M_LIMIT_EXCEEDED} with the wait it names, which the HTTP
 * binding sends as {@code retry_after_ms} in the body and {@code Retry-After} (whole seconds,
 * rounded up) in the headers.
 *
 * <p>Implementations must be thread-safe and quick (they run on request threads, before any byte is
 * read); an unchecked exception is logged and becomes a 500 {@code M_UNKNOWN}.
 */
public interface RateLimiter {

  /** What is limited, and in which unit. */
  enum Action {
    /** One upload ({@code POST /upload} or {@code PUT /upload/{serverName}/{mediaId}}), cost 1. */
    UPLOAD,
    /**
     * One pending upload created ({@code POST /create}, Synapse's {@code rc_media_create}), cost 1.
     */
    CREATE,
    /**
     * Bytes fetched from other servers for a user (Synapse's {@code remote_media_download_*}): a
     * fetch starts only while the user's bucket is not over-full ({@link #tryAcquire} with cost 0),
     * and its bytes are {@linkplain #record recorded} once known, so one fetch may overfill the
     * bucket and the user then waits for it to drain.
     */
    REMOTE_DOWNLOAD_BYTES
  }

  /**
   * Takes {@code cost} units of {@code action} for {@code user} if they fit now.
   *
   * @param cost at least 0
   * @return empty when the units were taken; otherwise how long until they would fit (nothing is
   *     taken), at least one millisecond
   */
  Optional<Duration> tryAcquire(Action action, UserId user, long cost);

  /**
   * Counts {@code cost} units already spent (bytes whose number was known only afterwards), even
   * past what the limit allows at once; later calls of {@link #tryAcquire} wait for them to drain.
   */
  void record(Action action, UserId user, long cost);

  /** No limits: the default. */
  static RateLimiter unlimited() {
    return RepositoryFactory.noRateLimit();
  }

  /**
   * Leaky buckets, one per user and action: a bucket holds up to {@code burst} units and drains
   * {@code perSecond} units a second, as Synapse's rate limiters ({@code per_second}, {@code
   * burst_count}). Actions without a rate are not limited. Buckets of at most 100 000 users are
   * kept per action (a drained bucket is forgotten; past the bound the least recently used goes
   * first, which only forgives).
   *
   * @param rates the limited actions
   * @param clock the time the buckets drain by (inject one to test)
   */
  static RateLimiter leakyBucket(Map<Action, Rate> rates, Clock clock) {
    return RepositoryFactory.leakyBuckets(rates, clock);
  }

  /**
   * A leaky bucket's rate.
   *
   * @param perSecond units drained per second, positive and finite
   * @param burst units the bucket holds, at least 1
   */
  record Rate(double perSecond, double burst) {
    public Rate {
      if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
        throw new IllegalArgumentException("perSecond must be positive and finite: " + perSecond);
      }
      if (!(burst >= 1) || Double.isInfinite(burst)) {
        throw new IllegalArgumentException("burst must be at least 1 and finite: " + burst);
      }
    }
  }
}
