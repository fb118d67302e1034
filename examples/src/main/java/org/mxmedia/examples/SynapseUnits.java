package org.mxmedia.examples;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.mxmedia.DataSize;
import org.mxmedia.spi.UploadPolicy;

/**
 * Synapse's value formats and the lifecycle keys of {@code homeserver.yaml} that use them ({@code
 * media_retention}, {@code media_upload_limits}). A wrong value throws {@link
 * IllegalArgumentException} naming its key.
 */
final class SynapseUnits {
  private static final long SECOND = 1000;
  private static final Map<Character, Long> DURATION_UNITS =
      Map.of(
          's',
          SECOND,
          'm',
          60 * SECOND,
          'h',
          3600 * SECOND,
          'd',
          86_400 * SECOND,
          'w',
          7 * 86_400 * SECOND,
          'y',
          365 * 86_400 * SECOND);
  private static final Map<Character, Long> SIZE_UNITS =
      Map.of(
          'K', 1024L, 'M', 1024L * 1024, 'G', 1024L * 1024 * 1024, 'T', 1024L * 1024 * 1024 * 1024);

  private SynapseUnits() {}

  /**
   * Synapse's {@code parse_duration}: an integer is milliseconds; a string is an integer with an
   * optional suffix {@code s}, {@code m}, {@code h}, {@code d}, {@code w} or {@code y} (365 days),
   * milliseconds without one. Must be positive.
   */
  static Duration duration(Object value, String key) {
    long ms =
        scaled(value, key, DURATION_UNITS, "a duration such as 90d, 12h or 30000 (milliseconds)");
    return Duration.ofMillis(ms);
  }

  /**
   * Synapse's {@code parse_size}: an integer is bytes; a string is an integer with an optional
   * suffix {@code K}, {@code M}, {@code G} or {@code T} (powers of 1024). Must be positive.
   */
  static DataSize size(Object value, String key) {
    return DataSize.bytes(
        scaled(value, key, SIZE_UNITS, "a size such as 50M, 1G or 1048576 (bytes)"));
  }

  /** {@link #size} of a YAML or JSON value (a number, or a string with a suffix), in bytes. */
  static long bytes(JsonNode value, String key) {
    Object plain =
        value.isIntegralNumber() && value.canConvertToLong()
            ? (Object) value.asLong()
            : value.isTextual() ? value.textValue() : value.toString();
    return size(plain, key).bytes();
  }

  private static long scaled(
      Object value, String key, Map<Character, Long> units, String expected) {
    long n;
    long unit = 1;
    if (value instanceof Integer || value instanceof Long) {
      n = ((Number) value).longValue();
    } else if (value instanceof String s && !s.isEmpty()) {
      String digits = s;
      Long u = units.get(s.charAt(s.length() - 1));
      if (u != null) {
        unit = u;
        digits = s.substring(0, s.length() - 1);
      }
      if (!digits.matches("[0-9]{1,15}")) {
        throw new IllegalArgumentException(key + " must be " + expected + ": " + value);
      }
      n = Long.parseLong(digits);
    } else {
      throw new IllegalArgumentException(key + " must be " + expected + ": " + value);
    }
    if (n < 1) {
      throw new IllegalArgumentException(key + " must be positive: " + value);
    }
    try {
      return Math.multiplyExact(n, unit);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(key + " is too large: " + value);
    }
  }

  /**
   * Synapse's {@code media_retention}.
   *
   * @param localMediaLifetime {@code local_media_lifetime}
   * @param remoteMediaLifetime {@code remote_media_lifetime}
   */
  record Retention(Optional<Duration> localMediaLifetime, Optional<Duration> remoteMediaLifetime) {
    static final Retention NONE = new Retention(Optional.empty(), Optional.empty());
  }

  /**
   * Reads {@code media_retention}: a map with {@code local_media_lifetime} and {@code
   * remote_media_lifetime}, both optional.
   */
  static Retention retention(Map<String, Object> map) {
    for (String k : map.keySet()) {
      if (!Set.of("local_media_lifetime", "remote_media_lifetime").contains(k)) {
        throw new IllegalArgumentException(
            "media_retention has no key "
                + k
                + " (it takes local_media_lifetime and remote_media_lifetime)");
      }
    }
    return new Retention(
        Optional.ofNullable(map.get("local_media_lifetime"))
            .map(v -> duration(v, "media_retention.local_media_lifetime")),
        Optional.ofNullable(map.get("remote_media_lifetime"))
            .map(v -> duration(v, "media_retention.remote_media_lifetime")));
  }

  /**
   * Reads {@code media_upload_limits}: a list of maps with {@code time_period} and {@code
   * max_size}, both required.
   */
  static List<UploadPolicy.Quota> uploadLimits(List<Map<String, Object>> limits) {
    List<UploadPolicy.Quota> quotas = new ArrayList<>();
    for (int i = 0; i < limits.size(); i++) {
      Map<String, Object> limit = limits.get(i);
      String at = "media_upload_limits[" + i + "]";
      if (limit == null || !limit.keySet().equals(Set.of("time_period", "max_size"))) {
        throw new IllegalArgumentException(
            at + " must have exactly time_period and max_size: " + limit);
      }
      quotas.add(
          new UploadPolicy.Quota(
              size(limit.get("max_size"), at + ".max_size"),
              duration(limit.get("time_period"), at + ".time_period")));
    }
    return quotas;
  }
}
