package org.mxmedia;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The metadata that comes with an upload's bytes.
 *
 * @param contentType the client's {@code Content-Type}; absent or malformed means {@code application/octet-stream}
 * @param fileName the client's {@code filename}; 1 to 255 characters without control characters
 * @param declaredLength the client's {@code Content-Length}, when it sent one; a body over the
 *     limit is then refused before a byte is read, and a body of another length is refused
 */
public record UploadRequest(Optional<String> contentType, Optional<String> fileName, OptionalLong declaredLength) {

  private static final UploadRequest EMPTY = new UploadRequest(Optional.empty(), Optional.empty(), OptionalLong.empty());

  public UploadRequest {
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(fileName, "fileName");
    Objects.requireNonNull(declaredLength, "declaredLength");
    if (declaredLength.isPresent() && declaredLength.getAsLong() < 0) {
      throw new IllegalArgumentException("declaredLength cannot be negative");
    }
  }

  /** No content type, no file name, no declared length. */
  public static UploadRequest empty() {
    return EMPTY;
  }

  /** An upload of the given type with no name and no declared length. */
  public static UploadRequest of(String contentType) {
    return new UploadRequest(Optional.of(contentType), Optional.empty(), OptionalLong.empty());
  }

  public UploadRequest withContentType(String contentType) {
    return new UploadRequest(Optional.of(contentType), fileName, declaredLength);
  }

  public UploadRequest withFileName(String fileName) {
    return new UploadRequest(contentType, Optional.of(fileName), declaredLength);
  }

  public UploadRequest withDeclaredLength(long length) {
    return new UploadRequest(contentType, fileName, OptionalLong.of(length));
  }
}
