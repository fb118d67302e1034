package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * GIF extensions never reach ImageIO's reader: on JDK 17 it copies every comment, application and
 * plain-text extension into a new array at each 255-byte sub-block, whether metadata is ignored or
 * not, which is quadratic in the extension's size (gigabytes copied for 1 MiB).
 */
class GifExtensionTest {
  private static final long MAX_PIXELS = 32_000_000L;

  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();

  /** A 1 MiB comment before the first frame: a still thumbnail allocates under 16 MiB. */
  @Test
  void aLargeCommentIsSkippedForAStillThumbnail() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("comment.gif"),
            GifBuilder.inMemory(
                g ->
                    g.header(16, 16, 2)
                        .comment(1 << 20)
                        .image(0, 0, 16, 16, 2, GifBuilder.lzw(2, 256, 3))
                        .trailer()));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    long before = AnimatedGifTest.allocatedBytes();
    GeneratedThumbnail t =
        thumbnailer.generate(gif, info, List.of(ThumbnailSpec.scale(8, 8)), MAX_PIXELS, dir).get(0);
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(16L << 20);
    BufferedImage out = ImageIO.read(t.file().toFile());
    assertThat(out.getRGB(4, 4) & 0xFFFFFF).isEqualTo(0xFFFFFF); // palette index 3 of the grey ramp
  }

  /**
   * A 1 MiB comment between two frames: an animated thumbnail allocates under 16 MiB and keeps both
   * frames.
   */
  @Test
  void aLargeCommentIsSkippedForAnAnimatedThumbnail() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("comment.gif"),
            GifBuilder.inMemory(
                g ->
                    g.header(16, 16, 2)
                        .graphicControl(1, 5)
                        .image(0, 0, 16, 16, 2, GifBuilder.lzw(2, 256, 1))
                        .comment(1 << 20)
                        .graphicControl(1, 7)
                        .image(0, 0, 16, 16, 2, GifBuilder.lzw(2, 256, 2))
                        .trailer()));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    long before = AnimatedGifTest.allocatedBytes();
    GeneratedThumbnail t =
        thumbnailer
            .generate(
                gif,
                info,
                List.of(new ThumbnailSpec(16, 16, ThumbnailMethod.SCALE, true)),
                MAX_PIXELS,
                dir)
            .get(0);
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(16L << 20);
    try (ImageInputStream in = ImageIO.createImageInputStream(t.file().toFile())) {
      ImageReader reader = ImageIO.getImageReaders(in).next();
      try {
        reader.setInput(in);
        assertThat(reader.getNumImages(true)).isEqualTo(2);
        assertThat(AnimatedGif.Descriptor.of(reader.getImageMetadata(1)).delay())
            .as("the second frame's own delay")
            .isEqualTo(7);
      } finally {
        reader.dispose();
      }
    }
  }
}
