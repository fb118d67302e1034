package org.mxmedia;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The limits and behaviour of a media repository, as an immutable value.
 *
 * <p>{@link #defaults()} gives Synapse's defaults; {@link #builder()} and {@link #rebuild()} change
 * them, validating each setting as it is set. The {@code withX} methods are shortcuts for {@code
 * rebuild().x(..).build()}.
 */
public final class MediaConfig {

  /** The five thumbnail sizes the spec recommends and Synapse generates by default. */
  public static final List<ThumbnailSpec> SPEC_THUMBNAIL_SIZES =
      List.of(
          ThumbnailSpec.crop(32, 32),
          ThumbnailSpec.crop(96, 96),
          ThumbnailSpec.scale(320, 240),
          ThumbnailSpec.scale(640, 480),
          ThumbnailSpec.scale(800, 600));

  private static final MediaConfig DEFAULTS = new Builder().build();

  private final DataSize maxUploadSize;
  private final long maxImagePixels;
  private final List<ThumbnailSpec> thumbnailSizes;
  private final boolean dynamicThumbnails;
  private final Duration unusedPendingExpiry;
  private final int maxPendingUploadsPerUser;
  private final Duration defaultDownloadTimeout;
  private final Duration maxDownloadTimeout;
  private final Duration lastAccessFlushInterval;
  private final Optional<Set<String>> federationDomainWhitelist;
  private final Set<String> preventMediaDownloadsFrom;
  private final Duration remoteIdleTimeout;
  private final Duration remoteRetryBackoff;
  private final Duration remoteDeadline;
  private final int maxConcurrentRemoteDownloads;
  private final int maxRemoteFetchesPerServer;

  private MediaConfig(Builder b) {
    this.maxUploadSize = b.maxUploadSize;
    this.maxImagePixels = b.maxImagePixels;
    this.thumbnailSizes = b.thumbnailSizes;
    this.dynamicThumbnails = b.dynamicThumbnails;
    this.unusedPendingExpiry = b.unusedPendingExpiry;
    this.maxPendingUploadsPerUser = b.maxPendingUploadsPerUser;
    this.defaultDownloadTimeout = b.defaultDownloadTimeout;
    this.maxDownloadTimeout = b.maxDownloadTimeout;
    this.lastAccessFlushInterval = b.lastAccessFlushInterval;
    this.federationDomainWhitelist = b.federationDomainWhitelist;
    this.preventMediaDownloadsFrom = b.preventMediaDownloadsFrom;
    this.remoteIdleTimeout = b.remoteIdleTimeout;
    this.remoteRetryBackoff = b.remoteRetryBackoff;
    this.remoteDeadline = b.remoteDeadline;
    this.maxConcurrentRemoteDownloads = b.maxConcurrentRemoteDownloads;
    this.maxRemoteFetchesPerServer = b.maxRemoteFetchesPerServer;
  }

  /** Synapse's defaults: 50 MiB uploads, 32 megapixel images, the spec's five thumbnail sizes. */
  public static MediaConfig defaults() {
    return DEFAULTS;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's values. */
  public Builder rebuild() {
    return new Builder(this);
  }

  public MediaConfig withMaxUploadSize(DataSize size) {
    return rebuild().maxUploadSize(size).build();
  }

  public MediaConfig withDynamicThumbnails(boolean enabled) {
    return rebuild().dynamicThumbnails(enabled).build();
  }

  /** The largest upload accepted; larger ones fail with 413 {@code M_TOO_LARGE}. Default 50 MiB. */
  public DataSize maxUploadSize() {
    return maxUploadSize;
  }

  /**
   * The most pixels (width times height) an image may have to be thumbnailed. Default 32 million.
   */
  public long maxImagePixels() {
    return maxImagePixels;
  }

  /**
   * The thumbnail sizes generated for each uploaded image. Default: {@link #SPEC_THUMBNAIL_SIZES}.
   */
  public List<ThumbnailSpec> thumbnailSizes() {
    return thumbnailSizes;
  }

  /**
   * Whether thumbnails of sizes other than the configured ones are generated on request. Default
   * off.
   */
  public boolean dynamicThumbnails() {
    return dynamicThumbnails;
  }

  /** How long an asynchronous upload may wait for its bytes. Default 24 hours. */
  public Duration unusedPendingExpiry() {
    return unusedPendingExpiry;
  }

  /** How many unfinished asynchronous uploads one user may hold. Default 5. */
  public int maxPendingUploadsPerUser() {
    return maxPendingUploadsPerUser;
  }

  /**
   * How long a download waits for a pending upload when the caller names no timeout. Default 20 s.
   */
  public Duration defaultDownloadTimeout() {
    return defaultDownloadTimeout;
  }

  /** The cap on a caller's {@code timeout_ms}. Default 120 s. */
  public Duration maxDownloadTimeout() {
    return maxDownloadTimeout;
  }

  /** How often recent accesses are written to the store, in one batch. Default 60 s. */
  public Duration lastAccessFlushInterval() {
    return lastAccessFlushInterval;
  }

  /**
   * When present, remote media is fetched only from these server names (Synapse's {@code
   * federation_domain_whitelist}); others are 404. Default: absent (any server).
   */
  public Optional<Set<String>> federationDomainWhitelist() {
    return federationDomainWhitelist;
  }

  /**
   * Server names whose media is never fetched (Synapse's {@code prevent_media_downloads_from});
   * 404.
   */
  public Set<String> preventMediaDownloadsFrom() {
    return preventMediaDownloadsFrom;
  }

  /** How long a remote body may send nothing before the fetch is abandoned (502). Default 30 s. */
  public Duration remoteIdleTimeout() {
    return remoteIdleTimeout;
  }

  /**
   * How long a server that failed is not asked again: this after the first failure, doubling with
   * each further failure up to an hour; a success resets it. Default 10 s.
   */
  public Duration remoteRetryBackoff() {
    return remoteRetryBackoff;
  }

  /**
   * The longest one fetch of remote media may take in all: connecting, the answer's headers, the
   * multipart framing, redirects and the body. Past it the fetch is abandoned (502) however
   * steadily bytes trickle in. Default 5 minutes.
   */
  public Duration remoteDeadline() {
    return remoteDeadline;
  }

  /**
   * How many downloads of uncached remote media may be in progress at once, counting requests that
   * wait for another request's fetch of the same media; more answer 429 {@code M_LIMIT_EXCEEDED} at
   * once, so slow or hostile servers never hold every request thread. The same number, counted
   * apart, bounds downloads waiting for a pending upload's bytes. Keep it well below the host's
   * request threads. Default 32.
   */
  public int maxConcurrentRemoteDownloads() {
    return maxConcurrentRemoteDownloads;
  }

  /** How many different media of one server may be fetched at once; more answer 429. Default 8. */
  public int maxRemoteFetchesPerServer() {
    return maxRemoteFetchesPerServer;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MediaConfig c
        && maxUploadSize.equals(c.maxUploadSize)
        && maxImagePixels == c.maxImagePixels
        && thumbnailSizes.equals(c.thumbnailSizes)
        && dynamicThumbnails == c.dynamicThumbnails
        && unusedPendingExpiry.equals(c.unusedPendingExpiry)
        && maxPendingUploadsPerUser == c.maxPendingUploadsPerUser
        && defaultDownloadTimeout.equals(c.defaultDownloadTimeout)
        && maxDownloadTimeout.equals(c.maxDownloadTimeout)
        && lastAccessFlushInterval.equals(c.lastAccessFlushInterval)
        && federationDomainWhitelist.equals(c.federationDomainWhitelist)
        && preventMediaDownloadsFrom.equals(c.preventMediaDownloadsFrom)
        && remoteIdleTimeout.equals(c.remoteIdleTimeout)
        && remoteRetryBackoff.equals(c.remoteRetryBackoff)
        && remoteDeadline.equals(c.remoteDeadline)
        && maxConcurrentRemoteDownloads == c.maxConcurrentRemoteDownloads
        && maxRemoteFetchesPerServer == c.maxRemoteFetchesPerServer;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        maxUploadSize,
        maxImagePixels,
        thumbnailSizes,
        dynamicThumbnails,
        unusedPendingExpiry,
        maxPendingUploadsPerUser,
        defaultDownloadTimeout,
        maxDownloadTimeout,
        lastAccessFlushInterval,
        federationDomainWhitelist,
        preventMediaDownloadsFrom,
        remoteIdleTimeout,
        remoteRetryBackoff,
        remoteDeadline,
        maxConcurrentRemoteDownloads,
        maxRemoteFetchesPerServer);
  }

  @Override
  public String toString() {
    return "MediaConfig{maxUploadSize="
        + maxUploadSize
        + ", maxImagePixels="
        + maxImagePixels
        + ", thumbnailSizes="
        + thumbnailSizes
        + ", dynamicThumbnails="
        + dynamicThumbnails
        + ", unusedPendingExpiry="
        + unusedPendingExpiry
        + ", maxPendingUploadsPerUser="
        + maxPendingUploadsPerUser
        + ", defaultDownloadTimeout="
        + defaultDownloadTimeout
        + ", maxDownloadTimeout="
        + maxDownloadTimeout
        + ", lastAccessFlushInterval="
        + lastAccessFlushInterval
        + ", federationDomainWhitelist="
        + federationDomainWhitelist
        + ", preventMediaDownloadsFrom="
        + preventMediaDownloadsFrom
        + ", remoteIdleTimeout="
        + remoteIdleTimeout
        + ", remoteRetryBackoff="
        + remoteRetryBackoff
        + ", remoteDeadline="
        + remoteDeadline
        + ", maxConcurrentRemoteDownloads="
        + maxConcurrentRemoteDownloads
        + ", maxRemoteFetchesPerServer="
        + maxRemoteFetchesPerServer
        + "}";
  }

  /** Builds a {@link MediaConfig}; every setter validates its argument at once. */
  public static final class Builder {
    private DataSize maxUploadSize = DataSize.mebibytes(50);
    private long maxImagePixels = 32_000_000L;
    private List<ThumbnailSpec> thumbnailSizes = SPEC_THUMBNAIL_SIZES;
    private boolean dynamicThumbnails;
    private Duration unusedPendingExpiry = Duration.ofHours(24);
    private int maxPendingUploadsPerUser = 5;
    private Duration defaultDownloadTimeout = Duration.ofSeconds(20);
    private Duration maxDownloadTimeout = Duration.ofSeconds(120);
    private Duration lastAccessFlushInterval = Duration.ofSeconds(60);
    private Optional<Set<String>> federationDomainWhitelist = Optional.empty();
    private Set<String> preventMediaDownloadsFrom = Set.of();
    private Duration remoteIdleTimeout = Duration.ofSeconds(30);
    private Duration remoteRetryBackoff = Duration.ofSeconds(10);
    private Duration remoteDeadline = Duration.ofMinutes(5);
    private int maxConcurrentRemoteDownloads = 32;
    private int maxRemoteFetchesPerServer = 8;

    private Builder() {}

    private Builder(MediaConfig c) {
      maxUploadSize = c.maxUploadSize;
      maxImagePixels = c.maxImagePixels;
      thumbnailSizes = c.thumbnailSizes;
      dynamicThumbnails = c.dynamicThumbnails;
      unusedPendingExpiry = c.unusedPendingExpiry;
      maxPendingUploadsPerUser = c.maxPendingUploadsPerUser;
      defaultDownloadTimeout = c.defaultDownloadTimeout;
      maxDownloadTimeout = c.maxDownloadTimeout;
      lastAccessFlushInterval = c.lastAccessFlushInterval;
      federationDomainWhitelist = c.federationDomainWhitelist;
      preventMediaDownloadsFrom = c.preventMediaDownloadsFrom;
      remoteIdleTimeout = c.remoteIdleTimeout;
      remoteRetryBackoff = c.remoteRetryBackoff;
      remoteDeadline = c.remoteDeadline;
      maxConcurrentRemoteDownloads = c.maxConcurrentRemoteDownloads;
      maxRemoteFetchesPerServer = c.maxRemoteFetchesPerServer;
    }

    /** At least 1 byte. */
    public Builder maxUploadSize(DataSize size) {
      if (size.bytes() < 1) {
        throw new IllegalArgumentException("maxUploadSize must be at least 1 byte");
      }
      this.maxUploadSize = size;
      return this;
    }

    /** At least 1. */
    public Builder maxImagePixels(long pixels) {
      if (pixels < 1) {
        throw new IllegalArgumentException("maxImagePixels must be positive: " + pixels);
      }
      this.maxImagePixels = pixels;
      return this;
    }

    /** Any number of sizes, duplicates removed in order. */
    public Builder thumbnailSizes(List<ThumbnailSpec> sizes) {
      this.thumbnailSizes = List.copyOf(new LinkedHashSet<>(sizes));
      return this;
    }

    public Builder dynamicThumbnails(boolean enabled) {
      this.dynamicThumbnails = enabled;
      return this;
    }

    /** Positive. */
    public Builder unusedPendingExpiry(Duration expiry) {
      this.unusedPendingExpiry = positive(expiry, "unusedPendingExpiry");
      return this;
    }

    /** At least 1. */
    public Builder maxPendingUploadsPerUser(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxPendingUploadsPerUser must be at least 1: " + max);
      }
      this.maxPendingUploadsPerUser = max;
      return this;
    }

    /** Zero or positive. */
    public Builder defaultDownloadTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("defaultDownloadTimeout cannot be negative: " + timeout);
      }
      this.defaultDownloadTimeout = timeout;
      return this;
    }

    /** Positive. */
    public Builder maxDownloadTimeout(Duration timeout) {
      this.maxDownloadTimeout = positive(timeout, "maxDownloadTimeout");
      return this;
    }

    /** Positive. */
    public Builder lastAccessFlushInterval(Duration interval) {
      this.lastAccessFlushInterval = positive(interval, "lastAccessFlushInterval");
      return this;
    }

    /** Only these servers' media is fetched; each must be a valid server name. */
    public Builder federationDomainWhitelist(Set<String> serverNames) {
      serverNames.forEach(Builder::checkServerName);
      this.federationDomainWhitelist = Optional.of(Set.copyOf(serverNames));
      return this;
    }

    /** These servers' media is never fetched; each must be a valid server name. */
    public Builder preventMediaDownloadsFrom(Set<String> serverNames) {
      serverNames.forEach(Builder::checkServerName);
      this.preventMediaDownloadsFrom = Set.copyOf(serverNames);
      return this;
    }

    /** Positive. */
    public Builder remoteIdleTimeout(Duration timeout) {
      this.remoteIdleTimeout = positive(timeout, "remoteIdleTimeout");
      return this;
    }

    /** Positive. */
    public Builder remoteRetryBackoff(Duration backoff) {
      this.remoteRetryBackoff = positive(backoff, "remoteRetryBackoff");
      return this;
    }

    /** Positive. */
    public Builder remoteDeadline(Duration deadline) {
      this.remoteDeadline = positive(deadline, "remoteDeadline");
      return this;
    }

    /** At least 1. */
    public Builder maxConcurrentRemoteDownloads(int max) {
      this.maxConcurrentRemoteDownloads = atLeastOne(max, "maxConcurrentRemoteDownloads");
      return this;
    }

    /** At least 1. */
    public Builder maxRemoteFetchesPerServer(int max) {
      this.maxRemoteFetchesPerServer = atLeastOne(max, "maxRemoteFetchesPerServer");
      return this;
    }

    private static int atLeastOne(int n, String name) {
      if (n < 1) {
        throw new IllegalArgumentException(name + " must be at least 1: " + n);
      }
      return n;
    }

    private static void checkServerName(String name) {
      if (!ServerName.isValid(name)) {
        throw new IllegalArgumentException("not a valid server name: " + name);
      }
    }

    /** Checks the settings against each other and returns the configuration. */
    public MediaConfig build() {
      if (remoteIdleTimeout.compareTo(remoteDeadline) > 0) {
        throw new IllegalArgumentException(
            "remoteIdleTimeout " + remoteIdleTimeout + " exceeds remoteDeadline " + remoteDeadline);
      }
      if (defaultDownloadTimeout.compareTo(maxDownloadTimeout) > 0) {
        throw new IllegalArgumentException(
            "defaultDownloadTimeout "
                + defaultDownloadTimeout
                + " exceeds maxDownloadTimeout "
                + maxDownloadTimeout);
      }
      return new MediaConfig(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
