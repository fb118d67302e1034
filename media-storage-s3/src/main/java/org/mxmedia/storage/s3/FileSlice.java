package org.mxmedia.storage.s3;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * A request body read from a range of a file with positional reads, so each part of a multipart
 * upload streams from the file rather than from memory; every {@link #newStream()} (a retry, or
 * the signer reading the body before it is sent) starts again from the range's first byte. The
 * channel belongs to the caller.
 */
final class FileSlice implements ContentStreamProvider {
  private final FileChannel channel;
  private final long offset;
  private final long length;

  FileSlice(FileChannel channel, long offset, long length) {
    this.channel = channel;
    this.offset = offset;
    this.length = length;
  }

  @Override
  public InputStream newStream() {
    return new SliceStream();
  }

  @Override
  public String name() {
    return "FileSlice";
  }

  private final class SliceStream extends InputStream {
    private final long end = offset + length;
    private long position = offset;

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
      if (position >= end) {
        return -1;
      }
      int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - position)), position);
      if (n < 0) {
        throw new EOFException("the staged file ended " + (end - position) + " bytes early");
      }
      position += n;
      return n;
    }

    @Override
    public long skip(long n) {
      long skipped = Math.max(0, Math.min(n, end - position));
      position += skipped;
      return skipped;
    }

    @Override
    public int available() {
      return (int) Math.min(Integer.MAX_VALUE, end - position);
    }
  }
}
