package org.mxmedia;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

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
      ErrorCode errorCode,
      int httpStatus,
      String message,
      @Nullable Duration retryAfter,
      @Nullable Throwable cause) {
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
   * A 500 {@link ErrorCode#M_UNKNOWN} for an internal fault. The cause is kept for the host's logs
   * only; the message is what a user sees.
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

  /**
   * The Matrix error codes mxmedia answers with, each with the HTTP status it usually carries. A
   * {@link MediaException} may carry a different status where the spec asks for one (for example
   * {@link #M_TOO_LARGE} is 413 for an upload and 502 for remote media).
   */
  public enum ErrorCode {
    /** The media does not exist, is quarantined, or may not be served on this endpoint. 404. */
    M_NOT_FOUND(404),
    /** The content is larger than the server allows. 413 (502 for remote media). */
    M_TOO_LARGE(413),
    /** An asynchronous upload has not received its bytes before the caller's timeout. 504. */
    M_NOT_YET_UPLOADED(504),
    /** An asynchronous upload already has its bytes. 409. */
    M_CANNOT_OVERWRITE_MEDIA(409),
    /** Too many requests or too many pending uploads; retry later. 429. */
    M_LIMIT_EXCEEDED(429),
    /** The caller may not do this. 403. */
    M_FORBIDDEN(403),
    /** A parameter is out of range or malformed. 400. */
    M_INVALID_PARAM(400),
    /** A required parameter is missing. 400. */
    M_MISSING_PARAM(400),
    /** No access token was given. 401. */
    M_MISSING_TOKEN(401),
    /** The access token is not recognised. 401. */
    M_UNKNOWN_TOKEN(401),
    /** A server-to-server request is not signed, or its signature does not verify. 401. */
    M_UNAUTHORIZED(401),
    /** The endpoint or method is not known. 404 or 405. */
    M_UNRECOGNIZED(404),
    /** A per-user resource limit (such as an upload quota) is used up. 400. */
    M_RESOURCE_LIMIT_EXCEEDED(400),
    /** Anything else: 400 for bad input the other codes do not cover, 500 or 502 for failures. */
    M_UNKNOWN(500);

    private final int defaultStatus;

    ErrorCode(int defaultStatus) {
      this.defaultStatus = defaultStatus;
    }

    /** The HTTP status this code carries unless a {@link MediaException} says otherwise. */
    public int defaultStatus() {
      return defaultStatus;
    }
  }
}
