package org.mxmedia.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.ThumbnailSpec;

/**
 * Makes thumbnails of images. Implementations pass {@code org.mxmedia.testkit.ThumbnailerContract}.
 */
public interface Thumbnailer {

  /**
   * Reads the header of {@code source} only: its size, format, frame count and orientation.
   *
   * @return empty when the content is not an image this thumbnailer can thumbnail
   */
  Optional<ImageInfo> probe(Path source, String contentType) throws IOException;

  /**
   * Decodes {@code source} once and writes one thumbnail per spec into {@code outputDirectory}.
   *
   * <p>Each spec is an exact output size that the engine computed in display orientation (after
   * EXIF rotation) and that is never larger than the source: {@code SCALE} scales the whole image
   * to exactly {@code width x height}; {@code CROP} cuts the largest centred region with the aspect
   * ratio {@code width:height} and scales it to exactly that size. An animated spec of an animated
   * source gives an animated thumbnail; otherwise the first frame is used. {@code maxPixels} bounds
   * the pixels decoded (a header that lies is caught while decoding).
   *
   * @throws IOException when the image cannot be decoded (corrupt, truncated, over the pixel limit)
   */
  List<GeneratedThumbnail> generate(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path outputDirectory)
      throws IOException;

  /**
   * One thumbnail a {@link Thumbnailer} wrote.
   *
   * @param requested the spec it answers
   * @param width its actual width in pixels
   * @param height its actual height in pixels
   * @param contentType its media type ({@code image/jpeg}, {@code image/png}, {@code image/gif})
   * @param file where it was written (inside the directory the engine gave)
   */
  record GeneratedThumbnail(
      ThumbnailSpec requested, int width, int height, String contentType, Path file) {
    public GeneratedThumbnail {
      Objects.requireNonNull(requested, "requested");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(file, "file");
      if (width < 1 || height < 1) {
        throw new IllegalArgumentException(
            "a thumbnail has at least one pixel: " + width + "x" + height);
      }
    }
  }

  /**
   * What a {@link Thumbnailer} learns from an image's header, before decoding any pixel.
   *
   * @param width the stored width in pixels, {@code > 0}
   * @param height the stored height in pixels, {@code > 0}
   * @param format the format name in lower case ({@code jpeg}, {@code png}, {@code gif}, ...)
   * @param frameCount the number of frames, 1 for still images
   * @param orientation the EXIF orientation, 1 (upright) to 8
   */
  record ImageInfo(int width, int height, String format, int frameCount, int orientation) {
    public ImageInfo {
      Objects.requireNonNull(format, "format");
      if (width < 1 || height < 1 || frameCount < 1 || orientation < 1 || orientation > 8) {
        throw new IllegalArgumentException(
            "impossible image: "
                + width
                + "x"
                + height
                + " frames="
                + frameCount
                + " orientation="
                + orientation);
      }
    }

    /**
     * The width as displayed: the stored height for EXIF orientations 5 to 8, which turn the image
     * a quarter.
     */
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
}
