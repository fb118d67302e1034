package org.mxmedia.preview.internal;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mxmedia.MediaException;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.UrlPreviews;
import org.mxmedia.preview.UrlPreviews.OEmbedProvider;
import org.mxmedia.preview.UrlPreviews.UrlPattern;
import org.mxmedia.spi.UrlPreviewer.ImageStore;
import org.mxmedia.spi.UrlPreviewer.StoredImage;
import org.mxmedia.spi.UrlPreviewer.UrlPreview;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One preview: the oEmbed provider's answer for URLs it claims (the page when it fails), else the
 * page: an image is stored as it is; an HTML page is scanned while it streams in (never more than
 * the spider size), its oEmbed discovery link followed, and its image stored; anything else answers
 * a title from its file name. Failures of the oEmbed discovery fetch and of the image only leave
 * them out, as in Synapse.
 */
public final class PreviewEngine implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(PreviewEngine.class);
  private static final String ACCEPT_PAGE =
      "text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.8";
  private static final String ACCEPT_IMAGE = "image/*;q=1.0,*/*;q=0.1";
  private static final String ACCEPT_JSON = "application/json";
  private static final Pattern FILENAME_EXTENDED =
      Pattern.compile("filename\\*\\s*=\\s*([^']*)'[^']*'([^;\\s]+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern FILENAME =
      Pattern.compile("filename\\s*=\\s*(?:\"([^\"]*)\"|([^;\\s]+))", Pattern.CASE_INSENSITIVE);

  /**
   * What the builder decided.
   *
   * @param maxAgeMin the shortest cache age answered
   * @param maxAgeMax the longest cache age answered
   */
  public record Settings(
      OutboundPolicy policy,
      List<UrlPattern> urlBlacklist,
      long maxSpiderSize,
      List<String> acceptLanguage,
      String userAgent,
      List<OEmbedProvider> oEmbedProviders,
      Duration pageDeadline,
      Duration imageDeadline,
      Duration connectTimeout,
      Duration readTimeout,
      int maxConnections,
      Duration maxAgeMin,
      Duration maxAgeMax,
      Clock clock) {}

  private final Settings settings;
  private final Fetcher fetcher;

  public PreviewEngine(Settings settings) {
    this.settings = settings;
    this.fetcher =
        new Fetcher(
            settings.policy(),
            settings.urlBlacklist(),
            settings.userAgent(),
            settings.acceptLanguage(),
            settings.connectTimeout(),
            settings.readTimeout(),
            settings.maxConnections());
  }

  /** See {@link UrlPreviews#preview}. */
  public UrlPreview preview(URI url, ImageStore images) {
    URI target = validate(url);
    if (fetcher.blacklisted(target)) {
      log.info("URL preview of {} refused by the URL pattern list", target.getHost());
      throw Failures.forbidden("The URL is blocked by this server's URL preview patterns");
    }
    Deadline deadline = Deadline.after(settings.pageDeadline());
    for (OEmbedProvider provider : settings.oEmbedProviders()) {
      if (provider.matches(target)) {
        Optional<UrlPreview> answer = fromProvider(provider, target, deadline, images);
        if (answer.isPresent()) {
          return answer.get();
        }
        break;
      }
    }
    return fromPage(target, deadline, images);
  }

  private Optional<UrlPreview> fromProvider(
      OEmbedProvider provider, URI target, Deadline deadline, ImageStore images) {
    Optional<Answer> oEmbed;
    try {
      oEmbed = fetchOEmbed(request(provider, target), target, deadline);
    } catch (MediaException e) {
      if (e.httpStatus() == 504) {
        throw e;
      }
      log.info(
          "oEmbed provider {} failed for a URL preview ({}); previewing the page",
          provider.name(),
          e.getMessage());
      return Optional.empty();
    }
    if (oEmbed.isEmpty()) {
      log.info("oEmbed provider {} gave no usable answer; previewing the page", provider.name());
      return Optional.empty();
    }
    Map<String, Object> og = new LinkedHashMap<>(oEmbed.get().result().openGraph());
    titleFromAuthor(og, oEmbed.get().result());
    attachImage(og, oEmbed.get().base(), images);
    return Optional.of(new UrlPreview(OpenGraph.finish(og), oEmbed.get().maxAge()));
  }

  private UrlPreview fromPage(URI target, Deadline deadline, ImageStore images) {
    Map<String, Object> og;
    Duration maxAge;
    URI base;
    Optional<String> oEmbedHref;
    try (Fetcher.Response page = fetcher.get(target, deadline, ACCEPT_PAGE)) {
      maxAge = maxAge(page);
      base = page.uri();
      String type = page.mediaType();
      if (type.startsWith("image/")) {
        return new UrlPreview(OpenGraph.finish(storeImage(page, deadline, images)), maxAge);
      }
      if (!type.equals("text/html") && !type.equals("application/xhtml+xml")) {
        Map<String, Object> other = new LinkedHashMap<>();
        fileName(page, true).ifPresent(name -> other.put(OpenGraph.TITLE, name));
        return new UrlPreview(OpenGraph.finish(other), maxAge);
      }
      PageParser.Parsed parsed = scan(page, deadline);
      og = parsed.openGraph();
      oEmbedHref = parsed.oEmbedHref();
    }
    if (oEmbedHref.isPresent()) {
      Optional<Answer> discovered = discover(base, oEmbedHref.get(), target, deadline);
      if (discovered.isPresent()) {
        Map<String, Object> merged = new LinkedHashMap<>(discovered.get().result().openGraph());
        for (Map.Entry<String, Object> e : og.entrySet()) {
          if (OpenGraph.has(og, e.getKey())) {
            merged.put(e.getKey(), e.getValue());
          }
        }
        titleFromAuthor(merged, discovered.get().result());
        og = merged;
        maxAge =
            discovered.get().result().cacheAge().isPresent() ? discovered.get().maxAge() : maxAge;
      }
    }
    attachImage(og, base, images);
    return new UrlPreview(OpenGraph.finish(og), maxAge);
  }

  private PageParser.Parsed scan(Fetcher.Response page, Deadline deadline) {
    try {
      Fetcher.Body body = page.body(settings.maxSpiderSize(), true);
      PageParser.Parsed parsed = PageParser.parse(body, page.charset(), page.uri().toString());
      if (body.truncated()) {
        log.info(
            "URL preview of {}: the page is larger than {} bytes; only its start was read",
            page.uri().getHost(),
            settings.maxSpiderSize());
      }
      return parsed;
    } catch (IOException e) {
      throw readFailure(e, deadline);
    }
  }

  private Optional<Answer> discover(URI base, String href, URI target, Deadline deadline) {
    Optional<URI> url = Urls.resolve(base, href);
    if (url.isEmpty()) {
      return Optional.empty();
    }
    try {
      return fetchOEmbed(url.get(), target, deadline);
    } catch (MediaException e) {
      log.info(
          "oEmbed discovery for a URL preview of {} failed: {}", target.getHost(), e.getMessage());
      return Optional.empty();
    }
  }

  /** An oEmbed answer, the URL it came from, and its cache age clamped. */
  private record Answer(OEmbed.Result result, URI base, Duration maxAge) {}

  private Optional<Answer> fetchOEmbed(URI request, URI target, Deadline deadline) {
    try (Fetcher.Response r = fetcher.get(request, deadline, ACCEPT_JSON)) {
      String type = r.mediaType();
      if (!type.equals("application/json")
          && !type.endsWith("+json")
          && !type.equals("text/json")) {
        return Optional.empty();
      }
      byte[] body;
      try {
        body = r.body(Math.min(OEmbed.MAX_BODY, settings.maxSpiderSize()), false).readAllBytes();
      } catch (IOException e) {
        throw readFailure(e, deadline);
      }
      OEmbed.Result result = OEmbed.parse(body, target);
      if (!result.usable()) {
        return Optional.empty();
      }
      Duration maxAge =
          CacheAge.clamp(
              result.cacheAge().or(() -> declaredAge(r)),
              settings.maxAgeMin(),
              settings.maxAgeMax());
      return Optional.of(new Answer(result, r.uri(), maxAge));
    }
  }

  private static void titleFromAuthor(Map<String, Object> og, OEmbed.Result result) {
    if (!OpenGraph.has(og, OpenGraph.TITLE)) {
      result.authorName().filter(a -> !a.isBlank()).ifPresent(a -> og.put(OpenGraph.TITLE, a));
    }
  }

  /** Replaces a raw {@code og:image} by the stored image, or drops it when it cannot be stored. */
  private void attachImage(Map<String, Object> og, URI base, ImageStore images) {
    Object raw = og.remove(OpenGraph.IMAGE);
    if (!(raw instanceof String) || ((String) raw).isBlank()) {
      return;
    }
    Optional<URI> resolved = Urls.resolve(base, (String) raw);
    if (resolved.isEmpty()
        || resolved.get().getScheme() == null
        || resolved.get().getHost() == null) {
      return;
    }
    URI imageUrl = resolved.get();
    Deadline deadline = Deadline.after(settings.imageDeadline());
    try (Fetcher.Response r = fetcher.get(imageUrl, deadline, ACCEPT_IMAGE)) {
      if (!r.mediaType().startsWith("image/")) {
        log.info("URL preview image at {} is {}, not an image", imageUrl.getHost(), r.mediaType());
        return;
      }
      og.putAll(imageProperties(store(r, deadline, images)));
    } catch (MediaException e) {
      log.info("URL preview image at {} not stored: {}", imageUrl.getHost(), e.getMessage());
    }
  }

  private Map<String, Object> storeImage(Fetcher.Response r, Deadline deadline, ImageStore images) {
    Map<String, Object> og = new LinkedHashMap<>(imageProperties(store(r, deadline, images)));
    fileName(r, false).ifPresent(name -> og.put(OpenGraph.DESCRIPTION, name));
    return og;
  }

  private StoredImage store(Fetcher.Response r, Deadline deadline, ImageStore images) {
    OptionalLong declared = r.contentLength();
    if (declared.isPresent() && declared.getAsLong() > settings.maxSpiderSize()) {
      throw Failures.unavailable("The image is larger than this server previews");
    }
    Fetcher.Body body;
    try {
      body = r.body(settings.maxSpiderSize(), false);
    } catch (IOException e) {
      throw readFailure(e, deadline);
    }
    try {
      return images.store(body, r.mediaType(), declared);
    } catch (MediaException e) {
      if (deadline.passed()) {
        throw Failures.timedOut();
      }
      if (body.truncated()) {
        throw Failures.unavailable("The image is larger than this server previews");
      }
      throw e;
    }
  }

  private static Map<String, Object> imageProperties(StoredImage image) {
    Map<String, Object> og = new LinkedHashMap<>();
    og.put(OpenGraph.IMAGE, image.uri().toString());
    image.width().ifPresent(w -> og.put("og:image:width", w));
    image.height().ifPresent(h -> og.put("og:image:height", h));
    og.put("og:image:type", image.contentType());
    og.put("matrix:image:size", image.size());
    return og;
  }

  private Duration maxAge(Fetcher.Response r) {
    return CacheAge.clamp(declaredAge(r), settings.maxAgeMin(), settings.maxAgeMax());
  }

  private Optional<Duration> declaredAge(Fetcher.Response r) {
    return CacheAge.declared(
        r.header("Cache-Control"), r.header("Expires"), r.header("Date"), settings.clock());
  }

  /**
   * The file name from {@code Content-Disposition}, else (when {@code orPath}) the last segment of
   * the URL's path.
   */
  private static Optional<String> fileName(Fetcher.Response r, boolean orPath) {
    Optional<String> disposition = r.header("Content-Disposition");
    String name = null;
    if (disposition.isPresent()) {
      Matcher ext = FILENAME_EXTENDED.matcher(disposition.get());
      Matcher plain = FILENAME.matcher(disposition.get());
      if (ext.find()) {
        name =
            decode(
                ext.group(2),
                ext.group(1).equalsIgnoreCase("utf-8")
                    ? StandardCharsets.UTF_8
                    : StandardCharsets.ISO_8859_1);
      } else if (plain.find()) {
        name = plain.group(1) != null ? plain.group(1) : plain.group(2);
      }
    }
    if (name == null && orPath) {
      String path = r.uri().getRawPath();
      if (path != null && !path.endsWith("/")) {
        name = decode(path.substring(path.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
      }
    }
    String clean = name == null ? "" : Text.clean(name);
    return clean.isEmpty() ? Optional.empty() : Optional.of(clean);
  }

  private static String decode(String s, Charset charset) {
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), charset);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  private static URI request(OEmbedProvider provider, URI target) {
    String base = provider.endpoint().replace("{format}", "json");
    String query =
        "url=" + URLEncoder.encode(target.toString(), StandardCharsets.UTF_8) + "&format=json";
    return URI.create(base + (base.indexOf('?') < 0 ? "?" : "&") + query);
  }

  private static MediaException readFailure(IOException e, Deadline deadline) {
    if (e instanceof Fetcher.DeadlineException || deadline.passed()) {
      return Failures.timedOut();
    }
    if (e instanceof Fetcher.TooLargeException) {
      return Failures.unavailable("The content is larger than this server previews");
    }
    log.debug("URL preview read failed: {}", e.toString());
    return Failures.unavailable("The page could not be read");
  }

  private static URI validate(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!url.isAbsolute()
        || !(scheme.equals("http") || scheme.equals("https"))
        || url.getHost() == null) {
      throw MediaException.invalidParam("The URL to preview must be an absolute http or https URL");
    }
    if (url.getRawUserInfo() != null) {
      throw MediaException.invalidParam("URLs with credentials are not previewed");
    }
    return url;
  }

  @Override
  public void close() {
    fetcher.close();
  }
}
