package org.mxmedia.http;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.http.internal.PercentDecoding;
import org.mxmedia.http.internal.QueryParameters;

/** What a media request asks for: its content URI, its download options, its thumbnail size. */
final class MediaRequests {
  private MediaRequests() {}

  /**
   * The download options of a request: {@code timeout_ms} (any non-negative integer; the repository
   * clamps it), and on the legacy endpoints {@code allow_remote}, the validated {@code
   * allow_redirect} and the freeze.
   */
  static DownloadOptions downloadOptions(
      QueryParameters query, boolean legacy, Optional<Instant> legacyFreeze) {
    DownloadOptions options = DownloadOptions.defaults();
    if (legacy) {
      options = options.withAllowRemote(query.bool("allow_remote", true));
      query.bool("allow_redirect", false); // validated; this server never redirects
      if (legacyFreeze.isPresent()) {
        // decided by the repository before any fetch, wait or thumbnail generation
        options = options.withLegacyFreeze(legacyFreeze.get());
      }
    }
    Optional<Long> timeout = query.nonNegativeLong("timeout_ms", Long.MAX_VALUE / 2);
    return timeout.isPresent() ? options.withTimeout(Duration.ofMillis(timeout.get())) : options;
  }

  /**
   * {@code width}, {@code height} (required, clamped to the largest thumbnail), {@code method},
   * {@code animated}.
   */
  static ThumbnailSpec thumbnailSpec(QueryParameters query) {
    int width = (int) query.requiredPositive("width", ThumbnailSpec.MAX_DIMENSION);
    int height = (int) query.requiredPositive("height", ThumbnailSpec.MAX_DIMENSION);
    ThumbnailMethod method;
    try {
      method = ThumbnailMethod.parse(query.get("method").orElse("scale"));
    } catch (IllegalArgumentException e) {
      throw MediaException.invalidParam("Parameter method must be crop or scale");
    }
    return new ThumbnailSpec(width, height, method, query.bool("animated", false));
  }

  /** The content URI in two raw path segments; 404 for an invalid server name or media id. */
  static MxcUri mxc(String rawServer, String rawId) {
    return MxcUri.of(serverName(PercentDecoding.decodePathSegment(rawServer)), mediaId(rawId));
  }

  /**
   * The last server name parsed, reused when the next request names the same server (nearly every
   * request names this server): one entry, so it is bounded whatever the requests name.
   */
  private static volatile @Nullable ServerName lastServer;

  private static ServerName serverName(String server) {
    ServerName last = lastServer;
    if (last != null && last.value().equals(server)) {
      return last;
    }
    if (!ServerName.isValid(server)) {
      throw MediaException.notFound("Not found: invalid server name");
    }
    ServerName parsed = ServerName.of(server);
    lastServer = parsed;
    return parsed;
  }

  /** A media id in a raw path segment; 404 when invalid. */
  static MediaId mediaId(String rawId) {
    String id = PercentDecoding.decodePathSegment(rawId);
    try {
      return MediaId.of(id);
    } catch (IllegalArgumentException e) {
      throw MediaException.notFound("Not found: invalid media id");
    }
  }
}
