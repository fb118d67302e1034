package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
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
 * Animated GIF thumbnails of hostile GIFs: every frame is checked against the screen before it is
 * decoded.
 */
class AnimatedGifTest {
  private static final ThumbnailSpec ANIMATED =
      new ThumbnailSpec(32, 32, ThumbnailMethod.SCALE, true);
  private static final long MAX_PIXELS = 32_000_000L;

  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();

  /**
   * The frame bomb with 4000x4000 frames (16 MB of 8-bit pixels each, 320 MB for all 20) behind a
   * 64x64 screen: refused with an IOException naming the frame, having allocated less than one such
   * frame.
   */
  @Test
  void aFrameLargerThanTheScreenIsRefusedBeforeItIsDecoded() throws IOException {
    Path gif = Files.write(dir.resolve("bomb.gif"), HostileImages.gifFrameBomb(4000));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    assertThat(info.width()).isEqualTo(64);
    assertThat(info.isAnimated()).isTrue();
    Path out = Files.createDirectories(dir.resolve("out"));
    long before = allocatedBytes();
    assertThatThrownBy(() -> thumbnailer.generate(gif, info, List.of(ANIMATED), MAX_PIXELS, out))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("frame 1")
        .hasMessageContaining("4000x4000");
    assertThat(allocatedBytes() - before).as("bytes allocated").isLessThan(8L << 20);
  }

  /**
   * A 1x1 frame placed just outside a 64x64 screen is refused too: offsets count, not only sizes.
   */
  @Test
  void aFrameOffsetOutsideTheScreenIsRefused() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("offset.gif"),
            GifBuilder.inMemory(
                g ->
                    g.header(64, 64, 2)
                        .image(0, 0, 64, 64, 2, GifBuilder.lzw(2, 64 * 64, 1))
                        .image(64, 0, 1, 1, 2, GifBuilder.lzw(2, 1, 2))
                        .trailer()));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    assertThatThrownBy(() -> thumbnailer.generate(gif, info, List.of(ANIMATED), MAX_PIXELS, dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("frame 1");
  }

  /**
   * Every frame is checked before the first is decoded: a bad sixth frame fails the thumbnail
   * before any output file exists.
   */
  @Test
  void aBadFrameIsFoundBeforeAnythingIsDecodedOrWritten() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("late.gif"),
            GifBuilder.inMemory(
                g -> {
                  g.header(64, 64, 2);
                  for (int i = 0; i < 5; i++) {
                    g.graphicControl(1, 5)
                        .image(0, 0, 64, 64, 2, GifBuilder.lzw(2, 64 * 64, i % 4));
                  }
                  g.graphicControl(1, 5)
                      .image(0, 0, 65, 64, 2, GifBuilder.lzwTruncated(2))
                      .trailer();
                }));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    Path out = Files.createDirectories(dir.resolve("out"));
    assertThatThrownBy(() -> thumbnailer.generate(gif, info, List.of(ANIMATED), MAX_PIXELS, out))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("frame 5");
    try (var files = Files.list(out)) {
      assertThat(files).isEmpty();
    }
  }

  /**
   * A graphic control extension that declares 20 bytes instead of 4: the block structure skips all
   * 20, while ImageIO's GIF reader would take 4 and find an image descriptor of 4000x4000 hidden in
   * the rest. Such an extension is left out of what ImageIO reads, so it decodes the two frames
   * that were checked (64x64, then 8x8), allocating less than one 4000x4000 frame.
   */
  @Test
  void aGraphicControlExtensionImageIoWouldMisreadIsLeftOut() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("hidden.gif"),
            GifBuilder.inMemory(
                g ->
                    g.header(64, 64, 8)
                        .image(0, 0, 64, 64, 8, GifBuilder.lzwTruncated(8))
                        .raw(
                            0x21, 0xF9, 20, 0, 10, 0,
                            0) // GCE of 20 bytes: packed, delay, transparent index...
                        .raw(
                            0) // ...what ImageIO takes for the GCE's terminator, then what it takes
                        // for a frame:
                        .raw(0x2C, 0, 0, 0, 0, 0xA0, 0x0F, 0xA0, 0x0F, 0) // 4000x4000 at 0,0
                        .raw(8, 0) // LZW code size, no data
                        .raw(0, 0, 0) // the rest of the 20 bytes
                        .raw(0) // the GCE's real terminator
                        .image(0, 0, 8, 8, 8, GifBuilder.lzwTruncated(8))
                        .trailer()));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    assertThat(info.frameCount()).isEqualTo(2);
    long before = allocatedBytes();
    GeneratedThumbnail t =
        thumbnailer.generate(gif, info, List.of(ANIMATED), MAX_PIXELS, dir).get(0);
    assertThat(allocatedBytes() - before).as("bytes allocated").isLessThan(8L << 20);
    assertThat(frames(t.file())).isEqualTo(2);
  }

  /** Frames inside the screen, at offsets, are composed as before. */
  @Test
  void framesInsideTheScreenAreKept() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("ok.gif"),
            GifBuilder.inMemory(
                g ->
                    g.header(64, 64, 2)
                        .graphicControl(1, 5)
                        .image(0, 0, 64, 64, 2, GifBuilder.lzw(2, 64 * 64, 1))
                        .graphicControl(1, 5)
                        .image(32, 32, 32, 32, 2, GifBuilder.lzw(2, 32 * 32, 3))
                        .trailer()));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    assertThat(info.frameCount()).isEqualTo(2);
    GeneratedThumbnail t =
        thumbnailer.generate(gif, info, List.of(ANIMATED), MAX_PIXELS, dir).get(0);
    assertThat(frames(t.file())).isEqualTo(2);
  }

  /**
   * The pixel budget bounds the frames composed: 10 frames of 100x100 fit in 100,000 pixels, the
   * other 40 are not decoded.
   */
  @Test
  void framesBeyondThePixelBudgetAreDropped() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("many.gif"),
            GifBuilder.inMemory(
                g -> {
                  g.header(100, 100, 2);
                  for (int i = 0; i < 50; i++) {
                    g.graphicControl(1, 2)
                        .image(0, 0, 100, 100, 2, GifBuilder.lzw(2, 100 * 100, i % 4));
                  }
                  g.trailer();
                }));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    assertThat(info.frameCount()).isEqualTo(50);
    GeneratedThumbnail t = thumbnailer.generate(gif, info, List.of(ANIMATED), 100_000, dir).get(0);
    assertThat(frames(t.file())).isEqualTo(10);
  }

  /** At most {@link ImageIoThumbnailer#MAX_FRAMES} frames are kept, however many the source has. */
  @Test
  void atMostMaxFramesAreKept() throws IOException {
    Path gif =
        Files.write(
            dir.resolve("long.gif"),
            GifBuilder.inMemory(
                g -> {
                  g.header(2, 2, 2);
                  for (int i = 0; i < ImageIoThumbnailer.MAX_FRAMES + 50; i++) {
                    g.image(0, 0, 2, 2, 2, GifBuilder.lzw(2, 4, i % 4));
                  }
                  g.trailer();
                }));
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    GeneratedThumbnail t =
        thumbnailer
            .generate(
                gif,
                info,
                List.of(new ThumbnailSpec(2, 2, ThumbnailMethod.SCALE, true)),
                MAX_PIXELS,
                dir)
            .get(0);
    assertThat(frames(t.file())).isEqualTo(ImageIoThumbnailer.MAX_FRAMES);
  }

  static long allocatedBytes() {
    return ((ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  private static int frames(Path gif) throws IOException {
    try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
      ImageReader reader = ImageIO.getImageReaders(in).next();
      try {
        reader.setInput(in);
        return reader.getNumImages(true);
      } finally {
        reader.dispose();
      }
    }
  }
}
