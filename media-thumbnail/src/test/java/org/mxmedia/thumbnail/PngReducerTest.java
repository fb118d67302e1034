package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import com.sun.management.ThreadMXBean;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;

/** The streaming PNG decoder: the same pixels as ImageIO, the box average, and hostile files. */
class PngReducerTest {
  @TempDir Path dir;

  /** Colour type, bit depth, palette entries (0: none), tRNS entries (-1: none). */
  private static final int[][] VARIANTS = {
    {0, 8, 0, -1},
    {0, 16, 0, -1},
    {2, 8, 0, -1},
    {2, 16, 0, -1},
    {4, 8, 0, -1},
    {4, 16, 0, -1},
    {6, 8, 0, -1},
    {6, 16, 0, -1},
    {3, 1, 2, -1},
    {3, 2, 4, -1},
    {3, 4, 16, -1},
    {3, 8, 256, -1},
    {3, 8, 200, -1},
    {3, 8, 256, 100},
    {3, 4, 12, 12},
    {3, 1, 2, 1},
    {3, 8, 20, 20}
  };

  @ParameterizedTest
  @CsvSource({
    "0, 8, 0, -1",
    "0, 16, 0, -1",
    "2, 8, 0, -1",
    "2, 16, 0, -1",
    "4, 8, 0, -1",
    "4, 16, 0, -1",
    "6, 8, 0, -1",
    "6, 16, 0, -1",
    "3, 1, 2, -1",
    "3, 2, 4, -1",
    "3, 4, 16, -1",
    "3, 8, 256, -1",
    "3, 8, 256, 100",
    "3, 4, 12, 12",
    "3, 8, 20, 20"
  })
  void everyVariantDecodesToImageIosPixelsWithEveryFilter(
      int colorType, int depth, int entries, int trns) throws IOException {
    for (int filter = 0; filter <= 5; filter++) { // 5: the filters in turn, row by row
      int f = filter;
      PngBuilder png =
          variant(
              new Random(colorType * 100 + depth + filter),
              colorType,
              depth,
              entries,
              trns,
              37,
              23);
      png.filterOfRow = f == 5 ? y -> y % 5 : y -> f;
      assertDecodesAsImageIo(png.build());
    }
  }

  @Test
  void aPaletteTrnsOfOpaqueEntriesGivesNoAlphaAsImageIo() throws IOException {
    PngBuilder png = variant(new Random(3), 3, 8, 16, -1, 20, 10);
    png.trns = new byte[16];
    Arrays.fill(png.trns, (byte) 0xFF);
    assertDecodesAsImageIo(png.build());
  }

  @Test
  void oneColumnAndOneRowImagesDecode() throws IOException {
    for (int[] v : VARIANTS) {
      assertDecodesAsImageIo(variant(new Random(9), v[0], v[1], v[2], v[3], 1, 7).build());
      assertDecodesAsImageIo(variant(new Random(9), v[0], v[1], v[2], v[3], 9, 1).build());
    }
  }

  @Test
  void reducesByABoxAverageWeightedByAlpha() throws IOException {
    for (int[] v : new int[][] {{2, 8}, {6, 8}, {0, 16}, {4, 8}}) {
      for (int factor : new int[] {2, 3, 5}) {
        PngBuilder png = variant(new Random(factor), v[0], v[1], 0, -1, 41, 29);
        Path file = Files.write(dir.resolve("box.png"), png.build());
        BufferedImage full = PngReducer.decode(file, 1, 41, 29, Long.MAX_VALUE);
        BufferedImage reduced = PngReducer.decode(file, factor, 41, 29, Long.MAX_VALUE);
        assertThat(full).isNotNull();
        assertThat(reduced).isNotNull();
        assertThat(reduced.getWidth()).isEqualTo((41 + factor - 1) / factor);
        assertThat(reduced.getHeight()).isEqualTo((29 + factor - 1) / factor);
        byte[] in = bytes(full);
        byte[] out = bytes(reduced);
        int c = full.getColorModel().hasAlpha() ? 4 : 3;
        for (int oy = 0; oy < reduced.getHeight(); oy++) {
          for (int ox = 0; ox < reduced.getWidth(); ox++) {
            double[] sum = new double[c];
            double n = 0;
            for (int y = oy * factor; y < Math.min(29, oy * factor + factor); y++) {
              for (int x = ox * factor; x < Math.min(41, ox * factor + factor); x++) {
                int p = (y * 41 + x) * c;
                double a = c == 4 ? in[p] & 0xFF : 1;
                for (int k = 0; k < c; k++) {
                  sum[k] += c == 4 && k == 0 ? a : (in[p + k] & 0xFF) * a;
                }
                n++;
              }
            }
            int o = (oy * reduced.getWidth() + ox) * c;
            for (int k = 0; k < c; k++) {
              double expected =
                  c == 4 ? (k == 0 ? sum[0] / n : sum[0] == 0 ? 0 : sum[k] / sum[0]) : sum[k] / n;
              assertThat((double) (out[o + k] & 0xFF))
                  .as("type %d factor %d at %d,%d channel %d", v[0], factor, ox, oy, k)
                  .isCloseTo(expected, offset(0.51));
            }
          }
        }
      }
    }
  }

  @Test
  void unusualPngsAreLeftToImageIoAndStillThumbnailed() throws IOException {
    byte[] adam7 = interlaced(TestImages.quadrants(64, 48, BufferedImage.TYPE_INT_RGB));
    PngBuilder grey4 = variant(new Random(2), 0, 4, 0, -1, 64, 48);
    PngBuilder rgbKey = variant(new Random(3), 2, 8, 0, -1, 64, 48);
    rgbKey.trns = new byte[6];
    List<byte[]> unusual =
        List.of(
            adam7,
            grey4.build(),
            rgbKey.build(),
            TestImages.jpeg(64, 48),
            withChunkBeforeIdat(grey4, "ABCD"));
    for (byte[] bytes : unusual) {
      Path file = Files.write(dir.resolve("unusual.png"), bytes);
      assertThat(PngReducer.decode(file, 2, 64, 48, Long.MAX_VALUE)).isNull();
    }
    // the thumbnailer still thumbnails what ImageIO reads
    ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
    for (byte[] bytes : List.of(grey4.build(), rgbKey.build(), adam7)) {
      Path file = Files.write(dir.resolve("fallback.png"), bytes);
      ImageInfo info = thumbnailer.probe(file, "image/png").orElseThrow();
      assertThat(
              thumbnailer.generate(
                  file, info, List.of(ThumbnailSpec.scale(32, 24)), 1_000_000, dir))
          .hasSize(1);
    }
  }

  @Test
  void anInterlacedPngIsLeftToImageIo() throws IOException {
    // ImageIO writes Adam7 only through metadata; a header that says so is enough here
    PngBuilder png = variant(new Random(4), 2, 8, 0, -1, 16, 16);
    png.interlace = 1;
    Path file = Files.write(dir.resolve("adam7.png"), png.build());
    assertThat(PngReducer.decode(file, 1, 16, 16, Long.MAX_VALUE)).isNull();
  }

  @Test
  void aHeaderOverThePixelLimitIsRefusedBeforeAnyAllocation() throws IOException {
    Path file = Files.write(dir.resolve("flood.png"), TestImages.pngClaiming(60_000, 60_000));
    long before = allocated();
    assertThatThrownBy(() -> PngReducer.decode(file, 1, 60_000, 60_000, 32_000_000))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("60000x60000");
    assertThat(allocated() - before).isLessThan(1 << 20);
    // and a size larger than the probe said
    Path small =
        Files.write(dir.resolve("small.png"), variant(new Random(5), 2, 8, 0, -1, 30, 20).build());
    assertThatThrownBy(() -> PngReducer.decode(small, 1, 29, 20, Long.MAX_VALUE))
        .isInstanceOf(IOException.class);
  }

  @Test
  void truncatedDataIsAnIOExceptionAsWithImageIo() throws IOException {
    PngBuilder png = variant(new Random(6), 2, 8, 0, -1, 300, 200);
    byte[] whole = png.build();
    for (int cut : new int[] {whole.length / 2, whole.length - 600, 80}) {
      byte[] truncated = Arrays.copyOf(whole, cut);
      Path file = Files.write(dir.resolve("cut.png"), truncated);
      assertThatThrownBy(() -> ImageIO.read(file.toFile()))
          .as("ImageIO")
          .isInstanceOf(IOException.class);
      assertThatThrownBy(() -> PngReducer.decode(file, 2, 300, 200, Long.MAX_VALUE))
          .isInstanceOf(IOException.class);
    }
    // a complete zlib stream with fewer rows than the header says
    byte[] filtered = png.filtered();
    Path short_ =
        Files.write(
            dir.resolve("short.png"),
            png.build(PngBuilder.deflate(Arrays.copyOf(filtered, filtered.length - 301))));
    assertThatThrownBy(() -> ImageIO.read(short_.toFile()))
        .as("ImageIO")
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> PngReducer.decode(short_, 2, 300, 200, Long.MAX_VALUE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("row 200 of 200");
  }

  @Test
  void aBadFilterTypeIsAnIOExceptionAsWithImageIo() throws IOException {
    PngBuilder png = variant(new Random(7), 6, 8, 0, -1, 50, 40);
    png.filterOfRow = y -> y == 17 ? 5 : 1;
    Path file = Files.write(dir.resolve("filter.png"), png.build());
    assertThatThrownBy(() -> ImageIO.read(file.toFile()))
        .as("ImageIO")
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> PngReducer.decode(file, 1, 50, 40, Long.MAX_VALUE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("row 18")
        .hasMessageContaining("filter type 5");
    ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
    ImageInfo info = thumbnailer.probe(file, "image/png").orElseThrow();
    assertThatThrownBy(
            () ->
                thumbnailer.generate(
                    file, info, List.of(ThumbnailSpec.crop(32, 32)), 1_000_000, dir))
        .isInstanceOf(IOException.class);
  }

  @Test
  void nothingPastTheRowsIsInflated() throws IOException {
    // the rows' complete zlib stream, then bytes that are not deflate data at all: inflating one
    // byte past the rows' stream would fail (zlib itself reads ahead within a stream, so the
    // garbage follows the stream's end here; the zlib bomb test covers valid data past the rows)
    PngBuilder png = variant(new Random(8), 2, 8, 0, -1, 100, 60);
    byte[] rows = PngBuilder.deflate(png.filtered());
    byte[] garbage = new byte[4096];
    Arrays.fill(garbage, (byte) 0xFF);
    byte[] zlib = Arrays.copyOf(rows, rows.length + garbage.length);
    System.arraycopy(garbage, 0, zlib, rows.length, garbage.length);
    png.idatSize = rows.length + 100; // the garbage spans the end of one IDAT and the next
    Path file = Files.write(dir.resolve("trailing.png"), png.build(zlib));
    BufferedImage image = PngReducer.decode(file, 1, 100, 60, Long.MAX_VALUE);
    BufferedImage reference =
        PngReducer.decode(
            Files.write(dir.resolve("plain.png"), png.build()), 1, 100, 60, Long.MAX_VALUE);
    assertThat(image).isNotNull();
    assertThat(reference).isNotNull();
    assertThat(bytes(image)).isEqualTo(bytes(reference));
  }

  @Test
  void aZlibBombCostsTheReducedRasterNotItsInflatedSize() throws IOException {
    // 2000x2000 grey claimed, with 64 MiB of zeros behind it: 16x the rows, 4000x the file
    PngBuilder png = new PngBuilder(2000, 2000, 0, 8);
    Path file =
        Files.write(dir.resolve("bomb.png"), png.build(PngBuilder.deflate(new byte[64 << 20])));
    assertThat(Files.size(file)).isLessThan(100_000);
    long before = allocated();
    BufferedImage image = PngReducer.decode(file, 8, 2000, 2000, Long.MAX_VALUE);
    long used = allocated() - before;
    assertThat(image).isNotNull();
    assertThat(image.getWidth()).isEqualTo(250);
    // the 250x250 raster (188 KB), two rows, two 128 KiB batches, buffers: not 4 MB of pixels
    assertThat(used).isLessThan(1_500_000);
  }

  @Test
  void aChunkLengthOver2To31IsAnIOException() throws IOException {
    PngBuilder png = variant(new Random(10), 2, 8, 0, -1, 100, 100);
    png.idatSize = 1000;
    byte[] bytes = png.build();
    // the second IDAT's length: after the signature, IHDR (25 bytes) and the first IDAT (1012)
    int at = 8 + 25 + 1012;
    assertThat(new String(bytes, at + 4, 4, StandardCharsets.US_ASCII)).isEqualTo("IDAT");
    PngBuilder.putInt(bytes, at, 0x8000_0000);
    Path file = Files.write(dir.resolve("length.png"), bytes);
    assertThatThrownBy(() -> PngReducer.decode(file, 1, 100, 100, Long.MAX_VALUE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("2^31");
  }

  /** Random variants (the fixed seed makes every run the same): the same pixels as ImageIO. */
  @Property(tries = 150, seed = "20261128")
  void anyVariantDecodesAsImageIoDoes(
      @ForAll @IntRange(min = 0, max = 16) int variant,
      @ForAll @IntRange(min = 1, max = 70) int width,
      @ForAll @IntRange(min = 1, max = 40) int height,
      @ForAll long seed)
      throws IOException {
    int[] v = VARIANTS[variant];
    Random random = new Random(seed);
    PngBuilder png = variant(random, v[0], v[1], v[2], v[3], width, height);
    int[] filters = random.ints(height, 0, 5).toArray();
    png.filterOfRow = y -> filters[y];
    png.idatSize = 1 + random.nextInt(600);
    assertDecodesAsImageIo(png.build());
  }

  /**
   * Damaged PNGs (bytes flipped past the header, or cut short): an image, null or an IOException,
   * nothing else.
   */
  @Property(tries = 400, seed = "20261128")
  void damagedPngsOnlyEverGiveAnImageNullOrAnIOException(
      @ForAll @IntRange(min = 0, max = 16) int variant,
      @ForAll long seed,
      @ForAll @IntRange(min = 1, max = 4) int factor)
      throws IOException {
    int[] v = VARIANTS[variant];
    Random random = new Random(seed);
    byte[] bytes =
        variant(random, v[0], v[1], v[2], v[3], 1 + random.nextInt(60), 1 + random.nextInt(40))
            .build();
    int flips = random.nextInt(6);
    for (int i = 0; i < flips; i++) {
      bytes[33 + random.nextInt(bytes.length - 33)] ^= (byte) (1 + random.nextInt(255));
    }
    if (random.nextBoolean()) {
      bytes = Arrays.copyOf(bytes, 33 + random.nextInt(bytes.length - 33));
    }
    Path file = Files.createTempFile("damaged", ".png");
    try {
      Files.write(file, bytes);
      PngReducer.decode(file, factor, 60, 40, 2400);
    } catch (IOException expected) {
      // refused
    } finally {
      Files.delete(file);
    }
  }

  static PngBuilder variant(
      Random random, int colorType, int depth, int entries, int trns, int width, int height) {
    PngBuilder png =
        new PngBuilder(width, height, colorType, depth).random(random, Math.max(1, entries));
    if (trns >= 0) {
      png.trns = new byte[trns];
      random.nextBytes(png.trns);
    }
    return png;
  }

  /** An Adam7-interlaced PNG, as ImageIO's writer makes one in progressive mode. */
  private static byte[] interlaced(BufferedImage image) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    byte[] png = bytes.toByteArray();
    assertThat(png[8 + 8 + 12]).as("interlace method").isEqualTo((byte) 1);
    return png;
  }

  private static byte[] withChunkBeforeIdat(PngBuilder png, String type) {
    byte[] bytes = png.build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(bytes, 0, 33); // signature and IHDR
    PngBuilder.chunk(out, type, new byte[] {1, 2, 3});
    out.write(bytes, 33, bytes.length - 33);
    return out.toByteArray();
  }

  /** Decodes with both at full size and compares each pixel's 8-bit sRGB samples and alpha. */
  private void assertDecodesAsImageIo(byte[] png) throws IOException {
    BufferedImage expected = ImageIO.read(new ByteArrayInputStream(png));
    assertThat(expected).isNotNull();
    Path file = Files.createTempFile("variant", ".png"); // jqwik properties have no @TempDir
    BufferedImage actual;
    try {
      Files.write(file, png);
      actual =
          PngReducer.decode(file, 1, expected.getWidth(), expected.getHeight(), Long.MAX_VALUE);
    } finally {
      Files.delete(file);
    }
    assertThat(actual).as("decoded here").isNotNull();
    ColorModel cm = expected.getColorModel();
    assertThat(actual.getColorModel().hasAlpha()).as("alpha").isEqualTo(cm.hasAlpha());
    int c = cm.hasAlpha() ? 4 : 3;
    byte[] out = bytes(actual);
    Raster r = expected.getRaster();
    for (int y = 0; y < expected.getHeight(); y++) {
      for (int x = 0; x < expected.getWidth(); x++) {
        int[] want = expectedAbgr(r, cm, x, y); // a, b, g, r
        int o = (y * expected.getWidth() + x) * c;
        // a pixel with no alpha has no colour: the resampler works premultiplied, so it never shows
        int compared = c == 4 && want[0] == 0 ? 1 : c;
        for (int k = 0; k < compared; k++) {
          int wanted = want[c == 4 ? k : k + 1];
          assertThat(out[o + k] & 0xFF).as("pixel %d,%d channel %d", x, y, k).isEqualTo(wanted);
        }
      }
    }
  }

  /**
   * The pixel as ImageIO decoded it, 8 bits a sample (16-bit samples by their high byte): {a, b, g,
   * r}.
   */
  private static int[] expectedAbgr(Raster r, ColorModel cm, int x, int y) {
    if (cm instanceof IndexColorModel icm) {
      int argb = icm.getRGB(r.getSample(x, y, 0));
      return new int[] {argb >>> 24, argb & 0xFF, argb >> 8 & 0xFF, argb >> 16 & 0xFF};
    }
    int bands = r.getNumBands();
    int[] s = new int[bands];
    for (int b = 0; b < bands; b++) {
      s[b] = cm.getComponentSize(b) == 16 ? r.getSample(x, y, b) >> 8 : r.getSample(x, y, b);
    }
    return switch (bands) {
      case 1 -> new int[] {255, s[0], s[0], s[0]};
      case 2 -> new int[] {s[1], s[0], s[0], s[0]};
      case 3 -> new int[] {255, s[2], s[1], s[0]};
      default -> new int[] {s[3], s[2], s[1], s[0]};
    };
  }

  private static byte[] bytes(BufferedImage image) {
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
  }

  private static long allocated() {
    return ((ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }
}
