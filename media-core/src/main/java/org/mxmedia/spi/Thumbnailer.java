package org.mxmedia.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
   * EXIF rotation) and that is never larger than the source: {@code SCALE} scales the whole
   * image to exactly {@code width x height}; {@code CROP} cuts the largest centred region with
   * the aspect ratio {@code width:height} and scales it to exactly that size. An animated spec of
   * an animated source gives an animated thumbnail; otherwise the first frame is used.
   * {@code maxPixels} bounds the pixels decoded (a header that lies is caught while decoding).
   *
   * @throws IOException when the image cannot be decoded (corrupt, truncated, over the pixel limit)
   */
  List<GeneratedThumbnail> generate(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path outputDirectory)
      throws IOException;
}
