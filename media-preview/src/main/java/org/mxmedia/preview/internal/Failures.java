package org.mxmedia.preview.internal;

import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;

/** The errors a preview answers with. Messages never name addresses. */
final class Failures {
  private Failures() {}

  /** 403 {@code M_FORBIDDEN}: the URL pattern list or the outbound policy refuses it. */
  static MediaException forbidden(String message) {
    return new MediaException(ErrorCode.M_FORBIDDEN, 403, message);
  }

  /** 502 {@code M_UNKNOWN}: unreachable, too large, or not usable. */
  static MediaException unavailable(String message) {
    return new MediaException(ErrorCode.M_UNKNOWN, 502, message);
  }

  /** 504 {@code M_UNKNOWN}: the deadline passed. */
  static MediaException timedOut() {
    return new MediaException(ErrorCode.M_UNKNOWN, 504, "The page did not arrive in time");
  }
}
