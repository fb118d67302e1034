package org.mxmedia.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaId;
import org.mxmedia.UserId;

/**
 * The metadata of one piece of media uploaded to this server.
 *
 * @param mediaId its id
 * @param contentType the stored media type (already normalised)
 * @param uploadName the file name the uploader gave, if any
 * @param uploader who uploaded it
 * @param size its length in bytes
 * @param blob where its bytes are stored
 * @param createdAt when it was uploaded
 * @param lastAccessedAt when it was last downloaded (initially {@code createdAt}); updated in batches
 * @param quarantined whether it is quarantined (then it is served to nobody)
 * @param safeFromQuarantine whether it is protected from quarantine
 */
public record LocalMedia(
    MediaId mediaId,
    String contentType,
    Optional<String> uploadName,
    UserId uploader,
    long size,
    BlobKey blob,
    Instant createdAt,
    Instant lastAccessedAt,
    boolean quarantined,
    boolean safeFromQuarantine) {

  public LocalMedia {
    Objects.requireNonNull(mediaId, "mediaId");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(uploadName, "uploadName");
    Objects.requireNonNull(uploader, "uploader");
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
    if (size < 0) {
      throw new IllegalArgumentException("size cannot be negative");
    }
  }

  /** A new, unflagged record accessed at its creation. */
  public static LocalMedia uploaded(
      MediaId mediaId, String contentType, Optional<String> uploadName, UserId uploader, long size,
      BlobKey blob, Instant createdAt) {
    return new LocalMedia(mediaId, contentType, uploadName, uploader, size, blob, createdAt, createdAt, false, false);
  }

  public LocalMedia withQuarantined(boolean quarantined) {
    return new LocalMedia(mediaId, contentType, uploadName, uploader, size, blob, createdAt, lastAccessedAt, quarantined, safeFromQuarantine);
  }

  public LocalMedia withSafeFromQuarantine(boolean safe) {
    return new LocalMedia(mediaId, contentType, uploadName, uploader, size, blob, createdAt, lastAccessedAt, quarantined, safe);
  }

  public LocalMedia withLastAccessedAt(Instant at) {
    return new LocalMedia(mediaId, contentType, uploadName, uploader, size, blob, createdAt, at, quarantined, safeFromQuarantine);
  }
}
