package org.mxmedia.storage.s3;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * A request body read from a range of a file, so each part of a multipart upload streams from the
 * file rather than from memory. Every {@link #newStream()} (a retry, or the signer reading the body
 * before it is sent) starts again from the range's first byte and closes the previous stream. Reads
 * use a {@link RandomAccessFile}, which an interrupt (the SDK's attempt timeout interrupts the
 * calling thread) does not close, unlike a {@code FileChannel}, so a retry can still read.
 */
final class FileSlice implements ContentStreamProvider, AutoCloseable {
  private final Path file;
  private final long offset;
  private final long length;
  private @Nullable RandomAccessFile open;

  FileSlice(Path file, long offset, long length) {
    this.file = file;
    this.offset = offset;
    this.length = length;
  }

  @Override
  public synchronized InputStream newStream() {
    try {
      close();
      RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
      open = raf;
      raf.seek(offset);
      return new SliceStream(raf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the staged file " + file, e);
    }
  }

  @Override
  public String name() {
    return "FileSlice";
  }

  @Override
  public synchronized void close() throws IOException {
    RandomAccessFile raf = open;
    open = null;
    if (raf != null) {
      raf.close();
    }
  }

  private final class SliceStream extends InputStream {
    private final RandomAccessFile raf;
    private long left = length;

    SliceStream(RandomAccessFile raf) {
      this.raf = raf;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (left == 0) {
        return -1;
      }
      int n = raf.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        throw new EOFException("the staged file " + file + " ended " + left + " bytes early");
      }
      left -= n;
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = Math.max(0, Math.min(n, left));
      raf.seek(raf.getFilePointer() + skipped);
      left -= skipped;
      return skipped;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, left);
    }

    @Override
    public void close() throws IOException {
      synchronized (FileSlice.this) {
        if (open == raf) {
          open = null;
        }
      }
      raf.close();
    }
  }
}
