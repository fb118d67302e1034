package org.mxmedia;

import java.util.Objects;
import java.util.Optional;

/**
 * How much local media one user uploaded in a period: one row of {@link MediaAdmin#userMediaStatistics}.
 *
 * @param user the uploader
 * @param displayName their display name, from the host's {@link org.mxmedia.spi.UserDirectory};
 *     empty when the host supplies none (stores always answer empty)
 * @param mediaCount how many media, {@code >= 1}
 * @param mediaLength their total size in bytes, {@code >= 0}
 */
public record UserMediaStatistics(UserId user, Optional<String> displayName, long mediaCount, long mediaLength) {

  public UserMediaStatistics {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(displayName, "displayName");
    if (mediaCount < 0 || mediaLength < 0) {
      throw new IllegalArgumentException("statistics cannot be negative");
    }
  }

  /** The same row with {@code name} as its display name. */
  public UserMediaStatistics withDisplayName(Optional<String> name) {
    return new UserMediaStatistics(user, name, mediaCount, mediaLength);
  }
}
