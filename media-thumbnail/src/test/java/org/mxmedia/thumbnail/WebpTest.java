package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * WebP: TwelveMonkeys reports the VP8X canvas as the image's size, but its VP8 decoder sizes its
 * buffers from the frame's own header.
 */
class WebpTest {
  /** The 1x1 lossy WebP that browsers' feature detection uses (42 bytes). */
  static final byte[] LOSSY_1X1 =
      Base64.getDecoder().decode("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA");

  /** The 1x1 lossless WebP that browsers' feature detection uses (34 bytes). */
  static final byte[] LOSSLESS_1X1 =
      Base64.getDecoder().decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==");

  private static final long MAX_PIXELS = 32_000_000L;

  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();

  /**
   * A 1x1 canvas whose VP8 frame header says 16383x16383: refused before the decoder allocates for
   * it.
   */
  @Test
  void aFrameLargerThanItsCanvasIsRefused() throws IOException {
    Path webp = Files.write(dir.resolve("lie.webp"), canvasLie(16383, 16383));
    ImageInfo info = thumbnailer.probe(webp, "image/webp").orElseThrow();
    assertThat(info.pixels()).isEqualTo(1);
    long before = AnimatedGifTest.allocatedBytes();
    assertThatThrownBy(
            () ->
                thumbnailer.generate(
                    webp, info, List.of(ThumbnailSpec.scale(1, 1)), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("16383x16383");
    assertThat(AnimatedGifTest.allocatedBytes() - before)
        .as("bytes allocated")
        .isLessThan(8L << 20);
  }

  /** Simple and extended WebPs whose frame matches the canvas are thumbnailed. */
  @Test
  void webpsWhoseFrameMatchesTheCanvasAreThumbnailed() throws IOException {
    for (byte[] webp : List.of(LOSSY_1X1, LOSSLESS_1X1, extended(1, 1, LOSSY_1X1))) {
      Path file = Files.write(dir.resolve("ok-" + webp.length + ".webp"), webp);
      ImageInfo info = thumbnailer.probe(file, "image/webp").orElseThrow();
      assertThat(
              thumbnailer.generate(file, info, List.of(ThumbnailSpec.scale(1, 1)), MAX_PIXELS, dir))
          .hasSize(1);
    }
  }

  /**
   * {@link #LOSSY_1X1}'s VP8 chunk behind a 1x1 VP8X canvas, its frame header saying {@code width x
   * height}.
   */
  static byte[] canvasLie(int width, int height) {
    byte[] lie = LOSSY_1X1.clone();
    // RIFF header (12) + chunk header (8) + frame tag (3) + start code (3): then 14-bit width and
    // height
    ByteBuffer.wrap(lie, 26, 4)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putShort((short) width)
        .putShort((short) height);
    return extended(1, 1, lie);
  }

  /**
   * {@code simple}'s image chunk behind a VP8X chunk with a {@code width x height} canvas and no
   * features.
   */
  static byte[] extended(int width, int height, byte[] simple) {
    int chunk = simple.length - 12;
    ByteBuffer b = ByteBuffer.allocate(12 + 18 + chunk).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII))
        .putInt(4 + 18 + chunk)
        .put("WEBP".getBytes(StandardCharsets.US_ASCII));
    b.put("VP8X".getBytes(StandardCharsets.US_ASCII)).putInt(10).putInt(0);
    b.put((byte) (width - 1)).put((byte) ((width - 1) >> 8)).put((byte) ((width - 1) >> 16));
    b.put((byte) (height - 1)).put((byte) ((height - 1) >> 8)).put((byte) ((height - 1) >> 16));
    b.put(simple, 12, chunk);
    return b.array();
  }
}
