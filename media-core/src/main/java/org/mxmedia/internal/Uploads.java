package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository.PendingUpload;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.SpamChecker;
import org.mxmedia.spi.UploadPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads, plain and asynchronous: the request checked (content type, file name, the policy's
 * allowance, the configured maximum), then the blob layer's one ingest path, then the record.
 */
final class Uploads {
  private static final Logger log = LoggerFactory.getLogger(Uploads.class);
  static final int MAX_ID_ATTEMPTS = 8;

  private final ServerName serverName;
  private final MediaConfig config;
  private final MediaStore store;
  private final BlobManager blobs;
  private final UploadPolicy uploadPolicy;
  private final Clock clock;
  private final MediaIdGenerator ids;
  private final UploadBudgets budgets = new UploadBudgets();

  /** Told of every stored upload (thumbnail pre-generation). */
  private final Consumer<LocalMedia> stored;

  /** Told of every pending upload completed (waking downloads that wait for it). */
  private final Consumer<MediaId> completed;

  private final MediaEvents events;
  private final RepositoryFactory.LifecycleOptions lifecycle;

  Uploads(
      ServerName serverName,
      MediaConfig config,
      MediaStore store,
      BlobManager blobs,
      UploadPolicy uploadPolicy,
      Clock clock,
      MediaIdGenerator ids,
      Consumer<LocalMedia> stored,
      Consumer<MediaId> completed,
      MediaEvents events,
      RepositoryFactory.LifecycleOptions lifecycle) {
    this.events = events;
    this.serverName = serverName;
    this.config = config;
    this.store = store;
    this.blobs = blobs;
    this.uploadPolicy = uploadPolicy;
    this.clock = clock;
    this.ids = ids;
    this.stored = stored;
    this.completed = completed;
    this.lifecycle = lifecycle;
  }

  MxcUri upload(UserId uploader, UploadRequest request, InputStream body) {
    long start = System.nanoTime();
    String contentType = ContentHeaders.normalizeContentType(request.contentType());
    Optional<String> fileName = validFileName(request);
    rateLimit(RateLimiter.Action.UPLOAD, uploader);
    try (UploadBudgets.Ticket ticket = budgets.open(uploader)) {
      LocalMedia media =
          blobs.ingest(
              body,
              request.declaredLength(),
              limitFor(uploader, request, ticket),
              true,
              staged -> spamCheck(uploader, contentType, fileName, staged),
              staged -> {
                Instant now = clock.instant();
                for (int attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
                  MediaId id = ids.next();
                  LocalMedia m =
                      LocalMedia.uploaded(
                          id, contentType, fileName, uploader, staged.size(), staged.key(), now);
                  if (store.insertLocalMedia(m)) {
                    ticket.stored();
                    return BlobManager.Recorded.kept(m);
                  }
                  log.warn("Media id {} is taken; choosing another", id);
                }
                throw idsExhausted();
              });
      log.info(
          "Stored upload {} ({} bytes, {}) from {}",
          media.mediaId(),
          media.size(),
          contentType,
          uploader);
      events.uploaded(
          new MediaEvents.Upload(false, media.size(), Duration.ofNanos(System.nanoTime() - start)));
      stored.accept(media);
      return MxcUri.of(serverName, media.mediaId());
    }
  }

  PendingUpload createPending(UserId owner) {
    rateLimit(RateLimiter.Action.CREATE, owner);
    Instant now = clock.instant();
    Instant expiresAt = now.plus(config.unusedPendingExpiry());
    for (int attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt++) {
      MediaId id = ids.next();
      switch (store.insertPending(
          new PendingMedia(id, owner, now, expiresAt), config.maxPendingUploadsPerUser(), now)) {
        case INSERTED -> {
          log.info("Reserved pending upload {} for {} until {}", id, owner, expiresAt);
          return new PendingUpload(MxcUri.of(serverName, id), expiresAt);
        }
        case LIMIT_REACHED ->
            throw MediaException.limitExceeded(
                "You have too many uploads pending; finish or wait for them to expire",
                Duration.ofSeconds(Math.max(1, config.unusedPendingExpiry().toSeconds() / 10)));
        case ID_TAKEN -> log.warn("Media id {} is taken; choosing another", id);
      }
    }
    throw idsExhausted();
  }

  void uploadPending(MxcUri uri, UserId uploader, UploadRequest request, InputStream body) {
    long start = System.nanoTime();
    MediaId id = uri.mediaId();
    if (!uri.serverName().equals(serverName)) {
      throw MediaException.notFound("Cannot upload media of another server");
    }
    checkPendingUploadable(id, uploader);
    String contentType = ContentHeaders.normalizeContentType(request.contentType());
    Optional<String> fileName = validFileName(request);
    rateLimit(RateLimiter.Action.UPLOAD, uploader);
    try (UploadBudgets.Ticket ticket = budgets.open(uploader)) {
      LocalMedia media =
          blobs.ingest(
              body,
              request.declaredLength(),
              limitFor(uploader, request, ticket),
              true,
              staged -> {
                // it may have been completed or expired while the body was read
                checkPendingUploadable(id, uploader);
                spamCheck(uploader, contentType, fileName, staged);
              },
              staged -> {
                LocalMedia m =
                    LocalMedia.uploaded(
                        id,
                        contentType,
                        fileName,
                        uploader,
                        staged.size(),
                        staged.key(),
                        clock.instant());
                if (!store.completePending(m)) {
                  if (store.localMedia(id).isPresent()) {
                    throw new MediaException(
                        ErrorCode.M_CANNOT_OVERWRITE_MEDIA, "Media already has content");
                  }
                  throw MediaException.notFound("Unknown or expired media id");
                }
                ticket.stored();
                return BlobManager.Recorded.kept(m);
              });
      log.info(
          "Stored pending upload {} ({} bytes, {}) from {}",
          id,
          media.size(),
          contentType,
          uploader);
      events.uploaded(
          new MediaEvents.Upload(true, media.size(), Duration.ofNanos(System.nanoTime() - start)));
      stored.accept(media);
    }
    completed.accept(id);
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

  private static Optional<String> validFileName(UploadRequest request) {
    if (request.fileName().isEmpty() || request.fileName().get().isEmpty()) {
      return Optional.empty();
    }
    if (!ContentHeaders.isAcceptableFileName(request.fileName().get())) {
      throw MediaException.invalidParam(
          "The file name must be at most 255 characters without control characters");
    }
    return request.fileName();
  }

  /**
   * The limit of one upload: the configured maximum, the policy's allowance, and, when the
   * allowance is a budget of the uploader's, the ticket that shares it with their other uploads in
   * progress (opened before the policy reads the store's usage).
   */
  private Ingest.Limit limitFor(
      UserId uploader, UploadRequest request, UploadBudgets.Ticket ticket) {
    UploadPolicy.Allowance allowance =
        uploadPolicy.admit(
            new UploadPolicy.Attempt(
                uploader, request, clock.instant(), since -> store.usage(uploader, since)));
    // the policy's own per-user maximum, if lower, is enforced as the configured one (and /config
    // reports it)
    DataSize max =
        uploadPolicy
            .maxUploadSize(uploader)
            .filter(own -> own.bytes() < config.maxUploadSize().bytes())
            .orElse(config.maxUploadSize());
    long configured = max.bytes();
    MediaException tooLarge =
        new MediaException(
            ErrorCode.M_TOO_LARGE, 413, "Upload is larger than the maximum of " + max);
    if (allowance.sharedByUploader()) {
      return new Ingest.Limit(
          configured, tooLarge, ticket, allowance.maxBytes(), allowance.whenExceeded());
    }
    if (allowance.maxBytes() < configured) {
      return new Ingest.Limit(allowance.maxBytes(), allowance.whenExceeded());
    }
    return new Ingest.Limit(configured, tooLarge);
  }

  /** 429 {@code M_LIMIT_EXCEEDED} with the wait when the rate limiter refuses. */
  private void rateLimit(RateLimiter.Action action, UserId user) {
    Optional<Duration> wait = lifecycle.rateLimiter().tryAcquire(action, user, 1);
    if (wait.isPresent()) {
      log.info("Rate limited {} of {} for {}", action, user, wait.get());
      throw MediaException.limitExceeded("Too many requests; try again later", wait.get());
    }
  }

  /**
   * Runs the spam checker, if any, on staged bytes: 400 {@code M_FORBIDDEN} when it rejects them,
   * 500 when they cannot be read; either way the caller's ingest discards the staging file and
   * nothing was reserved or recorded yet.
   */
  private void spamCheck(
      UserId uploader, String contentType, Optional<String> fileName, Ingest.Staged staged) {
    if (lifecycle.spamChecker().isEmpty()) {
      return;
    }
    boolean accepted;
    try {
      accepted =
          lifecycle
              .spamChecker()
              .get()
              .accepts(
                  new SpamChecker.Upload(
                      uploader, contentType, fileName, staged.size(), staged.staged()::openStaged));
    } catch (IOException e) {
      log.error("The spam checker could not read an upload of {}", uploader, e);
      throw MediaException.internal("Could not check the upload", e);
    }
    if (!accepted) {
      log.info(
          "The spam checker rejected an upload of {} ({} bytes, {})",
          uploader,
          staged.size(),
          contentType);
      throw new MediaException(
          ErrorCode.M_FORBIDDEN, 400, "This file was rejected by the server's content policy");
    }
  }

  private static MediaException idsExhausted() {
    return new MediaException(
        ErrorCode.M_UNKNOWN,
        500,
        "Could not allocate a media id: " + MAX_ID_ATTEMPTS + " ids in a row were taken");
  }
}
