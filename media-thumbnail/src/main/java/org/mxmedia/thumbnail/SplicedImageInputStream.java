package org.mxmedia.thumbnail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An {@link javax.imageio.stream.ImageInputStream} over chosen byte ranges of a file, read as if
 * they were one contiguous file: lets a decoder see a file with some blocks left out, without
 * copying it. Seekable; reads go through one 8 KiB buffer; {@link #close} closes the file.
 */
final class SplicedImageInputStream extends ImageInputStreamImpl {
  private static final int BUFFER = 8192;

  private final FileChannel file;

  /** Where each range starts in this stream, ascending. */
  private final long[] starts;

  /** Where each range starts in the file. */
  private final long[] offsets;

  private final long[] lengths;
  private final long length;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);

  /** The file offset of the buffer's first byte; the buffer holds {@code buffer.limit()} bytes. */
  private long bufferOffset = -1;

  /**
   * Opens {@code file} for reading {@code ranges}, each {@code {offset, length}} in bytes, in the
   * order given.
   *
   * @throws IOException when the file cannot be opened
   * @throws IllegalArgumentException when a range has a negative offset or length
   */
  SplicedImageInputStream(Path file, List<long[]> ranges) throws IOException {
    int n = ranges.size();
    starts = new long[n];
    offsets = new long[n];
    lengths = new long[n];
    long at = 0;
    for (int i = 0; i < n; i++) {
      long[] r = ranges.get(i);
      if (r[0] < 0 || r[1] < 0) {
        throw new IllegalArgumentException("bad range: " + r[0] + "+" + r[1]);
      }
      starts[i] = at;
      offsets[i] = r[0];
      lengths[i] = r[1];
      at += r[1];
    }
    length = at;
    this.file = FileChannel.open(file, StandardOpenOption.READ);
    buffer.limit(0);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  /**
   * Reads {@code len} bytes, fewer only at the end of the stream (or of the file, if it is shorter
   * than its ranges): ImageInputStreamImpl's readInt and readShort take any short count for the end
   * of the stream.
   */
  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    checkClosed();
    Objects.checkFromIndexSize(off, len, b.length);
    bitOffset = 0;
    if (len == 0) {
      return 0;
    }
    int total = 0;
    while (total < len && streamPos < length) {
      int range = rangeAt(streamPos);
      long within = streamPos - starts[range];
      int n = (int) Math.min(len - total, lengths[range] - within);
      int got = readFile(offsets[range] + within, b, off + total, n);
      if (got <= 0) {
        break; // the file is shorter than its ranges
      }
      streamPos += got;
      total += got;
    }
    return total == 0 ? -1 : total;
  }

  /**
   * Up to {@code n} bytes of the file at {@code fileOffset}, through the buffer; -1 at the file's
   * end.
   */
  private int readFile(long fileOffset, byte[] b, int off, int n) throws IOException {
    if (n >= BUFFER) {
      return file.read(ByteBuffer.wrap(b, off, n), fileOffset);
    }
    if (bufferOffset < 0
        || fileOffset < bufferOffset
        || fileOffset >= bufferOffset + buffer.limit()) {
      buffer.clear();
      int got = file.read(buffer, fileOffset);
      buffer.flip();
      if (got <= 0) {
        bufferOffset = -1;
        buffer.limit(0);
        return -1;
      }
      bufferOffset = fileOffset;
    }
    int from = (int) (fileOffset - bufferOffset);
    int count = Math.min(n, buffer.limit() - from);
    buffer.get(from, b, off, count);
    return count;
  }

  /**
   * The range holding stream position {@code pos}, which is below {@link #length}: the last range
   * starting at or before it (an empty range shares its start with the next one, which wins).
   */
  private int rangeAt(long pos) {
    int lo = 0;
    int hi = starts.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= pos) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** The total length of the ranges, in bytes. */
  @Override
  public long length() {
    return length;
  }

  @Override
  public void close() throws IOException {
    try {
      super.close();
    } finally {
      file.close();
    }
  }
}
