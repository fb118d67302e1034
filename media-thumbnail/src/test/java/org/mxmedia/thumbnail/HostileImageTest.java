package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * Pixel floods, huge screens, truncated, corrupt and random images: refused or thumbnailed, never a
 * hang or a heap blow-up.
 */
class HostileImageTest {
  @TempDir Path dir;

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void everyHostileInputIsRefusedWithAnIOExceptionOrThumbnailed() throws IOException {
    ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
    for (Map.Entry<String, byte[]> e : HostileImages.corpus().entrySet()) {
      Path file = Files.write(dir.resolve(e.getKey()), e.getValue());
      ImageInfo info;
      try {
        info = thumbnailer.probe(file, "image/png").orElse(null);
      } catch (IOException refused) {
        continue;
      }
      if (info == null) {
        continue;
      }
      ThumbnailSpec still =
          ThumbnailSpec.crop(Math.min(32, info.width()), Math.min(32, info.height()));
      try {
        thumbnailer.generate(
            file, info, List.of(still, still.withAnimated(true)), 32_000_000L, dir);
      } catch (IOException refused) {
        // refused cleanly
      }
    }
  }

  /**
   * The whole corpus and a 6000x6000 (36 MB of pixels as ARGB: 144 MB decoded at full size) PNG, in
   * a JVM with a 64 MiB heap: subsampled decoding keeps it within bounds.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aSmallHeapSurvivesTheHostileCorpusAndALargeImage() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));
    HostileImages.write(work, 5600);
    HostileImages.Forked run = HostileImages.runInSmallHeap("64m", work);
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("DONE")
        .contains("pixel-flood.png: refused")
        .contains("huge-screen.gif: refused")
        .contains("frame-bomb.gif: refused")
        .contains("wide-16bit.png: refused")
        .contains("embedded-png.bmp: refused")
        .contains("canvas-lie.webp: refused")
        .contains("many-samples.tif: refused")
        .contains("large.png: 5 thumbnails");
  }

  /**
   * The GIF frame bomb (1,264 bytes; 20 frames of 40000x40000 behind a 64x64 screen) asked for an
   * animated thumbnail in a 128 MiB heap: refused with an IOException before any of those frames is
   * decoded, where decoding one would need 1.6 GB.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void theGifFrameBombIsRefusedInA128MiBHeap() throws Exception {
    Path work = Files.createDirectories(dir.resolve("bomb"));
    byte[] bomb = HostileImages.gifFrameBomb(40_000);
    assertThat(bomb).hasSizeLessThan(1400);
    Files.write(work.resolve("frame-bomb.gif"), bomb);
    HostileImages.Forked run = HostileImages.runInSmallHeap("128m", work);
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("frame-bomb.gif: refused: ").contains("DONE");
  }
}
