package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;

/**
 * Every file the thumbnailer opens is closed before the call returns, on success and on failure:
 * counted from {@code /proc/self/fd} (Linux), with no reliance on the garbage collector closing
 * what was dropped.
 */
class FileHandleTest {
  private static final ThumbnailSpec ANIMATED =
      new ThumbnailSpec(30, 20, ThumbnailMethod.SCALE, true);

  @TempDir Path dir;
  private final ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
  private Path sources;

  @BeforeEach
  void sources() throws IOException {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
    sources = Files.createDirectories(dir.resolve("sources"));
    Files.write(sources.resolve("opaque.jpg"), TestImages.jpeg(300, 200));
    BufferedImage argb = new BufferedImage(120, 80, BufferedImage.TYPE_INT_ARGB);
    argb.setRGB(0, 0, 0x80FF0000);
    Files.write(sources.resolve("alpha.png"), TestImages.encode(argb, "png"));
    Files.write(
        sources.resolve("anim.gif"),
        TestImages.animatedGif(60, 40, new Color[] {Color.RED, Color.GREEN, Color.BLUE}, 10));
    // frame 1 has an LZW code size of 12, which ImageIO refuses only when it decodes that frame,
    // after the animated output has been opened and frame 0 written
    Files.write(
        sources.resolve("bad-second-frame.gif"),
        GifBuilder.inMemory(
            g ->
                g.header(16, 16, 2)
                    .image(0, 0, 16, 16, 2, GifBuilder.lzw(2, 256, 1))
                    .image(0, 0, 16, 16, 12, GifBuilder.lzw(2, 256, 2))
                    .trailer()));
  }

  @Test
  void thumbnailingSucceedingOrFailingLeavesNoFileOpen() throws IOException {
    round(0); // loads the classes and plugins first
    assertThat(openFilesUnder(dir)).isEmpty();
    for (int i = 1; i <= 20; i++) {
      round(i);
    }
    assertThat(openFilesUnder(dir)).as("files under the test directory still open").isEmpty();
  }

  /** A writer that fails after its file is open (the JPEG writer refuses ARGB) closes the file. */
  @Test
  void aWriteThatFailsClosesItsFile() throws IOException {
    BufferedImage argb = new BufferedImage(10, 10, BufferedImage.TYPE_INT_ARGB);
    for (int i = 0; i < 10; i++) {
      Path file = dir.resolve("failed-" + i + ".jpg");
      assertThatThrownBy(() -> ImageIoThumbnailer.writeJpeg(argb, file))
          .isInstanceOf(IOException.class);
      Files.deleteIfExists(file);
    }
    assertThat(openFilesUnder(dir)).as("files under the test directory still open").isEmpty();
  }

  /**
   * Thumbnails every source (one of them fails mid-animation), then deletes the outputs, as the
   * engine deletes its work files.
   */
  private void round(int n) throws IOException {
    Path out = Files.createDirectories(dir.resolve("out-" + n));
    for (String name : List.of("opaque.jpg", "alpha.png", "anim.gif", "bad-second-frame.gif")) {
      Path source = sources.resolve(name);
      ImageInfo info = thumbnailer.probe(source, "image/*").orElseThrow();
      Path target = Files.createDirectories(out.resolve(name));
      List<ThumbnailSpec> specs =
          List.of(
              ThumbnailSpec.scale(Math.min(30, info.width()), Math.min(20, info.height())),
              ANIMATED);
      if (name.startsWith("bad")) {
        assertThatThrownBy(() -> thumbnailer.generate(source, info, specs, 32_000_000L, target))
            .isInstanceOf(IOException.class);
      } else {
        assertThat(thumbnailer.generate(source, info, specs, 32_000_000L, target)).isNotEmpty();
      }
    }
    try (Stream<Path> files = Files.walk(out)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /**
   * What the process's open file descriptors point at under {@code root}, deleted files included.
   */
  private static List<String> openFilesUnder(Path root) throws IOException {
    String prefix = root.toRealPath().toString();
    List<String> open = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(prefix)) {
            open.add(target);
          }
        } catch (IOException closedMeanwhile) {
          // the listing's own descriptor, or one closed by another thread since
        }
      }
    }
    return open;
  }
}
