package org.mxmedia;

/**
 * How much local media a user has uploaded in some period.
 *
 * @param mediaCount the number of uploads, {@code >= 0}
 * @param totalBytes their total size in bytes, {@code >= 0}
 */
public record MediaUsage(long mediaCount, long totalBytes) {
  public static final MediaUsage NONE = new MediaUsage(0, 0);

  public MediaUsage {
    if (mediaCount < 0 || totalBytes < 0) {
      throw new IllegalArgumentException("usage cannot be negative");
    }
  }

  public MediaUsage plus(long bytes) {
    return new MediaUsage(mediaCount + 1, totalBytes + bytes);
  }
}
