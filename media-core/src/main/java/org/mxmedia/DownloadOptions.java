package org.mxmedia;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a download should behave.
 *
 * @param allowRemote whether media of other servers may be fetched over federation (the spec's
 *     {@code allow_remote}); when false, uncached remote media is 404
 * @param timeout how long to wait for a pending upload's bytes (or a remote server); absent means
 *     the configured default. Capped by {@link MediaConfig#maxDownloadTimeout()}.
 */
public record DownloadOptions(boolean allowRemote, Optional<Duration> timeout) {

  private static final DownloadOptions DEFAULTS = new DownloadOptions(true, Optional.empty());

  public DownloadOptions {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isPresent() && timeout.get().isNegative()) {
      throw new IllegalArgumentException("timeout cannot be negative");
    }
  }

  /** Remote fetches allowed, the configured default timeout. */
  public static DownloadOptions defaults() {
    return DEFAULTS;
  }

  public DownloadOptions withAllowRemote(boolean allowRemote) {
    return new DownloadOptions(allowRemote, timeout);
  }

  public DownloadOptions withTimeout(Duration timeout) {
    return new DownloadOptions(allowRemote, Optional.of(timeout));
  }
}
