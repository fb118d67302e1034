package org.mxmedia.internal;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.mxmedia.DataSize;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.PendingUpload;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MediaRepository.UrlPreviewResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UrlPreviewer;
import org.mxmedia.spi.UserDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link MediaRepository}, wired by {@link RepositoryFactory}: a façade over
 * {@link Uploads}, {@link Downloads} and {@link AdminOperations}, with the {@link Lifecycle} that
 * runs the background work (access-time flushes, lease renewal, the hourly maintenance).
 */
final class DefaultMediaRepository implements MediaRepository {
  private static final Logger log = LoggerFactory.getLogger(DefaultMediaRepository.class);
  private static final Duration MAINTENANCE_INTERVAL = Duration.ofHours(1);
  private static final Duration PREVIEW_EXPIRY_INTERVAL = Duration.ofMinutes(10);

  private final ServerName serverName;
  private final MediaConfig config;
  private final Authorizer authorizer;
  private final Lifecycle lifecycle;
  private final LocalBlobCache cache;
  private final BlobManager blobs;
  private final AccessRecorder accesses;
  private final Uploads uploads;
  private final Downloads downloads;
  private final AdminOperations admin;
  private final MediaEvents events;
  private final Optional<PreviewService> previews;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final UploadPolicy uploadPolicy;

  DefaultMediaRepository(
      ServerName serverName,
      MediaConfig config,
      MediaStore store,
      PrimaryStorage primary,
      List<ProviderEntry> providers,
      UploadPolicy uploadPolicy,
      Authorizer authorizer,
      UserDirectory users,
      Clock clock,
      MediaIdGenerator ids,
      Lifecycle lifecycle,
      Optional<Thumbnailer> thumbnailer,
      Optional<FederationClient> federationClient,
      OutboundPolicy outboundPolicy,
      LocalBlobCache cache,
      MediaEvents events,
      RepositoryFactory.LifecycleOptions lifecycleOptions,
      Optional<UrlPreviewer> urlPreviewer) {
    this.serverName = serverName;
    this.events = events;
    this.config = config;
    this.authorizer = authorizer;
    this.lifecycle = lifecycle;
    this.cache = cache;
    this.blobs =
        new BlobManager(
            store, primary, providers, cache, clock, lifecycle.executor(), lifecycle.scheduler());
    this.accesses = new AccessRecorder(store, lifecycle.executor());
    WorkClaims claims = new WorkClaims(store, clock, lifecycle.scheduler());
    Optional<ThumbnailService> thumbnails =
        thumbnailer.map(
            t ->
                new ThumbnailService(
                    store, blobs, t, config, clock, lifecycle.thumbnailPool(), claims, events));
    Optional<RemoteFetcher> remote =
        federationClient.map(
            client ->
                new RemoteFetcher(
                    new FederationDownload(client, outboundPolicy),
                    blobs,
                    store,
                    config,
                    clock,
                    lifecycle.scheduler(),
                    claims,
                    events,
                    lifecycleOptions.spamChecker()));
    this.downloads =
        new Downloads(
            serverName,
            config,
            store,
            blobs,
            clock,
            thumbnails,
            remote,
            accesses,
            events,
            lifecycleOptions.rateLimiter());
    this.uploads =
        new Uploads(
            serverName,
            config,
            store,
            blobs,
            uploadPolicy,
            clock,
            ids,
            downloads::pregenerate,
            downloads::completed,
            events,
            lifecycleOptions);
    this.uploadPolicy = uploadPolicy;
    this.admin = new AdminOperations(serverName, store, blobs, clock, users);
    this.previews =
        urlPreviewer.map(
            p ->
                new PreviewService(
                    serverName,
                    config,
                    store,
                    blobs,
                    uploadPolicy,
                    clock,
                    ids,
                    thumbnailer,
                    downloads::pregenerate,
                    claims,
                    p));

    lifecycle.every(
        "access-time flush",
        config.lastAccessFlushInterval(),
        config.lastAccessFlushInterval(),
        accesses::flush);
    lifecycle.every(
        "lease renewal", Duration.ZERO, BlobDeletions.HEARTBEAT_INTERVAL, blobs::heartbeat);
    lifecycle.every("maintenance", Duration.ZERO, MAINTENANCE_INTERVAL, this::maintain);
    AccessRecorder recorder = accesses;
    events.started(
        new MediaEvents.BackgroundWork() {
          @Override
          public int thumbnailsQueued() {
            return lifecycle.thumbnailsQueued();
          }

          @Override
          public int providerCopiesQueued() {
            return blobs.copiesQueued();
          }

          @Override
          public int accessTimesWaiting() {
            return recorder.waiting();
          }
        });
    RetentionSweep retention =
        new RetentionSweep(store, blobs, accesses, clock, lifecycleOptions, closed::get);
    if (retention.retains()) {
      lifecycle.every(
          "media retention",
          Duration.ZERO,
          RetentionSweep.RETENTION_INTERVAL,
          retention::applyRetention);
    }
    if (retention.bounds()) {
      lifecycle.every(
          "remote cache bound",
          Duration.ZERO,
          RetentionSweep.SPACE_INTERVAL,
          retention::enforceSpaceBound);
    }
    previews.ifPresent(
        p ->
            lifecycle.every(
                "URL preview expiry",
                PREVIEW_EXPIRY_INTERVAL,
                PREVIEW_EXPIRY_INTERVAL,
                () -> {
                  int expired = p.expire();
                  if (expired > 0) {
                    log.info("Deleted {} expired URL previews", expired);
                  }
                }));
    log.info(
        "Media repository for {} started: primary storage {}, providers {}",
        serverName,
        primary.name(),
        providers);
  }

  @Override
  public ServerName serverName() {
    return serverName;
  }

  @Override
  public MediaConfig config() {
    return config;
  }

  @Override
  public MxcUri upload(UserId uploader, UploadRequest request, InputStream body) {
    try {
      ensureOpen();
      return uploads.upload(uploader, request, body);
    } catch (RuntimeException e) {
      throw failed(MediaEvents.Operation.UPLOAD, e);
    }
  }

  @Override
  public PendingUpload createPending(UserId owner) {
    try {
      ensureOpen();
      return uploads.createPending(owner);
    } catch (RuntimeException e) {
      throw failed(MediaEvents.Operation.CREATE_PENDING, e);
    }
  }

  @Override
  public void uploadPending(MxcUri uri, UserId uploader, UploadRequest request, InputStream body) {
    try {
      ensureOpen();
      uploads.uploadPending(uri, uploader, request, body);
    } catch (RuntimeException e) {
      throw failed(MediaEvents.Operation.UPLOAD_PENDING, e);
    }
  }

  @Override
  public MediaResponse download(MxcUri uri, DownloadOptions options) {
    try {
      ensureOpen();
      return downloads.download(uri, options);
    } catch (RuntimeException e) {
      throw failed(MediaEvents.Operation.DOWNLOAD, e);
    }
  }

  @Override
  public MediaResponse thumbnail(MxcUri uri, ThumbnailSpec spec, DownloadOptions options) {
    try {
      ensureOpen();
      return downloads.thumbnail(uri, spec, options);
    } catch (RuntimeException e) {
      throw failed(MediaEvents.Operation.THUMBNAIL, e);
    }
  }

  /**
   * Reports a failed operation (an unexpected exception as the 500 {@code M_UNKNOWN} a caller
   * answers) and returns {@code e}.
   */
  private RuntimeException failed(MediaEvents.Operation operation, RuntimeException e) {
    if (e instanceof MediaException m) {
      events.failed(new MediaEvents.Failure(operation, m.errorCode(), m.httpStatus()));
    } else {
      events.failed(new MediaEvents.Failure(operation, ErrorCode.M_UNKNOWN, 500));
    }
    return e;
  }

  @Override
  public DataSize maxUploadSize(UserId user) {
    DataSize configured = config.maxUploadSize();
    return uploadPolicy
        .maxUploadSize(user)
        .filter(own -> own.bytes() < configured.bytes())
        .orElse(configured);
  }

  @Override
  public UrlPreviewResponse previewUrl(UserId user, String url) {
    return preview(user, url, Optional.empty());
  }

  @Override
  public UrlPreviewResponse previewUrl(UserId user, String url, Instant ts) {
    return preview(user, url, Optional.of(ts));
  }

  private UrlPreviewResponse preview(UserId user, String url, Optional<Instant> ts) {
    ensureOpen();
    return previews
        .orElseThrow(
            () ->
                new MediaException(
                    ErrorCode.M_UNRECOGNIZED, 404, "URL previews are not enabled on this server"))
        .preview(user, url, ts);
  }

  @Override
  public MediaAdmin admin() {
    return admin;
  }

  @Override
  public MediaAdmin admin(UserId actor) {
    return AuthorizedAdmin.of(admin, authorizer, actor);
  }

  /**
   * Finishes interrupted deletions and releases stopped processes' reservations; purges expired
   * pending uploads.
   */
  private void maintain() {
    int swept = blobs.sweepUnreferenced();
    if (swept > 0) {
      log.info("Finished {} interrupted blob deletions", swept);
    }
    admin.purgeExpiredPendingUploads();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    lifecycle.stopTasks();
    try {
      accesses.flush();
    } catch (RuntimeException e) {
      log.warn("Could not write access times on close", e);
    }
    lifecycle.finish();
    blobs.close();
    cache.close();
    log.info("Media repository for {} closed", serverName);
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new MediaException(ErrorCode.M_UNKNOWN, 503, "The media repository is shutting down");
    }
  }
}
