package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;

/**
 * The promises of {@link Thumbnailer}, for any implementation: extend this class and return one
 * from {@link #newThumbnailer()}. Images are made in code ({@link TestImages}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ThumbnailerContract {
  protected static final long MAX_PIXELS = 32_000_000L;

  @TempDir protected Path dir;
  private Thumbnailer thumbnailer;

  protected abstract Thumbnailer newThumbnailer() throws Exception;

  @BeforeEach
  void create() throws Exception {
    thumbnailer = newThumbnailer();
  }

  protected Thumbnailer thumbnailer() {
    return thumbnailer;
  }

  protected Path file(String name, byte[] bytes) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  protected static BufferedImage read(Path file) throws IOException {
    BufferedImage image = ImageIO.read(file.toFile());
    assertThat(image).as("a readable image at %s", file).isNotNull();
    return image;
  }

  protected List<GeneratedThumbnail> generate(Path source, String type, List<ThumbnailSpec> specs)
      throws IOException {
    ImageInfo info = thumbnailer.probe(source, type).orElseThrow();
    Path out = Files.createDirectories(dir.resolve("out-" + System.nanoTime()));
    return thumbnailer.generate(source, info, specs, MAX_PIXELS, out);
  }

  @Test
  void probeReadsTheHeaderOfPngJpegAndGif() throws IOException {
    assertThat(thumbnailer.probe(file("a.png", TestImages.png(640, 480)), "image/png"))
        .hasValueSatisfying(
            i ->
                assertThat(i)
                    .extracting(ImageInfo::width, ImageInfo::height, ImageInfo::frameCount)
                    .containsExactly(640, 480, 1));
    assertThat(thumbnailer.probe(file("a.jpg", TestImages.jpeg(300, 200)), "image/jpeg"))
        .hasValueSatisfying(i -> assertThat(i.format()).isEqualTo("jpeg"));
    assertThat(
            thumbnailer.probe(
                file(
                    "a.gif",
                    TestImages.encode(
                        TestImages.quadrants(20, 10, BufferedImage.TYPE_INT_RGB), "gif")),
                "image/gif"))
        .hasValueSatisfying(i -> assertThat(i.format()).isEqualTo("gif"));
  }

  @Test
  void theContentTypeIsNotTrustedTheBytesAre() throws IOException {
    assertThat(thumbnailer.probe(file("a.bin", TestImages.png(10, 10)), "image/jpeg"))
        .hasValueSatisfying(i -> assertThat(i.format()).isEqualTo("png"));
  }

  @Test
  void svgHtmlAndNonImagesAreNotThumbnailed() throws IOException {
    assertThat(
            thumbnailer.probe(
                file("a.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes()),
                "image/svg+xml"))
        .isEmpty();
    assertThat(
            thumbnailer.probe(
                file("a.html", "<html><body>hi</body></html>".getBytes()), "text/html"))
        .isEmpty();
    assertThat(thumbnailer.probe(file("png-as-text", TestImages.png(10, 10)), "text/plain"))
        .isEmpty();
  }

  @Test
  void garbageIsRefusedWithoutCrashing() throws IOException {
    byte[] random = new byte[4096];
    new Random(1).nextBytes(random);
    assertProbeRefuses(file("random.png", random), "image/png");
    assertProbeRefuses(file("empty.png", new byte[0]), "image/png");
    byte[] png = TestImages.png(200, 200);
    Path truncated = file("truncated.png", Arrays.copyOf(png, png.length / 3));
    Optional<ImageInfo> info;
    try {
      info = thumbnailer.probe(truncated, "image/png");
    } catch (IOException e) {
      return;
    }
    if (info.isPresent()) {
      ImageInfo i = info.get();
      assertThatThrownBy(
              () ->
                  thumbnailer.generate(
                      truncated, i, List.of(ThumbnailSpec.scale(32, 32)), MAX_PIXELS, dir))
          .isInstanceOf(IOException.class);
    }
  }

  private void assertProbeRefuses(Path file, String type) {
    try {
      assertThat(thumbnailer.probe(file, type)).isEmpty();
    } catch (IOException e) {
      // refusing with an IOException is as good
    }
  }

  @Test
  void everySpecGivesExactlyItsSize() throws IOException {
    Path source = file("big.png", TestImages.png(800, 600));
    List<GeneratedThumbnail> made =
        generate(
            source,
            "image/png",
            List.of(
                ThumbnailSpec.crop(32, 32),
                ThumbnailSpec.crop(96, 96),
                ThumbnailSpec.scale(320, 240),
                ThumbnailSpec.scale(640, 480)));
    assertThat(made).hasSize(4);
    for (GeneratedThumbnail t : made) {
      BufferedImage image = read(t.file());
      assertThat(image.getWidth()).isEqualTo(t.requested().width()).isEqualTo(t.width());
      assertThat(image.getHeight()).isEqualTo(t.requested().height()).isEqualTo(t.height());
    }
  }

  @Test
  void cropIsCentred() throws IOException {
    // a 400x100 image cropped square keeps the middle: left half red/blue, right half green/white
    Path source = file("wide.png", TestImages.png(400, 100));
    BufferedImage square =
        read(generate(source, "image/png", List.of(ThumbnailSpec.crop(50, 50))).get(0).file());
    assertThat(TestImages.nearestQuadrantColour(square, 5, 5)).isEqualTo(TestImages.TOP_LEFT);
    assertThat(TestImages.nearestQuadrantColour(square, 45, 5)).isEqualTo(TestImages.TOP_RIGHT);
    assertThat(TestImages.nearestQuadrantColour(square, 5, 45)).isEqualTo(TestImages.BOTTOM_LEFT);
  }
}
