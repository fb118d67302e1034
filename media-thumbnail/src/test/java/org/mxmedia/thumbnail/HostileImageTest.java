package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.ImageInfo;

/** Pixel floods, huge screens, truncated, corrupt and random images: refused or thumbnailed, never a hang or a heap blow-up. */
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
      try {
        thumbnailer.generate(file, info, List.of(ThumbnailSpec.crop(Math.min(32, info.width()), Math.min(32, info.height()))), 32_000_000L, dir);
      } catch (IOException refused) {
        // refused cleanly
      }
    }
  }

  /**
   * The whole corpus and a 6000x6000 (36 MB of pixels as ARGB: 144 MB decoded at full size) PNG,
   * in a JVM with a 64 MiB heap: subsampled decoding keeps it within bounds.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void aSmallHeapSurvivesTheHostileCorpusAndALargeImage() throws Exception {
    Path work = Files.createDirectories(dir.resolve("work"));
    HostileImages.write(work, 5600);
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true", "-cp", classpath,
        HostileImages.class.getName(), work.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(100, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("DONE").contains("pixel-flood.png: refused").contains("huge-screen.gif: refused")
        .contains("large.png: 5 thumbnails");
  }
}
