package org.mxmedia.internal;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;

/**
 * What remote servers taught us recently: which servers failed (not asked again for {@code
 * remoteRetryBackoff}, doubling with each further failure up to an hour; a success resets it) and
 * which media they do not have (404 for a minute). Both are bounded caches, so invented server
 * names cannot grow them.
 */
final class Backoffs {
  private static final Duration NOT_FOUND_CACHE = Duration.ofMinutes(1);
  private static final Duration MAX_BACKOFF = Duration.ofHours(1);

  /** Servers remembered as failing; past it the entries least recently written go first. */
  static final int MAX_SERVERS = 1000;

  private static final int MAX_NOT_FOUND = 10_000;

  private final Duration firstBackoff;
  private final Clock clock;
  private final Cache<MxcUri, Boolean> notFound =
      CacheBuilder.newBuilder()
          .maximumSize(MAX_NOT_FOUND)
          .expireAfterWrite(NOT_FOUND_CACHE)
          .build();
  private final Cache<ServerName, Backoff> failing =
      CacheBuilder.newBuilder().maximumSize(MAX_SERVERS).expireAfterWrite(MAX_BACKOFF).build();

  /** A server's failures in a row and when it may be asked again. */
  private record Backoff(int failures, Instant retryAt) {}

  Backoffs(Duration firstBackoff, Clock clock) {
    this.firstBackoff = firstBackoff;
    this.clock = clock;
  }

  /**
   * Refuses what recent answers already decided.
   *
   * @throws MediaException 404 for media the origin said it does not have; 502 while the origin is
   *     backed off
   */
  void check(MxcUri uri) {
    if (notFound.getIfPresent(uri) != null) {
      throw MediaException.notFound("Not found on " + uri.serverName());
    }
    Backoff b = failing.getIfPresent(uri.serverName());
    if (b != null && clock.instant().isBefore(b.retryAt())) {
      throw new MediaException(
          ErrorCode.M_UNKNOWN,
          502,
          "Not retrying " + uri.serverName() + " for now: it failed recently");
    }
  }

  void succeeded(ServerName server) {
    failing.invalidate(server);
  }

  void notFound(MxcUri uri) {
    notFound.put(uri, true);
  }

  void failed(ServerName server) {
    Backoff b = failing.getIfPresent(server);
    int failures = b == null ? 1 : b.failures() + 1;
    long millis =
        Math.min(MAX_BACKOFF.toMillis(), firstBackoff.toMillis() << Math.min(failures - 1, 20));
    failing.put(server, new Backoff(failures, clock.instant().plusMillis(millis)));
  }
}
