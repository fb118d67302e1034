package org.mxmedia.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Function;
import org.mxmedia.DataSize;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaException;
import org.mxmedia.MediaUsage;
import org.mxmedia.UploadRequest;
import org.mxmedia.UserId;

/**
 * Decides, before an upload's first byte is read, whether it may happen and how many bytes it may
 * have. The engine enforces the answer while streaming, so a quota is never overrun by writing
 * the whole file first.
 */
@FunctionalInterface
public interface UploadPolicy {

  /**
   * Admits an upload.
   *
   * @return the most bytes the upload may have (the engine also applies the configured maximum)
   *     and the error to answer when it has more
   * @throws MediaException to refuse the upload outright ({@code M_FORBIDDEN}, {@code M_LIMIT_EXCEEDED}, ...)
   */
  Allowance admit(Attempt attempt);

  /** No limit beyond the configured maximum upload size. */
  static UploadPolicy unlimited() {
    return attempt -> Allowance.UNLIMITED;
  }

  /**
   * Synapse's {@code media_upload_limits}: each user may upload at most {@code maxBytes} in any
   * rolling {@code period}; an upload that would pass it fails with 400
   * {@code M_RESOURCE_LIMIT_EXCEEDED} as soon as it does, before its bytes are kept.
   */
  static UploadPolicy perUserQuota(DataSize maxBytes, Duration period) {
    Objects.requireNonNull(maxBytes, "maxBytes");
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("period must be positive: " + period);
    }
    return attempt -> {
      MediaUsage used = attempt.usageSince().apply(attempt.now().minus(period));
      long left = maxBytes.bytes() - used.totalBytes();
      MediaException exceeded =
          new MediaException(
              ErrorCode.M_RESOURCE_LIMIT_EXCEEDED, 400,
              "Media upload limit exceeded: at most " + maxBytes + " per " + period);
      if (left <= 0) {
        throw exceeded;
      }
      return Allowance.sharedByUploader(left, exceeded);
    };
  }

  /**
   * An upload about to start.
   *
   * @param uploader who uploads
   * @param request its declared type, name and length
   * @param now the repository clock's time
   * @param usageSince the uploader's uploads created at or after an instant, from the metadata
   *     store (each call is a store query)
   */
  record Attempt(UserId uploader, UploadRequest request, Instant now, Function<Instant, MediaUsage> usageSince) {}

  /**
   * How many bytes an admitted upload may have.
   *
   * @param maxBytes the most bytes, {@code >= 0}
   * @param whenExceeded the error to answer once the body passes {@code maxBytes}
   * @param sharedByUploader whether {@code maxBytes} is what is left of a budget of the uploader's
   *     (a quota) rather than a limit on this one upload: the engine then counts the bytes of the
   *     uploader's other uploads in progress, and of those that finish meanwhile, against it, so
   *     parallel uploads cannot each spend the whole remainder
   */
  record Allowance(long maxBytes, MediaException whenExceeded, boolean sharedByUploader) {
    /** No limit of the policy's own. */
    public static final Allowance UNLIMITED =
        new Allowance(Long.MAX_VALUE, new MediaException(ErrorCode.M_TOO_LARGE, "Upload is too large"), false);

    public Allowance {
      Objects.requireNonNull(whenExceeded, "whenExceeded");
      if (maxBytes < 0) {
        throw new IllegalArgumentException("maxBytes cannot be negative");
      }
    }

    /** A limit on this one upload. */
    public Allowance(long maxBytes, MediaException whenExceeded) {
      this(maxBytes, whenExceeded, false);
    }

    /** What is left of the uploader's budget, shared with their other uploads in progress. */
    public static Allowance sharedByUploader(long maxBytes, MediaException whenExceeded) {
      return new Allowance(maxBytes, whenExceeded, true);
    }
  }
}
