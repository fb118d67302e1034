package org.mxmedia;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How a download should behave.
 *
 * @param allowRemote whether media of other servers may be fetched over federation (the spec's
 *     {@code allow_remote}); when false, uncached remote media is 404
 * @param timeout how long to wait for a pending upload's bytes (or a remote server's answer);
 *     absent means {@link MediaConfig#defaultDownloadTimeout()}. Clamped to at least one second
 *     and at most {@link MediaConfig#maxDownloadTimeout()}; a remote server is always given at
 *     least the default, so a short timeout cannot make a healthy server look broken.
 * @param legacyFreeze when present, media created at or after this instant is not served: 404
 *     before any fetch, wait or thumbnail generation starts (the spec's freeze of the
 *     unauthenticated endpoints). Remote media counts as created when it was first cached, so
 *     uncached remote media is 404 without asking its server once the freeze has begun.
 * @param requester who asks, when known: the bytes fetched from other servers for them count
 *     against their {@code RateLimiter.Action#REMOTE_DOWNLOAD_BYTES}; absent, nothing is counted
 */
public record DownloadOptions(boolean allowRemote, Optional<Duration> timeout, Optional<Instant> legacyFreeze,
    Optional<UserId> requester) {

  private static final DownloadOptions DEFAULTS = new DownloadOptions(true, Optional.empty(), Optional.empty());

  public DownloadOptions {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(legacyFreeze, "legacyFreeze");
    Objects.requireNonNull(requester, "requester");
    if (timeout.isPresent() && timeout.get().isNegative()) {
      throw new IllegalArgumentException("timeout cannot be negative");
    }
  }

  /** Options without a requester. */
  public DownloadOptions(boolean allowRemote, Optional<Duration> timeout, Optional<Instant> legacyFreeze) {
    this(allowRemote, timeout, legacyFreeze, Optional.empty());
  }

  /** Remote fetches allowed, the configured default timeout, no freeze. */
  public static DownloadOptions defaults() {
    return DEFAULTS;
  }

  public DownloadOptions withAllowRemote(boolean allowRemote) {
    return new DownloadOptions(allowRemote, timeout, legacyFreeze, requester);
  }

  public DownloadOptions withTimeout(Duration timeout) {
    return new DownloadOptions(allowRemote, Optional.of(timeout), legacyFreeze, requester);
  }

  /** Serves only media created before {@code freeze}; see {@link #legacyFreeze()}. */
  public DownloadOptions withLegacyFreeze(Instant freeze) {
    return new DownloadOptions(allowRemote, timeout, Optional.of(freeze), requester);
  }

  /** Counts remote bytes fetched for this download against {@code requester}; see {@link #requester()}. */
  public DownloadOptions withRequester(UserId requester) {
    return new DownloadOptions(allowRemote, timeout, legacyFreeze, Optional.of(requester));
  }
}
