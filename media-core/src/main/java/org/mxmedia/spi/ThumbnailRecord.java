package org.mxmedia.spi;

import java.time.Instant;
import java.util.Objects;
import org.mxmedia.ThumbnailMethod;

/**
 * A stored thumbnail. Thumbnails belong to the source's bytes (its blob), not to a media id, so
 * identical uploads share them; they are deleted with the source blob.
 *
 * @param source the blob it was made from
 * @param width its actual width in pixels
 * @param height its actual height in pixels
 * @param method the method it was made with
 * @param animated whether it is animated
 * @param contentType its media type
 * @param size its length in bytes
 * @param blob where its bytes are stored
 * @param createdAt when it was made
 */
public record ThumbnailRecord(
    BlobKey source, int width, int height, ThumbnailMethod method, boolean animated, String contentType, long size,
    BlobKey blob, Instant createdAt) {

  public ThumbnailRecord {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(createdAt, "createdAt");
    if (width < 1 || height < 1 || size < 0) {
      throw new IllegalArgumentException("impossible thumbnail " + width + "x" + height + ", " + size + " bytes");
    }
  }

  /** Whether this record and {@code other} are the same thumbnail: same source, size, method and animation. */
  public boolean sameKey(ThumbnailRecord other) {
    return source.equals(other.source) && width == other.width && height == other.height
        && method == other.method && animated == other.animated;
  }
}
