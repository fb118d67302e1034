package org.mxmedia.thumbnail;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.FutureTask;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.jspecify.annotations.Nullable;

/**
 * A streaming decoder for the common PNGs that reduces while it decodes: each row is inflated (the
 * JDK's {@link Inflater}, native zlib), unfiltered into one of two reused row buffers and added
 * into the sums of a {@code factor x factor} box average, so the image is only ever held at its
 * reduced size ({@code ceil(width / factor) x ceil(height / factor)}, 3 or 4 bytes a pixel) plus a
 * few rows. Inflating and unfiltering run on two cores when a {@link Helpers} core is idle.
 *
 * <p>Decodes non-interlaced PNGs of 8-bit grey, grey+alpha, RGB and RGBA, their 16-bit forms (by
 * the high byte of each sample) and palettes of 1, 2, 4 or 8 bits with or without {@code tRNS}.
 * Anything else, and any header this class does not fully understand (Adam7, grey below 8 bits,
 * {@code tRNS} on grey or RGB, a missing or oversized palette, an unknown critical chunk, more than
 * {@link ImageIoThumbnailer#MAX_HEADER_BYTES} before the image data), is answered with {@code null}
 * for ImageIO to decode. Chunk CRCs are not checked, as the JDK's reader does not.
 *
 * <p>Hostile input: the header's size is checked against the probed size and the pixel limit before
 * anything is allocated; exactly {@code height * (1 + row bytes)} bytes are inflated and no more
 * (trailing data is never inflated, a zlib bomb stops there); fewer, corrupt zlib data, a chunk
 * length over 2^31 - 1 and a row filter type over 4 are {@link IOException}s, as ImageIO gives for
 * them.
 */
final class PngReducer {
  private PngReducer() {}

  /** The largest box: sums of 255 x 255 (colour times alpha) over 64 x 64 pixels fit an int. */
  static final int MAX_FACTOR = 64;

  /** About this many bytes of inflated rows are handed to the unfiltering core at a time. */
  private static final int BATCH_BYTES = 128 << 10;

  private static final int IHDR = 0x49484452;
  private static final int PLTE = 0x504C5445;
  private static final int IDAT = 0x49444154;
  private static final int IEND = 0x49454E44;
  private static final int TRNS = 0x74524E53;
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  /**
   * The image reduced by {@code factor} (capped at {@link #MAX_FACTOR}) in a box average, as a
   * {@link BufferedImage#TYPE_3BYTE_BGR} or (for alpha, palette {@code tRNS} included) {@link
   * BufferedImage#TYPE_4BYTE_ABGR}, or {@code null} when the file is not a PNG this class decodes.
   *
   * @throws IOException when the header claims more than {@code maxWidth x maxHeight} or {@code
   *     maxPixels}, or the image data is truncated or corrupt
   */
  static @Nullable BufferedImage decode(
      Path source, int factor, int maxWidth, int maxHeight, long maxPixels) throws IOException {
    try (InputStream in = Files.newInputStream(source)) {
      Chunks chunks = new Chunks(in);
      Header header = Header.read(chunks);
      if (header == null) {
        return null;
      }
      if ((long) header.width * header.height > maxPixels
          || header.width > maxWidth
          || header.height > maxHeight) {
        throw new IOException(
            "image decodes larger than its header said: " + header.width + "x" + header.height);
      }
      Reducer reducer = new Reducer(header, Math.max(1, Math.min(factor, MAX_FACTOR)));
      inflateRows(chunks, header, reducer);
      return reducer.image;
    }
  }

  /** What IHDR, PLTE and tRNS say, for the images decoded here. */
  private static final class Header {
    int width;
    int height;
    int depth;
    int colorType;

    /** Samples a pixel in the file. */
    int samples;

    /**
     * For a palette: each entry in the output layout (3 or 4 bytes), 256 entries, black past the
     * palette.
     */
    byte @Nullable [] lut;

    boolean alpha;

    /**
     * The header, with the chunk reader at the first IDAT's data; null when ImageIO should decode
     * this file.
     */
    static @Nullable Header read(Chunks chunks) throws IOException {
      byte[] signature = new byte[8];
      if (!chunks.readFully(signature) || !Arrays.equals(signature, SIGNATURE)) {
        return null;
      }
      long headerBytes = 8;
      Header h = new Header();
      byte[] palette = null;
      byte[] trns = null;
      boolean first = true;
      while (true) {
        long length = chunks.readUnsignedInt();
        int type = (int) chunks.readUnsignedInt();
        if (length < 0 || length > Integer.MAX_VALUE) {
          return null;
        }
        headerBytes += 12 + length;
        if (headerBytes > ImageIoThumbnailer.MAX_HEADER_BYTES) {
          return null;
        }
        if (first != (type == IHDR)) {
          return null;
        }
        first = false;
        if (type == IDAT) {
          return h.finish(palette, trns, chunks, (int) length) ? h : null;
        }
        if (type == IHDR) {
          if (length != 13) {
            return null;
          }
          byte[] d = chunks.read(13);
          h.width = (int) u32(d, 0);
          h.height = (int) u32(d, 4);
          h.depth = d[8] & 0xFF;
          h.colorType = d[9] & 0xFF;
          if (u32(d, 0) < 1
              || u32(d, 0) > Integer.MAX_VALUE
              || u32(d, 4) < 1
              || u32(d, 4) > Integer.MAX_VALUE
              || d[10] != 0
              || d[11] != 0
              || d[12] != 0) {
            return null; // zero or huge sides, unknown compression or filter method, Adam7
          }
        } else if (type == PLTE && h.colorType == 3) {
          if (length % 3 != 0 || length == 0 || length / 3 > (1 << h.depth) || palette != null) {
            return null;
          }
          palette = chunks.read((int) length);
        } else if (type == TRNS) {
          if (h.colorType != 3 || palette == null || length > palette.length / 3 || trns != null) {
            return null; // grey or RGB with a transparent colour, or a misplaced tRNS: ImageIO's
          }
          trns = chunks.read((int) length);
        } else if (type == IEND || (type >>> 29 & 1) == 0 && type != PLTE) {
          return null; // an unknown critical chunk, or no image data
        } else {
          chunks.skip(length);
        }
        chunks.skip(4); // CRC
      }
    }

    private boolean finish(
        byte @Nullable [] palette, byte @Nullable [] trns, Chunks chunks, int firstIdat) {
      boolean ok =
          switch (colorType) {
            case 0, 2, 4, 6 -> depth == 8 || depth == 16;
            case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
            default -> false;
          };
      if (!ok || colorType == 3 && palette == null) {
        return false;
      }
      samples =
          switch (colorType) {
            case 0, 3 -> 1;
            case 2 -> 3;
            case 4 -> 2;
            default -> 4;
          };
      alpha = colorType == 4 || colorType == 6;
      if (palette != null && colorType == 3) {
        if (trns != null) {
          for (byte a : trns) {
            alpha |= a != (byte) 0xFF;
          }
        }
        int c = alpha ? 4 : 3;
        byte[] table = new byte[256 * c];
        for (int i = 0; i < 256; i++) {
          int o = i * c;
          if (alpha) {
            table[o++] =
                i * 3 < palette.length && trns != null && i < trns.length ? trns[i] : (byte) 0xFF;
          }
          if (i * 3 < palette.length) {
            table[o] = palette[i * 3 + 2];
            table[o + 1] = palette[i * 3 + 1];
            table[o + 2] = palette[i * 3];
          }
        }
        lut = table;
      }
      chunks.startData(firstIdat);
      return true;
    }

    int rowBytes() {
      return (int) (((long) width * samples * depth + 7) / 8);
    }
  }

  private static long u32(byte[] b, int at) {
    return (b[at] & 0xFFL) << 24
        | (b[at + 1] & 0xFFL) << 16
        | (b[at + 2] & 0xFFL) << 8
        | (b[at + 3] & 0xFFL);
  }

  /**
   * Inflates exactly {@code height * (1 + rowBytes)} bytes, a batch of rows at a time, handing each
   * batch to the reducer: on an idle helper while the next batch inflates here, else here.
   */
  private static void inflateRows(Chunks chunks, Header header, Reducer reducer)
      throws IOException {
    int raw = header.rowBytes() + 1;
    int batchRows = Math.max(1, BATCH_BYTES / raw);
    byte[][] buffers = {new byte[batchRows * raw], new byte[batchRows * raw]};
    Inflater inflater = new Inflater();
    FutureTask<Void> pending = null;
    try {
      int which = 0;
      for (int y = 0; y < header.height; ) {
        int rows = Math.min(batchRows, header.height - y);
        byte[] batch = buffers[which];
        inflate(inflater, chunks, batch, rows, raw, y, header.height);
        finish(pending);
        pending =
            new FutureTask<>(
                () -> {
                  try {
                    reducer.rows(batch, rows);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                  return null;
                });
        if (!Helpers.fork(pending)) {
          pending.run();
        }
        which ^= 1;
        y += rows;
      }
      FutureTask<Void> last = pending;
      pending = null;
      finish(last);
    } finally {
      try {
        finish(pending); // a helper may still be writing into the reducer: let it end first
      } catch (IOException ignored) {
        // the inflating side's failure is the one reported
      }
      inflater.end();
    }
  }

  private static void finish(@Nullable FutureTask<Void> task) throws IOException {
    if (task == null) {
      return;
    }
    task.run(); // a no-op when a helper has it
    try {
      Helpers.join(task);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Inflates exactly {@code rows} rows of {@code rawRow} bytes into {@code dst}, feeding IDAT data
   * as zlib asks for it.
   */
  private static void inflate(
      Inflater inflater, Chunks chunks, byte[] dst, int rows, int rawRow, int firstRow, int height)
      throws IOException {
    int length = rows * rawRow;
    int off = 0;
    int stalls = 0;
    while (off < length) {
      int n;
      try {
        n = inflater.inflate(dst, off, length - off);
      } catch (DataFormatException e) {
        throw new IOException("corrupt PNG image data: " + e.getMessage(), e);
      }
      off += n;
      if (n > 0) {
        stalls = 0;
        continue;
      }
      if (inflater.finished()) {
        throw new IOException(
            "PNG image data ends before row "
                + (firstRow + off / rawRow + 1)
                + " of "
                + height
                + " is complete");
      }
      if (inflater.needsDictionary()) {
        throw new IOException("PNG image data asks for a preset dictionary");
      }
      if (inflater.needsInput()) {
        if (!chunks.feed(inflater)) {
          throw new IOException(
              "PNG image data is truncated before row "
                  + (firstRow + off / rawRow + 1)
                  + " of "
                  + height
                  + " is complete");
        }
      } else if (++stalls > 2) {
        throw new IOException("PNG image data makes no progress");
      }
    }
  }

  /**
   * Unfilters rows and adds them into box sums, writing each reduced row once its box is complete.
   */
  private static final class Reducer {
    final BufferedImage image;
    private final byte[] out;
    private final int width;
    private final int height;
    private final int factor;
    private final int outWidth;
    private final int channels;
    private final int colorType;
    private final int depth;
    private final int rowBytes;

    /** Bytes a complete pixel in the file (at least 1), the distance the filters look left. */
    private final int bpp;

    private final byte @Nullable [] lut;
    private byte[] prev;
    private byte[] cur;

    /**
     * One row in the output layout (B, G, R or A, B, G, R), when it is not read straight from
     * {@code cur}.
     */
    private final byte[] line;

    /** Sums of the current row of boxes: per channel, alpha-weighted with alpha. */
    private final int[] acc;

    private int y;

    Reducer(Header h, int factor) {
      this.width = h.width;
      this.height = h.height;
      this.factor = factor;
      this.outWidth = (h.width + factor - 1) / factor;
      int outHeight = (h.height + factor - 1) / factor;
      this.channels = h.alpha ? 4 : 3;
      this.colorType = h.colorType;
      this.depth = h.depth;
      this.rowBytes = h.rowBytes();
      this.bpp = Math.max(1, h.samples * h.depth / 8);
      this.lut = h.lut;
      this.image =
          new BufferedImage(
              outWidth,
              outHeight,
              h.alpha ? BufferedImage.TYPE_4BYTE_ABGR : BufferedImage.TYPE_3BYTE_BGR);
      this.out = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
      this.prev = new byte[rowBytes];
      this.cur = new byte[rowBytes];
      boolean direct = colorType == 2 && depth == 8;
      this.line = new byte[direct ? 0 : width * channels];
      this.acc = new int[outWidth * channels];
    }

    void rows(byte[] batch, int count) throws IOException {
      int raw = rowBytes + 1;
      for (int i = 0; i < count; i++) {
        int at = i * raw;
        unfilter(batch[at] & 0xFF, batch, at + 1);
        if (colorType == 2 && depth == 8) {
          addRgb8();
        } else {
          expand();
          add();
        }
        int inBox = y % factor + 1;
        if (inBox == factor || y == height - 1) {
          emit(y / factor, inBox);
        }
        byte[] t = prev;
        prev = cur;
        cur = t;
        y++;
      }
    }

    private void unfilter(int filter, byte[] in, int from) throws IOException {
      byte[] c = cur;
      byte[] p = prev;
      int n = rowBytes;
      int b = Math.min(bpp, n);
      switch (filter) {
        case 0 -> System.arraycopy(in, from, c, 0, n);
        case 1 -> {
          System.arraycopy(in, from, c, 0, b);
          for (int i = b; i < n; i++) {
            c[i] = (byte) (in[from + i] + c[i - b]);
          }
        }
        case 2 -> {
          for (int i = 0; i < n; i++) {
            c[i] = (byte) (in[from + i] + p[i]);
          }
        }
        case 3 -> {
          for (int i = 0; i < b; i++) {
            c[i] = (byte) (in[from + i] + ((p[i] & 0xFF) >> 1));
          }
          for (int i = b; i < n; i++) {
            c[i] = (byte) (in[from + i] + (((c[i - b] & 0xFF) + (p[i] & 0xFF)) >> 1));
          }
        }
        case 4 -> {
          for (int i = 0; i < b; i++) {
            c[i] = (byte) (in[from + i] + p[i]);
          }
          for (int i = b; i < n; i++) {
            int left = c[i - b] & 0xFF;
            int up = p[i] & 0xFF;
            int corner = p[i - b] & 0xFF;
            int pa = Math.abs(up - corner);
            int pb = Math.abs(left - corner);
            int pc = Math.abs(up + left - 2 * corner);
            int pred = pa <= pb && pa <= pc ? left : pb <= pc ? up : corner;
            c[i] = (byte) (in[from + i] + pred);
          }
        }
        default ->
            throw new IOException(
                "PNG row " + (y + 1) + " has filter type " + filter + ", not 0 to 4");
      }
    }

    /** The 8-bit RGB row straight from {@code cur} into the box sums, reordered to B, G, R. */
    private void addRgb8() {
      byte[] c = cur;
      int[] s = acc;
      int f = factor;
      int x = 0;
      for (int ox = 0; ox < outWidth; ox++) {
        int end = Math.min(x + f, width);
        int b = 0;
        int g = 0;
        int r = 0;
        for (int p = x * 3; x < end; x++, p += 3) {
          r += c[p] & 0xFF;
          g += c[p + 1] & 0xFF;
          b += c[p + 2] & 0xFF;
        }
        int o = ox * 3;
        s[o] += b;
        s[o + 1] += g;
        s[o + 2] += r;
      }
    }

    /** {@code cur} into {@code line}, in the output layout with 8-bit samples. */
    private void expand() {
      byte[] c = cur;
      byte[] l = line;
      int w = width;
      int hi = depth == 16 ? 2 : 1; // the distance between samples; the high byte comes first
      switch (colorType) {
        case 0 -> {
          for (int x = 0, o = 0; x < w; x++, o += 3) {
            byte v = c[x * hi];
            l[o] = v;
            l[o + 1] = v;
            l[o + 2] = v;
          }
        }
        case 2 -> {
          for (int x = 0, o = 0, p = 0; x < w; x++, o += 3, p += 3 * hi) {
            l[o] = c[p + 2 * hi];
            l[o + 1] = c[p + hi];
            l[o + 2] = c[p];
          }
        }
        case 4 -> {
          for (int x = 0, o = 0, p = 0; x < w; x++, o += 4, p += 2 * hi) {
            byte v = c[p];
            l[o] = c[p + hi];
            l[o + 1] = v;
            l[o + 2] = v;
            l[o + 3] = v;
          }
        }
        case 6 -> {
          for (int x = 0, o = 0, p = 0; x < w; x++, o += 4, p += 4 * hi) {
            l[o] = c[p + 3 * hi];
            l[o + 1] = c[p + 2 * hi];
            l[o + 2] = c[p + hi];
            l[o + 3] = c[p];
          }
        }
        default -> {
          byte[] t = lut;
          int ch = channels;
          int d = depth;
          int mask = (1 << d) - 1;
          for (int x = 0, o = 0; x < w; x++, o += ch) {
            int bit = x * d;
            int index = (c[bit >> 3] & 0xFF) >> (8 - d - (bit & 7)) & mask;
            System.arraycopy(t, index * ch, l, o, ch);
          }
        }
      }
    }

    /** {@code line} into the box sums; colours weighted by alpha when there is alpha. */
    private void add() {
      byte[] l = line;
      int[] s = acc;
      int f = factor;
      int x = 0;
      if (channels == 3) {
        for (int ox = 0; ox < outWidth; ox++) {
          int end = Math.min(x + f, width);
          int s0 = 0;
          int s1 = 0;
          int s2 = 0;
          for (int p = x * 3; x < end; x++, p += 3) {
            s0 += l[p] & 0xFF;
            s1 += l[p + 1] & 0xFF;
            s2 += l[p + 2] & 0xFF;
          }
          int o = ox * 3;
          s[o] += s0;
          s[o + 1] += s1;
          s[o + 2] += s2;
        }
      } else {
        for (int ox = 0; ox < outWidth; ox++) {
          int end = Math.min(x + f, width);
          int sa = 0;
          int s1 = 0;
          int s2 = 0;
          int s3 = 0;
          for (int p = x * 4; x < end; x++, p += 4) {
            int a = l[p] & 0xFF;
            sa += a;
            s1 += (l[p + 1] & 0xFF) * a;
            s2 += (l[p + 2] & 0xFF) * a;
            s3 += (l[p + 3] & 0xFF) * a;
          }
          int o = ox * 4;
          s[o] += sa;
          s[o + 1] += s1;
          s[o + 2] += s2;
          s[o + 3] += s3;
        }
      }
    }

    /** The box sums as reduced row {@code oy} (boxes of {@code rows} source rows), then cleared. */
    private void emit(int oy, int rows) {
      int[] s = acc;
      byte[] o = out;
      int f = factor;
      int base = oy * outWidth * channels;
      for (int ox = 0; ox < outWidth; ox++) {
        int cols = Math.min(f, width - ox * f);
        int n = cols * rows;
        int half = n / 2;
        int i = ox * channels;
        if (channels == 3) {
          o[base + i] = (byte) ((s[i] + half) / n);
          o[base + i + 1] = (byte) ((s[i + 1] + half) / n);
          o[base + i + 2] = (byte) ((s[i + 2] + half) / n);
        } else {
          int sa = s[i];
          o[base + i] = (byte) ((sa + half) / n);
          int h = sa / 2;
          o[base + i + 1] = (byte) (sa == 0 ? 0 : (s[i + 1] + h) / sa);
          o[base + i + 2] = (byte) (sa == 0 ? 0 : (s[i + 2] + h) / sa);
          o[base + i + 3] = (byte) (sa == 0 ? 0 : (s[i + 3] + h) / sa);
        }
      }
      Arrays.fill(s, 0);
    }
  }

  /**
   * The file read forward in 64 KiB pieces: chunk headers, small chunks, and IDAT data for the
   * inflater.
   */
  private static final class Chunks {
    private final InputStream in;
    private final byte[] buf = new byte[64 << 10];
    private int pos;
    private int lim;

    /** Bytes of the current IDAT chunk not yet given to the inflater. */
    private long idatLeft;

    private boolean dataEnded;

    Chunks(InputStream in) {
      this.in = in;
    }

    private boolean fill() throws IOException {
      if (pos < lim) {
        return true;
      }
      int n = in.read(buf, 0, buf.length);
      if (n <= 0) {
        return false;
      }
      pos = 0;
      lim = n;
      return true;
    }

    boolean readFully(byte[] dst) throws IOException {
      int off = 0;
      while (off < dst.length) {
        if (!fill()) {
          return false;
        }
        int n = Math.min(dst.length - off, lim - pos);
        System.arraycopy(buf, pos, dst, off, n);
        pos += n;
        off += n;
      }
      return true;
    }

    /** {@code length} bytes (at most a few MiB: the header budget bounds it). */
    byte[] read(int length) throws IOException {
      byte[] b = new byte[length];
      if (!readFully(b)) {
        throw new IOException("PNG header is truncated");
      }
      return b;
    }

    /** An unsigned 32-bit big-endian value; -1 at the end of the file. */
    long readUnsignedInt() throws IOException {
      byte[] b = new byte[4];
      return readFully(b) ? u32(b, 0) : -1;
    }

    void skip(long n) throws IOException {
      long left = n;
      while (left > 0) {
        if (!fill()) {
          throw new IOException("PNG is truncated");
        }
        int k = (int) Math.min(left, lim - pos);
        pos += k;
        left -= k;
      }
    }

    void startData(int firstIdatLength) {
      idatLeft = firstIdatLength;
    }

    /**
     * Gives the inflater the next piece of image data, moving on to the next chunk when it is an
     * IDAT; false when the image data has ended (a chunk of another type, or the file's end).
     */
    boolean feed(Inflater inflater) throws IOException {
      while (!dataEnded) {
        if (idatLeft == 0) {
          if (!readFully(new byte[4])) { // the CRC
            dataEnded = true;
            break;
          }
          long length = readUnsignedInt();
          long type = readUnsignedInt();
          if (type != IDAT) {
            dataEnded = true;
            break;
          }
          if (length > Integer.MAX_VALUE) {
            throw new IOException("PNG chunk length " + length + " is over 2^31 - 1");
          }
          idatLeft = length;
          continue;
        }
        if (!fill()) {
          dataEnded = true;
          break;
        }
        int n = (int) Math.min(idatLeft, lim - pos);
        inflater.setInput(buf, pos, n);
        pos += n;
        idatLeft -= n;
        return true;
      }
      return false;
    }
  }
}
