package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;

class IdenticonsTest {
  private static BufferedImage read(byte[] png) throws IOException {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(img).as("a PNG ImageIO reads").isNotNull();
    return img;
  }

  @Test
  void thePictureHasTheRequestedSizeAndDefaultsTo96() throws IOException {
    assertThat(read(Identicons.png("@alice:example.org")).getWidth()).isEqualTo(96);
    BufferedImage wide = read(Identicons.png("@alice:example.org", 320, 40));
    assertThat(wide.getWidth()).isEqualTo(320);
    assertThat(wide.getHeight()).isEqualTo(40);
    for (int size : new int[] {1, 2, 5, 7, 512}) {
      BufferedImage img = read(Identicons.png("x", size, size));
      assertThat(img.getWidth()).isEqualTo(size);
      assertThat(img.getHeight()).isEqualTo(size);
    }
  }

  @Test
  void theSameNameGivesTheSameBytesEveryTime() {
    assertThat(Identicons.png("@bob:example.org", 64, 64))
        .isEqualTo(Identicons.png("@bob:example.org", 64, 64));
    assertThat(Identicons.png("")).isEqualTo(Identicons.png(""));
  }

  @Test
  void differentNamesGiveDifferentPictures() throws IOException {
    Set<String> pictures = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      BufferedImage img = read(Identicons.png("user" + i, 40, 40));
      StringBuilder pixels = new StringBuilder();
      for (int y = 0; y < 40; y++) {
        for (int x = 0; x < 40; x++) {
          pixels.append(Integer.toHexString(img.getRGB(x, y)));
        }
      }
      pictures.add(pixels.toString());
    }
    assertThat(pictures).hasSize(200);
  }

  @Test
  void thePictureIsMirroredLeftToRightAndShowsAPattern() throws IOException {
    for (String name : new String[] {"a", "@carol:example.org", "日本語", ""}) {
      for (int[] size : new int[][] {{96, 96}, {101, 57}, {3, 9}}) {
        BufferedImage img = read(Identicons.png(name, size[0], size[1]));
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y++) {
          for (int x = 0; x < img.getWidth(); x++) {
            assertThat(img.getRGB(x, y))
                .as("%s %dx%d at %d,%d", name, size[0], size[1], x, y)
                .isEqualTo(img.getRGB(img.getWidth() - 1 - x, y));
            colours.add(img.getRGB(x, y));
          }
        }
        if (size[0] >= 96) {
          assertThat(colours).as(name).hasSizeBetween(1, 2);
        }
      }
    }
  }

  @Test
  void sizesOutOfBoundsAreInvalidParameters() {
    for (int[] size : new int[][] {{0, 10}, {10, 0}, {-1, 10}, {513, 10}, {10, 513}}) {
      MediaException e =
          catchThrowableOfType(MediaException.class, () -> Identicons.png("x", size[0], size[1]));
      assertThat(e.errorCode()).isEqualTo(ErrorCode.M_INVALID_PARAM);
      assertThat(e.httpStatus()).isEqualTo(400);
    }
  }

  @Test
  void thePngCarriesNoAncillaryChunks() {
    byte[] png = Identicons.png("@dave:example.org");
    String chunks = new String(png, StandardCharsets.ISO_8859_1);
    assertThat(chunks)
        .contains("IHDR", "IDAT", "IEND")
        .doesNotContain("tIME", "tEXt", "iTXt", "zTXt", "pHYs");
  }
}
