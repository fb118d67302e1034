package org.mxmedia.http;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the binding answers: a status, headers, and a body an adapter writes. The adapter must
 * {@link #close()} it after writing (or on failure): closing releases the media it streams.
 */
public final class MediaHttpResponse implements Closeable {
  private final int status;
  private final Map<String, String> headers;
  private final Body body;
  private final boolean headOnly;

  /** Header name characters: RFC 9110 token characters. */
  private static final boolean[] TOKEN = new boolean[128];

  static {
    for (char c = 0x21; c < 0x7F; c++) {
      TOKEN[c] = "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
    }
  }

  /**
   * @throws IllegalArgumentException when a header name is not an RFC 9110 token or a value has a
   *     character outside visible ASCII, space and tab: no value the library emits can split a
   *     header or smuggle bytes an adapter would write unchanged
   */
  MediaHttpResponse(int status, Map<String, String> headers, Body body, boolean headOnly) {
    this(checked(new LinkedHashMap<>(headers)), status, body, headOnly);
  }

  /** Takes {@code checkedHeaders}, every one of which has passed {@link #checkHeader}, without a copy. */
  private MediaHttpResponse(LinkedHashMap<String, String> checkedHeaders, int status, Body body, boolean headOnly) {
    this.status = status;
    this.headers = Collections.unmodifiableMap(checkedHeaders);
    this.body = Objects.requireNonNull(body, "body");
    this.headOnly = headOnly;
  }

  /**
   * A response over {@code headers}, which the caller hands over (no copy) and of which it has
   * checked every entry with {@link #checkHeader}: for the media answers, whose constant headers
   * are checked once when the class loads.
   */
  static MediaHttpResponse ofCheckedHeaders(int status, LinkedHashMap<String, String> headers, Body body,
      boolean headOnly) {
    return new MediaHttpResponse(headers, status, body, headOnly);
  }

  private static LinkedHashMap<String, String> checked(LinkedHashMap<String, String> headers) {
    headers.forEach(MediaHttpResponse::checkHeader);
    return headers;
  }

  /**
   * @throws IllegalArgumentException when {@code name} is not a token or {@code value} has a
   *     character outside visible ASCII, space and tab
   */
  static void checkHeader(String name, String value) {
    // plain loops: this runs for the varying headers of every response
    boolean nameOk = !name.isEmpty();
    for (int i = 0; i < name.length() && nameOk; i++) {
      char c = name.charAt(i);
      nameOk = c < 0x80 && TOKEN[c];
    }
    if (!nameOk) {
      throw new IllegalArgumentException("not a header name: " + name);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!((c >= 0x20 && c < 0x7F) || c == '\t')) {
        throw new IllegalArgumentException("header " + name + " has a character outside visible ASCII");
      }
    }
  }

  public int status() {
    return status;
  }

  /** The response headers, in the order to send them; {@code Content-Length} is not among them. */
  public Map<String, String> headers() {
    return headers;
  }

  public Body body() {
    return body;
  }

  /**
   * True for an answer to {@code HEAD}: send the headers and {@code Content-Length:
   * body().length()} but no body.
   */
  public boolean headOnly() {
    return headOnly;
  }

  @Override
  public void close() throws IOException {
    body.close();
  }

  /** A response body. */
  public interface Body extends Closeable {

    /** The number of bytes {@link #writeTo} writes, or -1 when not known in advance. */
    long length();

    /** Writes the body to {@code out}, which stays open. */
    void writeTo(OutputStream out) throws IOException;

    /** The region of a local file this body consists of, where there is one, for zero-copy sending. */
    default Optional<FileRegion> fileRegion() {
      return Optional.empty();
    }

    @Override
    default void close() throws IOException {}
  }

  /**
   * A byte range of a local file.
   *
   * @param file the file
   * @param offset the first byte
   * @param length the number of bytes
   */
  public record FileRegion(Path file, long offset, long length) {}
}
