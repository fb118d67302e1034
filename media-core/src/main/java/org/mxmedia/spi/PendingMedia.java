package org.mxmedia.spi;

import java.time.Instant;
import java.util.Objects;
import org.mxmedia.MediaId;
import org.mxmedia.UserId;

/**
 * A media id reserved for an asynchronous upload whose bytes have not arrived.
 *
 * @param mediaId the reserved id
 * @param owner the only user who may upload its bytes
 * @param createdAt when it was reserved
 * @param expiresAt when the reservation lapses
 */
public record PendingMedia(MediaId mediaId, UserId owner, Instant createdAt, Instant expiresAt) {
  public PendingMedia {
    Objects.requireNonNull(mediaId, "mediaId");
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (expiresAt.isBefore(createdAt)) {
      throw new IllegalArgumentException("a pending upload cannot expire before it is created");
    }
  }

  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiresAt);
  }
}
