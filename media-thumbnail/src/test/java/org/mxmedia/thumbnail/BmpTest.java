package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;

/**
 * BMP fields the JDK's reader trusts when it decodes: it reads RLE data whole, by the size the
 * header declares, and allocates an embedded JPEG or PNG by its declared size before reading it.
 */
class BmpTest {
  private static final long MAX_PIXELS = 32_000_000L;

  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();

  /**
   * A 1x1 BMP declaring a 64 MB embedded PNG (a real 1x1 PNG follows): refused, nothing of that
   * size allocated.
   */
  @Test
  void aBmpWithAnEmbeddedImageIsRefused() throws IOException {
    Path bmp = Files.write(dir.resolve("embedded.bmp"), HostileImages.bmpWithEmbeddedPng(64 << 20));
    ImageInfo info = thumbnailer.probe(bmp, "image/bmp").orElseThrow();
    long before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(
            () ->
                thumbnailer.generate(
                    bmp, info, List.of(ThumbnailSpec.scale(1, 1)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("embedded");
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(8L << 20);
  }

  /** A 1x1 RLE8 BMP followed by 20 MB of RLE data: refused before the reader reads it all. */
  @Test
  void rleDataLargerThanItsPixelsCanNeedIsRefused() throws IOException {
    Path bmp = dir.resolve("rle.bmp");
    int data = 20 << 20;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(bmp), 1 << 16)) {
      out.write(HostileImages.bmpHeader(54 + 1024 + data, 54 + 1024, 1, 1, 8, 1, data));
      out.write(new byte[1024]); // palette
      byte[] endOfLines = new byte[1 << 16]; // pairs of 0, 0: end of line
      for (int i = 0; i < data; i += endOfLines.length) {
        out.write(endOfLines);
      }
    }
    ImageInfo info = thumbnailer.probe(bmp, "image/bmp").orElseThrow();
    long before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(
            () ->
                thumbnailer.generate(
                    bmp, info, List.of(ThumbnailSpec.scale(1, 1)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("RLE");
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(8L << 20);
  }

  /** An RLE8 BMP as ImageIO writes it is thumbnailed as before. */
  @Test
  void anOrdinaryRleBmpIsThumbnailed() throws IOException {
    BufferedImage indexed = new BufferedImage(120, 80, BufferedImage.TYPE_BYTE_INDEXED);
    indexed
        .createGraphics()
        .drawImage(TestImages.quadrants(120, 80, BufferedImage.TYPE_INT_RGB), 0, 0, null);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("bmp").next();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionType("BI_RLE8");
      writer.write(null, new IIOImage(indexed, null, null), param);
    } finally {
      writer.dispose();
    }
    Path bmp = Files.write(dir.resolve("ordinary.bmp"), bytes.toByteArray());
    ImageInfo info = thumbnailer.probe(bmp, "image/bmp").orElseThrow();
    BufferedImage out =
        ImageIO.read(
            thumbnailer
                .generate(bmp, info, List.of(ThumbnailSpec.scale(60, 40)), MAX_PIXELS, dir)
                .get(0)
                .file()
                .toFile());
    assertThat(TestImages.nearestQuadrantColour(out, 5, 5)).isEqualTo(TestImages.TOP_LEFT);
    assertThat(TestImages.nearestQuadrantColour(out, 55, 35)).isEqualTo(TestImages.BOTTOM_RIGHT);
  }
}
