package org.mxmedia;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the repository knows of one piece of media, local or a cached remote copy: what
 * {@link MediaAdmin#describe} answers.
 *
 * @param uri its content URI
 * @param contentType the stored media type
 * @param uploadName the file name it was uploaded with, if any
 * @param uploader who uploaded it; empty for remote media
 * @param size its length in bytes
 * @param sha256 the SHA-256 of its bytes, 64 lower-case hex characters
 * @param createdAt when it was uploaded (local) or first cached (remote)
 * @param lastAccessedAt when it was last served (written in batches, so up to a minute behind)
 * @param quarantined whether it is quarantined (served to nobody)
 * @param safeFromQuarantine whether it is protected from quarantine (local media only)
 */
public record MediaInfo(
    MxcUri uri,
    String contentType,
    Optional<String> uploadName,
    Optional<UserId> uploader,
    long size,
    String sha256,
    Instant createdAt,
    Instant lastAccessedAt,
    boolean quarantined,
    boolean safeFromQuarantine) {

  public MediaInfo {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(uploadName, "uploadName");
    Objects.requireNonNull(uploader, "uploader");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
    if (size < 0) {
      throw new IllegalArgumentException("size cannot be negative");
    }
  }

  /** Whether it is media of another server (a cached copy). */
  public boolean remote() {
    return uploader.isEmpty();
  }
}
