package org.mxmedia.internal;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.SpamChecker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches media of other servers and caches it: policy and recent answers first ({@link Backoffs}),
 * then the caps, then one fetch per media however many ask ({@link SingleFlight}), the protocol
 * ({@link FederationDownload}) under an {@link Exchange} (deadline and idle watchdog), and the
 * bytes through the blob layer's one ingest path.
 *
 * <p>Requests in the remote path are capped in all ({@link
 * MediaConfig#maxConcurrentRemoteDownloads}) and fetches per server ({@link
 * MediaConfig#maxRemoteFetchesPerServer}), so stalls cannot take every request thread; only faults
 * of the remote count towards its backoff.
 */
final class RemoteFetcher {
  private static final Logger log = LoggerFactory.getLogger(RemoteFetcher.class);
  private static final Duration RETRY_WHEN_BUSY = Duration.ofSeconds(5);

  private final FederationDownload protocol;
  private final BlobManager blobs;
  private final MediaStore store;
  private final MediaConfig config;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Backoffs backoffs;

  /** One fetch across repositories sharing the store. */
  private final WorkClaims claims;

  private final SingleFlight<MxcUri, RemoteMedia> flights = new SingleFlight<>();

  /** Requests in the remote path (fetching or waiting for a fetch). */
  private final Semaphore inRemotePath;

  /** Fetches running per origin; an entry exists only while one runs. */
  private final ConcurrentHashMap<ServerName, Integer> fetchesPerServer = new ConcurrentHashMap<>();

  private final MediaEvents events;
  private final Optional<SpamChecker> spamChecker;

  RemoteFetcher(
      FederationDownload protocol,
      BlobManager blobs,
      MediaStore store,
      MediaConfig config,
      Clock clock,
      ScheduledExecutorService scheduler,
      WorkClaims claims,
      MediaEvents events,
      Optional<SpamChecker> spamChecker) {
    this.events = events;
    this.spamChecker = spamChecker;
    this.protocol = protocol;
    this.claims = claims;
    this.blobs = blobs;
    this.store = store;
    this.config = config;
    this.clock = clock;
    this.scheduler = scheduler;
    this.backoffs = new Backoffs(config.remoteRetryBackoff(), clock);
    this.inRemotePath = new Semaphore(config.maxConcurrentRemoteDownloads());
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
    backoffs.check(uri);
    if (!inRemotePath.tryAcquire()) {
      throw MediaException.limitExceeded(
          "Too many downloads of remote media are in progress; try again shortly", RETRY_WHEN_BUSY);
    }
    try {
      // a waiter may wait for another node's fetch, then do the fetch itself
      Duration wait = config.remoteDeadline().multipliedBy(2).plusSeconds(10);
      return flights.run(
          uri,
          wait,
          () ->
              claims.once(
                  "remote " + uri,
                  wait,
                  () -> store.remoteMedia(uri),
                  () -> {
                    backoffs.check(uri);
                    enterServer(origin);
                    long start = System.nanoTime();
                    Optional<ErrorCode> error = Optional.of(ErrorCode.M_UNKNOWN);
                    long bytes = 0;
                    try {
                      RemoteMedia media = download(uri, headerTimeout(timeout));
                      backoffs.succeeded(origin);
                      error = Optional.empty();
                      bytes = media.size();
                      return media;
                    } catch (RemoteFault fault) {
                      backoffs.failed(origin);
                      MediaException e = fault.toMediaException();
                      error = Optional.of(e.errorCode());
                      throw e;
                    } catch (MediaException e) {
                      if (e.httpStatus() == 404) {
                        backoffs.notFound(uri);
                      }
                      error = Optional.of(e.errorCode());
                      throw e;
                    } finally {
                      leaveServer(origin);
                      events.remoteFetched(
                          new MediaEvents.RemoteFetch(
                              error, bytes, Duration.ofNanos(System.nanoTime() - start)));
                    }
                  }));
    } finally {
      inRemotePath.release();
    }
  }

  private Duration headerTimeout(Duration callerTimeout) {
    Duration floor =
        config.defaultDownloadTimeout().isZero()
            ? Duration.ofSeconds(20)
            : config.defaultDownloadTimeout();
    Duration t = callerTimeout.compareTo(floor) < 0 ? floor : callerTimeout;
    return t.compareTo(config.maxDownloadTimeout()) > 0 ? config.maxDownloadTimeout() : t;
  }

  private void enterServer(ServerName origin) {
    boolean[] admitted = {false};
    fetchesPerServer.compute(
        origin,
        (k, n) -> {
          int running = n == null ? 0 : n;
          if (running >= config.maxRemoteFetchesPerServer()) {
            return n;
          }
          admitted[0] = true;
          return running + 1;
        });
    if (!admitted[0]) {
      throw MediaException.limitExceeded(
          "Too many downloads from " + origin + " are in progress; try again shortly",
          RETRY_WHEN_BUSY);
    }
  }

  private void leaveServer(ServerName origin) {
    fetchesPerServer.computeIfPresent(origin, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Opens the body under an exchange, stages it under the size limit, then records it. */
  private RemoteMedia download(MxcUri uri, Duration headerTimeout) {
    try (Exchange exchange =
        new Exchange(uri, config.remoteDeadline(), config.remoteIdleTimeout(), scheduler)) {
      FederationDownload.Body body = protocol.open(exchange, headerTimeout);
      long max = config.maxUploadSize().bytes();
      if (body.length().isPresent() && body.length().getAsLong() > max) {
        throw tooLarge(uri);
      }
      Ingest.Staged staged;
      try {
        staged = blobs.stage(body.body(), body.length(), new Ingest.Limit(max, tooLarge(uri)));
      } catch (MediaException e) {
        if (e.errorCode() == ErrorCode.M_TOO_LARGE
            || (e.httpStatus() >= 500 && !exchange.aborted())) {
          throw e; // the limit, or our own storage failed
        }
        throw exchange.fault("The remote server's answer was cut short");
      }
      exchange.finishNetwork();
      try (staged) {
        String contentType = ContentHeaders.normalizeContentType(body.contentType());
        Optional<String> name = body.disposition().flatMap(ContentHeaders::parseFileName);
        spamCheck(uri, contentType, name, staged);
        return blobs.commitAndRecord(
            staged,
            false,
            s -> {
              RemoteMedia media =
                  RemoteMedia.cached(
                      uri.serverName(),
                      uri.mediaId(),
                      contentType,
                      name,
                      s.size(),
                      s.key(),
                      clock.instant());
              if (store.insertRemoteMedia(media)) {
                log.info("Cached remote media {} ({} bytes, {})", uri, s.size(), contentType);
                return BlobManager.Recorded.kept(media);
              }
              return BlobManager.Recorded.notKept(
                  store
                      .remoteMedia(uri)
                      .orElseThrow(
                          () ->
                              MediaException.internal(
                                  "Remote media vanished", new IllegalStateException())));
            });
      }
    }
  }

  /**
   * Runs the spam checker, if any, on the staged remote bytes: 404 {@code M_NOT_FOUND} when it
   * refuses them (Synapse answers fetched spam as if it did not exist), 500 when they cannot be
   * read; either way the caller discards the staging file before anything is committed or recorded.
   */
  private void spamCheck(
      MxcUri uri, String contentType, Optional<String> name, Ingest.Staged staged) {
    if (spamChecker.isEmpty()) {
      return;
    }
    boolean accepted;
    try {
      accepted =
          spamChecker
              .get()
              .acceptsRemote(
                  new SpamChecker.RemoteFile(
                      uri, contentType, name, staged.size(), staged.staged()::openStaged));
    } catch (IOException e) {
      log.error("The spam checker could not read remote media {}", uri, e);
      throw MediaException.internal("Could not check the remote media", e);
    }
    if (!accepted) {
      log.info(
          "The spam checker rejected remote media {} ({} bytes, {})",
          uri,
          staged.size(),
          contentType);
      throw MediaException.notFound("Remote media " + uri + " is not available here");
    }
  }

  private MediaException tooLarge(MxcUri uri) {
    return new MediaException(
        ErrorCode.M_TOO_LARGE,
        502,
        "Remote media " + uri + " is larger than " + config.maxUploadSize());
  }
}
