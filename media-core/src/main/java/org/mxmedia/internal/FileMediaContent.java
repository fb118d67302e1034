package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Optional;
import org.mxmedia.MediaContent;

/**
 * File-backed content. The channel is opened by the caller and read with positional reads, so any
 * number of streams may read it at once and an unlink of the file does not disturb them.
 */
public final class FileMediaContent implements MediaContent {
  static final int BUFFER_SIZE = 64 * 1024;

  private final Path path;
  private final FileChannel channel;
  private final long length;

  public FileMediaContent(Path path, FileChannel channel) throws IOException {
    this.path = path;
    this.channel = channel;
    this.length = channel.size();
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public InputStream openStream() {
    return new PositionalInputStream(channel, 0, length);
  }

  @Override
  public InputStream openStream(long offset) {
    if (offset < 0 || offset > length) {
      throw new IllegalArgumentException("offset " + offset + " outside 0.." + length);
    }
    return new PositionalInputStream(channel, offset, length);
  }

  @Override
  public long transferTo(OutputStream out) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.max(1, Math.min(BUFFER_SIZE, length)));
    long position = 0;
    while (position < length) {
      buffer.clear();
      int n = channel.read(buffer, position);
      if (n < 0) {
        break;
      }
      out.write(buffer.array(), 0, n);
      position += n;
    }
    return position;
  }

  @Override
  public Optional<Path> localPath() {
    return Optional.of(path);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** Reads a channel from a position with {@link FileChannel#read(ByteBuffer, long)}. */
  private static final class PositionalInputStream extends InputStream {
    private final FileChannel channel;
    private final long end;
    private long position;

    PositionalInputStream(FileChannel channel, long start, long end) {
      this.channel = channel;
      this.position = start;
      this.end = end;
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
      if (position >= end) {
        return -1;
      }
      int want = (int) Math.min(len, end - position);
      int n = channel.read(ByteBuffer.wrap(b, off, want), position);
      if (n < 0) {
        return -1;
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
