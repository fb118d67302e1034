package org.mxmedia.internal;

import java.util.Objects;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;

/**
 * A fault of a remote server (unreachable, a 5xx or unexpected status, a malformed answer, a stall,
 * the deadline, a refused redirect target): answered 502 and counted towards its backoff.
 * Everything else a fetch can fail with (404, a size limit, a local fault) is a {@link
 * MediaException} that does not count.
 */
final class RemoteFault extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RemoteFault(String message) {
    super(message, null, false, false);
  }

  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  MediaException toMediaException() {
    return new MediaException(ErrorCode.M_UNKNOWN, 502, getMessage());
  }
}
