package org.mxmedia.internal;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MxcUri;
import org.mxmedia.OutboundPolicy;
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
 * does not know the new one.
 *
 * <p>Against hostile or broken servers: every {@code Location} and redirect target is checked by
 * the {@link OutboundPolicy} before it is fetched; each fetch runs under one overall deadline
 * ({@link MediaConfig#remoteDeadline()}) and an idle watchdog that covers the multipart framing
 * as well as the body; every response is closed whatever happens; only failures of the remote
 * count towards its backoff (never a caller's short timeout, a size limit, or a local fault);
 * requests in the remote path are capped in all and per server, so stalls cannot take every
 * request thread; and every map is bounded.
 */
final class RemoteFetcher {
  private static final Logger log = LoggerFactory.getLogger(RemoteFetcher.class);
  private static final Duration NOT_FOUND_CACHE = Duration.ofMinutes(1);
  private static final Duration MAX_BACKOFF = Duration.ofHours(1);
  /** Servers remembered as failing; the least recently failed are forgotten first past it. */
  private static final int MAX_BACKOFF_ENTRIES = 1000;
  private static final int MAX_JSON_PART = 64 * 1024;
  private static final int MAX_REDIRECTS = 3;
  private static final Duration RETRY_WHEN_BUSY = Duration.ofSeconds(5);

  private final FederationClient client;
  private final OutboundPolicy policy;
  private final PrimaryStorage primary;
  private final BlobManager blobs;
  private final MediaStore store;
  private final MediaConfig config;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final SingleFlight<MxcUri, RemoteMedia> flights = new SingleFlight<>();
  private final Cache<MxcUri, Boolean> notFound =
      CacheBuilder.newBuilder().maximumSize(10_000).expireAfterWrite(NOT_FOUND_CACHE).build();
  private final Cache<ServerName, Backoff> backoffs =
      CacheBuilder.newBuilder().maximumSize(MAX_BACKOFF_ENTRIES).expireAfterWrite(MAX_BACKOFF).build();
  /** Requests in the remote path (fetching or waiting for a fetch). */
  private final Semaphore inRemotePath;
  /** Fetches running per origin; an entry exists only while one runs. */
  private final ConcurrentHashMap<ServerName, Integer> fetchesPerServer = new ConcurrentHashMap<>();
  private final AtomicLong fetches = new AtomicLong();

  /** A server's failures in a row and when it may be asked again. */
  private record Backoff(int failures, Instant retryAt) {}

  RemoteFetcher(FederationClient client, OutboundPolicy policy, PrimaryStorage primary, BlobManager blobs,
      MediaStore store, MediaConfig config, Clock clock, ScheduledExecutorService scheduler) {
    this.client = client;
    this.policy = policy;
    this.primary = primary;
    this.blobs = blobs;
    this.store = store;
    this.config = config;
    this.clock = clock;
    this.scheduler = scheduler;
    this.inRemotePath = new Semaphore(config.maxConcurrentRemoteDownloads());
  }

  /** Remote fetches started (not joined), for tests and metrics. */
  long fetchCount() {
    return fetches.get();
  }

  /** Servers currently remembered as failing (bounded), for tests and metrics. */
  long backoffEntries() {
    backoffs.cleanUp();
    return backoffs.size();
  }

  /** Whether policy allows fetching from {@code origin}. */
  boolean allowed(ServerName origin) {
    String name = origin.value();
    return !config.preventMediaDownloadsFrom().contains(name)
        && config.federationDomainWhitelist().map(w -> w.contains(name)).orElse(true);
  }

  /**
   * The cached copy of {@code uri}, fetched now if need be (once, however many callers ask).
   *
   * @param timeout the caller's wait for the remote's answer; the remote is always given at least
   *     the configured default, so a caller's short timeout never counts against the remote
   */
  RemoteMedia fetch(MxcUri uri, Duration timeout) {
    ServerName origin = uri.serverName();
    if (!allowed(origin)) {
      throw MediaException.notFound("Media from " + origin + " is not available here");
    }
    if (notFound.getIfPresent(uri) != null) {
      throw MediaException.notFound("Not found on " + origin);
    }
    checkBackoff(origin);
    if (!inRemotePath.tryAcquire()) {
      throw MediaException.limitExceeded("Too many downloads of remote media are in progress; try again shortly", RETRY_WHEN_BUSY);
    }
    try {
      return flights.run(uri, config.remoteDeadline().plusSeconds(5), () -> {
        Optional<RemoteMedia> cached = store.remoteMedia(uri);
        if (cached.isPresent()) {
          return cached.get();
        }
        checkBackoff(origin);
        enterServer(origin);
        try {
          fetches.incrementAndGet();
          RemoteMedia media = download(uri, headerTimeout(timeout));
          backoffs.invalidate(origin);
          return media;
        } catch (RemoteFault fault) {
          failed(origin);
          throw fault.toMediaException();
        } catch (MediaException e) {
          if (e.httpStatus() == 404) {
            notFound.put(uri, true);
          }
          throw e;
        } finally {
          leaveServer(origin);
        }
      });
    } finally {
      inRemotePath.release();
    }
  }

  private Duration headerTimeout(Duration callerTimeout) {
    Duration floor = config.defaultDownloadTimeout().isZero() ? Duration.ofSeconds(20) : config.defaultDownloadTimeout();
    Duration t = callerTimeout.compareTo(floor) < 0 ? floor : callerTimeout;
    return t.compareTo(config.maxDownloadTimeout()) > 0 ? config.maxDownloadTimeout() : t;
  }

  private void checkBackoff(ServerName origin) {
    Backoff backoff = backoffs.getIfPresent(origin);
    if (backoff != null && clock.instant().isBefore(backoff.retryAt())) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 502, "Not retrying " + origin + " for now: it failed recently");
    }
  }

  private void enterServer(ServerName origin) {
    boolean[] admitted = {false};
    fetchesPerServer.compute(origin, (k, n) -> {
      int running = n == null ? 0 : n;
      if (running >= config.maxRemoteFetchesPerServer()) {
        return n;
      }
      admitted[0] = true;
      return running + 1;
    });
    if (!admitted[0]) {
      throw MediaException.limitExceeded("Too many downloads from " + origin + " are in progress; try again shortly", RETRY_WHEN_BUSY);
    }
  }

  private void leaveServer(ServerName origin) {
    fetchesPerServer.computeIfPresent(origin, (k, n) -> n <= 1 ? null : n - 1);
  }

  private void failed(ServerName server) {
    Backoff b = backoffs.getIfPresent(server);
    int failures = b == null ? 1 : b.failures() + 1;
    long millis = Math.min(MAX_BACKOFF.toMillis(), config.remoteRetryBackoff().toMillis() << Math.min(failures - 1, 20));
    backoffs.put(server, new Backoff(failures, clock.instant().plusMillis(millis)));
  }

  /** A failure of the remote server: answered 502 and counted towards its backoff. */
  private static final class RemoteFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RemoteFault(String message) {
      super(message, null, false, false);
    }

    MediaException toMediaException() {
      return new MediaException(ErrorCode.M_UNKNOWN, 502, getMessage());
    }
  }

  /** An answer to stream: the body and the headers that describe it. */
  private record Source(InputStream body, Optional<String> contentType, Optional<String> disposition, OptionalLong length) {}

  private RemoteMedia download(MxcUri uri, Duration headerTimeout) {
    ServerName origin = uri.serverName();
    String id = uri.mediaId().value();
    String timeoutMs = Long.toString(headerTimeout.toMillis());
    try (Exchange exchange = new Exchange(uri)) {
      FederationResponse response = exchange.call(origin.toString(),
          t -> client.get(origin, "/_matrix/federation/v1/media/download/" + id, Map.of("timeout_ms", timeoutMs), t),
          headerTimeout);
      if (response.status() == 200) {
        return store(uri, fromMultipart(exchange, response, headerTimeout), exchange);
      }
      if (!isUnrecognized(response)) {
        throw failure(origin, response.status());
      }
      log.debug("{} does not know the federation media endpoint; using the legacy one for {}", origin, uri);
      FederationResponse legacy = exchange.call(origin.toString(), t -> client.get(origin,
          "/_matrix/media/v3/download/" + origin.value() + "/" + id,
          Map.of("allow_remote", "false", "timeout_ms", timeoutMs, "allow_redirect", "true"), t), headerTimeout);
      FederationResponse answer = followRedirects(exchange, legacy, headerTimeout);
      if (answer.status() != 200) {
        throw failure(origin, answer.status());
      }
      return store(uri, new Source(answer.body(), answer.header("Content-Type"), answer.header("Content-Disposition"),
          length(answer.header("Content-Length"))), exchange);
    }
  }

  /** Follows up to {@link #MAX_REDIRECTS} redirects, each target checked by the outbound policy. */
  private FederationResponse followRedirects(Exchange exchange, FederationResponse response, Duration headerTimeout) {
    FederationResponse current = response;
    for (int hop = 0; isRedirect(current.status()); hop++) {
      if (hop == MAX_REDIRECTS) {
        throw new RemoteFault("The remote server redirected more than " + MAX_REDIRECTS + " times");
      }
      current = fetchLocation(exchange, location(current), headerTimeout);
    }
    return current;
  }

  private FederationResponse fetchLocation(Exchange exchange, URI target, Duration headerTimeout) {
    try {
      policy.check(target);
    } catch (OutboundPolicy.BlockedAddressException e) {
      log.warn("Refused to follow {} to {}: {}", exchange.uri, target.getHost(), e.getMessage());
      throw new RemoteFault("The remote server sent the media to an address this server does not connect to");
    } catch (UnknownHostException e) {
      throw new RemoteFault("The remote server sent the media to a host that does not resolve");
    }
    return exchange.call("a redirect target", t -> client.get(target, t), headerTimeout);
  }

  private Source fromMultipart(Exchange exchange, FederationResponse response, Duration headerTimeout) {
    String type = response.header("Content-Type").orElse("");
    String boundary = MultipartReader.boundaryOf(type)
        .orElseThrow(() -> new RemoteFault("The remote server answered " + ContentHeaders.essence(type)
            + " with no valid boundary, not multipart/mixed"));
    try {
      MultipartReader reader = new MultipartReader(response.body(), boundary);
      MultipartReader.Part json = reader.next().orElseThrow(() -> new RemoteFault("The remote server sent an empty multipart answer"));
      if (!json.header("Content-Type").map(t -> ContentHeaders.essence(t).equals("application/json")).orElse(false)) {
        throw new RemoteFault("The remote server's first part is not JSON");
      }
      byte[] metadata = json.body().readNBytes(MAX_JSON_PART + 1);
      if (metadata.length > MAX_JSON_PART || metadata.length == 0 || metadata[firstNonSpace(metadata)] != '{') {
        throw new RemoteFault("The remote server's first part is not a JSON object");
      }
      MultipartReader.Part media = reader.next().orElseThrow(() -> new RemoteFault("The remote server sent no media part"));
      Optional<String> location = media.header("Location");
      if (location.isPresent()) {
        FederationResponse redirected = followRedirects(exchange, fetchLocation(exchange, parseUri(location.get()), headerTimeout),
            headerTimeout);
        if (redirected.status() != 200) {
          throw new RemoteFault("The media's location answered " + redirected.status());
        }
        return new Source(redirected.body(), redirected.header("Content-Type"), redirected.header("Content-Disposition"),
            length(redirected.header("Content-Length")));
      }
      return new Source(media.body(), media.header("Content-Type"), media.header("Content-Disposition"),
          length(media.header("Content-Length")));
    } catch (IOException e) {
      throw exchange.fault("The remote server sent a malformed multipart answer");
    }
  }

  private static int firstNonSpace(byte[] b) {
    int i = 0;
    while (i < b.length - 1 && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '\t')) {
      i++;
    }
    return i;
  }

  /** Streams the body into a blob under the size limit (the exchange watches it), then records it. */
  private RemoteMedia store(MxcUri uri, Source source, Exchange exchange) {
    long max = config.maxUploadSize().bytes();
    if (source.length().isPresent() && source.length().getAsLong() > max) {
      throw tooLarge(uri);
    }
    Ingest.Staged staged;
    try {
      staged = Ingest.stage(primary, source.body(), source.length(), new Ingest.Limit(max, tooLarge(uri)));
    } catch (MediaException e) {
      if (e.errorCode() == ErrorCode.M_TOO_LARGE) {
        throw e;
      }
      if (e.httpStatus() >= 500 && !exchange.aborted()) {
        throw e; // our own storage failed
      }
      throw exchange.fault("The remote server's answer was cut short");
    }
    exchange.finishNetwork();
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

  @FunctionalInterface
  private interface Call {
    FederationResponse run(Duration timeout) throws IOException;
  }

  /**
   * One fetch's network exchange: every response it opens (closed when it ends, whatever
   * happened), one overall deadline, and an idle watchdog over everything read. When either fires
   * the exchange closes its responses and interrupts the fetching thread (java.net.http's body
   * stream ignores a close from another thread while a read is blocked; an interrupt ends it),
   * and every later step fails as a fault of the remote.
   */
  private final class Exchange implements AutoCloseable {
    final MxcUri uri;
    private final Thread fetcher = Thread.currentThread();
    private final long deadline = System.nanoTime() + config.remoteDeadline().toNanos();
    private final long idleNanos = config.remoteIdleTimeout().toNanos();
    private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    private final List<FederationResponse> responses = new ArrayList<>();
    private final ScheduledFuture<?> watchdog;
    /** Waiting for a transport call: the transport's own timeout applies, not the idle one. */
    private boolean inCall;
    private boolean networkDone;
    private String abortedBecause;

    Exchange(MxcUri uri) {
      this.uri = uri;
      long period = Math.max(10, Math.min(idleNanos, config.remoteDeadline().toNanos()) / 4 / 1_000_000);
      this.watchdog = scheduler.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /** Runs a transport call under the deadline; the response is closed with the exchange. */
    FederationResponse call(String target, Call call, Duration headerTimeout) {
      Duration left = Duration.ofNanos(Math.max(1_000_000, deadline - System.nanoTime()));
      Duration timeout = headerTimeout.compareTo(left) < 0 ? headerTimeout : left;
      synchronized (this) {
        if (abortedBecause != null) {
          throw new RemoteFault(abortedBecause);
        }
        inCall = true;
      }
      FederationResponse response;
      try {
        response = call.run(timeout);
      } catch (IOException e) {
        log.info("Could not reach {} for {}: {}", target, uri, e.toString());
        throw fault("Could not reach the remote server");
      } catch (MediaException e) {
        throw e;
      } catch (RuntimeException e) {
        log.warn("The federation client failed fetching {}: {}", uri, e.toString());
        throw fault("Could not reach the remote server");
      }
      synchronized (this) {
        inCall = false;
        lastProgress.set(System.nanoTime());
        FederationResponse watched = new FederationResponse(response.status(), response.headers(), new Watched(response.body()));
        responses.add(watched);
        if (abortedBecause != null) {
          throw new RemoteFault(abortedBecause);
        }
        return watched;
      }
    }

    /** A fault of the remote; says why when the watchdog ended the exchange. */
    RemoteFault fault(String otherwise) {
      synchronized (this) {
        return new RemoteFault(abortedBecause != null ? abortedBecause : otherwise);
      }
    }

    synchronized boolean aborted() {
      return abortedBecause != null;
    }

    /** The body is read: from here on only local work runs, which the watchdog leaves alone. */
    synchronized void finishNetwork() {
      networkDone = true;
      clearInterrupt();
    }

    private void check() {
      long now = System.nanoTime();
      synchronized (this) {
        if (networkDone || abortedBecause != null) {
          return;
        }
        if (now - deadline > 0) {
          abort("The remote server took longer than " + config.remoteDeadline().toSeconds() + " s to send the media");
        } else if (!inCall && now - lastProgress.get() > idleNanos) {
          abort("The remote server stopped sending the media");
        }
      }
    }

    private void abort(String why) {
      abortedBecause = why;
      log.warn("Abandoning the fetch of {}: {}", uri, why);
      responses.forEach(RemoteFetcher::closeQuietly);
      fetcher.interrupt();
    }

    private void clearInterrupt() {
      if (abortedBecause != null) {
        Thread.interrupted();
      }
    }

    @Override
    public void close() {
      watchdog.cancel(false);
      synchronized (this) {
        networkDone = true;
        clearInterrupt();
      }
      responses.forEach(RemoteFetcher::closeQuietly);
    }

    /** A response body that records progress for the idle watchdog. */
    private final class Watched extends FilterInputStream {
      Watched(InputStream in) {
        super(in);
      }

      @Override
      public int read() throws IOException {
        int b = super.read();
        lastProgress.set(System.nanoTime());
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        lastProgress.set(System.nanoTime());
        return n;
      }
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
      String body = new String(response.body().readNBytes(MAX_JSON_PART), StandardCharsets.UTF_8);
      return body.contains("\"M_UNRECOGNIZED\"");
    } catch (IOException e) {
      return false;
    }
  }

  /** 404 for the remote's 404 (remembered, not a fault); a fault for anything else. */
  private static RuntimeException failure(ServerName origin, int status) {
    if (status == 404) {
      return MediaException.notFound("Not found on " + origin);
    }
    return new RemoteFault(origin + " answered " + status);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static URI location(FederationResponse response) {
    return parseUri(response.header("Location").orElseThrow(() -> new RemoteFault("A redirect without a Location")));
  }

  private static URI parseUri(String location) {
    try {
      return URI.create(location.strip());
    } catch (IllegalArgumentException e) {
      throw new RemoteFault("The remote server redirected to a malformed location");
    }
  }

  private static OptionalLong length(Optional<String> header) {
    if (header.isEmpty()) {
      return OptionalLong.empty();
    }
    String v = header.get().strip();
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new RemoteFault("The remote server sent a malformed Content-Length");
    }
    return OptionalLong.of(Long.parseLong(v));
  }

  private MediaException tooLarge(MxcUri uri) {
    return new MediaException(ErrorCode.M_TOO_LARGE, 502, "Remote media " + uri + " is larger than " + config.maxUploadSize());
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.debug("close failed", e);
    }
  }
}
