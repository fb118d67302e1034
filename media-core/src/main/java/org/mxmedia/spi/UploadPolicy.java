package org.mxmedia.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.mxmedia.DataSize;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.UserId;

/**
 * Decides, before an upload's first byte is read, whether it may happen and how many bytes it may
 * have. The engine enforces the answer while streaming, so a quota is never overrun by writing the
 * whole file first.
 */
@FunctionalInterface
public interface UploadPolicy {

  /**
   * Admits an upload.
   *
   * @return the most bytes the upload may have (the engine also applies the configured maximum) and
   *     the error to answer when it has more
   * @throws MediaException to refuse the upload outright ({@code M_FORBIDDEN}, {@code
   *     M_LIMIT_EXCEEDED}, ...)
   */
  Allowance admit(Attempt attempt);

  /** No limit beyond the configured maximum upload size. */
  static UploadPolicy unlimited() {
    return attempt -> Allowance.UNLIMITED;
  }

  /**
   * One of Synapse's {@code media_upload_limits}: each user may upload at most {@code maxBytes} in
   * any rolling {@code period}; see {@link #perUserQuotas}.
   */
  static UploadPolicy perUserQuota(DataSize maxBytes, Duration period) {
    return perUserQuotas(List.of(new Quota(maxBytes, period)));
  }

  /**
   * Synapse's {@code media_upload_limits}: for each quota, the bytes a user uploaded in the last
   * {@code period} (media created after {@code now - period}, to the millisecond) plus this upload
   * may be at most {@code maxSize}, so an upload that brings the total exactly to the limit is
   * accepted. An upload that would pass any of them fails with 400 {@code
   * M_RESOURCE_LIMIT_EXCEEDED} as soon as its body does (before reading the body when its declared
   * length or the total already does), and nothing of it is kept. The quotas are a budget shared by
   * the user's parallel uploads ({@link Allowance#sharedByUploader}). Each quota is one store query
   * per upload.
   *
   * @param quotas at least one
   */
  static UploadPolicy perUserQuotas(List<Quota> quotas) {
    List<Quota> all = List.copyOf(quotas);
    if (all.isEmpty()) {
      throw new IllegalArgumentException("at least one quota is needed");
    }
    return attempt -> {
      long left = Long.MAX_VALUE;
      Quota tightest = all.get(0);
      for (Quota q : all) {
        // Synapse counts media created strictly after now - period; the store's bound is inclusive
        MediaUsage used = attempt.usageSince().apply(attempt.now().minus(q.period()).plusMillis(1));
        long l = q.maxSize().bytes() - used.totalBytes();
        if (l < left) {
          left = l;
          tightest = q;
        }
      }
      MediaException exceeded =
          new MediaException(
              ErrorCode.M_RESOURCE_LIMIT_EXCEEDED,
              400,
              "Media upload limit exceeded: at most "
                  + tightest.maxSize()
                  + " per "
                  + tightest.period());
      if (left < 0 || (left == 0 && attempt.request().declaredLength().orElse(1) > 0)) {
        throw exceeded;
      }
      return Allowance.sharedByUploader(left, exceeded);
    };
  }

  /**
   * The largest upload {@code user} may make, if this policy has a size limit of its own per user
   * (Synapse's {@code get_media_config_for_user}); the client {@code /config} endpoint reports the
   * smaller of it and the configured maximum. Quotas do not count: as in Synapse, {@code /config}
   * reports the per-upload limit, not what is left of a quota. Default: empty.
   */
  default Optional<DataSize> maxUploadSize(UserId user) {
    return Optional.empty();
  }

  /**
   * A quota of Synapse's {@code media_upload_limits}.
   *
   * @param maxSize the bytes allowed per period ({@code max_size})
   * @param period the rolling period ({@code time_period}), positive
   */
  record Quota(DataSize maxSize, Duration period) {
    public Quota {
      Objects.requireNonNull(maxSize, "maxSize");
      if (period.isNegative() || period.isZero()) {
        throw new IllegalArgumentException("period must be positive: " + period);
      }
    }
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
  record Attempt(
      UserId uploader,
      UploadRequest request,
      Instant now,
      Function<Instant, MediaUsage> usageSince) {}

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
        new Allowance(
            Long.MAX_VALUE,
            new MediaException(ErrorCode.M_TOO_LARGE, "Upload is too large"),
            false);

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
