package org.mxmedia.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.mxmedia.MediaException;
import org.mxmedia.UserId;

/** Resolves client access tokens to users: the host's own session store. */
@FunctionalInterface
public interface Authenticator {

  /**
   * The user an access token belongs to.
   *
   * @return empty for an unknown, expired or revoked token (answered 401 {@code M_UNKNOWN_TOKEN})
   * @throws MediaException to answer otherwise (for example 429 while rate limiting)
   */
  Optional<UserId> authenticate(String accessToken);

  /** A fixed table of tokens, for tests and small set-ups. */
  static Authenticator tokens(Map<String, UserId> tokens) {
    Map<String, UserId> copy = Map.copyOf(tokens);
    return token -> Optional.ofNullable(copy.get(token));
  }

  /**
   * An {@link Authenticator} that remembers the host's positive answers for a while, so a client
   * fetching many files costs the host's session store one look-up per token per time to live
   * rather than one per request. Thread-safe.
   *
   * <p>Only tokens the host recognised are remembered (at most {@code maxTokens}, least recently
   * used first out); an unknown token is asked about every time, so a flood of invented tokens
   * neither fills the cache nor is answered from it. A failure of the host's authenticator (a
   * {@link MediaException}, for example 429) is passed on and not remembered. A token revoked in
   * the host stays valid here until its entry expires: call {@link #invalidate} on logout, or
   * choose {@code ttl} as the longest a revoked token may keep working (for a session store shared
   * by several processes, that is the bound on staleness).
   */
  final class CachingAuthenticator implements Authenticator {
    private final Authenticator delegate;
    private final Cache<String, Entry> users;
    private final AtomicLong epoch = new AtomicLong();

    /**
     * A user and the epoch the host was asked in: an answer from before an invalidation is never
     * used.
     */
    private record Entry(UserId user, long epoch) {}

    private CachingAuthenticator(
        Authenticator delegate, Duration ttl, long maxTokens, Ticker ticker) {
      this.delegate = delegate;
      this.users =
          Caffeine.newBuilder().maximumSize(maxTokens).expireAfterWrite(ttl).ticker(ticker).build();
    }

    /**
     * Caches {@code delegate}'s answers.
     *
     * @param ttl how long a positive answer is used, from when the host gave it (positive)
     * @param maxTokens how many tokens are remembered at most (at least 1)
     * @throws IllegalArgumentException if {@code ttl} is not positive or {@code maxTokens} is below
     *     1
     */
    public static CachingAuthenticator of(Authenticator delegate, Duration ttl, long maxTokens) {
      return of(delegate, ttl, maxTokens, Ticker.systemTicker());
    }

    static CachingAuthenticator of(
        Authenticator delegate, Duration ttl, long maxTokens, Ticker ticker) {
      Objects.requireNonNull(delegate, "delegate");
      Objects.requireNonNull(ttl, "ttl");
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("ttl must be positive: " + ttl);
      }
      if (maxTokens < 1) {
        throw new IllegalArgumentException("maxTokens must be at least 1: " + maxTokens);
      }
      return new CachingAuthenticator(delegate, ttl, maxTokens, ticker);
    }

    @Override
    public Optional<UserId> authenticate(String accessToken) {
      long now = epoch.get();
      Entry known = users.getIfPresent(accessToken);
      if (known != null && known.epoch() == now) {
        return Optional.of(known.user());
      }
      Optional<UserId> user = delegate.authenticate(accessToken);
      user.ifPresent(u -> users.put(accessToken, new Entry(u, now)));
      return user;
    }

    /**
     * Forgets {@code accessToken} (call it when the host revokes the token): the next request with
     * it asks the host, and so does the next request with any other token (the answers given before
     * the revocation are all set aside, so one that raced it cannot be kept).
     */
    public void invalidate(String accessToken) {
      epoch.incrementAndGet(); // an answer the host is giving now, before the revocation, is not
      // kept either
      users.invalidate(accessToken);
    }

    /** Forgets every token. */
    public void invalidateAll() {
      epoch.incrementAndGet();
      users.invalidateAll();
    }
  }
}
