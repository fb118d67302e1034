package org.mxmedia.http;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * A thumbnailer for the binding's tests: reads the size from the image header with ImageIO and
 * writes each thumbnail as a grey JPEG of exactly the size asked. The real one is tested in
 * media-thumbnail; here only the HTTP surface around thumbnails matters.
 */
final class SolidThumbnailer implements Thumbnailer {
  @Override
  public Optional<ImageInfo> probe(Path source, String contentType) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(source.toFile())) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return Optional.empty();
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        return Optional.of(
            new ImageInfo(
                reader.getWidth(0),
                reader.getHeight(0),
                reader.getFormatName().toLowerCase(),
                1,
                1));
      } finally {
        reader.dispose();
      }
    }
  }

  @Override
  public List<GeneratedThumbnail> generate(
      Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path out)
      throws IOException {
    List<GeneratedThumbnail> made = new ArrayList<>();
    int i = 0;
    for (ThumbnailSpec spec : specs) {
      BufferedImage image =
          new BufferedImage(spec.width(), spec.height(), BufferedImage.TYPE_INT_RGB);
      Path file = out.resolve("t" + i++ + ".jpg");
      ImageIO.write(image, "jpeg", file.toFile());
      made.add(new GeneratedThumbnail(spec, spec.width(), spec.height(), "image/jpeg", file));
    }
    return made;
  }
}
