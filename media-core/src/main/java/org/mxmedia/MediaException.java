package org.mxmedia;

import org.jspecify.annotations.Nullable;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The one exception callers of mxmedia see: a Matrix {@link ErrorCode}, the HTTP status to answer
 * with, and a message fit to show a user (never a stack trace, path or internal detail; those are
 * logged where the fault happens).
 *
 * <p>Unchecked, so it passes through host lambdas; every public operation documents the codes it
 * throws.
 */
public final class MediaException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode errorCode;
  private final int httpStatus;
  private final transient Optional<Duration> retryAfter;

  public MediaException(ErrorCode errorCode, String message) {
    this(errorCode, errorCode.defaultStatus(), message, null, null);
  }

  public MediaException(ErrorCode errorCode, int httpStatus, String message) {
    this(errorCode, httpStatus, message, null, null);
  }

  private MediaException(
      ErrorCode errorCode, int httpStatus, String message, @Nullable Duration retryAfter, @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause, false, cause != null);
    if (httpStatus < 400 || httpStatus > 599) {
      throw new IllegalArgumentException("an error status must be 4xx or 5xx: " + httpStatus);
    }
    this.errorCode = Objects.requireNonNull(errorCode, "errorCode");
    this.httpStatus = httpStatus;
    this.retryAfter = Optional.ofNullable(retryAfter);
  }

  /** A 429 {@link ErrorCode#M_LIMIT_EXCEEDED} that tells the caller when to retry. */
  public static MediaException limitExceeded(String message, Duration retryAfter) {
    return new MediaException(ErrorCode.M_LIMIT_EXCEEDED, 429, message, retryAfter, null);
  }

  /** A 404 {@link ErrorCode#M_NOT_FOUND}. */
  public static MediaException notFound(String message) {
    return new MediaException(ErrorCode.M_NOT_FOUND, message);
  }

  /**
   * A 500 {@link ErrorCode#M_UNKNOWN} for an internal fault. The cause is kept for the host's
   * logs only; the message is what a user sees.
   */
  public static MediaException internal(String message, Throwable cause) {
    return new MediaException(ErrorCode.M_UNKNOWN, 500, message, null, cause);
  }

  /** A 400 {@link ErrorCode#M_INVALID_PARAM}. */
  public static MediaException invalidParam(String message) {
    return new MediaException(ErrorCode.M_INVALID_PARAM, message);
  }

  public ErrorCode errorCode() {
    return errorCode;
  }

  /** The HTTP status to answer with, 400 to 599. */
  public int httpStatus() {
    return httpStatus;
  }

  /** How long the caller should wait before retrying, for {@link ErrorCode#M_LIMIT_EXCEEDED}. */
  public Optional<Duration> retryAfter() {
    return retryAfter;
  }

  /** The message fit for a user; never null. */
  @Override
  public String getMessage() {
    return Objects.requireNonNull(super.getMessage());
  }

  @Override
  public String toString() {
    return "MediaException[" + errorCode + " " + httpStatus + ": " + getMessage() + "]";
  }
}
