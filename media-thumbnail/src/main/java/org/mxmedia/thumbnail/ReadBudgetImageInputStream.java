package org.mxmedia.thumbnail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@link ImageInputStream} that, while limited, fails every read once more than a budget of
 * bytes has been read through it, and remembers that it did (a plugin may wrap or swallow the
 * exception). Used while a plugin reads a header: some read metadata whole (every JPEG segment
 * before the image data, every TIFF directory, a BMP's declared palette), so what they hold follows
 * what they read. Seeking and skipping are free; only bytes read count. {@link #close} closes the
 * stream underneath.
 */
final class ReadBudgetImageInputStream extends ImageInputStreamImpl {
  private final ImageInputStream in;
  private long budget;
  private long used;
  private boolean limited = true;
  private boolean exceeded;

  /**
   * Reads {@code in}, limited to {@code budget} bytes until {@link #limit} or {@link #unlimit()}.
   *
   * @param budget the most bytes that may be read while limited
   */
  ReadBudgetImageInputStream(ImageInputStream in, long budget) {
    this.in = in;
    this.budget = budget;
  }

  /**
   * {@code file} through one buffer, limited to {@code budget} bytes.
   *
   * @throws IOException when the file cannot be opened
   */
  static ReadBudgetImageInputStream open(Path file, long budget) throws IOException {
    return new ReadBudgetImageInputStream(
        new SplicedImageInputStream(file, List.of(new long[] {0, Files.size(file)})), budget);
  }

  /**
   * Sets the budget to {@code bytes} read in all (those read so far included) and limits reads to
   * it again.
   */
  void limit(long bytes) {
    budget = bytes;
    limited = true;
  }

  /** Lifts the limit: from now on reads are not limited (say, for pixel data). */
  void unlimit() {
    limited = false;
  }

  /** Whether a read went over the budget while limited. */
  boolean exceeded() {
    return exceeded;
  }

  /** The budget, in bytes. */
  long budget() {
    return budget;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  /**
   * Reads {@code len} bytes, fewer only at the end of the stream (ImageInputStreamImpl's readInt
   * and readShort take any short count for the end).
   *
   * @throws IOException when this read takes the bytes read over the budget while limited, and on
   *     every read after that
   */
  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    checkClosed();
    Objects.checkFromIndexSize(off, len, b.length);
    bitOffset = 0;
    if (exceeded) {
      throw overBudget();
    }
    in.seek(streamPos);
    int total = 0;
    while (total < len) {
      int n = in.read(b, off + total, len - total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    if (total == 0) {
      return len == 0 ? 0 : -1;
    }
    used += total;
    if (limited && used > budget) {
      exceeded = true;
      throw overBudget();
    }
    streamPos += total;
    return total;
  }

  private IOException overBudget() {
    return new IOException("more than " + budget + " bytes read");
  }

  @Override
  public long length() {
    try {
      return in.length();
    } catch (IOException e) {
      return -1; // unknown, as ImageInputStream allows
    }
  }

  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      in.close();
    }
  }
}
