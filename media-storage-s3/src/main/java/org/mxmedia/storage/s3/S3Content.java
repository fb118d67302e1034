package org.mxmedia.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaContent;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * An object opened by one GET: its first full stream is that response; other streams are new GETs,
 * with a {@code Range} from an offset, so nothing before the offset is transferred.
 */
final class S3Content implements MediaContent {
  private final S3Storage storage;
  private final String objectKey;
  private final long length;
  private @Nullable ResponseInputStream<GetObjectResponse> first;
  private boolean closed;

  private S3Content(
      S3Storage storage,
      String objectKey,
      long length,
      ResponseInputStream<GetObjectResponse> first) {
    this.storage = storage;
    this.objectKey = objectKey;
    this.length = length;
    this.first = first;
  }

  static S3Content of(
      S3Storage storage, String objectKey, ResponseInputStream<GetObjectResponse> response)
      throws IOException {
    Long length = response.response().contentLength();
    if (length == null || length < 0) {
      response.abort();
      throw new IOException("S3 GET of " + objectKey + " answered without a Content-Length");
    }
    return new S3Content(storage, objectKey, length, response);
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public synchronized InputStream openStream() throws IOException {
    ensureOpen();
    ResponseInputStream<GetObjectResponse> response = first;
    first = null;
    if (response != null && !response.timeoutTaskDoneOrCancelled()) {
      return new ObjectStream(response, length);
    }
    if (response != null) {
      response.abort();
    }
    ResponseInputStream<GetObjectResponse> again = storage.getExisting(objectKey, null);
    return new ObjectStream(checked(again, length), length);
  }

  /**
   * Sends a GET with {@code Range: bytes=offset-}, so only the rest of the object is transferred.
   */
  @Override
  public synchronized InputStream openStream(long offset) throws IOException {
    if (offset < 0 || offset > length) {
      throw new IllegalArgumentException("offset " + offset + " outside 0.." + length);
    }
    if (offset == 0) {
      return openStream();
    }
    ensureOpen();
    releaseFirst();
    if (offset == length) {
      return InputStream.nullInputStream();
    }
    ResponseInputStream<GetObjectResponse> response =
        storage.getExisting(objectKey, "bytes=" + offset + "-");
    if (response.response().contentRange() == null) {
      ObjectStream whole = new ObjectStream(checked(response, length), length);
      try {
        whole.skipNBytes(offset);
      } catch (IOException | RuntimeException e) {
        whole.close();
        throw e;
      }
      return whole;
    }
    return new ObjectStream(checked(response, length - offset), length - offset);
  }

  @Override
  public synchronized void close() {
    closed = true;
    releaseFirst();
  }

  private void releaseFirst() {
    ResponseInputStream<GetObjectResponse> response = first;
    first = null;
    if (response != null) {
      response.abort();
    }
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("the content of " + objectKey + " is closed");
    }
  }

  private ResponseInputStream<GetObjectResponse> checked(
      ResponseInputStream<GetObjectResponse> response, long expected) throws IOException {
    Long got = response.response().contentLength();
    if (got == null || got != expected) {
      response.abort();
      throw new IOException(
          "S3 GET of "
              + objectKey
              + " answered "
              + got
              + " bytes where "
              + expected
              + " were expected");
    }
    return response;
  }
}
