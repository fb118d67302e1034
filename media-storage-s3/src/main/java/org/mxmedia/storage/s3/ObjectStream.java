package org.mxmedia.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The body of one GET, expected to hold {@code length} bytes. Closed before its end, it aborts the
 * request, which drops the connection instead of reading the rest of the object into the void
 * (which is what closing the HTTP client's stream would do).
 */
final class ObjectStream extends InputStream {
  private final ResponseInputStream<?> in;
  private long remaining;
  private boolean closed;

  ObjectStream(ResponseInputStream<?> in, long length) {
    this.in = in;
    this.remaining = length;
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
    if (remaining == 0) {
      return -1;
    }
    int n;
    try {
      n = in.read(b, off, (int) Math.min(len, remaining));
    } catch (SdkException e) {
      throw new IOException("reading an S3 object failed: " + e.getMessage(), e);
    }
    if (n < 0) {
      throw new IOException("the S3 object ended " + remaining + " bytes early");
    }
    remaining -= n;
    return n;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(remaining, in.available());
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (remaining > 0) {
      in.abort();
    } else {
      in.close();
    }
  }
}
