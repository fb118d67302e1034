package org.mxmedia.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.mxmedia.http.JdkHttpServerAdapter;
import org.mxmedia.http.MediaHttpHandler;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link MediaHttpHandler} natively on Jetty 12 (no servlet layer), writing responses
 * asynchronously so that a client reading slowly costs a socket and a callback, not a thread:
 *
 * <ul>
 *   <li>a body of at most {@link #SMALL_BODY} bytes is read into one pooled buffer and written in
 *       one asynchronous write with the headers;
 *   <li>a larger body backed by a local file ({@link MediaHttpResponse.Body#fileRegion()}) is
 *       written asynchronously from a read-only mapping of the whole file, kept for the next
 *       request ({@link MappedFiles}): the kernel copies from the page cache to the socket, and no
 *       heap or pooled buffer is held per connection however slowly the client reads. A file past 2
 *       GiB is mapped in windows of at most {@link #WINDOW} bytes, each written in turn;
 *   <li>any other body (streamed content, such as a storage without local files) is written from
 *       the request thread through Jetty's blocking output stream in bounded chunks.
 * </ul>
 *
 * <p>Request bodies (uploads) are read as a blocking stream on the request thread, in the
 * connection's buffers, never gathered in memory. A client that makes no progress for the
 * connector's idle timeout is disconnected, whether it is reading, writing or waiting.
 *
 * <p>Logs one line per request to the {@code org.mxmedia.http.access} logger at INFO, like {@link
 * JdkHttpServerAdapter}.
 */
final class JettyMediaHandler {
  private static final Logger access = LoggerFactory.getLogger("org.mxmedia.http.access");
  private static final Logger log = LoggerFactory.getLogger(JettyMediaHandler.class);

  /** Bodies up to this size (bytes) are written from one pooled buffer. */
  static final int SMALL_BODY = 64 * 1024;

  /** The largest mapped window of a file body (bytes). */
  static final long WINDOW = 64L * 1024 * 1024;

  /**
   * Mappings of files served lately: 4 GiB of address space and 4096 mappings kept at most, 16384
   * existing at once (a quarter of Linux's default map count limit).
   */
  private final MappedFiles mapped = new MappedFiles(4096, 16384);

  private final MediaHttpHandler handler;

  JettyMediaHandler(MediaHttpHandler handler) {
    this.handler = handler;
  }

  /** Answers one request; completes {@code callback} when the response is written or has failed. */
  void handle(Request request, Response response, Callback callback) {
    long start = System.nanoTime();
    String method = request.getMethod();
    MediaHttpResponse answer = handler.handle(new JettyRequestView(request));
    int status = answer.status();
    Callback done = logged(callback, method, request.getHttpURI().getPath(), status, start);
    try {
      response.setStatus(status);
      HttpFields.Mutable headers = response.getHeaders();
      if (headers.size() == 0) {
        answer.headers().forEach(headers::add); // names are unique and the fields empty: no search
      } else {
        answer.headers().forEach(headers::put); // after a filter's: ours replace, as the JDK's set
      }
      MediaHttpResponse.Body body = answer.body();
      long length = body.length();
      if (length >= 0 && status != 204 && status != 304) {
        headers.put(HttpHeader.CONTENT_LENGTH, length);
      }
      if (answer.headOnly()
          || method.equals("HEAD")
          || status == 204
          || status == 304
          || length == 0) {
        answer.close();
        response.write(true, null, done);
        return;
      }
      Optional<MediaHttpResponse.FileRegion> region = body.fileRegion();
      if (length > 0 && region.isPresent()) {
        Optional<ByteBuffer> slice =
            mapped.slice(region.get().file(), region.get().offset(), length);
        if (slice.isPresent()) {
          response.write(true, slice.get(), Callback.from(done, () -> closeQuietly(answer)));
          return;
        }
      }
      if (length > 0 && length <= SMALL_BODY) {
        writeSmall(request, response, answer, (int) length, done);
        return;
      }
      if (length > 0 && region.isPresent()) {
        Optional<FileChannel> file = open(region.get());
        if (file.isPresent()) {
          new MappedWrite(response, file.get(), region.get().offset(), length, answer, done).next();
          return;
        }
      }
      writeBlocking(response, answer, done);
    } catch (IOException | RuntimeException e) {
      closeQuietly(answer);
      done.failed(e);
    }
  }

  private static void writeSmall(
      Request request, Response response, MediaHttpResponse answer, int length, Callback done)
      throws IOException {
    ByteBufferPool pool = request.getComponents().getByteBufferPool();
    RetainableByteBuffer pooled = pool.acquire(length, true);
    Callback release = Callback.from(done, pooled::release);
    try {
      ByteBuffer buffer = pooled.getByteBuffer();
      int position = BufferUtil.flipToFill(buffer);
      try (answer) {
        answer.body().writeTo(new BufferOutputStream(buffer, length));
      }
      BufferUtil.flipToFlush(buffer, position);
      if (buffer.remaining() != length) {
        throw new IOException("media ended early");
      }
      response.write(true, buffer, release);
    } catch (IOException | RuntimeException e) {
      release.failed(e);
    }
  }

  /** Streamed content: Jetty's blocking output stream on this thread, bounded chunks. */
  private static void writeBlocking(Response response, MediaHttpResponse answer, Callback done)
      throws IOException {
    try (answer;
        OutputStream out = Content.Sink.asOutputStream(response)) {
      answer.body().writeTo(out);
    }
    done.succeeded();
  }

  /** The file of a region, opened here (the blob may have been deleted since: then empty). */
  private static Optional<FileChannel> open(MediaHttpResponse.FileRegion region)
      throws IOException {
    try {
      FileChannel channel = FileChannel.open(region.file(), StandardOpenOption.READ);
      if (channel.size() < region.offset() + region.length()) {
        channel.close();
        return Optional.empty();
      }
      return Optional.of(channel);
    } catch (NoSuchFileException gone) {
      return Optional.empty(); // the open content the answer holds still reads it
    }
  }

  /**
   * Writes a file region window by window, each window mapped read-only and written asynchronously;
   * the next window is mapped when the previous one has been handed to the socket. The mappings are
   * released by the garbage collector.
   */
  private static final class MappedWrite implements Callback {
    private final Response response;
    private final FileChannel file;
    private final MediaHttpResponse answer;
    private final Callback done;
    private long position;
    private final long end;

    MappedWrite(
        Response response,
        FileChannel file,
        long offset,
        long length,
        MediaHttpResponse answer,
        Callback done) {
      this.response = response;
      this.file = file;
      this.position = offset;
      this.end = offset + length;
      this.answer = answer;
      this.done = done;
    }

    void next() {
      try {
        long size = Math.min(WINDOW, end - position);
        MappedByteBuffer window = file.map(FileChannel.MapMode.READ_ONLY, position, size);
        position += size;
        response.write(position >= end, window, this);
      } catch (IOException | RuntimeException e) {
        failed(e);
      }
    }

    @Override
    public void succeeded() {
      if (position < end) {
        next();
        return;
      }
      finish();
      done.succeeded();
    }

    @Override
    public void failed(Throwable x) {
      finish();
      done.failed(x);
    }

    private void finish() {
      try {
        file.close();
      } catch (IOException e) {
        log.debug("Could not close a media file", e);
      }
      closeQuietly(answer);
    }

    @Override
    public InvocationType getInvocationType() {
      return InvocationType.NON_BLOCKING;
    }
  }

  private static Callback logged(
      Callback callback, String method, String path, int status, long start) {
    if (!access.isInfoEnabled()) {
      return callback;
    }
    return new Callback() {
      @Override
      public void succeeded() {
        access.info("{} {} {} {}ms", method, path, status, (System.nanoTime() - start) / 1_000_000);
        callback.succeeded();
      }

      @Override
      public void failed(Throwable x) {
        access.info(
            "{} {} {} cut short: {} {}ms",
            method,
            path,
            status,
            x.toString(),
            (System.nanoTime() - start) / 1_000_000);
        callback.failed(x);
      }

      @Override
      public InvocationType getInvocationType() {
        return callback.getInvocationType();
      }
    };
  }

  private static void closeQuietly(MediaHttpResponse answer) {
    try {
      answer.close();
    } catch (IOException e) {
      log.debug("Could not close a response", e);
    }
  }

  /** Writes into a buffer, refusing more than {@code limit} bytes in all. */
  private static final class BufferOutputStream extends OutputStream {
    private final ByteBuffer buffer;
    private int left;

    BufferOutputStream(ByteBuffer buffer, int limit) {
      this.buffer = buffer;
      this.left = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (len > left) {
        throw new IOException("media longer than its length");
      }
      buffer.put(b, off, len);
      left -= len;
    }
  }

  /**
   * A Jetty request as the binding sees it: the raw path and query, headers, the body as a stream.
   */
  private static final class JettyRequestView implements MediaHttpRequest {
    private final Request request;
    private InputStream body;

    JettyRequestView(Request request) {
      this.request = request;
    }

    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String rawPath() {
      String path = request.getHttpURI().getPath();
      return path == null || path.isEmpty() ? "/" : path;
    }

    @Override
    public Optional<String> rawQuery() {
      return Optional.ofNullable(request.getHttpURI().getQuery());
    }

    @Override
    public List<String> headers(String name) {
      return request.getHeaders().getValuesList(name);
    }

    @Override
    public InputStream body() {
      if (body == null) {
        body = Content.Source.asInputStream(request);
      }
      return body;
    }
  }
}
