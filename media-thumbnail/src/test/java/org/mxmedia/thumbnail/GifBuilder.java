package org.mxmedia.thumbnail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes a GIF block by block with whatever sizes a test declares, including ones no encoder would
 * make (frames larger than the screen, truncated pixel data, millions of frames). Writes straight
 * to an {@link OutputStream}, so a huge file can be streamed to disk without being held in memory.
 */
final class GifBuilder {
  private final OutputStream out;

  GifBuilder(OutputStream out) {
    this.out = out;
  }

  /**
   * Runs {@code steps} on a builder over a fresh in-memory buffer and returns the bytes written.
   */
  static byte[] inMemory(Steps steps) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try {
      steps.write(new GifBuilder(buffer));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream never throws
    }
    return buffer.toByteArray();
  }

  /**
   * "GIF89a", a logical screen of {@code width x height} and a grey global colour table of {@code
   * 2^tableBits} entries (1 to 8).
   */
  GifBuilder header(int width, int height, int tableBits) throws IOException {
    out.write("GIF89a".getBytes(StandardCharsets.US_ASCII));
    short16(width);
    short16(height);
    out.write(0x80 | 0x70 | (tableBits - 1)); // global colour table, 8-bit colour resolution
    out.write(0); // background colour index
    out.write(0); // no aspect ratio
    int entries = 1 << tableBits;
    for (int i = 0; i < entries; i++) {
      int v = i * 255 / Math.max(1, entries - 1);
      out.write(v);
      out.write(v);
      out.write(v);
    }
    return this;
  }

  /** A graphic control extension: disposal method (0 to 3) and delay in hundredths of a second. */
  GifBuilder graphicControl(int disposal, int delay) throws IOException {
    out.write(0x21);
    out.write(0xF9);
    out.write(4);
    out.write((disposal & 7) << 2);
    short16(delay);
    out.write(0); // transparent index (unused)
    out.write(0); // block terminator
    return this;
  }

  /** A comment extension of {@code length} bytes of 'x', in 255-byte sub-blocks. */
  GifBuilder comment(int length) throws IOException {
    out.write(0x21);
    out.write(0xFE);
    byte[] block = new byte[255];
    Arrays.fill(block, (byte) 'x');
    for (int left = length; left > 0; left -= 255) {
      int n = Math.min(255, left);
      out.write(n);
      out.write(block, 0, n);
    }
    out.write(0);
    return this;
  }

  /**
   * An image descriptor declaring {@code width x height} at {@code (left, top)} without a local
   * colour table, then the LZW minimum code size and {@code lzw} in sub-blocks, then the
   * terminator.
   */
  GifBuilder image(int left, int top, int width, int height, int minCodeSize, byte[] lzw)
      throws IOException {
    out.write(0x2C);
    short16(left);
    short16(top);
    short16(width);
    short16(height);
    out.write(0); // no local colour table, not interlaced
    out.write(minCodeSize);
    for (int off = 0; off < lzw.length; off += 255) {
      int n = Math.min(255, lzw.length - off);
      out.write(n);
      out.write(lzw, off, n);
    }
    out.write(0);
    return this;
  }

  GifBuilder trailer() throws IOException {
    out.write(0x3B);
    return this;
  }

  /** Raw bytes, for structures the other methods do not make. */
  GifBuilder raw(int... bytes) throws IOException {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  private void short16(int v) throws IOException {
    out.write(v & 0xFF);
    out.write((v >>> 8) & 0xFF);
  }

  /**
   * LZW data for {@code pixels} pixels of palette index {@code index}, as literal codes only: a
   * clear code before the string table would widen the codes, so every decoder reads it the same
   * way.
   */
  static byte[] lzw(int minCodeSize, int pixels, int index) {
    int clear = 1 << minCodeSize;
    int codeSize = minCodeSize + 1;
    int run =
        (1 << codeSize) - (clear + 2); // literals per clear code before the code size would grow
    Bits bits = new Bits();
    for (int done = 0; done < pixels; done += run) {
      bits.put(clear, codeSize);
      for (int i = 0; i < Math.min(run, pixels - done); i++) {
        bits.put(index, codeSize);
      }
    }
    bits.put(clear + 1, codeSize); // end of information
    return bits.bytes();
  }

  /** LZW data that is only a clear code: no pixels and no end code (a truncated frame). */
  static byte[] lzwTruncated(int minCodeSize) {
    Bits bits = new Bits();
    bits.put(1 << minCodeSize, minCodeSize + 1);
    return bits.bytes();
  }

  /** Packs codes least significant bit first, as GIF does. */
  private static final class Bits {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private int acc;
    private int count;

    void put(int code, int size) {
      acc |= code << count;
      count += size;
      while (count >= 8) {
        bytes.write(acc & 0xFF);
        acc >>>= 8;
        count -= 8;
      }
    }

    byte[] bytes() {
      if (count > 0) {
        bytes.write(acc & 0xFF);
        acc = 0;
        count = 0;
      }
      return bytes.toByteArray();
    }
  }

  /** Writing steps; they may throw when the builder writes to a file. */
  @FunctionalInterface
  interface Steps {
    void write(GifBuilder gif) throws IOException;
  }
}
