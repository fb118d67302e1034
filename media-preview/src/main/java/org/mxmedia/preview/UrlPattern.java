package org.mxmedia.preview;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One entry of Synapse's {@code url_preview_url_blacklist}: a URL is refused when <em>every</em>
 * component named here matches. Components are those of Python's {@code urlsplit} applied to the
 * absolute URL ({@code scheme}, {@code netloc}, {@code hostname}, {@code port}, {@code path},
 * {@code query}, {@code fragment}, {@code username}, {@code password}) plus {@code params} (the
 * {@code ;...} part of the last path segment, as {@code urlparse} has it). A value starting with
 * {@code ^} is a regular expression matched from the start of the component (Python's
 * {@code re.match}: anchored at the start only); anything else is a glob matched against the
 * whole component ({@code fnmatch}: {@code *}, {@code ?}, {@code [abc]}, {@code [!abc]};
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
public final class UrlPattern {

  private static final Set<String> COMPONENTS =
      Set.of("scheme", "netloc", "hostname", "port", "path", "params", "query", "fragment", "username", "password");

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
      throw new IllegalArgumentException("a URL pattern needs at least one component; an empty one would refuse every URL");
    }
    Map<String, String> copy = new LinkedHashMap<>();
    Map<String, Pattern> compiled = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : components.entrySet()) {
      String name = Objects.requireNonNull(e.getKey(), "component name");
      String value = Objects.requireNonNull(e.getValue(), "pattern of " + name);
      if (!COMPONENTS.contains(name)) {
        throw new IllegalArgumentException("unknown URL component '" + name + "'; expected one of " + COMPONENTS);
      }
      try {
        compiled.put(name, value.startsWith("^") ? Pattern.compile(value) : Pattern.compile(globToRegex(value), Pattern.DOTALL));
      } catch (PatternSyntaxException ex) {
        throw new IllegalArgumentException("the pattern for '" + name + "' is not a valid regular expression: " + ex.getDescription(), ex);
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
        return Optional.of(url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT));
      case "netloc":
        return Optional.of(url.getRawAuthority() == null ? "" : url.getRawAuthority());
      case "hostname":
        return Optional.ofNullable(url.getHost()).map(h -> stripBrackets(h).toLowerCase(Locale.ROOT));
      case "port":
        return url.getPort() < 0 ? Optional.empty() : Optional.of(Integer.toString(url.getPort()));
      case "path":
        return Optional.of(path);
      case "params": {
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
      case "password": {
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
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
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
