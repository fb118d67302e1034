package org.mxmedia.thumbnail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * Fuzzes probe and generate with arbitrary bytes. In a normal test run Jazzer replays the seed
 * corpus (src/test/resources/.../ThumbnailerFuzzTestInputs: small valid images and the hostile
 * corpus); with {@code JAZZER_FUZZ=1} it mutates them for {@code maxDuration}. The only acceptable
 * failure is an {@link IOException}: anything else (a RuntimeException, an Error, a hang) is a
 * finding.
 */
class ThumbnailerFuzzTest {
  private static final ImageIoThumbnailer THUMBNAILER = new ImageIoThumbnailer();

  @FuzzTest(maxDuration = "60s")
  void probeAndGenerateOnlyEverThrowIOException(byte[] input) throws IOException {
    Path dir = Files.createTempDirectory("fuzz");
    Path file = Files.write(dir.resolve("input"), input);
    try {
      Optional<ImageInfo> info = THUMBNAILER.probe(file, "image/png");
      if (info.isPresent() && info.get().pixels() <= 4_000_000) {
        ImageInfo i = info.get();
        THUMBNAILER.generate(
            file,
            i,
            List.of(
                ThumbnailSpec.crop(Math.min(32, i.displayWidth()), Math.min(32, i.displayHeight())),
                ThumbnailSpec.scale(
                    Math.min(64, i.displayWidth()), Math.min(48, i.displayHeight()))),
            4_000_000,
            dir);
      }
    } catch (IOException expected) {
      // refusing bad input is the point
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
