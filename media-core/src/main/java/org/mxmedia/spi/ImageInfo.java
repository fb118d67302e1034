package org.mxmedia.spi;

import java.util.Objects;

/**
 * What a {@link Thumbnailer} learns from an image's header, before decoding any pixel.
 *
 * @param width the stored width in pixels, {@code > 0}
 * @param height the stored height in pixels, {@code > 0}
 * @param format the format name in lower case ({@code jpeg}, {@code png}, {@code gif}, ...)
 * @param frameCount the number of frames, 1 for still images
 * @param orientation the EXIF orientation, 1 (upright) to 8
 */
public record ImageInfo(int width, int height, String format, int frameCount, int orientation) {
  public ImageInfo {
    Objects.requireNonNull(format, "format");
    if (width < 1 || height < 1 || frameCount < 1 || orientation < 1 || orientation > 8) {
      throw new IllegalArgumentException(
          "impossible image: " + width + "x" + height + " frames=" + frameCount + " orientation=" + orientation);
    }
  }

  /** The width as displayed: the stored height for EXIF orientations 5 to 8, which turn the image a quarter. */
  public int displayWidth() {
    return orientation >= 5 ? height : width;
  }

  /** The height as displayed (see {@link #displayWidth()}). */
  public int displayHeight() {
    return orientation >= 5 ? width : height;
  }

  /** The pixel count of one frame. */
  public long pixels() {
    return (long) width * height;
  }

  public boolean isAnimated() {
    return frameCount > 1;
  }
}
