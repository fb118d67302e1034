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
   * {@code maxPixels} bounds the decoded pixels (a header that lies is caught while decoding).
   *
   * @throws IOException when the image cannot be decoded (corrupt, truncated, over the pixel limit)
   */
  List<GeneratedThumbnail> generate(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path outputDirectory)
      throws IOException;
}
