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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

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
public final class OEmbedProvider {

  private static final List<OEmbedProvider> BUILT_IN =
      List.of(
          of("YouTube", "https://www.youtube.com/oembed",
              List.of("https://*.youtube.com/watch*", "https://youtube.com/watch*", "https://*.youtube.com/v/*",
                  "https://youtu.be/*", "https://*.youtube.com/playlist?list=*", "https://youtube.com/playlist?list=*",
                  "https://youtube.com/shorts/*", "https://*.youtube.com/shorts/*")),
          of("X", "https://publish.x.com/oembed",
              List.of("https://x.com/*", "https://x.com/*/status/*", "https://*.x.com/*/status/*")),
          of("Twitter", "https://publish.twitter.com/oembed",
              List.of("https://twitter.com/*/status/*", "https://*.twitter.com/*/status/*",
                  "https://twitter.com/*/moments/*", "https://*.twitter.com/*/moments/*")));

  private final String name;
  private final String endpoint;
  private final List<String> urlSchemes;
  private final List<Pattern> patterns;

  private OEmbedProvider(String name, String endpoint, List<String> urlSchemes, List<Pattern> patterns) {
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
   * @throws IllegalArgumentException when the endpoint is not an absolute http(s) URL, the list is
   *     empty, or a scheme does not start with {@code http://} or {@code https://} and a host
   */
  public static OEmbedProvider of(String name, String endpoint, List<String> urlSchemes) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(endpoint, "endpoint");
    List<String> schemes = List.copyOf(urlSchemes);
    URI parsed;
    try {
      parsed = new URI(endpoint.replace("{format}", "json"));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("the oEmbed endpoint of " + name + " is not a URL: " + endpoint, e);
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || parsed.getHost() == null) {
      throw new IllegalArgumentException("the oEmbed endpoint of " + name + " must be an absolute http(s) URL: " + endpoint);
    }
    if (schemes.isEmpty()) {
      throw new IllegalArgumentException("the oEmbed provider " + name + " needs at least one URL scheme");
    }
    return new OEmbedProvider(name, endpoint, schemes, schemes.stream().map(s -> compile(name, s)).toList());
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
   * or whose URL ends in {@code .xml}, is skipped, and so is one without schemes (oembed.com lists
   * some that are found only by discovery).
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
        endpoints.forEach(e -> providers.add(new OEmbedProvider(n, e.endpoint, e.urlSchemes, e.patterns)));
      }
      expect(p.currentToken(), JsonToken.END_ARRAY, "an array of providers");
      return List.copyOf(providers);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a providers.json file: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Optional<OEmbedProvider> readEndpoint(JsonParser p, String name) throws IOException {
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
      throw new IllegalArgumentException("an endpoint of oEmbed provider " + name + " has no url");
    }
    if ((formats != null && !formats.contains("json")) || url.endsWith(".xml") || schemes.isEmpty()) {
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
      throw new IllegalArgumentException("the URL scheme of oEmbed provider " + name + " must start with http:// or https://: " + glob);
    }
    String rest = glob.substring(sep + 3);
    int slash = rest.indexOf('/');
    String host = slash < 0 ? rest : rest.substring(0, slash);
    String tail = slash < 0 ? "" : rest.substring(slash);
    if (host.isEmpty()) {
      throw new IllegalArgumentException("the URL scheme of oEmbed provider " + name + " has no host: " + glob);
    }
    return Pattern.compile(
        Pattern.quote(scheme + "://") + wildcards(host, "[a-zA-Z0-9_-]+") + wildcards(tail, ".+"), Pattern.DOTALL);
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
