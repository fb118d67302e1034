package org.mxmedia.internal;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.mxmedia.DownloadOptions;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.Builder.ProviderEntry;
import org.mxmedia.MediaResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.PendingUpload;
import org.mxmedia.ServerName;
import org.mxmedia.UploadRequest;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.LocalMedia;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PendingMedia;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.RemoteMedia;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.UploadPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine behind {@link MediaRepository}. */
public final class DefaultMediaRepository implements MediaRepository {
  private static final Logger log = LoggerFactory.getLogger(DefaultMediaRepository.class);

  private static final int MAX_ID_ATTEMPTS = 8;
  private static final long PENDING_POLL_MILLIS = 250;
  private static final Duration MAINTENANCE_INTERVAL = Duration.ofHours(1);
  private static final Duration MIN_TIMEOUT = Duration.ofSeconds(1);
  private static final String FROZEN =
      "Not found: this media is only served on the authenticated endpoints (/_matrix/client/v1/media)";

  private final ServerName serverName;
  private final MediaConfig config;
  private final MediaStore store;
  private final PrimaryStorage primary;
  private final UploadPolicy uploadPolicy;
  private final Authorizer authorizer;
  private final Clock clock;
  private final MediaIdGenerator ids;
  private final ExecutorService ownedExecutor;
  private final ScheduledExecutorService scheduler;
  private final BlobManager blobs;
  private final AccessRecorder accesses;
  private final PendingWaiters pendingWaiters = new PendingWaiters();
  /** Downloads waiting for a pending upload's bytes; capped like remote downloads, so waits cannot take every thread. */
  private final java.util.concurrent.Semaphore pendingWaits;
  private final UploadBudgets budgets = new UploadBudgets();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final MediaAdmin trustedAdmin = new Admin();
  private final ExecutorService thumbnailPool;
  private final ThumbnailService thumbnails;
  private final RemoteFetcher remote;
  /** Background thumbnail threads: few, so pre-generation never starves request threads of CPU. */
  private static final int THUMBNAIL_THREADS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);

  public DefaultMediaRepository(
      ServerName serverName,
      MediaConfig config,
      MediaStore store,
      PrimaryStorage primary,
      List<ProviderEntry> providers,
      UploadPolicy uploadPolicy,
      Authorizer authorizer,
      Clock clock,
      MediaIdGenerator ids,
      Executor executor,
      Thumbnailer thumbnailer,
      FederationClient federationClient,
      OutboundPolicy outboundPolicy) {
    this.serverName = serverName;
    this.config = config;
    this.store = Guarded.wrap(MediaStore.class, store, "media store");
    this.primary = primary;
    this.uploadPolicy = uploadPolicy;
    this.pendingWaits = new java.util.concurrent.Semaphore(config.maxConcurrentRemoteDownloads());
    this.authorizer = authorizer;
    this.clock = clock;
    this.ids = ids;
    this.scheduler = new ScheduledThreadPoolExecutor(1, daemonThreads("mxmedia-scheduler"));
    if (executor == null) {
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), daemonThreads("mxmedia-background"));
      pool.allowCoreThreadTimeOut(true);
      this.ownedExecutor = pool;
      executor = pool;
    } else {
      this.ownedExecutor = null;
    }
    this.blobs = new BlobManager(this.store, primary, providers, executor, scheduler, clock);
    this.accesses = new AccessRecorder(this.store, executor);
    if (thumbnailer == null) {
      this.thumbnailPool = null;
      this.thumbnails = null;
    } else {
      ThreadPoolExecutor pool = new ThreadPoolExecutor(1, THUMBNAIL_THREADS, 30, TimeUnit.SECONDS,
          new java.util.concurrent.ArrayBlockingQueue<>(256), daemonThreads("mxmedia-thumbnails"));
      pool.allowCoreThreadTimeOut(true);
      this.thumbnailPool = pool;
      this.thumbnails = new ThumbnailService(this.store, blobs, thumbnailer, config, clock, pool);
    }

    this.remote = federationClient == null
        ? null
        : new RemoteFetcher(federationClient, outboundPolicy, primary, blobs, this.store, config, clock, scheduler);
    long flushMillis = config.lastAccessFlushInterval().toMillis();
    scheduler.scheduleWithFixedDelay(guard("access-time flush", accesses::flush), flushMillis, flushMillis, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(guard("lease renewal", blobs::heartbeat), 0, BlobManager.HEARTBEAT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(guard("maintenance", this::maintain), 0, MAINTENANCE_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    log.info("Media repository for {} started: primary storage {}, providers {}",
        serverName, primary.name(), BlobManager.describe(providers));
  }

  @Override
  public ServerName serverName() {
    return serverName;
  }

  @Override
  public MediaConfig config() {
    return config;
  }

  // ---- uploads

  @Override
  public MxcUri upload(UserId uploader, UploadRequest request, InputStream body) {
    ensureOpen();
    String contentType = ContentHeaders.normalizeContentType(request.contentType());
    Optional<String> fileName = validFileName(request);
    try (UploadBudgets.Ticket ticket = budgets.open(uploader);
        Ingest.Staged staged = Ingest.stage(primary, body, request.declaredLength(), limitFor(uploader, request, ticket))) {
      blobs.reserve(staged.key());
      boolean transferred = false;
      try {
        blobs.commit(staged.staged(), staged.key(), true);
        Instant now = clock.instant();
        for (int attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
          MediaId id = ids.next();
          LocalMedia media = LocalMedia.uploaded(id, contentType, fileName, uploader, staged.size(), staged.key(), now);
          if (store.insertLocalMedia(media)) {
            transferred = true;
            ticket.stored();
            log.info("Stored upload {} ({} bytes, {}) from {}", id, staged.size(), contentType, uploader);
            pregenerateThumbnails(media);
            return MxcUri.of(serverName, id);
          }
          log.warn("Media id {} is taken; choosing another", id);
        }
        throw MediaException.internal("Could not allocate a media id", new IllegalStateException("ids exhausted"));
      } finally {
        if (!transferred) {
          blobs.release(staged.key());
        }
      }
    }
  }

  @Override
  public PendingUpload createPending(UserId owner) {
    ensureOpen();
    Instant now = clock.instant();
    Instant expiresAt = now.plus(config.unusedPendingExpiry());
    for (int attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      MediaId id = ids.next();
      switch (store.insertPending(new PendingMedia(id, owner, now, expiresAt), config.maxPendingUploadsPerUser(), now)) {
        case INSERTED -> {
          log.info("Reserved pending upload {} for {} until {}", id, owner, expiresAt);
          return new PendingUpload(MxcUri.of(serverName, id), expiresAt);
        }
        case LIMIT_REACHED -> throw MediaException.limitExceeded(
            "You have too many uploads pending; finish or wait for them to expire",
            Duration.ofSeconds(Math.max(1, config.unusedPendingExpiry().toSeconds() / 10)));
        case ID_TAKEN -> log.warn("Media id {} is taken; choosing another", id);
      }
    }
    throw MediaException.internal("Could not allocate a media id", new IllegalStateException("ids exhausted"));
  }

  @Override
  public void uploadPending(MxcUri uri, UserId uploader, UploadRequest request, InputStream body) {
    ensureOpen();
    MediaId id = uri.mediaId();
    if (!uri.serverName().equals(serverName)) {
      throw MediaException.notFound("Cannot upload media of another server");
    }
    checkPendingUploadable(id, uploader);
    String contentType = ContentHeaders.normalizeContentType(request.contentType());
    Optional<String> fileName = validFileName(request);
    try (UploadBudgets.Ticket ticket = budgets.open(uploader);
        Ingest.Staged staged = Ingest.stage(primary, body, request.declaredLength(), limitFor(uploader, request, ticket))) {
      checkPendingUploadable(id, uploader); // it may have been completed or expired while we read
      blobs.reserve(staged.key());
      boolean transferred = false;
      try {
        blobs.commit(staged.staged(), staged.key(), true);
        LocalMedia media =
            LocalMedia.uploaded(id, contentType, fileName, uploader, staged.size(), staged.key(), clock.instant());
        if (!store.completePending(media)) {
          if (store.localMedia(id).isPresent()) {
            throw new MediaException(ErrorCode.M_CANNOT_OVERWRITE_MEDIA, "Media already has content");
          }
          throw MediaException.notFound("Unknown or expired media id");
        }
        transferred = true;
        ticket.stored();
        log.info("Stored pending upload {} ({} bytes, {}) from {}", id, staged.size(), contentType, uploader);
        pregenerateThumbnails(media);
      } finally {
        if (!transferred) {
          blobs.release(staged.key());
        }
      }
    }
    pendingWaiters.completed(id);
  }

  private void checkPendingUploadable(MediaId id, UserId uploader) {
    Optional<PendingMedia> pending = store.pending(id);
    if (pending.isEmpty()) {
      if (store.localMedia(id).isPresent()) {
        throw new MediaException(ErrorCode.M_CANNOT_OVERWRITE_MEDIA, "Media already has content");
      }
      throw MediaException.notFound("Unknown media id");
    }
    if (!pending.get().owner().equals(uploader)) {
      throw new MediaException(ErrorCode.M_FORBIDDEN, "You did not create this media id");
    }
    if (pending.get().isExpiredAt(clock.instant())) {
      throw MediaException.notFound("This media id has expired");
    }
  }

  private Optional<String> validFileName(UploadRequest request) {
    if (request.fileName().isEmpty() || request.fileName().get().isEmpty()) {
      return Optional.empty();
    }
    if (!ContentHeaders.isAcceptableFileName(request.fileName().get())) {
      throw MediaException.invalidParam("The file name must be at most 255 characters without control characters");
    }
    return request.fileName();
  }

  /**
   * The limit of one upload: the configured maximum, the policy's allowance, and, when the
   * allowance is a budget of the uploader's, the ticket that shares it with their other uploads
   * in progress (opened before the policy reads the store's usage; the caller closes it).
   */
  private Ingest.Limit limitFor(UserId uploader, UploadRequest request, UploadBudgets.Ticket ticket) {
    UploadPolicy.Allowance allowance =
        uploadPolicy.admit(new UploadPolicy.Attempt(uploader, request, clock.instant(), since -> store.usage(uploader, since)));
    long configured = config.maxUploadSize().bytes();
    MediaException tooLarge =
        new MediaException(ErrorCode.M_TOO_LARGE, 413, "Upload is larger than the maximum of " + config.maxUploadSize());
    if (allowance.sharedByUploader()) {
      return new Ingest.Limit(configured, tooLarge, ticket, allowance.maxBytes(), allowance.whenExceeded());
    }
    if (allowance.maxBytes() < configured) {
      return new Ingest.Limit(allowance.maxBytes(), allowance.whenExceeded());
    }
    return new Ingest.Limit(configured, tooLarge);
  }

  // ---- downloads

  @Override
  public MediaResponse download(MxcUri uri, DownloadOptions options) {
    ensureOpen();
    Visible media = visible(uri, options);
    Optional<MediaContent> content = blobs.open(media.blob());
    if (content.isEmpty() && !media.local()) {
      log.warn("The cached bytes of remote media {} are gone; fetching them again", uri);
      forgetRemote(uri);
      media = visible(uri, options);
      content = blobs.open(media.blob());
    }
    if (content.isEmpty()) {
      log.error("The bytes of media {} (blob {}) are missing from every storage", uri, media.blob());
      throw MediaException.notFound("Not found");
    }
    if (media.local()) {
      accesses.record(uri.mediaId(), clock.instant());
    } else {
      accesses.recordRemote(uri, clock.instant());
    }
    return new MediaResponse(
        media.contentType(),
        content.get().length(),
        media.uploadName(),
        ContentHeaders.isInlineSafe(media.contentType()),
        media.blob().sha256(),
        media.createdAt(),
        content.get());
  }

  /** What a download or thumbnail serves: local media, or a cached copy of remote media. */
  private record Visible(BlobKey blob, String contentType, Optional<String> uploadName, long size, Instant createdAt, boolean local) {
    static Visible of(LocalMedia m) {
      return new Visible(m.blob(), m.contentType(), m.uploadName(), m.size(), m.createdAt(), true);
    }

    static Visible of(RemoteMedia m) {
      return new Visible(m.blob(), m.contentType(), m.uploadName(), m.size(), m.cachedAt(), false);
    }

    ThumbnailService.Source source() {
      return new ThumbnailService.Source(blob, contentType, size, createdAt, local);
    }
  }

  private void forgetRemote(MxcUri uri) {
    store.deleteRemoteMedia(uri).ifPresent(gone -> blobs.deleteIfUnreferenced(gone.blob()));
  }

  @Override
  public MediaResponse thumbnail(MxcUri uri, org.mxmedia.ThumbnailSpec spec, DownloadOptions options) {
    ensureOpen();
    Visible media = visible(uri, options);
    if (thumbnails == null) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 400,
          "Cannot generate thumbnails of " + media.contentType() + ": this server has no thumbnailer");
    }
    return thumbnails.serve(media.source(), spec);
  }


  private void pregenerateThumbnails(LocalMedia media) {
    if (thumbnails != null) {
      thumbnails.pregenerateLater(Visible.of(media).source());
    }
  }

  /**
   * The media a download or thumbnail serves: 404 for unknown and quarantined media, and for
   * remote media when fetching is disallowed or not configured; waits for pending uploads;
   * fetches uncached remote media.
   */
  private Visible visible(MxcUri uri, DownloadOptions options) {
    if (uri.serverName().equals(serverName)) {
      LocalMedia media = store.localMedia(uri.mediaId()).orElseGet(() -> awaitPending(uri.mediaId(), options));
      if (media.quarantined() || frozen(media.createdAt(), options)) {
        throw MediaException.notFound("Not found");
      }
      return Visible.of(media);
    }
    Optional<RemoteMedia> cached = store.remoteMedia(uri);
    RemoteMedia media;
    if (cached.isPresent()) {
      media = cached.get();
    } else {
      if (!options.allowRemote()) {
        throw MediaException.notFound("Remote media not requested (allow_remote is false)");
      }
      if (frozen(clock.instant(), options)) {
        throw MediaException.notFound(FROZEN);
      }
      if (remote == null) {
        throw MediaException.notFound("Media from other servers is not available on this server");
      }
      media = remote.fetch(uri, timeoutOf(options));
      if (thumbnails != null && !media.quarantined()) {
        thumbnails.pregenerateLater(Visible.of(media).source());
      }
    }
    if (media.quarantined() || frozen(media.cachedAt(), options)) {
      throw MediaException.notFound(media.quarantined() ? "Not found" : FROZEN);
    }
    return Visible.of(media);
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

  /** Waits for a pending upload's bytes; 404 if there is no such pending upload (or it is frozen), 504 on timeout. */
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
      throw MediaException.limitExceeded("Too many downloads are waiting for uploads to finish; try again shortly",
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

  // ---- administration

  @Override
  public MediaAdmin admin() {
    return trustedAdmin;
  }

  @Override
  public MediaAdmin admin(UserId actor) {
    return (MediaAdmin) java.lang.reflect.Proxy.newProxyInstance(
        MediaAdmin.class.getClassLoader(),
        new Class<?>[] {MediaAdmin.class},
        (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            return method.invoke(trustedAdmin, args);
          }
          if (!authorizer.isAdmin(actor)) {
            throw new MediaException(ErrorCode.M_FORBIDDEN, "You are not a media administrator");
          }
          try {
            return method.invoke(trustedAdmin, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private final class Admin implements MediaAdmin {
    @Override
    public LocalMedia describe(MxcUri uri) {
      return store.localMedia(localId(uri)).orElseThrow(() -> MediaException.notFound("No such media"));
    }

    @Override
    public boolean quarantine(MxcUri uri) {
      if (!uri.serverName().equals(serverName)) {
        store.setRemoteQuarantined(uri, true).orElseThrow(() -> MediaException.notFound("No such cached remote media"));
        log.info("Quarantined remote media {}", uri);
        return true;
      }
      LocalMedia media = store.setQuarantined(localId(uri), true).orElseThrow(() -> MediaException.notFound("No such media"));
      log.info("Quarantine of {}: {}", uri, media.quarantined() ? "done" : "refused, the media is protected");
      return media.quarantined();
    }

    @Override
    public void unquarantine(MxcUri uri) {
      if (!uri.serverName().equals(serverName)) {
        store.setRemoteQuarantined(uri, false).orElseThrow(() -> MediaException.notFound("No such cached remote media"));
        return;
      }
      store.setQuarantined(localId(uri), false).orElseThrow(() -> MediaException.notFound("No such media"));
      log.info("Released {} from quarantine", uri);
    }

    @Override
    public int quarantineByHash(String sha256) {
      int n = store.setQuarantinedByHash(blobKey(sha256), true);
      log.info("Quarantined {} media with hash {}", n, sha256);
      return n;
    }

    @Override
    public int unquarantineByHash(String sha256) {
      int n = store.setQuarantinedByHash(blobKey(sha256), false);
      log.info("Released {} media with hash {} from quarantine", n, sha256);
      return n;
    }

    @Override
    public void protect(MxcUri uri) {
      store.setSafeFromQuarantine(localId(uri), true).orElseThrow(() -> MediaException.notFound("No such media"));
    }

    @Override
    public void unprotect(MxcUri uri) {
      store.setSafeFromQuarantine(localId(uri), false).orElseThrow(() -> MediaException.notFound("No such media"));
    }

    @Override
    public void delete(MxcUri uri) {
      if (!uri.serverName().equals(serverName)) {
        RemoteMedia gone = store.deleteRemoteMedia(uri).orElseThrow(() -> MediaException.notFound("No such cached remote media"));
        log.info("Deleted cached remote media {}", uri);
        blobs.deleteIfUnreferenced(gone.blob());
        return;
      }
      MediaId id = localId(uri);
      Optional<LocalMedia> removed = store.deleteLocalMedia(id);
      if (removed.isEmpty()) {
        throw MediaException.notFound("No such media");
      }
      log.info("Deleted media {}", uri);
      blobs.deleteIfUnreferenced(removed.get().blob());
    }

    @Override
    public org.mxmedia.MediaUsage usage(UserId user, Instant since) {
      return store.usage(user, since);
    }

    @Override
    public int purgeRemoteMediaAccessedBefore(Instant before) {
      int purged = 0;
      while (true) {
        List<RemoteMedia> batch = store.remoteMediaAccessedBefore(before, 500);
        if (batch.isEmpty()) {
          break;
        }
        for (RemoteMedia m : batch) {
          Optional<RemoteMedia> gone = store.deleteRemoteMedia(m.uri());
          if (gone.isPresent()) {
            blobs.deleteIfUnreferenced(gone.get().blob());
            purged++;
          }
        }
      }
      log.info("Purged {} cached remote media not accessed since {}", purged, before);
      return purged;
    }

    @Override
    public int purgeExpiredPendingUploads() {
      int n = store.deleteExpiredPending(clock.instant());
      if (n > 0) {
        log.info("Purged {} expired pending uploads", n);
      }
      return n;
    }

    private MediaId localId(MxcUri uri) {
      if (!uri.serverName().equals(serverName)) {
        throw MediaException.notFound("Not local media: " + uri);
      }
      return uri.mediaId();
    }

    private org.mxmedia.spi.BlobKey blobKey(String sha256) {
      try {
        return org.mxmedia.spi.BlobKey.of(sha256);
      } catch (IllegalArgumentException e) {
        throw MediaException.invalidParam("A media hash is 64 lower-case hex characters");
      }
    }
  }

  // ---- lifecycle

  private void maintain() {
    int swept = blobs.sweepUnreferenced();
    if (swept > 0) {
      log.info("Finished {} interrupted blob deletions", swept);
    }
    trustedAdmin.purgeExpiredPendingUploads();
  }

  /** Writes the recorded access times now (they are otherwise written every flush interval). */
  public void flushAccessTimes() {
    accesses.flush();
  }

  /** Remote fetches started since the repository was built (joined requests do not count). */
  public long remoteFetches() {
    return remote == null ? 0 : remote.fetchCount();
  }

  /** Remote servers remembered as failing (a bounded cache). */
  public long remoteBackoffEntries() {
    return remote == null ? 0 : remote.backoffEntries();
  }

  /** Background copies to storage providers not yet finished. */
  public int pendingProviderCopies() {
    return blobs.pendingCopies();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    scheduler.shutdownNow();
    if (thumbnailPool != null) {
      thumbnailPool.shutdownNow();
    }
    try {
      accesses.flush();
    } catch (RuntimeException e) {
      log.warn("Could not write access times on close", e);
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
      try {
        if (!ownedExecutor.awaitTermination(10, TimeUnit.SECONDS)) {
          ownedExecutor.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        ownedExecutor.shutdownNow();
      }
    }
    blobs.close();
    log.info("Media repository for {} closed", serverName);
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 503, "The media repository is shutting down");
    }
  }

  private static Runnable guard(String what, Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("Background {} failed; it runs again later", what, e);
      }
    };
  }

  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
