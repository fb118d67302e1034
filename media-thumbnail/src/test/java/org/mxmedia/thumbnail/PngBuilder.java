package org.mxmedia.thumbnail;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Writes PNGs byte by byte for tests: any colour type and bit depth, the filter of each row chosen
 * by the test, optional PLTE and tRNS, interlace flag, and the raw pieces (IDAT data split,
 * truncated, a wrong filter byte) that an encoder would never write.
 */
final class PngBuilder {
  int width;
  int height;
  int colorType;
  int depth;
  int interlace;

  /** Unfiltered rows, {@link #rowBytes()} each. */
  byte[] pixels;

  byte[] palette;
  byte[] trns;
  IntUnaryOperator filterOfRow = y -> y % 5;

  /** The IDAT data is split into chunks of at most this many bytes. */
  int idatSize = 8192;

  PngBuilder(int width, int height, int colorType, int depth) {
    this.width = width;
    this.height = height;
    this.colorType = colorType;
    this.depth = depth;
    this.pixels = new byte[height * rowBytes()];
  }

  static int samples(int colorType) {
    return switch (colorType) {
      case 0, 3 -> 1;
      case 2 -> 3;
      case 4 -> 2;
      default -> 4;
    };
  }

  int rowBytes() {
    return (width * samples(colorType) * depth + 7) / 8;
  }

  /**
   * Random samples; for a palette, random valid indices into a random palette of {@code entries}.
   */
  PngBuilder random(Random random, int entries) {
    random.nextBytes(pixels);
    if (colorType == 3) {
      palette = new byte[entries * 3];
      random.nextBytes(palette);
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int bit = x * depth;
          int at = y * rowBytes() + bit / 8;
          int shift = 8 - depth - bit % 8;
          int index = random.nextInt(entries);
          pixels[at] = (byte) (pixels[at] & ~(((1 << depth) - 1) << shift) | index << shift);
        }
      }
    }
    return this;
  }

  /** The filtered image data, one filter byte before each row. */
  byte[] filtered() {
    int n = rowBytes();
    int bpp = Math.max(1, samples(colorType) * depth / 8);
    byte[] out = new byte[height * (n + 1)];
    for (int y = 0; y < height; y++) {
      int f = filterOfRow.applyAsInt(y);
      out[y * (n + 1)] = (byte) f;
      for (int i = 0; i < n; i++) {
        int x = pixels[y * n + i] & 0xFF;
        int a = i >= bpp ? pixels[y * n + i - bpp] & 0xFF : 0;
        int b = y > 0 ? pixels[(y - 1) * n + i] & 0xFF : 0;
        int c = i >= bpp && y > 0 ? pixels[(y - 1) * n + i - bpp] & 0xFF : 0;
        int pred =
            switch (f) {
              case 0 -> 0;
              case 1 -> a;
              case 2 -> b;
              case 3 -> (a + b) / 2;
              default -> paeth(a, b, c);
            };
        out[y * (n + 1) + 1 + i] = (byte) (x - pred);
      }
    }
    return out;
  }

  private static int paeth(int a, int b, int c) {
    int p = a + b - c;
    int pa = Math.abs(p - a);
    int pb = Math.abs(p - b);
    int pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  }

  static byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(6);
    deflater.setInput(data);
    deflater.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[65536];
    while (!deflater.finished()) {
      out.write(buf, 0, deflater.deflate(buf));
    }
    deflater.end();
    return out.toByteArray();
  }

  byte[] build() {
    return build(deflate(filtered()));
  }

  /** The file with {@code zlib} as its image data, split into IDAT chunks. */
  byte[] build(byte[] zlib) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    byte[] ihdr = new byte[13];
    putInt(ihdr, 0, width);
    putInt(ihdr, 4, height);
    ihdr[8] = (byte) depth;
    ihdr[9] = (byte) colorType;
    ihdr[12] = (byte) interlace;
    chunk(out, "IHDR", ihdr);
    if (palette != null) {
      chunk(out, "PLTE", palette);
    }
    if (trns != null) {
      chunk(out, "tRNS", trns);
    }
    for (int i = 0; i < zlib.length || i == 0; i += idatSize) {
      byte[] part = Arrays.copyOfRange(zlib, i, Math.min(zlib.length, i + idatSize));
      chunk(out, "IDAT", part);
    }
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] head = new byte[8];
    putInt(head, 0, data.length);
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(t, 0, head, 4, 4);
    out.writeBytes(head);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    byte[] c = new byte[4];
    putInt(c, 0, (int) crc.getValue());
    out.writeBytes(c);
  }
}
