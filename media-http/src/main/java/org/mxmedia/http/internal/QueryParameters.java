package org.mxmedia.http.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;

/** A parsed query string: first value wins; {@code +} and {@code %20} both decode to a space. */
public final class QueryParameters {
  private final Map<String, String> values;

  private QueryParameters(Map<String, String> values) {
    this.values = values;
  }

  /** Parses a raw query; 400 {@code M_INVALID_PARAM} for a malformed escape or invalid UTF-8. */
  public static QueryParameters parse(Optional<String> rawQuery) {
    Map<String, String> values = new LinkedHashMap<>();
    if (rawQuery.isPresent() && !rawQuery.get().isEmpty()) {
      for (String pair : rawQuery.get().split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = PercentDecoding.decodeQueryComponent(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : PercentDecoding.decodeQueryComponent(pair.substring(eq + 1));
        values.putIfAbsent(key, value);
      }
    }
    return new QueryParameters(values);
  }

  public Optional<String> get(String name) {
    return Optional.ofNullable(values.get(name));
  }

  /** A boolean parameter ({@code true} or {@code false}); 400 {@code M_INVALID_PARAM} otherwise. */
  public boolean bool(String name, boolean defaultValue) {
    Optional<String> v = get(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    return switch (v.get()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw MediaException.invalidParam("Parameter " + name + " must be true or false");
    };
  }

  /**
   * A non-negative integer parameter, at most {@code max}.
   *
   * @throws MediaException 400 {@code M_INVALID_PARAM} for anything else
   */
  public Optional<Long> nonNegativeLong(String name, long max) {
    Optional<String> v = get(name);
    if (v.isEmpty()) {
      return Optional.empty();
    }
    String s = v.get();
    if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw MediaException.invalidParam("Parameter " + name + " must be a non-negative integer");
    }
    long n = Long.parseLong(s);
    if (n > max) {
      throw MediaException.invalidParam("Parameter " + name + " must be at most " + max);
    }
    return Optional.of(n);
  }

  /**
   * A required positive 32-bit integer parameter, clamped to {@code max}; 400 {@code
   * M_MISSING_PARAM} when absent, 400 {@code M_INVALID_PARAM} when not a positive int.
   */
  public long requiredPositive(String name, long max) {
    long n =
        nonNegativeLong(name, Integer.MAX_VALUE)
            .orElseThrow(
                () -> new MediaException(ErrorCode.M_MISSING_PARAM, "Missing parameter " + name));
    if (n < 1) {
      throw MediaException.invalidParam("Parameter " + name + " must be positive");
    }
    return Math.min(n, max);
  }
}
