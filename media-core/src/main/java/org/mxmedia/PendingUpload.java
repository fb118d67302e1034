package org.mxmedia;

import java.time.Instant;
import java.util.Objects;

/**
 * An asynchronous upload reserved by {@link MediaRepository#createPending(UserId)}.
 *
 * @param uri the content URI the bytes will be served under
 * @param expiresAt when the reservation lapses if no bytes have arrived
 */
public record PendingUpload(MxcUri uri, Instant expiresAt) {
  public PendingUpload {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }
}
