package org.mxmedia.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.RateLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads and thumbnails: everything that can refuse a request is decided first (unknown,
 * quarantined, frozen, not fetchable), then a pending upload is waited for or remote media fetched,
 * and the bytes opened from the primary storage or the providers.
 */
final class Downloads {
  private static final Logger log = LoggerFactory.getLogger(Downloads.class);
  private static final long PENDING_POLL_MILLIS = 250;
  private static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
  private static final String FROZEN =
      "Not found: this media is only served on the authenticated endpoints (/_matrix/client/v1/media)";

  private final ServerName serverName;
  private final MediaConfig config;
  private final MediaStore store;
  private final BlobManager blobs;
  private final Clock clock;
  private final Optional<ThumbnailService> thumbnails;
  private final Optional<RemoteFetcher> remote;
  private final AccessRecorder accesses;
  private final PendingWaiters pendingWaiters = new PendingWaiters();

  /**
   * Downloads waiting for a pending upload's bytes; capped like remote downloads, so waits cannot
   * take every thread.
   */
  private final Semaphore pendingWaits;

  private final MediaEvents events;
  private final RateLimiter rateLimiter;

  Downloads(
      ServerName serverName,
      MediaConfig config,
      MediaStore store,
      BlobManager blobs,
      Clock clock,
      Optional<ThumbnailService> thumbnails,
      Optional<RemoteFetcher> remote,
      AccessRecorder accesses,
      MediaEvents events,
      RateLimiter rateLimiter) {
    this.events = events;
    this.serverName = serverName;
    this.config = config;
    this.store = store;
    this.blobs = blobs;
    this.clock = clock;
    this.thumbnails = thumbnails;
    this.remote = remote;
    this.accesses = accesses;
    this.pendingWaits = new Semaphore(config.maxConcurrentRemoteDownloads());
    this.rateLimiter = rateLimiter;
  }

  MediaResponse download(MxcUri uri, DownloadOptions options) {
    Visible media = visible(uri, options);
    Optional<MediaContent> content = blobs.open(media.blob(), media.size());
    if (content.isEmpty() && !media.local()) {
      log.warn("The cached bytes of remote media {} are gone; fetching them again", uri);
      store.deleteRemoteMedia(uri).ifPresent(gone -> blobs.deleteIfUnreferenced(gone.blob()));
      media = visible(uri, options);
      content = blobs.open(media.blob(), media.size());
    }
    if (content.isEmpty()) {
      log.error(
          "The bytes of media {} (blob {}) are missing from every storage", uri, media.blob());
      throw MediaException.notFound("Not found");
    }
    if (media.local()) {
      accesses.record(uri.mediaId(), clock.instant());
    } else {
      accesses.recordRemote(uri, clock.instant());
    }
    MediaEvents.Source source =
        media.local()
            ? MediaEvents.Source.LOCAL
            : media.fetched()
                ? MediaEvents.Source.REMOTE_FETCHED
                : MediaEvents.Source.REMOTE_CACHED;
    events.downloaded(new MediaEvents.Download(source, content.get().length()));
    return new MediaResponse(
        media.contentType(),
        content.get().length(),
        media.uploadName(),
        ContentHeaders.isInlineSafe(media.contentType()),
        media.blob().sha256(),
        media.createdAt(),
        content.get());
  }

  MediaResponse thumbnail(MxcUri uri, ThumbnailSpec spec, DownloadOptions options) {
    Visible media = visible(uri, options);
    ThumbnailService service =
        thumbnails.orElseThrow(
            () ->
                new MediaException(
                    ErrorCode.M_UNKNOWN,
                    400,
                    "Cannot generate thumbnails of "
                        + media.contentType()
                        + ": this server has no thumbnailer"));
    return service.serve(media.source(), spec);
  }

  /** Wakes downloads waiting for the bytes of pending upload {@code id}. */
  void completed(MediaId id) {
    pendingWaiters.completed(id);
  }

  /** What a download or thumbnail serves: local media, or a cached copy of remote media. */
  private record Visible(
      BlobKey blob,
      String contentType,
      Optional<String> uploadName,
      long size,
      Instant createdAt,
      boolean local,
      boolean fetched) {
    static Visible of(LocalMedia m) {
      return new Visible(
          m.blob(), m.contentType(), m.uploadName(), m.size(), m.createdAt(), true, false);
    }

    /** Remote media, {@code fetched} from its origin for this request or found in the cache. */
    static Visible of(RemoteMedia m, boolean fetched) {
      return new Visible(
          m.blob(), m.contentType(), m.uploadName(), m.size(), m.cachedAt(), false, fetched);
    }

    ThumbnailService.Source source() {
      return new ThumbnailService.Source(blob, contentType, size, createdAt, local);
    }
  }

  /**
   * The media a download or thumbnail serves: 404 for unknown, quarantined and frozen media, and
   * for remote media when fetching is disallowed or not configured; waits for pending uploads;
   * fetches uncached remote media.
   */
  private Visible visible(MxcUri uri, DownloadOptions options) {
    if (uri.serverName().equals(serverName)) {
      LocalMedia media =
          store.localMedia(uri.mediaId()).orElseGet(() -> awaitPending(uri.mediaId(), options));
      if (media.quarantined() || frozen(media.createdAt(), options)) {
        throw MediaException.notFound("Not found");
      }
      return Visible.of(media);
    }
    Optional<RemoteMedia> cached = store.remoteMedia(uri);
    RemoteMedia media;
    boolean fetchedNow = false;
    if (cached.isPresent()) {
      media = cached.get();
    } else {
      if (!options.allowRemote()) {
        throw MediaException.notFound("Remote media not requested (allow_remote is false)");
      }
      if (frozen(clock.instant(), options)) {
        throw MediaException.notFound(FROZEN);
      }
      RemoteFetcher fetcher =
          remote.orElseThrow(
              () ->
                  MediaException.notFound(
                      "Media from other servers is not available on this server"));
      // a fetch starts only while the requester's bucket of remote bytes is not over-full; its
      // bytes are counted once known (Synapse checks a balance first, then counts the length)
      if (options.requester().isPresent()) {
        Optional<Duration> wait =
            rateLimiter.tryAcquire(
                RateLimiter.Action.REMOTE_DOWNLOAD_BYTES, options.requester().get(), 0);
        if (wait.isPresent()) {
          throw MediaException.limitExceeded(
              "Too much remote media downloaded; try again later", wait.get());
        }
      }
      RemoteMedia fetched = fetcher.fetch(uri, timeoutOf(options));
      options
          .requester()
          .ifPresent(
              user ->
                  rateLimiter.record(
                      RateLimiter.Action.REMOTE_DOWNLOAD_BYTES, user, fetched.size()));
      if (!fetched.quarantined()) {
        thumbnails.ifPresent(t -> t.pregenerateLater(Visible.of(fetched, true).source()));
      }
      media = fetched;
      fetchedNow = true;
    }
    if (media.quarantined() || frozen(media.cachedAt(), options)) {
      throw MediaException.notFound(media.quarantined() ? "Not found" : FROZEN);
    }
    return Visible.of(media, fetchedNow);
  }

  /** Queues the configured thumbnails of newly stored local media. */
  void pregenerate(LocalMedia media) {
    thumbnails.ifPresent(t -> t.pregenerateLater(Visible.of(media).source()));
  }

  /** Whether media created at {@code createdAt} is past the caller's freeze. */
  private static boolean frozen(Instant createdAt, DownloadOptions options) {
    return options.legacyFreeze().isPresent() && !createdAt.isBefore(options.legacyFreeze().get());
  }

  /** The caller's timeout, clamped to [1 s, the configured maximum]. */
  private Duration timeoutOf(DownloadOptions options) {
    Duration wanted = options.timeout().orElse(config.defaultDownloadTimeout());
    if (wanted.compareTo(MIN_TIMEOUT) < 0) {
      wanted = MIN_TIMEOUT;
    }
    return wanted.compareTo(config.maxDownloadTimeout()) > 0 ? config.maxDownloadTimeout() : wanted;
  }

  /**
   * Waits for a pending upload's bytes; 404 if there is no such pending upload (or it is frozen),
   * 504 on timeout.
   */
  private LocalMedia awaitPending(MediaId id, DownloadOptions options) {
    Optional<PendingMedia> pending = store.pending(id);
    if (pending.isEmpty() || pending.get().isExpiredAt(clock.instant())) {
      // it may have completed between the two look-ups
      return store.localMedia(id).orElseThrow(() -> MediaException.notFound("Not found"));
    }
    if (frozen(pending.get().createdAt(), options)) {
      throw MediaException.notFound(FROZEN);
    }
    if (!pendingWaits.tryAcquire()) {
      throw MediaException.limitExceeded(
          "Too many downloads are waiting for uploads to finish; try again shortly",
          Duration.ofSeconds(5));
    }
    long deadline = System.nanoTime() + timeoutOf(options).toNanos();
    CompletableFuture<Void> done = pendingWaiters.join(id);
    try {
      while (true) {
        Optional<LocalMedia> media = store.localMedia(id);
        if (media.isPresent()) {
          return media.get();
        }
        if (store.pending(id).isEmpty()) {
          throw MediaException.notFound("Not found");
        }
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          throw new MediaException(ErrorCode.M_NOT_YET_UPLOADED, "Media has not been uploaded yet");
        }
        PendingWaiters.await(done, Math.min(left, PENDING_POLL_MILLIS));
      }
    } finally {
      pendingWaiters.leave(id);
      pendingWaits.release();
    }
  }
}
