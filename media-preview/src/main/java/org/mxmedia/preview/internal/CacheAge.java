package org.mxmedia.preview.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** How long a page says it may be cached: {@code Cache-Control}, else {@code Expires}. */
final class CacheAge {
  private CacheAge() {}

  /**
   * The page's own answer: {@code no-store} or {@code no-cache} is zero; else {@code s-maxage},
   * else {@code max-age}; else {@code Expires} less {@code Date} (or now, when there is no valid
   * {@code Date}), an invalid {@code Expires} being zero (as RFC 9111 says: already expired); else
   * nothing.
   */
  static Optional<Duration> declared(
      Optional<String> cacheControl, Optional<String> expires, Optional<String> date, Clock clock) {
    if (cacheControl.isPresent()) {
      Long maxAge = null;
      Long sharedMaxAge = null;
      for (String directive : cacheControl.get().toLowerCase(Locale.ROOT).split(",")) {
        String d = directive.trim();
        if (d.equals("no-store") || d.equals("no-cache")) {
          return Optional.of(Duration.ZERO);
        }
        if (d.startsWith("max-age=")) {
          maxAge = seconds(d.substring(8));
        } else if (d.startsWith("s-maxage=")) {
          sharedMaxAge = seconds(d.substring(9));
        }
      }
      Long age = sharedMaxAge != null ? sharedMaxAge : maxAge;
      if (age != null) {
        return Optional.of(Duration.ofSeconds(age));
      }
    }
    if (expires.isPresent()) {
      Optional<Instant> at = httpDate(expires.get());
      if (at.isEmpty()) {
        return Optional.of(Duration.ZERO);
      }
      Instant now = date.flatMap(CacheAge::httpDate).orElseGet(clock::instant);
      Duration d = Duration.between(now, at.get());
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    }
    return Optional.empty();
  }

  /** {@code age} within {@code [min, max]}; {@code min} when there is none. */
  static Duration clamp(Optional<Duration> age, Duration min, Duration max) {
    Duration d = age.orElse(min);
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }

  private static @Nullable Long seconds(String s) {
    String t = s.trim().replace("\"", "");
    if (t.isEmpty() || t.length() > 12 || !t.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Long.parseLong(t);
  }

  private static Optional<Instant> httpDate(String s) {
    try {
      return Optional.of(
          ZonedDateTime.parse(s.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
