package org.mxmedia;

import java.io.Closeable;
import java.io.IOException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.internal.ContentHeaders;

/**
 * What a download or thumbnail returns: the metadata a host needs for its response headers and
 * the {@link MediaContent} to stream. The caller must close it (closing closes the content).
 *
 * @param contentType the media type as stored (without the charset this class adds for text)
 * @param contentLength the number of bytes in {@code content}
 * @param fileName the name to offer the user, if the uploader gave one
 * @param inline whether the spec allows serving this type {@code inline}; {@code attachment} otherwise
 * @param sha256 the lower-case hex SHA-256 of the bytes
 * @param createdAt when the media was uploaded (or first cached, for remote media)
 * @param content the bytes
 */
public record MediaResponse(
    String contentType,
    long contentLength,
    Optional<String> fileName,
    boolean inline,
    String sha256,
    Instant createdAt,
    MediaContent content)
    implements Closeable {

  public MediaResponse {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(content, "content");
    if (contentLength < 0) {
      throw new IllegalArgumentException("contentLength cannot be negative");
    }
  }

  /** The {@code Content-Type} header value: text types carry {@code charset=utf-8}. */
  public String contentTypeHeader() {
    return ContentHeaders.contentTypeHeader(contentType);
  }

  /** The {@code Content-Disposition} header value, with the file name encoded per RFC 6266. */
  public String contentDispositionHeader() {
    return ContentHeaders.contentDisposition(inline, fileName);
  }

  /**
   * The same response offering the user another file name (the spec's download-with-name
   * endpoints).
   *
   * @throws MediaException 400 {@code M_INVALID_PARAM} for a name over 255 characters or with
   *     control characters
   */
  public MediaResponse withFileName(String name) {
    if (!ContentHeaders.isAcceptableFileName(name)) {
      throw MediaException.invalidParam("The file name must be at most 255 characters without control characters");
    }
    return new MediaResponse(contentType, contentLength, Optional.of(name), inline, sha256, createdAt, content);
  }

  /** A strong entity tag derived from the content hash, quoted as HTTP requires. */
  public String etag() {
    return "\"" + sha256 + "\"";
  }

  @Override
  public void close() throws IOException {
    content.close();
  }
}
