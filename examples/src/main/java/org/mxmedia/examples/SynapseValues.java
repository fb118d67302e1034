package org.mxmedia.examples;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Synapse's forms for configuration values: sizes ({@code 50M}: a number with an optional K, M, G
 * or T suffix, powers of 1024, or a plain number of bytes) and durations ({@code 90d}: a number
 * with an optional s, m, h, d, w or y suffix, or a plain number of milliseconds). A value that
 * is neither is an {@link IllegalArgumentException} naming its setting.
 */
final class SynapseValues {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)B?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|[smhdwy]?)", Pattern.CASE_INSENSITIVE);

  private SynapseValues() {}

  /** A size in bytes. */
  static long size(String value, String setting) {
    Matcher m = SIZE.matcher(value.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(setting + " must be a size like 52428800, 512K or 50M: " + value);
    }
    int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "K" -> 10;
      case "M" -> 20;
      case "G" -> 30;
      case "T" -> 40;
      default -> 0;
    };
    try {
      long n = Long.parseLong(m.group(1));
      if (n > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(setting + " is too large: " + value);
    }
  }

  /** A size in bytes from a JSON or YAML number or string. */
  static long size(JsonNode value, String setting) {
    if (value.isIntegralNumber()) {
      return value.asLong();
    }
    if (value.isTextual()) {
      return size(value.asText(), setting);
    }
    throw new IllegalArgumentException(setting + " must be a size like 52428800, 512K or 50M: " + value);
  }

  /** A duration. */
  static Duration duration(String value, String setting) {
    Matcher m = DURATION.matcher(value.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(setting + " must be a duration like 30s, 12h, 90d or 1y: " + value);
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(setting + " is too large: " + value);
    }
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "", "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      case "w" -> Duration.ofDays(7 * n);
      default -> Duration.ofDays(365 * n);
    };
  }

  /** A duration from a JSON or YAML number (milliseconds) or string. */
  static Duration duration(JsonNode value, String setting) {
    if (value.isIntegralNumber()) {
      return Duration.ofMillis(value.asLong());
    }
    if (value.isTextual()) {
      return duration(value.asText(), setting);
    }
    throw new IllegalArgumentException(setting + " must be a duration like 30s, 12h, 90d or 1y: " + value);
  }
}
