package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * Probing GIFs reads a bounded prefix of their block structure, whatever the file holds after it.
 */
class GifProbeTest {
  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();

  /**
   * A 15 MB GIF of a million 1x1 frames (streamed to disk, never held in memory): probing allocates
   * under 4 MiB and reports one frame more than {@link ImageIoThumbnailer#MAX_FRAMES}, meaning
   * "more than that". Counting every frame with ImageIO's reader keeps a position per frame: tens
   * of megabytes here, 123 MB for the 3-million-frame GIF of the report.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void probingAMillionFrameGifUsesBoundedMemory() throws IOException {
    Path gif = dir.resolve("million.gif");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(gif), 1 << 16)) {
      GifBuilder g = new GifBuilder(out).header(1, 1, 1);
      byte[] pixel = GifBuilder.lzw(2, 1, 1);
      for (int i = 0; i < 1_000_000; i++) {
        g.image(0, 0, 1, 1, 2, pixel);
      }
      g.trailer();
    }
    assertThat(Files.size(gif)).isGreaterThan(14_000_000L);
    thumbnailer.probe(
        Files.write(dir.resolve("warm-up.gif"), twoFrames()),
        "image/gif"); // load the classes first
    long before = AnimatedGifTest.allocatedBytes();
    long start = System.nanoTime();
    ImageInfo info = thumbnailer.probe(gif, "image/gif").orElseThrow();
    long allocated = AnimatedGifTest.allocatedBytes() - before;
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(allocated).as("bytes allocated by probe").isLessThan(4L << 20);
    assertThat(millis).as("milliseconds to probe").isLessThan(5_000);
    assertThat(info.frameCount()).isEqualTo(ImageIoThumbnailer.MAX_FRAMES + 1);
    assertThat(info.isAnimated()).isTrue();
  }

  /**
   * A GIF with a few frames reports exactly that many; a frame whose pixel data is cut off is not
   * counted.
   */
  @Test
  void framesAreCountedUpToTheFirstIncompleteOne() throws IOException {
    ImageInfo two =
        thumbnailer
            .probe(Files.write(dir.resolve("two.gif"), twoFrames()), "image/gif")
            .orElseThrow();
    assertThat(two.frameCount()).isEqualTo(2);
    byte[] cut =
        GifBuilder.inMemory(
            g ->
                g.header(8, 8, 2)
                    .image(0, 0, 8, 8, 2, GifBuilder.lzw(2, 64, 1))
                    .image(0, 0, 8, 8, 2, GifBuilder.lzw(2, 64, 2))
                    .raw(
                        0x2C, 0, 0, 0, 0, 8, 0, 8, 0, 0, 2, 10, 1,
                        2)); // a third frame whose data stops mid-block
    ImageInfo info =
        thumbnailer.probe(Files.write(dir.resolve("cut.gif"), cut), "image/gif").orElseThrow();
    assertThat(info.frameCount()).isEqualTo(2);
  }

  /**
   * The screen is the logical screen, or the first frame where that is larger (as browsers draw
   * it).
   */
  @Test
  void theScreenCoversTheFirstFrame() throws IOException {
    byte[] small =
        GifBuilder.inMemory(
            g -> g.header(0, 0, 2).image(0, 0, 30, 20, 2, GifBuilder.lzw(2, 600, 1)).trailer());
    ImageInfo info =
        thumbnailer
            .probe(Files.write(dir.resolve("zero-screen.gif"), small), "image/gif")
            .orElseThrow();
    assertThat(info.width()).isEqualTo(30);
    assertThat(info.height()).isEqualTo(20);
    assertThat(info.frameCount()).isEqualTo(1);
  }

  /** A GIF header with no image at all is refused. */
  @Test
  void aGifWithoutImagesIsRefused() throws IOException {
    Path empty =
        Files.write(
            dir.resolve("empty.gif"),
            GifBuilder.inMemory(g -> g.header(10, 10, 2).comment(100).trailer()));
    assertThatThrownBy(() -> thumbnailer.probe(empty, "image/gif")).isInstanceOf(IOException.class);
  }

  /** Two 8x8 frames. */
  private static byte[] twoFrames() {
    return GifBuilder.inMemory(
        g ->
            g.header(8, 8, 2)
                .graphicControl(1, 10)
                .image(0, 0, 8, 8, 2, GifBuilder.lzw(2, 64, 1))
                .graphicControl(1, 10)
                .image(0, 0, 8, 8, 2, GifBuilder.lzw(2, 64, 2))
                .trailer());
  }
}
