package org.mxmedia.preview.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CacheAgeTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);
  private static final Duration HOUR = Duration.ofHours(1);
  private static final Duration DAY = Duration.ofDays(1);

  private static Optional<Duration> declared(String cacheControl, String expires, String date) {
    return CacheAge.declared(
        Optional.ofNullable(cacheControl),
        Optional.ofNullable(expires),
        Optional.ofNullable(date),
        CLOCK);
  }

  @Test
  void cacheControlWinsOverExpiresAndSharedMaxAgeOverMaxAge() {
    assertThat(declared("max-age=600", "Wed, 01 Jan 2025 05:00:00 GMT", null))
        .hasValue(Duration.ofMinutes(10));
    assertThat(declared("max-age=600, s-maxage=1200", null, null)).hasValue(Duration.ofMinutes(20));
    assertThat(declared("private, no-cache, max-age=600", null, null)).hasValue(Duration.ZERO);
  }

  @Test
  void expiresIsMeasuredFromTheDateHeaderElseTheClock() {
    assertThat(declared(null, "Wed, 01 Jan 2025 05:00:00 GMT", null)).hasValue(Duration.ofHours(5));
    assertThat(declared(null, "Wed, 01 Jan 2025 05:00:00 GMT", "Wed, 01 Jan 2025 02:00:00 GMT"))
        .hasValue(Duration.ofHours(3));
    assertThat(declared(null, "0", null)).hasValue(Duration.ZERO);
    assertThat(declared(null, "Tue, 31 Dec 2024 00:00:00 GMT", null)).hasValue(Duration.ZERO);
  }

  @Test
  void malformedDirectivesAreIgnored() {
    assertThat(declared("max-age=abc", null, null)).isEmpty();
    assertThat(declared("max-age=99999999999999999999", null, null)).isEmpty();
    assertThat(declared(null, null, null)).isEmpty();
  }

  @Test
  void theAnswerIsClampedAndDefaultsToTheMinimum() {
    assertThat(CacheAge.clamp(Optional.empty(), HOUR, DAY)).isEqualTo(HOUR);
    assertThat(CacheAge.clamp(Optional.of(Duration.ZERO), HOUR, DAY)).isEqualTo(HOUR);
    assertThat(CacheAge.clamp(Optional.of(Duration.ofHours(5)), HOUR, DAY))
        .isEqualTo(Duration.ofHours(5));
    assertThat(CacheAge.clamp(Optional.of(Duration.ofDays(30)), HOUR, DAY)).isEqualTo(DAY);
  }
}
