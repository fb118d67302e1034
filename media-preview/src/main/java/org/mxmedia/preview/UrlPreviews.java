package org.mxmedia.preview;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.internal.PreviewEngine;
import org.mxmedia.preview.internal.Version;
import org.mxmedia.spi.UrlPreviewer;

/**
 * URL previews as Synapse builds them: the page's OpenGraph and Twitter-card tags, with
 * fallbacks (title, first heading, meta description, first text, largest image), oEmbed for
 * known providers and by discovery, and the preview's image stored through the repository.
 * Safer than Synapse: every connection goes through the {@link OutboundPolicy} at connect time
 * (a host name that resolves to a refused address, or a redirect to one, is never connected
 * to); redirects are followed here (at most 5, each one checked again); each page and each image
 * has an overall deadline that aborts the request wherever it is; a page is parsed while it
 * streams in, and never more than {@link Builder#maxSpiderSize} bytes of it are read, so memory
 * does not grow with the page.
 *
 * <pre>{@code
 * UrlPreviews previews = UrlPreviews.builder()
 *     .outboundPolicy(OutboundPolicy.defaults())
 *     .urlBlacklist(List.of(UrlPattern.of("netloc", "*.internal.example")))
 *     .build();
 * UrlPreview preview = previews.preview(URI.create("https://example.org/"), imageStore);
 * }</pre>
 *
 * <p>The repository is the intended caller: it validates the URL, authenticates and rate-limits
 * the user, caches answers and runs one preview per URL at a time.
 *
 * <p>Thread-safe; build one, share it, and {@link #close} it with the repository (it holds a
 * connection pool and a timer thread).
 */
public final class UrlPreviews implements UrlPreviewer, AutoCloseable {

  /** Synapse's {@code max_spider_size} default: 10 MiB. */
  public static final long DEFAULT_MAX_SPIDER_SIZE = 10L * 1024 * 1024;

  private final PreviewEngine engine;
  private final String userAgent;

  private UrlPreviews(PreviewEngine engine, String userAgent) {
    this.engine = engine;
    this.userAgent = userAgent;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The previewer with every default. */
  public static UrlPreviews defaults() {
    return builder().build();
  }

  /**
   * The preview of {@code url}. A page answers its OpenGraph properties (keys of at most 50
   * characters, string values of at most 1000, at most 50 keys); an image answers itself; an
   * oEmbed provider's URL answers the provider's data; anything else a title from its file name,
   * or nothing. {@code og:image} is the stored image's {@code mxc} URI, with {@code
   * og:image:width}, {@code og:image:height} (when the store could measure it), {@code
   * og:image:type} and {@code matrix:image:size}; a preview whose image cannot be fetched or
   * stored has no image. The cache age is the page's {@code Cache-Control} or {@code Expires}
   * (or oEmbed {@code cache_age}) within the builder's bounds.
   *
   * @param url an absolute http(s) URL
   * @param images where the preview's image goes; called at most once
   * @throws org.mxmedia.MediaException 400 {@code M_INVALID_PARAM} when {@code url} is not an
   *     absolute http(s) URL or carries credentials; 403 {@code M_FORBIDDEN} when it, or a
   *     redirect, is on the URL pattern list or points to an address the policy refuses; 502
   *     {@code M_UNKNOWN} when the page cannot be fetched (unreachable, a status other than 2xx,
   *     more than 5 redirects, an image over the spider size); 504 {@code M_UNKNOWN} when the
   *     page deadline passes; or what {@code images} throws for a URL that is itself an image
   */
  @Override
  public UrlPreview preview(URI url, ImageStore images) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(images, "images");
    return engine.preview(url, images);
  }

  /** The {@code User-Agent} this previewer sends. */
  public String userAgent() {
    return userAgent;
  }

  /**
   * Closes the connection pool and the deadline timer; previews in flight fail, later ones throw
   * 500 {@code M_UNKNOWN}. Idempotent.
   */
  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return "UrlPreviews{" + userAgent + "}";
  }

  /**
   * Builds {@link UrlPreviews}. Every setter validates at once and may be called once ({@link
   * IllegalStateException} otherwise, naming the value already set).
   */
  public static final class Builder {
    private final Map<String, Object> set = new HashMap<>();
    private OutboundPolicy policy = OutboundPolicy.defaults();
    private List<UrlPattern> urlBlacklist = List.of();
    private long maxSpiderSize = DEFAULT_MAX_SPIDER_SIZE;
    private List<String> acceptLanguage = List.of("en");
    private String userAgent = "mxmedia/" + Version.get() + " (bot; URL preview)";
    private List<OEmbedProvider> oEmbedProviders = OEmbedProvider.builtIn();
    private Duration pageDeadline = Duration.ofSeconds(20);
    private Duration imageDeadline = Duration.ofSeconds(15);
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(10);
    private int maxConnections = 32;
    private Duration maxAgeMin = Duration.ofHours(1);
    private Duration maxAgeMax = Duration.ofDays(1);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /**
     * Which addresses may be fetched (Synapse's {@code url_preview_ip_range_blacklist} and
     * {@code url_preview_ip_range_whitelist}; keep these lists separate from federation's).
     * Default: {@link OutboundPolicy#defaults()} ({@link OutboundPolicy#DEFAULT_BLACKLIST}).
     */
    public Builder outboundPolicy(OutboundPolicy policy) {
      once("outboundPolicy", this.policy);
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** URLs never previewed (Synapse's {@code url_preview_url_blacklist}). Default: none. */
    public Builder urlBlacklist(List<UrlPattern> patterns) {
      once("urlBlacklist", this.urlBlacklist);
      this.urlBlacklist = List.copyOf(patterns);
      return this;
    }

    /**
     * The most bytes read of a page or an image (Synapse's {@code max_spider_size}). A longer
     * page is read up to this size and previewed from what was read (its head, where the
     * metadata is); a longer image is not stored. Default: {@link #DEFAULT_MAX_SPIDER_SIZE}.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxSpiderSize(long bytes) {
      once("maxSpiderSize", this.maxSpiderSize);
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxSpiderSize must be positive: " + bytes);
      }
      this.maxSpiderSize = bytes;
      return this;
    }

    /**
     * The {@code Accept-Language} values, in order, optionally with {@code ;q=} weights
     * (Synapse's {@code url_preview_accept_language}). Default: {@code ["en"]}.
     *
     * @throws IllegalArgumentException when empty, or a value is blank or has a control character or comma
     */
    public Builder acceptLanguage(List<String> languages) {
      once("acceptLanguage", this.acceptLanguage);
      List<String> copy = List.copyOf(languages);
      if (copy.isEmpty()) {
        throw new IllegalArgumentException("acceptLanguage needs at least one value");
      }
      for (String l : copy) {
        if (l.isBlank() || l.indexOf(',') >= 0 || l.chars().anyMatch(c -> c < 0x20 || c >= 0x7F)) {
          throw new IllegalArgumentException("not a language range: '" + l + "'");
        }
      }
      this.acceptLanguage = copy;
      return this;
    }

    /**
     * The {@code User-Agent}. Default: {@code "mxmedia/<version> (bot; URL preview)"}; "bot" is
     * what some sites look for before they include OpenGraph data.
     *
     * @throws IllegalArgumentException when blank or it has a control or non-ASCII character
     */
    public Builder userAgent(String userAgent) {
      once("userAgent", this.userAgent);
      if (userAgent.isBlank() || userAgent.chars().anyMatch(c -> c < 0x20 || c >= 0x7F)) {
        throw new IllegalArgumentException("not a User-Agent: '" + userAgent + "'");
      }
      this.userAgent = userAgent;
      return this;
    }

    /**
     * The oEmbed providers, tried in order; the first whose scheme matches answers. Default:
     * {@link OEmbedProvider#builtIn()}. To add providers to the built-in ones (Synapse's {@code
     * oembed.additional_providers}), pass both lists; to drop the built-in ones ({@code
     * disable_default_providers}), pass only yours. Pages that link their oEmbed data ({@code
     * <link rel="alternate" type="application/json+oembed">}) are followed whatever this list says.
     */
    public Builder oEmbedProviders(List<OEmbedProvider> providers) {
      once("oEmbedProviders", this.oEmbedProviders);
      this.oEmbedProviders = List.copyOf(providers);
      return this;
    }

    /**
     * How long a page may take, from the first connection to the last byte, including its
     * redirects and its oEmbed data; past it the preview fails with 504. Default: 20 s.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder pageDeadline(Duration deadline) {
      once("pageDeadline", this.pageDeadline);
      this.pageDeadline = positive("pageDeadline", deadline);
      return this;
    }

    /**
     * How long the preview's image may take; past it the preview has no image. Default: 15 s.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder imageDeadline(Duration deadline) {
      once("imageDeadline", this.imageDeadline);
      this.imageDeadline = positive("imageDeadline", deadline);
      return this;
    }

    /**
     * How long one connection attempt may take (never more than the deadline left). Default: 5 s.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder connectTimeout(Duration timeout) {
      once("connectTimeout", this.connectTimeout);
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * How long a read may wait for the next bytes (never more than the deadline left). Default: 10 s.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder readTimeout(Duration timeout) {
      once("readTimeout", this.readTimeout);
      this.readTimeout = positive("readTimeout", timeout);
      return this;
    }

    /**
     * The most connections open at once, in all (a quarter of them, at least one, to one host);
     * more requests wait for one, within their deadline. Default: 32.
     *
     * @throws IllegalArgumentException when not positive
     */
    public Builder maxConnections(int connections) {
      once("maxConnections", this.maxConnections);
      if (connections <= 0) {
        throw new IllegalArgumentException("maxConnections must be positive: " + connections);
      }
      this.maxConnections = connections;
      return this;
    }

    /**
     * The range the answered cache age is clamped to. Default: 1 hour to 1 day (a page that says
     * nothing is cached for the minimum, as Synapse caches every preview for an hour).
     *
     * @throws IllegalArgumentException when {@code min} is negative or greater than {@code max}
     */
    public Builder maxAgeBounds(Duration min, Duration max) {
      once("maxAgeBounds", this.maxAgeMin + ".." + this.maxAgeMax);
      if (min.isNegative() || min.compareTo(max) > 0) {
        throw new IllegalArgumentException("maxAgeBounds needs 0 <= min <= max: " + min + ", " + max);
      }
      this.maxAgeMin = min;
      this.maxAgeMax = max;
      return this;
    }

    /** The clock that {@code Expires} is compared with when a page sends no {@code Date}. Default: the system clock. */
    public Builder clock(Clock clock) {
      once("clock", this.clock);
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** A previewer with these settings; each call builds a new one with its own connection pool. */
    public UrlPreviews build() {
      PreviewEngine engine = new PreviewEngine(new PreviewEngine.Settings(policy, urlBlacklist, maxSpiderSize,
          acceptLanguage, userAgent, oEmbedProviders, pageDeadline, imageDeadline, connectTimeout, readTimeout,
          maxConnections, maxAgeMin, maxAgeMax, clock));
      return new UrlPreviews(engine, userAgent);
    }

    private void once(String name, Object current) {
      if (set.putIfAbsent(name, current) != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
    }

    private static Duration positive(String name, Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
