package org.mxmedia.preview;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.imageio.ImageIO;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.UrlPreviewer.ImageStore;
import org.mxmedia.spi.UrlPreviewer.StoredImage;

/**
 * Keeps stored images in memory, as the repository would store them, and measures them with
 * ImageIO.
 */
final class MemoryImageStore implements ImageStore {
  /** One stored image. */
  record Stored(byte[] bytes, String contentType, OptionalLong declaredLength) {}

  final List<Stored> stored = new CopyOnWriteArrayList<>();

  @Override
  public StoredImage store(InputStream body, String contentType, OptionalLong declaredLength) {
    byte[] bytes;
    try {
      bytes = body.readAllBytes();
    } catch (IOException e) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 502, "the image could not be read");
    }
    stored.add(new Stored(bytes, contentType, declaredLength));
    OptionalInt width = OptionalInt.empty();
    OptionalInt height = OptionalInt.empty();
    try {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
      if (img != null) {
        width = OptionalInt.of(img.getWidth());
        height = OptionalInt.of(img.getHeight());
      }
    } catch (IOException e) {
      // not an image ImageIO reads: stored without dimensions, as the repository does
    }
    return new StoredImage(
        MxcUri.of("test.example", "img" + stored.size()), contentType, bytes.length, width, height);
  }

  static byte[] png(int width, int height) {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
