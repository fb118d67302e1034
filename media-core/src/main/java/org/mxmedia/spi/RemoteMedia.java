package org.mxmedia.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;

/**
 * The metadata of media from another server, cached here.
 *
 * @param origin the server that owns it
 * @param mediaId its id there
 * @param contentType the type the origin served it with (normalised)
 * @param uploadName the file name from the origin's {@code Content-Disposition}, if any
 * @param size its length in bytes
 * @param blob where its bytes are stored here
 * @param cachedAt when it was fetched
 * @param lastAccessedAt when it was last served (initially {@code cachedAt}); updated in batches
 * @param quarantined whether it is quarantined here
 */
public record RemoteMedia(
    ServerName origin, MediaId mediaId, String contentType, Optional<String> uploadName, long size, BlobKey blob,
    Instant cachedAt, Instant lastAccessedAt, boolean quarantined) {

  public RemoteMedia {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(mediaId, "mediaId");
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(uploadName, "uploadName");
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(cachedAt, "cachedAt");
    Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
    if (size < 0) {
      throw new IllegalArgumentException("size cannot be negative");
    }
  }

  /** A new, unflagged record accessed when cached. */
  public static RemoteMedia cached(ServerName origin, MediaId mediaId, String contentType, Optional<String> uploadName,
      long size, BlobKey blob, Instant at) {
    return new RemoteMedia(origin, mediaId, contentType, uploadName, size, blob, at, at, false);
  }

  public MxcUri uri() {
    return MxcUri.of(origin, mediaId);
  }

  public RemoteMedia withQuarantined(boolean quarantined) {
    return new RemoteMedia(origin, mediaId, contentType, uploadName, size, blob, cachedAt, lastAccessedAt, quarantined);
  }

  public RemoteMedia withLastAccessedAt(Instant at) {
    return new RemoteMedia(origin, mediaId, contentType, uploadName, size, blob, cachedAt, at, quarantined);
  }
}
