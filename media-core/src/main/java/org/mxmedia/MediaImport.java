package org.mxmedia;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One piece of media brought in from another media store (Synapse's, for instance) by
 * {@link MediaAdmin#importMedia}, keeping its identity: its URI, uploader, times and flags.
 *
 * @param uri its content URI: this server's name makes it local media, any other a cached remote copy
 * @param contentType its media type as recorded; absent or malformed is stored as {@code application/octet-stream}
 * @param uploadName the file name it was uploaded with, if any (dropped when it has control characters or is over 255 characters)
 * @param uploader who uploaded it: required for local media, ignored for remote media
 * @param size its length in bytes as recorded, if known: bytes of another length are refused
 * @param sha256 the SHA-256 of its bytes as recorded (64 hex characters), if known: other bytes are refused
 * @param createdAt when it was uploaded (local) or first cached (remote)
 * @param lastAccessedAt when it was last served
 * @param quarantined whether it is quarantined
 * @param safeFromQuarantine whether it is protected from quarantine (local media only)
 */
public record MediaImport(
    MxcUri uri,
    Optional<String> contentType,
    Optional<String> uploadName,
    Optional<UserId> uploader,
    OptionalLong size,
    Optional<String> sha256,
    Instant createdAt,
    Instant lastAccessedAt,
    boolean quarantined,
    boolean safeFromQuarantine) {

  public MediaImport {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(uploadName, "uploadName");
    Objects.requireNonNull(uploader, "uploader");
    Objects.requireNonNull(size, "size");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
    if (size.isPresent() && size.getAsLong() < 0) {
      throw new IllegalArgumentException("size cannot be negative");
    }
    if (sha256.isPresent() && !sha256.get().matches("[0-9a-fA-F]{64}")) {
      throw new IllegalArgumentException("sha256 must be 64 hex characters: " + sha256.get());
    }
  }
}
