package org.mxmedia.internal;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationResponse;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.RemoteMedia;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches media of other servers through the host's {@link FederationClient} and caches it: the
 * authenticated federation endpoint first (a streamed {@code multipart/mixed} answer whose second
 * part is the bytes or a {@code Location} to fetch them from), the legacy endpoint when the remote
 * does not know the new one. One fetch per media however many ask (single flight), limits
 * enforced before and while reading, stalled bodies abandoned, failing servers backed off.
 */
final class RemoteFetcher {
  private static final Logger log = LoggerFactory.getLogger(RemoteFetcher.class);
  private static final Duration NOT_FOUND_CACHE = Duration.ofMinutes(1);
  private static final Duration MAX_BACKOFF = Duration.ofHours(1);
  private static final int MAX_JSON_PART = 64 * 1024;
  private static final int MAX_REDIRECTS = 3;

  private final FederationClient client;
  private final PrimaryStorage primary;
  private final BlobManager blobs;
  private final MediaStore store;
  private final MediaConfig config;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final SingleFlight<MxcUri, RemoteMedia> flights = new SingleFlight<>();
  private final Cache<MxcUri, Boolean> notFound =
      CacheBuilder.newBuilder().maximumSize(100_000).expireAfterWrite(NOT_FOUND_CACHE).build();
  private final ConcurrentHashMap<ServerName, Backoff> backoffs = new ConcurrentHashMap<>();
  private final AtomicLong fetches = new AtomicLong();

  /** A server's failures in a row and when it may be asked again. */
  private record Backoff(int failures, Instant retryAt) {}

  RemoteFetcher(FederationClient client, PrimaryStorage primary, BlobManager blobs, MediaStore store, MediaConfig config,
      Clock clock, ScheduledExecutorService scheduler) {
    this.client = client;
    this.primary = primary;
    this.blobs = blobs;
    this.store = store;
    this.config = config;
    this.clock = clock;
    this.scheduler = scheduler;
  }

  /** Remote fetches started (not joined), for tests and metrics. */
  long fetchCount() {
    return fetches.get();
  }

  /** Whether policy allows fetching from {@code origin}. */
  boolean allowed(ServerName origin) {
    String name = origin.value();
    return !config.preventMediaDownloadsFrom().contains(name)
        && config.federationDomainWhitelist().map(w -> w.contains(name)).orElse(true);
  }

  /** The cached copy of {@code uri}, fetched now if need be (once, however many callers ask). */
  RemoteMedia fetch(MxcUri uri, Duration timeout) {
    if (!allowed(uri.serverName())) {
      throw MediaException.notFound("Media from " + uri.serverName() + " is not available here");
    }
    return flights.run(uri, () -> {
      Optional<RemoteMedia> cached = store.remoteMedia(uri);
      if (cached.isPresent()) {
        return cached.get();
      }
      if (notFound.getIfPresent(uri) != null) {
        throw MediaException.notFound("Not found on " + uri.serverName());
      }
      Backoff backoff = backoffs.get(uri.serverName());
      if (backoff != null && clock.instant().isBefore(backoff.retryAt())) {
        throw new MediaException(ErrorCode.M_UNKNOWN, 502,
            "Not retrying " + uri.serverName() + " until " + backoff.retryAt() + ": it failed recently");
      }
      fetches.incrementAndGet();
      try {
        RemoteMedia media = download(uri, timeout);
        backoffs.remove(uri.serverName());
        return media;
      } catch (MediaException e) {
        if (e.httpStatus() == 404) {
          notFound.put(uri, true);
        } else if (e.errorCode() != ErrorCode.M_TOO_LARGE) {
          failed(uri.serverName());
        }
        throw e;
      }
    });
  }

  private void failed(ServerName server) {
    backoffs.compute(server, (k, b) -> {
      int failures = b == null ? 1 : b.failures() + 1;
      long millis = Math.min(MAX_BACKOFF.toMillis(), config.remoteRetryBackoff().toMillis() << Math.min(failures - 1, 20));
      return new Backoff(failures, clock.instant().plusMillis(millis));
    });
  }

  /**
   * An answer to stream: the body, the headers that describe it, and the connection's own stream
   * (the body may be a part of it), which is what must be closed to abandon a stalled read.
   */
  private record Source(InputStream body, Optional<String> contentType, Optional<String> disposition, OptionalLong length,
      InputStream connection) {}

  private RemoteMedia download(MxcUri uri, Duration timeout) {
    ServerName origin = uri.serverName();
    String id = uri.mediaId().value();
    String timeoutMs = Long.toString(timeout.toMillis());
    FederationResponse response = call(origin, () -> client.get(origin, "/_matrix/federation/v1/media/download/" + id,
        Map.of("timeout_ms", timeoutMs), timeout));
    try {
      if (response.status() == 200) {
        return store(uri, fromMultipart(response, timeout));
      }
      if (!isUnrecognized(response)) {
        throw failure(origin, response.status());
      }
    } finally {
      closeQuietly(response);
    }
    log.debug("{} does not know the federation media endpoint; using the legacy one for {}", origin, uri);
    FederationResponse legacy = call(origin, () -> client.get(origin,
        "/_matrix/media/v3/download/" + origin.value() + "/" + id,
        Map.of("allow_remote", "false", "timeout_ms", timeoutMs, "allow_redirect", "true"), timeout));
    try {
      FederationResponse answer = followRedirects(legacy, timeout);
      try {
        if (answer.status() != 200) {
          throw failure(origin, answer.status());
        }
        return store(uri, new Source(answer.body(), answer.header("Content-Type"), answer.header("Content-Disposition"),
            length(answer.header("Content-Length")), answer.body()));
      } finally {
        if (answer != legacy) {
          closeQuietly(answer);
        }
      }
    } finally {
      closeQuietly(legacy);
    }
  }

  private FederationResponse followRedirects(FederationResponse response, Duration timeout) {
    FederationResponse current = response;
    for (int hop = 0; hop < MAX_REDIRECTS && isRedirect(current.status()); hop++) {
      URI target = location(current);
      FederationResponse previous = current;
      current = call(null, () -> client.get(target, timeout));
      if (previous != response) {
        closeQuietly(previous);
      }
    }
    return current;
  }

  private Source fromMultipart(FederationResponse response, Duration timeout) {
    String type = response.header("Content-Type").orElse("");
    String boundary = MultipartReader.boundaryOf(type)
        .orElseThrow(() -> badGateway("The remote server answered " + type.split(";")[0] + ", not multipart/mixed"));
    try {
      MultipartReader reader = new MultipartReader(response.body(), boundary);
      MultipartReader.Part json = reader.next().orElseThrow(() -> badGateway("The remote server sent an empty multipart answer"));
      if (!json.header("Content-Type").map(t -> ContentHeaders.essence(t).equals("application/json")).orElse(false)) {
        throw badGateway("The remote server's first part is not JSON");
      }
      byte[] metadata = json.body().readNBytes(MAX_JSON_PART + 1);
      if (metadata.length > MAX_JSON_PART || metadata.length == 0 || metadata[firstNonSpace(metadata)] != '{') {
        throw badGateway("The remote server's first part is not a JSON object");
      }
      MultipartReader.Part media = reader.next().orElseThrow(() -> badGateway("The remote server sent no media part"));
      Optional<String> location = media.header("Location");
      if (location.isPresent()) {
        URI target = parseUri(location.get());
        FederationResponse redirected = followRedirects(call(null, () -> client.get(target, timeout)), timeout);
        if (redirected.status() != 200) {
          closeQuietly(redirected);
          throw badGateway("The media's location answered " + redirected.status());
        }
        return new Source(redirected.body(), redirected.header("Content-Type"), redirected.header("Content-Disposition"),
            length(redirected.header("Content-Length")), redirected.body());
      }
      return new Source(media.body(), media.header("Content-Type"), media.header("Content-Disposition"),
          length(media.header("Content-Length")), response.body());
    } catch (IOException e) {
      throw badGateway("The remote server sent a malformed multipart answer");
    }
  }

  private static int firstNonSpace(byte[] b) {
    int i = 0;
    while (i < b.length - 1 && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '\t')) {
      i++;
    }
    return i;
  }

  /** Streams the body into a blob under the size limit and the idle watchdog, then records it. */
  private RemoteMedia store(MxcUri uri, Source source) {
    try {
      return storeStream(uri, source);
    } finally {
      closeQuietly(source.connection());
    }
  }

  private RemoteMedia storeStream(MxcUri uri, Source source) {
    long max = config.maxUploadSize().bytes();
    if (source.length().isPresent() && source.length().getAsLong() > max) {
      throw tooLarge(uri);
    }
    WatchedStream watched = new WatchedStream(source.body());
    Stall stall = new Stall(Thread.currentThread(), source.connection());
    long idleMillis = config.remoteIdleTimeout().toMillis();
    ScheduledFuture<?> watchdog = scheduler.scheduleAtFixedRate(() -> {
      if (System.nanoTime() - watched.lastRead.get() > TimeUnit.MILLISECONDS.toNanos(idleMillis) && stall.fire()) {
        log.warn("Remote media {} stalled for {} ms; abandoning the fetch", uri, idleMillis);
      }
    }, Math.max(10, idleMillis / 4), Math.max(10, idleMillis / 4), TimeUnit.MILLISECONDS);
    Ingest.Staged staged;
    try {
      staged = Ingest.stage(primary, watched, source.length(), new Ingest.Limit(max, tooLarge(uri)));
    } catch (MediaException e) {
      if (e.errorCode() == ErrorCode.M_TOO_LARGE) {
        throw e;
      }
      throw badGateway(stall.fired() ? "The remote server stopped sending the media" : "The remote server's answer was cut short");
    } finally {
      watchdog.cancel(false);
      stall.finish();
    }
    try (staged) {
      String contentType = ContentHeaders.normalizeContentType(source.contentType());
      Optional<String> name = source.disposition().flatMap(ContentHeaders::parseFileName);
      blobs.reserve(staged.key());
      boolean transferred = false;
      try {
        blobs.commit(staged.staged(), staged.key(), false);
        RemoteMedia media = RemoteMedia.cached(uri.serverName(), uri.mediaId(), contentType, name, staged.size(), staged.key(), clock.instant());
        if (store.insertRemoteMedia(media)) {
          transferred = true;
          log.info("Cached remote media {} ({} bytes, {})", uri, staged.size(), contentType);
          return media;
        }
        return store.remoteMedia(uri).orElseThrow(() -> MediaException.internal("Remote media vanished", new IllegalStateException()));
      } finally {
        if (!transferred) {
          blobs.release(staged.key());
        }
      }
    }
  }

  /**
   * Abandons a stalled read: closes the body (unblocks socket reads) and interrupts the reading
   * thread (unblocks queue-based client streams such as java.net.http's), but only while the
   * read is still running.
   */
  private static final class Stall {
    private final Thread reader;
    private final InputStream body;
    private boolean finished;
    private boolean fired;

    Stall(Thread reader, InputStream body) {
      this.reader = reader;
      this.body = body;
    }

    synchronized boolean fire() {
      if (finished || fired) {
        return false;
      }
      fired = true;
      closeQuietly(body);
      reader.interrupt();
      return true;
    }

    synchronized boolean fired() {
      return fired;
    }

    /** Ends the watch; clears the interrupt this watch caused, so it never leaks to the caller. */
    synchronized void finish() {
      finished = true;
      if (fired) {
        Thread.interrupted();
      }
    }
  }

  /** Counts reads so the watchdog can tell a stalled body. */
  private static final class WatchedStream extends FilterInputStream {
    final AtomicLong lastRead = new AtomicLong(System.nanoTime());

    WatchedStream(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      lastRead.set(System.nanoTime());
      return n;
    }
  }

  @FunctionalInterface
  private interface Call {
    FederationResponse run() throws IOException;
  }

  /** Runs a transport call; its failures (including unchecked ones from host code) are 502. */
  private FederationResponse call(ServerName origin, Call call) {
    try {
      return call.run();
    } catch (IOException e) {
      log.info("Could not reach {}: {}", origin == null ? "a redirect target" : origin, e.toString());
      throw badGateway("Could not reach the remote server");
    } catch (RuntimeException e) {
      log.error("The federation client failed", e);
      throw badGateway("Could not reach the remote server");
    }
  }

  /** The spec's sign that a server does not know an endpoint: 404/405/400 with {@code M_UNRECOGNIZED}, or a 404 that is not JSON. */
  private static boolean isUnrecognized(FederationResponse response) {
    int status = response.status();
    if (status != 404 && status != 405 && status != 400) {
      return false;
    }
    String type = response.header("Content-Type").orElse("");
    if (!ContentHeaders.essence(type).equals("application/json")) {
      return status == 404 || status == 405;
    }
    try {
      String body = new String(response.body().readNBytes(MAX_JSON_PART), java.nio.charset.StandardCharsets.UTF_8);
      return body.contains("\"M_UNRECOGNIZED\"");
    } catch (IOException e) {
      return false;
    }
  }

  private static MediaException failure(ServerName origin, int status) {
    if (status == 404) {
      return MediaException.notFound("Not found on " + origin);
    }
    return badGateway(origin + " answered " + status);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static URI location(FederationResponse response) {
    return parseUri(response.header("Location").orElseThrow(() -> badGateway("A redirect without a Location")));
  }

  private static URI parseUri(String location) {
    try {
      URI uri = URI.create(location.strip());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("https") && !scheme.equals("http")) {
        throw badGateway("The remote server redirected to a non-HTTP location");
      }
      return uri;
    } catch (IllegalArgumentException e) {
      throw badGateway("The remote server redirected to a malformed location");
    }
  }

  private static OptionalLong length(Optional<String> header) {
    if (header.isEmpty()) {
      return OptionalLong.empty();
    }
    String v = header.get().strip();
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw badGateway("The remote server sent a malformed Content-Length");
    }
    return OptionalLong.of(Long.parseLong(v));
  }

  private MediaException tooLarge(MxcUri uri) {
    return new MediaException(ErrorCode.M_TOO_LARGE, 502, "Remote media " + uri + " is larger than " + config.maxUploadSize());
  }

  private static MediaException badGateway(String message) {
    return new MediaException(ErrorCode.M_UNKNOWN, 502, message);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
    }
  }
}
