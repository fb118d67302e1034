package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;

/**
 * Plugins read some metadata whole while reading the header (TwelveMonkeys: every JPEG segment
 * before the image data, every TIFF directory; the JDK: a BMP's declared palette). Headers are read
 * under a budget ({@link ImageIoThumbnailer#MAX_HEADER_BYTES}, {@link
 * ImageIoThumbnailer#MAX_TIFF_HEADER_BYTES} for TIFF), so memory does not follow the size of the
 * file; normal headers are a few kilobytes.
 */
class HeaderBudgetTest {
  private static final long MAX_PIXELS = 32_000_000L;

  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();

  /**
   * 26 MB of APP1 segments before a 16x16 JPEG's frame: refused by probe, which allocates well
   * under the file's size.
   */
  @Test
  void aJpegWithTensOfMegabytesOfSegmentsIsRefused() throws IOException {
    byte[] jpeg = TestImages.jpeg(16, 16);
    Path file = dir.resolve("segments.jpg");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      out.write(jpeg, 0, 2); // SOI
      byte[] segment = new byte[65533];
      for (int i = 0; i < 400; i++) {
        out.write(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) 0xFF, (byte) 0xFF});
        out.write(segment);
      }
      out.write(jpeg, 2, jpeg.length - 2);
    }
    assertRefusedWithBoundedMemory(file, "image/jpeg");
  }

  /** A TIFF chaining 300,000 directories (30 MB): refused while its directories are read. */
  @Test
  void aTiffWithHundredsOfThousandsOfDirectoriesIsRefused() throws IOException {
    Path file = dir.resolve("directories.tif");
    int n = 300_000;
    int ifd = 2 + 8 * 12 + 4;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      ByteBuffer b = ByteBuffer.allocate(Math.max(8, ifd)).order(ByteOrder.LITTLE_ENDIAN);
      out.write(b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8).array(), 0, 8);
      int data = 8 + n * ifd;
      for (int i = 0; i < n; i++) {
        b.clear();
        b.putShort((short) 8);
        entry(b, 256, 1); // width
        entry(b, 257, 1); // height
        entry(b, 258, 8); // bits per sample
        entry(b, 259, 1); // no compression
        entry(b, 262, 1); // black is zero
        b.putShort((short) 273).putShort((short) 4).putInt(1).putInt(data); // strip offset
        entry(b, 278, 1); // rows per strip
        b.putShort((short) 279).putShort((short) 4).putInt(1).putInt(1); // strip byte count
        b.putInt(i + 1 < n ? 8 + (i + 1) * ifd : 0);
        out.write(b.array(), 0, ifd);
      }
      out.write(0);
    }
    assertRefusedWithBoundedMemory(file, "image/tiff");
  }

  /**
   * A 1x1 8-bit BMP whose header puts its pixels 20 MB in: the reader would read all of that as a
   * palette.
   */
  @Test
  void aBmpWithATwentyMegabytePaletteIsRefused() throws IOException {
    Path file = dir.resolve("palette.bmp");
    int palette = 20 << 20;
    ByteBuffer h = ByteBuffer.allocate(54).order(ByteOrder.LITTLE_ENDIAN);
    h.put((byte) 'B').put((byte) 'M').putInt(54 + palette + 4).putInt(0).putInt(54 + palette);
    h.putInt(40)
        .putInt(1)
        .putInt(1)
        .putShort((short) 1)
        .putShort((short) 8)
        .putInt(0)
        .putInt(4)
        .putInt(0)
        .putInt(0)
        .putInt(0)
        .putInt(0);
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
      out.write(h.array());
      byte[] zeros = new byte[1 << 16];
      for (int i = 0; i < palette + 4; i += zeros.length) {
        out.write(zeros, 0, Math.min(zeros.length, palette + 4 - i));
      }
    }
    assertRefusedWithBoundedMemory(file, "image/bmp");
  }

  /** Headers within the budget are read as before, in probe and in generate. */
  @Test
  void aJpegWithAFewHundredKilobytesOfSegmentsIsThumbnailed() throws IOException {
    byte[] jpeg = TestImages.jpeg(64, 48);
    byte[] segment = new byte[4 + 65533];
    segment[0] = (byte) 0xFF;
    segment[1] = (byte) 0xE9; // APP9: nobody's
    segment[2] = (byte) 0xFF;
    segment[3] = (byte) 0xFF;
    byte[] withSegments = new byte[jpeg.length + 8 * segment.length];
    System.arraycopy(jpeg, 0, withSegments, 0, 2);
    for (int i = 0; i < 8; i++) {
      System.arraycopy(segment, 0, withSegments, 2 + i * segment.length, segment.length);
    }
    System.arraycopy(jpeg, 2, withSegments, 2 + 8 * segment.length, jpeg.length - 2);
    Path file = Files.write(dir.resolve("some-segments.jpg"), withSegments);
    ImageInfo info = thumbnailer.probe(file, "image/jpeg").orElseThrow();
    assertThat(info.width()).isEqualTo(64);
    assertThat(
            thumbnailer.generate(file, info, List.of(ThumbnailSpec.scale(32, 24)), MAX_PIXELS, dir))
        .hasSize(1);
  }

  private void assertRefusedWithBoundedMemory(Path file, String type) throws IOException {
    thumbnailer.probe(
        Files.write(dir.resolve("warm-up.png"), TestImages.png(8, 8)),
        "image/png"); // load the plugins first
    long before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(() -> thumbnailer.probe(file, type))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bytes of header");
    long allocated = AnimatedGifTest.allocatedBytes() - before;
    assertThat(allocated)
        .as("bytes allocated probing a %d-byte file", Files.size(file))
        .isLessThan(Files.size(file) / 2);
    assertThat(allocated).as("bytes allocated").isLessThan(48L << 20);
    // generate reads the header under the same budget, whatever the ImageInfo it is given
    ImageInfo lie = new ImageInfo(16, 16, "jpeg", 1, 1);
    before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(
            () ->
                thumbnailer.generate(
                    file, lie, List.of(ThumbnailSpec.scale(8, 8)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bytes of header");
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated by generate")
        .isLessThan(48L << 20);
  }

  private static void entry(ByteBuffer b, int tag, int value) {
    b.putShort((short) tag)
        .putShort((short) 3)
        .putInt(1)
        .putShort((short) value)
        .putShort((short) 0);
  }
}
