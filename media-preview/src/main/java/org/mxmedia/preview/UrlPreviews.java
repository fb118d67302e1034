package org.mxmedia.preview;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.mxmedia.MediaException;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.internal.PreviewEngine;
import org.mxmedia.preview.internal.Version;
import org.mxmedia.spi.UrlPreviewer;

/**
 * URL previews as Synapse builds them: the page's OpenGraph and Twitter-card tags, with fallbacks
 * (title, first heading, meta description, first text, largest image), oEmbed for known providers
 * and by discovery, and the preview's image stored through the repository. Safer than Synapse:
 * every connection goes through the {@link OutboundPolicy} at connect time (a host name that
 * resolves to a refused address, or a redirect to one, is never connected to); redirects are
 * followed here (at most 5, each one checked again); each page and each image has an overall
 * deadline that aborts the request wherever it is; a page is parsed while it streams in, and never
 * more than {@link Builder#maxSpiderSize} bytes of it are read, so memory does not grow with the
 * page.
 *
 * <pre>{@code
 * UrlPreviews previews = UrlPreviews.builder()
 *     .outboundPolicy(OutboundPolicy.defaults())
 *     .urlBlacklist(List.of(UrlPattern.of("netloc", "*.internal.example")))
 *     .build();
 * UrlPreview preview = previews.preview(URI.create("https://example.org/"), imageStore);
 * }</pre>
 *
 * <p>The repository is the intended caller: it validates the URL, authenticates and rate-limits the
 * user, caches answers and runs one preview per URL at a time.
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
   * characters, string values of at most 1000, at most 50 keys); an image answers itself; an oEmbed
   * provider's URL answers the provider's data; anything else a title from its file name, or
   * nothing. {@code og:image} is the stored image's {@code mxc} URI, with {@code og:image:width},
   * {@code og:image:height} (when the store could measure it), {@code og:image:type} and {@code
   * matrix:image:size}; a preview whose image cannot be fetched or stored has no image. The cache
   * age is the page's {@code Cache-Control} or {@code Expires} (or oEmbed {@code cache_age}) within
   * the builder's bounds.
   *
   * @param url an absolute http(s) URL
   * @param images where the preview's image goes; called at most once
   * @throws MediaException 400 {@code M_INVALID_PARAM} when {@code url} is not an absolute http(s)
   *     URL or carries credentials; 403 {@code M_FORBIDDEN} when it, or a redirect, is on the URL
   *     pattern list or points to an address the policy refuses; 502 {@code M_UNKNOWN} when the
   *     page cannot be fetched (unreachable, a status other than 2xx, more than 5 redirects, an
   *     image over the spider size); 504 {@code M_UNKNOWN} when the page deadline passes; or what
   *     {@code images} throws for a URL that is itself an image
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
     * Which addresses may be fetched (Synapse's {@code url_preview_ip_range_blacklist} and {@code
     * url_preview_ip_range_whitelist}; keep these lists separate from federation's). Default:
     * {@link OutboundPolicy#defaults()} ({@link OutboundPolicy#DEFAULT_BLACKLIST}).
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
     * The most bytes read of a page or an image (Synapse's {@code max_spider_size}). A longer page
     * is read up to this size and previewed from what was read (its head, where the metadata is); a
     * longer image is not stored. Default: {@link #DEFAULT_MAX_SPIDER_SIZE}.
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
     * The {@code Accept-Language} values, in order, optionally with {@code ;q=} weights (Synapse's
     * {@code url_preview_accept_language}). Default: {@code ["en"]}.
     *
     * @throws IllegalArgumentException when empty, or a value is blank or has a control character
     *     or comma
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
     * The oEmbed providers, tried in order; the first whose scheme matches answers. Default: {@link
     * OEmbedProvider#builtIn()}. To add providers to the built-in ones (Synapse's {@code
     * oembed.additional_providers}), pass both lists; to drop the built-in ones ({@code
     * disable_default_providers}), pass only yours. Pages that link their oEmbed data ({@code <link
     * rel="alternate" type="application/json+oembed">}) are followed whatever this list says.
     */
    public Builder oEmbedProviders(List<OEmbedProvider> providers) {
      once("oEmbedProviders", this.oEmbedProviders);
      this.oEmbedProviders = List.copyOf(providers);
      return this;
    }

    /**
     * How long a page may take, from the first connection to the last byte, including its redirects
     * and its oEmbed data; past it the preview fails with 504. Default: 20 s.
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
     * How long a read may wait for the next bytes (never more than the deadline left). Default: 10
     * s.
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
        throw new IllegalArgumentException(
            "maxAgeBounds needs 0 <= min <= max: " + min + ", " + max);
      }
      this.maxAgeMin = min;
      this.maxAgeMax = max;
      return this;
    }

    /**
     * The clock that {@code Expires} is compared with when a page sends no {@code Date}. Default:
     * the system clock.
     */
    public Builder clock(Clock clock) {
      once("clock", this.clock);
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** A previewer with these settings; each call builds a new one with its own connection pool. */
    public UrlPreviews build() {
      PreviewEngine engine =
          new PreviewEngine(
              new PreviewEngine.Settings(
                  policy,
                  urlBlacklist,
                  maxSpiderSize,
                  acceptLanguage,
                  userAgent,
                  oEmbedProviders,
                  pageDeadline,
                  imageDeadline,
                  connectTimeout,
                  readTimeout,
                  maxConnections,
                  maxAgeMin,
                  maxAgeMax,
                  clock));
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

  /**
   * An oEmbed provider: URLs matching one of its schemes are previewed from its JSON endpoint
   * instead of from the page (Synapse's {@code providers.json} entries). Schemes are globs as on
   * oembed.com: the scheme is {@code http} or {@code https} exactly, a {@code *} in the host stands
   * for one host label ({@code [A-Za-z0-9_-]+}), and a {@code *} elsewhere for one or more
   * characters; a URL matches when the whole of it matches. An endpoint may contain {@code
   * {format}}, which becomes {@code json}; the request adds {@code url} and {@code format=json} to
   * its query.
   *
   * <p>Immutable and thread-safe.
   */
  public static final class OEmbedProvider {

    private static final List<OEmbedProvider> BUILT_IN =
        List.of(
            of(
                "YouTube",
                "https://www.youtube.com/oembed",
                List.of(
                    "https://*.youtube.com/watch*",
                    "https://youtube.com/watch*",
                    "https://*.youtube.com/v/*",
                    "https://youtu.be/*",
                    "https://*.youtube.com/playlist?list=*",
                    "https://youtube.com/playlist?list=*",
                    "https://youtube.com/shorts/*",
                    "https://*.youtube.com/shorts/*")),
            of(
                "X",
                "https://publish.x.com/oembed",
                List.of(
                    "https://x.com/*", "https://x.com/*/status/*", "https://*.x.com/*/status/*")),
            of(
                "Twitter",
                "https://publish.twitter.com/oembed",
                List.of(
                    "https://twitter.com/*/status/*",
                    "https://*.twitter.com/*/status/*",
                    "https://twitter.com/*/moments/*",
                    "https://*.twitter.com/*/moments/*")));

    private final String name;
    private final String endpoint;
    private final List<String> urlSchemes;
    private final List<Pattern> patterns;

    private OEmbedProvider(
        String name, String endpoint, List<String> urlSchemes, List<Pattern> patterns) {
      this.name = name;
      this.endpoint = endpoint;
      this.urlSchemes = urlSchemes;
      this.patterns = patterns;
    }

    /**
     * A provider.
     *
     * @param name a name for logs, e.g. {@code "Vimeo"}
     * @param endpoint the absolute {@code http(s)} URL of its JSON oEmbed endpoint, e.g. {@code
     *     "https://vimeo.com/api/oembed.{format}"}
     * @param urlSchemes the URL globs it answers for, e.g. {@code "https://vimeo.com/*"}
     * @throws IllegalArgumentException when the endpoint is not an absolute http(s) URL, the list
     *     is empty, or a scheme does not start with {@code http://} or {@code https://} and a host
     */
    public static OEmbedProvider of(String name, String endpoint, List<String> urlSchemes) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(endpoint, "endpoint");
      List<String> schemes = List.copyOf(urlSchemes);
      URI parsed;
      try {
        parsed = new URI(endpoint.replace("{format}", "json"));
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "the oEmbed endpoint of " + name + " is not a URL: " + endpoint, e);
      }
      String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || parsed.getHost() == null) {
        throw new IllegalArgumentException(
            "the oEmbed endpoint of " + name + " must be an absolute http(s) URL: " + endpoint);
      }
      if (schemes.isEmpty()) {
        throw new IllegalArgumentException(
            "the oEmbed provider " + name + " needs at least one URL scheme");
      }
      return new OEmbedProvider(
          name, endpoint, schemes, schemes.stream().map(s -> compile(name, s)).toList());
    }

    /**
     * The providers built in: YouTube (videos, playlists and Shorts), X, and Twitter status and
     * moment pages. Synapse ships X and YouTube Shorts; YouTube's other pages and twitter.com are
     * added from oembed.com's registry.
     */
    public static List<OEmbedProvider> builtIn() {
      return BUILT_IN;
    }

    /**
     * The providers in a file of oembed.com's {@code providers.json} form (Synapse's {@code
     * oembed.additional_providers}): an array of {@code {"provider_name", "endpoints": [{"url",
     * "schemes", "formats"}]}}. As in Synapse, an endpoint whose {@code formats} lack {@code json},
     * or whose URL ends in {@code .xml}, is skipped, and so is one without schemes (oembed.com
     * lists some that are found only by discovery).
     *
     * @param json the file's bytes, UTF-8; read to its end, not closed
     * @throws IllegalArgumentException when it is not of that form, or an endpoint or scheme is
     *     refused by {@link #of}
     * @throws UncheckedIOException when reading fails
     */
    public static List<OEmbedProvider> parse(InputStream json) {
      try (JsonParser p = new JsonFactory().createParser(json)) {
        expect(p.nextToken(), JsonToken.START_ARRAY, "an array of providers");
        List<OEmbedProvider> providers = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
          String name = null;
          List<OEmbedProvider> endpoints = new ArrayList<>();
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("provider_name")) {
              expect(value, JsonToken.VALUE_STRING, "provider_name as a string");
              name = p.getText();
            } else if (field.equals("endpoints")) {
              expect(value, JsonToken.START_ARRAY, "endpoints as an array");
              while (p.nextToken() == JsonToken.START_OBJECT) {
                readEndpoint(p, name == null ? "a provider" : name).ifPresent(endpoints::add);
              }
            } else {
              p.skipChildren();
            }
          }
          if (name == null) {
            throw new IllegalArgumentException("an oEmbed provider without provider_name");
          }
          String n = name;
          endpoints.forEach(
              e -> providers.add(new OEmbedProvider(n, e.endpoint, e.urlSchemes, e.patterns)));
        }
        expect(p.currentToken(), JsonToken.END_ARRAY, "an array of providers");
        return List.copyOf(providers);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException(
            "not a providers.json file: " + e.getOriginalMessage(), e);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static Optional<OEmbedProvider> readEndpoint(JsonParser p, String name)
        throws IOException {
      String url = null;
      List<String> schemes = new ArrayList<>();
      List<String> formats = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("url")) {
          expect(value, JsonToken.VALUE_STRING, "an endpoint url as a string");
          url = p.getText();
        } else if (field.equals("schemes") || field.equals("formats")) {
          expect(value, JsonToken.START_ARRAY, field + " as an array");
          List<String> into = field.equals("schemes") ? schemes : (formats = new ArrayList<>());
          while (p.nextToken() == JsonToken.VALUE_STRING) {
            into.add(p.getText());
          }
          expect(p.currentToken(), JsonToken.END_ARRAY, field + " as an array of strings");
        } else {
          p.skipChildren();
        }
      }
      if (url == null) {
        throw new IllegalArgumentException(
            "an endpoint of oEmbed provider " + name + " has no url");
      }
      if ((formats != null && !formats.contains("json"))
          || url.endsWith(".xml")
          || schemes.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(of(name, url, schemes));
    }

    private static void expect(JsonToken actual, JsonToken expected, String what) {
      if (actual != expected) {
        throw new IllegalArgumentException("not a providers.json file: expected " + what);
      }
    }

    public String name() {
      return name;
    }

    /** The endpoint as given, possibly with {@code {format}}. */
    public String endpoint() {
      return endpoint;
    }

    public List<String> urlSchemes() {
      return urlSchemes;
    }

    /** Whether {@code url} matches one of this provider's schemes. */
    public boolean matches(URI url) {
      String s = url.toString();
      for (Pattern p : patterns) {
        if (p.matcher(s).matches()) {
          return true;
        }
      }
      return false;
    }

    private static Pattern compile(String name, String glob) {
      int sep = glob.indexOf("://");
      String scheme = sep < 0 ? "" : glob.substring(0, sep);
      if (!(scheme.equals("http") || scheme.equals("https"))) {
        throw new IllegalArgumentException(
            "the URL scheme of oEmbed provider "
                + name
                + " must start with http:// or https://: "
                + glob);
      }
      String rest = glob.substring(sep + 3);
      int slash = rest.indexOf('/');
      String host = slash < 0 ? rest : rest.substring(0, slash);
      String tail = slash < 0 ? "" : rest.substring(slash);
      if (host.isEmpty()) {
        throw new IllegalArgumentException(
            "the URL scheme of oEmbed provider " + name + " has no host: " + glob);
      }
      return Pattern.compile(
          Pattern.quote(scheme + "://") + wildcards(host, "[a-zA-Z0-9_-]+") + wildcards(tail, ".+"),
          Pattern.DOTALL);
    }

    private static String wildcards(String part, String star) {
      StringBuilder re = new StringBuilder();
      int from = 0;
      for (int i = part.indexOf('*'); i >= 0; i = part.indexOf('*', from)) {
        if (i > from) {
          re.append(Pattern.quote(part.substring(from, i)));
        }
        re.append(star);
        from = i + 1;
      }
      if (from < part.length()) {
        re.append(Pattern.quote(part.substring(from)));
      }
      return re.toString();
    }

    @Override
    public String toString() {
      return "OEmbedProvider{" + name + ", " + endpoint + ", " + urlSchemes + "}";
    }
  }

  /**
   * One entry of Synapse's {@code url_preview_url_blacklist}: a URL is refused when <em>every</em>
   * component named here matches. Components are those of Python's {@code urlsplit} applied to the
   * absolute URL ({@code scheme}, {@code netloc}, {@code hostname}, {@code port}, {@code path},
   * {@code query}, {@code fragment}, {@code username}, {@code password}) plus {@code params} (the
   * {@code ;...} part of the last path segment, as {@code urlparse} has it). A value starting with
   * {@code ^} is a regular expression matched from the start of the component (Python's {@code
   * re.match}: anchored at the start only); anything else is a glob matched against the whole
   * component ({@code fnmatch}: {@code *}, {@code ?}, {@code [abc]}, {@code [!abc]};
   * case-sensitive). Components are compared in their raw (percent-encoded) form; the scheme and
   * the host name are lower case. A component the URL lacks ({@code username}, {@code password},
   * {@code params}, {@code port}) never matches, while an empty {@code query} or {@code fragment}
   * is the empty string, as in Synapse.
   *
   * <p>Like Synapse's, this list is a convenience, not a security boundary: addresses are what
   * {@link UrlPreviews.Builder#outboundPolicy} decides.
   *
   * <p>Immutable and thread-safe.
   */
  public static final class UrlPattern {

    private static final Set<String> COMPONENTS =
        Set.of(
            "scheme",
            "netloc",
            "hostname",
            "port",
            "path",
            "params",
            "query",
            "fragment",
            "username",
            "password");

    private final Map<String, String> components;
    private final Map<String, Pattern> compiled;

    private UrlPattern(Map<String, String> components, Map<String, Pattern> compiled) {
      this.components = components;
      this.compiled = compiled;
    }

    /**
     * An entry matching URLs whose named components all match.
     *
     * @param components component name to glob or {@code ^regex}, e.g. {@code {"netloc":
     *     "*.example.com", "path": "/private/*"}}
     * @throws IllegalArgumentException when the map is empty (it would refuse every URL), names an
     *     unknown component, or holds a regular expression that does not compile
     */
    public static UrlPattern of(Map<String, String> components) {
      Objects.requireNonNull(components, "components");
      if (components.isEmpty()) {
        throw new IllegalArgumentException(
            "a URL pattern needs at least one component; an empty one would refuse every URL");
      }
      Map<String, String> copy = new LinkedHashMap<>();
      Map<String, Pattern> compiled = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : components.entrySet()) {
        String name = Objects.requireNonNull(e.getKey(), "component name");
        String value = Objects.requireNonNull(e.getValue(), "pattern of " + name);
        if (!COMPONENTS.contains(name)) {
          throw new IllegalArgumentException(
              "unknown URL component '" + name + "'; expected one of " + COMPONENTS);
        }
        try {
          compiled.put(
              name,
              value.startsWith("^")
                  ? Pattern.compile(value)
                  : Pattern.compile(globToRegex(value), Pattern.DOTALL));
        } catch (PatternSyntaxException ex) {
          throw new IllegalArgumentException(
              "the pattern for '"
                  + name
                  + "' is not a valid regular expression: "
                  + ex.getDescription(),
              ex);
        }
        copy.put(name, value);
      }
      return new UrlPattern(Map.copyOf(copy), Map.copyOf(compiled));
    }

    /** Shorthand for {@code of(Map.of(component, pattern))}. */
    public static UrlPattern of(String component, String pattern) {
      return of(Map.of(component, pattern));
    }

    /** The components and their patterns, as given. */
    public Map<String, String> components() {
      return components;
    }

    /** Whether every component of this entry matches {@code url} (an absolute URL). */
    public boolean matches(URI url) {
      Objects.requireNonNull(url, "url");
      for (Map.Entry<String, Pattern> e : compiled.entrySet()) {
        Optional<String> value = component(url, e.getKey());
        if (value.isEmpty()) {
          return false;
        }
        boolean regex = components.getOrDefault(e.getKey(), "").startsWith("^");
        var m = e.getValue().matcher(value.get());
        if (!(regex ? m.lookingAt() : m.matches())) {
          return false;
        }
      }
      return true;
    }

    private static Optional<String> component(URI url, String name) {
      String userInfo = url.getRawUserInfo();
      String path = url.getRawPath() == null ? "" : url.getRawPath();
      switch (name) {
        case "scheme":
          return Optional.of(
              url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT));
        case "netloc":
          return Optional.of(url.getRawAuthority() == null ? "" : url.getRawAuthority());
        case "hostname":
          return Optional.ofNullable(url.getHost())
              .map(h -> stripBrackets(h).toLowerCase(Locale.ROOT));
        case "port":
          return url.getPort() < 0
              ? Optional.empty()
              : Optional.of(Integer.toString(url.getPort()));
        case "path":
          return Optional.of(path);
        case "params":
          {
            int slash = path.lastIndexOf('/');
            int semi = path.indexOf(';', slash + 1);
            return semi < 0 ? Optional.empty() : Optional.of(path.substring(semi + 1));
          }
        case "query":
          return Optional.of(url.getRawQuery() == null ? "" : url.getRawQuery());
        case "fragment":
          return Optional.of(url.getRawFragment() == null ? "" : url.getRawFragment());
        case "username":
          return userInfo == null ? Optional.empty() : Optional.of(userInfo.split(":", 2)[0]);
        case "password":
          {
            if (userInfo == null || userInfo.indexOf(':') < 0) {
              return Optional.empty();
            }
            return Optional.of(userInfo.substring(userInfo.indexOf(':') + 1));
          }
        default:
          throw new AssertionError(name);
      }
    }

    private static String stripBrackets(String host) {
      return host.startsWith("[") && host.endsWith("]")
          ? host.substring(1, host.length() - 1)
          : host;
    }

    /** Python's {@code fnmatch.translate}: {@code *}, {@code ?}, {@code [seq]}, {@code [!seq]}. */
    static String globToRegex(String glob) {
      StringBuilder re = new StringBuilder(glob.length() + 8);
      int i = 0;
      int n = glob.length();
      while (i < n) {
        char c = glob.charAt(i++);
        if (c == '*') {
          re.append(".*");
        } else if (c == '?') {
          re.append('.');
        } else if (c == '[') {
          int j = i;
          if (j < n && glob.charAt(j) == '!') {
            j++;
          }
          if (j < n && glob.charAt(j) == ']') {
            j++;
          }
          while (j < n && glob.charAt(j) != ']') {
            j++;
          }
          if (j >= n) {
            re.append("\\[");
          } else {
            String set = glob.substring(i, j);
            i = j + 1;
            StringBuilder cls = new StringBuilder("[");
            int k = 0;
            if (set.startsWith("!")) {
              cls.append('^');
              k = 1;
            }
            for (; k < set.length(); k++) {
              char s = set.charAt(k);
              if (s == '\\' || s == '[' || s == ']' || s == '&' || s == '^' || s == '~') {
                cls.append('\\');
              }
              cls.append(s);
            }
            re.append(cls).append(']');
          }
        } else {
          re.append(Pattern.quote(String.valueOf(c)));
        }
      }
      return re.toString();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof UrlPattern && ((UrlPattern) o).components.equals(components);
    }

    @Override
    public int hashCode() {
      return components.hashCode();
    }

    @Override
    public String toString() {
      return "UrlPattern" + components;
    }
  }
}
