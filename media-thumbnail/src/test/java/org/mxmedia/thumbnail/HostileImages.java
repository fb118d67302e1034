package org.mxmedia.thumbnail;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.mxmedia.MediaConfig;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;

/**
 * The hostile corpus, and a main that thumbnails all of it (plus one large real image) so a test
 * can run it in a JVM with a small heap: it exits 0 only if every input was refused or thumbnailed
 * without running out of memory.
 */
final class HostileImages {
  private HostileImages() {}

  static Map<String, byte[]> corpus() {
    Map<String, byte[]> c = new LinkedHashMap<>();
    byte[] png = TestImages.png(300, 200);
    byte[] jpeg = TestImages.jpeg(300, 200);
    byte[] gif =
        TestImages.encode(TestImages.quadrants(300, 200, BufferedImage.TYPE_INT_RGB), "gif");
    c.put("pixel-flood.png", TestImages.pngClaiming(60_000, 60_000));
    c.put("wide-flood.png", TestImages.pngClaiming(1_000_000, 1));
    c.put("huge-screen.gif", TestImages.gifWithScreen(65535, 65535));
    c.put("truncated.png", Arrays.copyOf(png, png.length / 2));
    c.put("truncated.jpg", Arrays.copyOf(jpeg, jpeg.length / 2));
    c.put("truncated.gif", Arrays.copyOf(gif, gif.length / 2));
    byte[] corruptJpeg = jpeg.clone();
    for (int i = 200; i < corruptJpeg.length - 2; i += 7) {
      corruptJpeg[i] ^= 0x5A;
    }
    c.put("corrupt.jpg", corruptJpeg);
    byte[] lyingPng = png.clone();
    lyingPng[16] = 0x7F; // IHDR width high byte: claims ~2 billion pixels wide with a bad CRC
    c.put("lying-ihdr.png", lyingPng);
    byte[] random = new byte[8192];
    new Random(7).nextBytes(random);
    c.put("random.png", random);
    c.put("empty.png", new byte[0]);
    c.put("frame-bomb.gif", gifFrameBomb(40_000));
    c.put("wide-16bit.png", pngClaiming(32_000_000, 1, 16, 6));
    c.put("embedded-png.bmp", bmpWithEmbeddedPng(0x7FFF_FF00));
    c.put("canvas-lie.webp", WebpTest.canvasLie(16383, 16383));
    c.put("many-samples.tif", tiffClaiming(4000, 4000, 16, 16));
    return c;
  }

  /**
   * An uncompressed RGB TIFF of {@code width x height} with {@code samples} samples a pixel (the
   * ones after the third marked as unspecified extra samples) of {@code bits} bits each, and 16
   * bytes of pixel data.
   */
  static byte[] tiffClaiming(int width, int height, int samples, int bits) {
    int entries = 11;
    int ifd = 8;
    int bitsAt = ifd + 2 + entries * 12 + 4;
    int extraAt = bitsAt + 2 * samples;
    int dataAt = extraAt + 2 * samples;
    ByteBuffer b = ByteBuffer.allocate(dataAt + 16).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(ifd).putShort((short) entries);
    tiffEntry(b, 256, 4, 1, width);
    tiffEntry(b, 257, 4, 1, height);
    tiffEntry(b, 258, 3, samples, bitsAt); // bits per sample
    tiffEntry(b, 259, 3, 1, 1); // no compression
    tiffEntry(b, 262, 3, 1, 2); // RGB
    tiffEntry(b, 273, 4, 1, dataAt); // strip offset
    tiffEntry(b, 277, 3, 1, samples);
    tiffEntry(b, 278, 4, 1, height); // rows per strip
    tiffEntry(b, 279, 4, 1, 16); // strip byte count
    tiffEntry(b, 284, 3, 1, 1); // chunky
    tiffEntry(b, 338, 3, samples - 3, samples - 3 > 2 ? extraAt : 0); // extra samples: unspecified
    b.putInt(0);
    for (int i = 0; i < samples; i++) {
      b.putShort(bitsAt + 2 * i, (short) bits);
    }
    return b.array();
  }

  private static void tiffEntry(ByteBuffer b, int tag, int type, int count, int value) {
    b.putShort((short) tag).putShort((short) type).putInt(count);
    if (type == 3 && count == 1) {
      b.putShort((short) value).putShort((short) 0);
    } else {
      b.putInt(value);
    }
  }

  /** A 54-byte BMP header (BITMAPINFOHEADER), little-endian. */
  static byte[] bmpHeader(
      int fileSize,
      int pixelOffset,
      int width,
      int height,
      int bitsPerPixel,
      int compression,
      int imageSize) {
    return ByteBuffer.allocate(54)
        .order(ByteOrder.LITTLE_ENDIAN)
        .put((byte) 'B')
        .put((byte) 'M')
        .putInt(fileSize)
        .putInt(0)
        .putInt(pixelOffset)
        .putInt(40)
        .putInt(width)
        .putInt(height)
        .putShort((short) 1)
        .putShort((short) bitsPerPixel)
        .putInt(compression)
        .putInt(imageSize)
        .putInt(0)
        .putInt(0)
        .putInt(0)
        .putInt(0)
        .array();
  }

  /**
   * A 1x1 BMP whose pixels are an embedded PNG (compression 5) declared to be {@code declared}
   * bytes long, followed by a real 1x1 PNG: the JDK's reader allocates the declared size.
   */
  static byte[] bmpWithEmbeddedPng(int declared) {
    byte[] png = TestImages.png(1, 1);
    byte[] header = bmpHeader(54 + png.length, 54, 1, 1, 0, 5, declared);
    byte[] bmp = Arrays.copyOf(header, header.length + png.length);
    System.arraycopy(png, 0, bmp, header.length, png.length);
    return bmp;
  }

  /**
   * A PNG of a few dozen bytes whose header claims {@code width x height} pixels of the given bit
   * depth and colour type (6 is RGBA: 8 bytes a pixel at 16 bits), with empty image data.
   */
  static byte[] pngClaiming(int width, int height, int bitDepth, int colorType) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer ihdr =
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) bitDepth)
            .put((byte) colorType)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0);
    pngChunk(out, "IHDR", ihdr.array());
    Deflater deflater = new Deflater();
    deflater.finish();
    byte[] idat = new byte[64];
    pngChunk(out, "IDAT", Arrays.copyOf(idat, deflater.deflate(idat)));
    deflater.end();
    pngChunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(t);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /**
   * The GIF frame bomb: a 64x64 screen and first frame, then 20 frames each declaring {@code side x
   * side} with an 8-bit palette and a truncated LZW stream. At 40000 it is 1,264 bytes and each of
   * those frames would take 1.6 GB as 8-bit pixels.
   */
  static byte[] gifFrameBomb(int side) {
    return GifBuilder.inMemory(
        gif -> {
          gif.header(64, 64, 8)
              .graphicControl(0, 10)
              .image(0, 0, 64, 64, 8, GifBuilder.lzwTruncated(8));
          for (int i = 0; i < 20; i++) {
            gif.graphicControl(0, 10).image(0, 0, side, side, 8, GifBuilder.lzwTruncated(8));
          }
          gif.trailer();
        });
  }

  /**
   * Writes the corpus and a {@code side x side} PNG into {@code dir} (run in the test's own JVM).
   */
  static void write(Path dir, int side) throws IOException {
    for (Map.Entry<String, byte[]> e : corpus().entrySet()) {
      Files.write(dir.resolve(e.getKey()), e.getValue());
    }
    Files.write(
        dir.resolve("large.png"),
        TestImages.encode(TestImages.quadrants(side, side, BufferedImage.TYPE_INT_RGB), "png"));
  }

  /**
   * Runs {@link #main} on {@code dir} in a fresh JVM with {@code -Xmx<maxHeap>} that exits at the
   * first {@link OutOfMemoryError}.
   *
   * @return the exit code and everything the JVM printed
   */
  static Forked runInSmallHeap(String maxHeap, Path dir) throws IOException, InterruptedException {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap,
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                "-cp",
                classpath,
                HostileImages.class.getName(),
                dir.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(100, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Forked(-1, out + "\n(timed out)");
    }
    return new Forked(p.exitValue(), out);
  }

  /** What a forked JVM did. */
  record Forked(int exitCode, String output) {}

  /**
   * Thumbnails every file in {@code args[0]} with the default sizes, plus an animated thumbnail of
   * animated images; prints one line per input.
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
    List<Path> files;
    try (var listing = Files.list(dir)) {
      files = listing.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path file : files) {
      Map.Entry<String, byte[]> e = Map.entry(file.getFileName().toString(), new byte[0]);
      String outcome;
      try {
        ImageInfo info = thumbnailer.probe(file, "image/png").orElse(null);
        if (info == null) {
          outcome = "not an image";
        } else {
          Path out = Files.createDirectories(dir.resolve(e.getKey() + ".out"));
          List<ThumbnailSpec> specs =
              new ArrayList<>(
                  MediaConfig.SPEC_THUMBNAIL_SIZES.stream().map(s -> clamp(s, info)).toList());
          if (info.isAnimated()) {
            specs.add(specs.get(0).withAnimated(true));
          }
          outcome =
              thumbnailer
                      .generate(file, info, specs, MediaConfig.defaults().maxImagePixels(), out)
                      .size()
                  + " thumbnails";
        }
      } catch (IOException ex) {
        outcome = "refused: " + ex.getMessage();
      }
      System.out.println(e.getKey() + ": " + outcome);
    }
    System.out.println("DONE");
  }

  private static ThumbnailSpec clamp(ThumbnailSpec s, ImageInfo info) {
    return new ThumbnailSpec(
        Math.min(s.width(), info.displayWidth()),
        Math.min(s.height(), info.displayHeight()),
        s.method(),
        false);
  }
}
