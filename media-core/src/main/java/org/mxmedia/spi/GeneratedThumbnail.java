package org.mxmedia.spi;

import java.nio.file.Path;
import java.util.Objects;
import org.mxmedia.ThumbnailSpec;

/**
 * One thumbnail a {@link Thumbnailer} wrote.
 *
 * @param requested the spec it answers
 * @param width its actual width in pixels
 * @param height its actual height in pixels
 * @param contentType its media type ({@code image/jpeg}, {@code image/png}, {@code image/gif})
 * @param file where it was written (inside the directory the engine gave)
 */
public record GeneratedThumbnail(ThumbnailSpec requested, int width, int height, String contentType, Path file) {
  public GeneratedThumbnail {
    Objects.requireNonNull(requested, "requested");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(file, "file");
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("a thumbnail has at least one pixel: " + width + "x" + height);
    }
  }
}
