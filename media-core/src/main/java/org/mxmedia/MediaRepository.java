package org.mxmedia;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;
import org.mxmedia.internal.ContentHeaders;
import org.mxmedia.internal.ProviderEntry;
import org.mxmedia.internal.RepositoryFactory;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.SpamChecker;
import org.mxmedia.spi.StorageProvider;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UrlPreviewer;
import org.mxmedia.spi.UserDirectory;

/**
 * A Matrix media repository: the one entry point of mxmedia. Built once with {@link #builder()},
 * thread-safe, and closed when the host shuts down.
 *
 * <p>Every operation is a plain blocking call meant for the host's own request threads. Every
 * failure a caller can see is a {@link MediaException}: a Matrix error code, an HTTP status, and a
 * message fit for a user.
 */
public interface MediaRepository extends AutoCloseable {

  /** Starts building a repository. */
  static Builder builder() {
    return new Builder();
  }

  /** The server name this repository serves local media under. */
  ServerName serverName();

  /** The configuration in force. */
  MediaConfig config();

  /**
   * Stores an upload and returns its new content URI. The body is streamed to a staging file
   * (hashed and counted on the way) and made visible whole or not at all; the caller closes it.
   *
   * @throws MediaException 413 {@code M_TOO_LARGE} when the body (or its declared length) is over
   *     the configured maximum; whatever the {@link UploadPolicy} throws or decides (for example
   *     400 {@code M_RESOURCE_LIMIT_EXCEEDED}); 400 {@code M_INVALID_PARAM} for a file name with
   *     control characters or over 255 characters; 400 {@code M_UNKNOWN} when the body ends before
   *     its declared length or the client's stream fails; 429 {@code M_LIMIT_EXCEEDED} (with the
   *     wait) when the {@link RateLimiter} refuses; 400 {@code M_FORBIDDEN} when the {@link
   *     SpamChecker} rejects the file; 500 {@code M_UNKNOWN} when storage fails
   */
  MxcUri upload(UserId uploader, UploadRequest request, InputStream body);

  /**
   * Reserves a content URI whose bytes {@code owner} will send later with {@link #uploadPending}.
   *
   * @throws MediaException 429 {@code M_LIMIT_EXCEEDED} when the owner already holds the configured
   *     number of unfinished reservations, or the {@link RateLimiter} refuses
   */
  PendingUpload createPending(UserId owner);

  /**
   * Sends the bytes of a URI reserved with {@link #createPending}.
   *
   * @throws MediaException 404 {@code M_NOT_FOUND} for an unknown, expired or foreign URI; 403
   *     {@code M_FORBIDDEN} when {@code uploader} did not reserve it; 409 {@code
   *     M_CANNOT_OVERWRITE_MEDIA} when its bytes were already sent; and everything {@link #upload}
   *     throws
   */
  void uploadPending(MxcUri uri, UserId uploader, UploadRequest request, InputStream body);

  /**
   * Opens media for download. For a pending upload it waits up to the options' timeout for the
   * bytes. The caller must close the response.
   *
   * @throws MediaException 404 {@code M_NOT_FOUND} for unknown or quarantined media, and for remote
   *     media when remote fetching is disallowed, not configured, or the origin has no such media;
   *     504 {@code M_NOT_YET_UPLOADED} when a pending upload's bytes do not arrive in time; 502
   *     {@code M_TOO_LARGE} for remote media over the size limit; 502 {@code M_UNKNOWN} when the
   *     origin fails, stalls, sends malformed answers or is being backed off; 429 {@code
   *     M_LIMIT_EXCEEDED} when uncached remote media would be fetched for a requester whose remote
   *     bytes the {@link RateLimiter} holds back
   */
  MediaResponse download(MxcUri uri, DownloadOptions options);

  /**
   * Opens a thumbnail of media for download.
   *
   * @throws MediaException 404 {@code M_NOT_FOUND} as {@link #download}; 400 {@code M_UNKNOWN} when
   *     the content cannot be thumbnailed (not an image, an image type that is not supported, more
   *     pixels than {@link MediaConfig#maxImagePixels()}, a corrupt image, or no thumbnailer
   *     configured); 504 {@code M_NOT_YET_UPLOADED} as {@link #download}
   */
  MediaResponse thumbnail(MxcUri uri, ThumbnailSpec spec, DownloadOptions options);

  /**
   * The largest upload {@code user} may make, as the client {@code /config} endpoint reports it
   * ({@code m.upload.size}): the configured maximum, lowered by the upload policy's own per-user
   * limit if it has one ({@link UploadPolicy#maxUploadSize}). Quotas over time are not subtracted,
   * as in Synapse.
   */
  default DataSize maxUploadSize(UserId user) {
    return config().maxUploadSize();
  }

  /**
   * The preview of a web page for {@code GET /_matrix/client/v1/media/preview_url}: its OpenGraph
   * properties, with its image stored as {@code user}'s media. Answers from the cache in the {@link
   * MediaStore} (shared by every repository using it) when it holds a preview that is still fresh;
   * otherwise fetches the page once, however many callers (here and in other repositories sharing
   * the store) ask at the same time, and caches the answer for the page's own cache lifetime, at
   * least one hour and at most one day.
   *
   * @param user who asks (their rate limit applies, and the image is stored as theirs, under the
   *     {@link UploadPolicy}'s allowance)
   * @param url the page, an absolute {@code http} or {@code https} URL
   * @throws MediaException 404 {@code M_UNRECOGNIZED} when previews are not enabled (no {@link
   *     Builder#urlPreviews}); 400 {@code M_MISSING_PARAM} for an empty {@code url}; 400 {@code
   *     M_INVALID_PARAM} for a {@code url} that is not an absolute http(s) URL with a host, carries
   *     credentials or is longer than 4096 characters; 429 {@code M_LIMIT_EXCEEDED} past the user's
   *     rate (30 at once, one more each second); 403 {@code M_FORBIDDEN} when the URL or an address
   *     it leads to is refused by the previewer's policy; 502 {@code M_UNKNOWN} when the page is
   *     unreachable, answers an error or is too large to preview; 504 {@code M_UNKNOWN} when it
   *     does not arrive within the previewer's deadline
   */
  UrlPreviewResponse previewUrl(UserId user, String url);

  /**
   * {@link #previewUrl(UserId, String)} as of {@code ts} (the spec's {@code ts}): the preview
   * cached at or before that instant that was still fresh then, else the first cached after it,
   * else a new fetch. A {@code ts} in the future means now. Throws as {@link #previewUrl(UserId,
   * String)}.
   */
  UrlPreviewResponse previewUrl(UserId user, String url, Instant ts);

  /** Administrative operations for trusted host code. */
  MediaAdmin admin();

  /**
   * Administrative operations on behalf of {@code actor}.
   *
   * @throws MediaException 403 {@code M_FORBIDDEN} ("You are not a server admin") unless the {@link
   *     Authorizer} says the actor is an admin; each operation asks it again and fails the same way
   *     once the actor no longer is
   */
  MediaAdmin admin(UserId actor);

  /** Writes pending access times, stops background work and releases threads. Idempotent. */
  @Override
  void close();

  /**
   * Builds a {@link MediaRepository}. Each setter validates at once and may be called only once
   * (except {@link #storageProvider}, which adds one provider per call). {@link #serverName},
   * {@link #mediaStore} and {@link #storage} are required.
   */
  final class Builder {
    private @Nullable ServerName serverName;
    private @Nullable MediaConfig config;
    private @Nullable MediaStore mediaStore;
    private @Nullable PrimaryStorage storage;
    private final List<ProviderEntry> providers = new ArrayList<>();
    private @Nullable ScheduledExecutorService scheduler;
    private RepositoryFactory.@Nullable LocalCache localCache;
    private @Nullable UploadPolicy uploadPolicy;
    private @Nullable Authorizer authorizer;
    private @Nullable UserDirectory userDirectory;
    private @Nullable Clock clock;
    private @Nullable MediaIdGenerator mediaIdGenerator;
    private @Nullable Executor executor;
    private @Nullable Thumbnailer thumbnailer;
    private @Nullable FederationClient federationClient;
    private @Nullable OutboundPolicy outboundPolicy;
    private @Nullable MediaEvents events;
    private @Nullable UrlPreviewer urlPreviewer;

    private Builder() {}

    public Builder serverName(String serverName) {
      return serverName(ServerName.of(serverName));
    }

    public Builder serverName(ServerName serverName) {
      this.serverName = once(this.serverName, serverName, "serverName");
      return this;
    }

    /** Default: {@link MediaConfig#defaults()}. */
    public Builder config(MediaConfig config) {
      this.config = once(this.config, config, "config");
      return this;
    }

    /** The metadata store (required). */
    public Builder mediaStore(MediaStore mediaStore) {
      this.mediaStore = once(this.mediaStore, mediaStore, "mediaStore");
      return this;
    }

    /** The primary storage that every blob passes through (required). */
    public Builder storage(PrimaryStorage storage) {
      this.storage = once(this.storage, storage, "storage");
      return this;
    }

    /** Adds a storage provider, read after the primary storage in the order added. */
    public Builder storageProvider(StorageProvider provider, StorageProviderOptions options) {
      providers.add(new ProviderEntry(provider, options));
      return this;
    }

    /** Default: {@link UploadPolicy#unlimited()}. */
    public Builder uploadPolicy(UploadPolicy uploadPolicy) {
      this.uploadPolicy = once(this.uploadPolicy, uploadPolicy, "uploadPolicy");
      return this;
    }

    /** Default: {@link Authorizer#denyAll()}. */
    public Builder authorizer(Authorizer authorizer) {
      this.authorizer = once(this.authorizer, authorizer, "authorizer");
      return this;
    }

    /**
     * What the admin operations ask the host about its users: whether an account exists, display
     * names, and which media are profile or room images. Default: {@link UserDirectory#none()}.
     */
    public Builder userDirectory(UserDirectory userDirectory) {
      this.userDirectory = once(this.userDirectory, userDirectory, "userDirectory");
      return this;
    }

    /** Default: the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = once(this.clock, clock, "clock");
      return this;
    }

    /** Default: {@link MediaIdGenerator#secureRandom()}. */
    public Builder mediaIdGenerator(MediaIdGenerator generator) {
      this.mediaIdGenerator = once(this.mediaIdGenerator, generator, "mediaIdGenerator");
      return this;
    }

    /**
     * Makes thumbnails (for example {@code new ImageIoThumbnailer()} from {@code media-thumbnail}).
     * Without one, thumbnail requests answer 400 {@code M_UNKNOWN}. The configured sizes are
     * generated in the background after each upload.
     */
    public Builder thumbnailer(Thumbnailer thumbnailer) {
      this.thumbnailer = once(this.thumbnailer, thumbnailer, "thumbnailer");
      return this;
    }

    /**
     * The host's server-to-server transport. With one, downloads and thumbnails of other servers'
     * media fetch and cache it; without one they answer 404.
     */
    public Builder federationClient(FederationClient client) {
      this.federationClient = once(this.federationClient, client, "federationClient");
      return this;
    }

    /**
     * Which addresses the repository may be sent to by remote input: every {@code Location} and
     * redirect target of a remote media answer is checked against it before the {@link
     * FederationClient} is asked to fetch it. A host's transport should also connect only through
     * {@link OutboundPolicy#resolve} (DNS-rebinding safe). Default: {@link
     * OutboundPolicy#defaults()}, Synapse's {@code ip_range_blacklist}.
     */
    public Builder outboundPolicy(OutboundPolicy policy) {
      this.outboundPolicy = once(this.outboundPolicy, policy, "outboundPolicy");
      return this;
    }

    /**
     * Told of uploads, downloads, thumbnails, remote fetches, failures, store and storage call
     * latencies, and given views of the background queues (for metrics: {@code media-metrics} has a
     * Micrometer one). Called synchronously and must be cheap; an exception it throws is logged
     * once and never fails a request. Default: {@link MediaEvents#none()}.
     */
    public Builder events(MediaEvents events) {
      this.events = once(this.events, events, "events");
      return this;
    }

    /**
     * Turns {@code preview_url} on: {@link MediaRepository#previewUrl} asks {@code previewer} (for
     * example {@code UrlPreviews} from {@code media-preview}) for the pages not in the cache, and
     * expired previews are deleted with their images every ten minutes. The repository does not
     * close it. Without one, previews answer 404 {@code M_UNRECOGNIZED}.
     */
    public Builder urlPreviews(UrlPreviewer previewer) {
      this.urlPreviewer = once(this.urlPreviewer, previewer, "urlPreviews");
      return this;
    }

    /**
     * Where background work runs (copies to asynchronous storage providers). Default: a small pool
     * of daemon threads owned by the repository and shut down by {@link #close()}; an executor
     * given here is not shut down.
     */
    public Builder executor(Executor executor) {
      this.executor = once(this.executor, executor, "executor");
      return this;
    }

    /**
     * Where periodic and delayed work runs (access-time flushes, lease renewal, maintenance,
     * retries of provider copies, the remote fetch watchdog). Default: one daemon thread owned by
     * the repository and shut down by {@link #close()}; a scheduler given here is not shut down
     * (its tasks are cancelled). Tests give one they drive.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = once(this.scheduler, scheduler, "scheduler");
      return this;
    }

    /**
     * Where copies of blobs are kept when the primary storage keeps no local files (object storage,
     * memory) and the engine needs a file (to thumbnail, or to copy to a provider), and how many
     * bytes of copies not in use it keeps (least recently used go first). Default: a temporary
     * directory deleted on close, 1 GiB.
     */
    public Builder localCache(Path directory, DataSize maxSize) {
      RepositoryFactory.LocalCache cache = new RepositoryFactory.LocalCache(directory, maxSize);
      this.localCache = once(this.localCache, cache, "localCache");
      return this;
    }

    // ---- lifecycle: retention, the remote cache's bound, rate limits, spam checks

    private @Nullable Duration localMediaLifetime;
    private @Nullable Duration remoteMediaLifetime;
    private @Nullable DataSize remoteCacheMaxSize;
    private @Nullable RateLimiter rateLimiter;
    private @Nullable SpamChecker spamChecker;

    /**
     * Synapse's {@code media_retention.local_media_lifetime}: local media not downloaded (or, never
     * downloaded, not uploaded) for this long is deleted by the hourly background sweep, except
     * media that is quarantined or protected from quarantine. Default: kept forever.
     */
    public Builder localMediaLifetime(Duration lifetime) {
      this.localMediaLifetime =
          once(
              this.localMediaLifetime,
              positive(lifetime, "localMediaLifetime"),
              "localMediaLifetime");
      return this;
    }

    /**
     * Synapse's {@code media_retention.remote_media_lifetime}: cached remote media not served for
     * this long is deleted by the hourly background sweep (it is fetched again when asked for),
     * except quarantined media. Default: kept forever.
     */
    public Builder remoteMediaLifetime(Duration lifetime) {
      this.remoteMediaLifetime =
          once(
              this.remoteMediaLifetime,
              positive(lifetime, "remoteMediaLifetime"),
              "remoteMediaLifetime");
      return this;
    }

    /**
     * Bounds the cached remote media (the sum of their sizes): past it, a background sweep every
     * five minutes deletes the least recently served cached remote media first until the total is
     * within the bound again (quarantined media is kept). Default: unbounded.
     */
    public Builder remoteCacheMaxSize(DataSize maxSize) {
      this.remoteCacheMaxSize = once(this.remoteCacheMaxSize, maxSize, "remoteCacheMaxSize");
      return this;
    }

    /**
     * Limits how fast each user uploads, creates pending uploads and pulls remote bytes. Default:
     * {@link RateLimiter#unlimited()}.
     */
    public Builder rateLimiter(RateLimiter rateLimiter) {
      this.rateLimiter = once(this.rateLimiter, rateLimiter, "rateLimiter");
      return this;
    }

    /**
     * Checks each upload's staged bytes before they are stored, and each remote file fetched over
     * federation before it is cached ({@link SpamChecker#acceptsRemote}). Default: none.
     */
    public Builder spamChecker(SpamChecker spamChecker) {
      this.spamChecker = once(this.spamChecker, spamChecker, "spamChecker");
      return this;
    }

    private static Duration positive(Duration d, String name) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }

    /**
     * Builds the repository and starts its background work (a sweep that finishes blob deletions a
     * crash interrupted, the batched access-time writer, the hourly purge of expired pending
     * uploads).
     *
     * @throws IllegalStateException when a required part is missing
     */
    public MediaRepository build() {
      if (serverName == null) {
        throw new IllegalStateException("serverName is required");
      }
      if (mediaStore == null) {
        throw new IllegalStateException("mediaStore is required");
      }
      if (storage == null) {
        throw new IllegalStateException("storage (the primary storage) is required");
      }
      return RepositoryFactory.create(
          new RepositoryFactory.Parts(
              serverName,
              config == null ? MediaConfig.defaults() : config,
              mediaStore,
              storage,
              providers,
              uploadPolicy == null ? UploadPolicy.unlimited() : uploadPolicy,
              authorizer == null ? Authorizer.denyAll() : authorizer,
              userDirectory == null ? UserDirectory.none() : userDirectory,
              clock == null ? Clock.systemUTC() : clock,
              mediaIdGenerator == null ? MediaIdGenerator.secureRandom() : mediaIdGenerator,
              Optional.ofNullable(executor),
              Optional.ofNullable(scheduler),
              Optional.ofNullable(thumbnailer),
              Optional.ofNullable(federationClient),
              outboundPolicy == null ? OutboundPolicy.defaults() : outboundPolicy,
              Optional.ofNullable(localCache),
              events == null ? MediaEvents.none() : events,
              new RepositoryFactory.LifecycleOptions(
                  Optional.ofNullable(localMediaLifetime),
                  Optional.ofNullable(remoteMediaLifetime),
                  Optional.ofNullable(remoteCacheMaxSize),
                  rateLimiter == null ? RateLimiter.unlimited() : rateLimiter,
                  Optional.ofNullable(spamChecker)),
              Optional.ofNullable(urlPreviewer)));
    }

    private static <T> T once(@Nullable T current, T value, String name) {
      Objects.requireNonNull(value, name);
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
      return value;
    }
  }

  /**
   * An asynchronous upload reserved by {@link MediaRepository#createPending(UserId)}.
   *
   * @param uri the content URI the bytes will be served under
   * @param expiresAt when the reservation lapses if no bytes have arrived
   */
  record PendingUpload(MxcUri uri, Instant expiresAt) {
    public PendingUpload {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  /**
   * The answer to {@code preview_url}: the page's OpenGraph properties, as the spec's response body
   * has them, and when they were fetched.
   *
   * @param properties the answer's keys (such as {@code og:title}, {@code og:image}, {@code
   *     matrix:image:size}) and values, each a {@link String}, a {@link Long} or a {@link Double};
   *     {@code og:image}, when present, is an {@code mxc://} URI of this server. Empty when nothing
   *     could be read from the page. Iterates in the previewer's order.
   * @param fetchedAt when the page was fetched (the answer may come from the cache)
   * @param expiresAt when the cached answer stops being served, after {@code fetchedAt}
   */
  record UrlPreviewResponse(Map<String, Object> properties, Instant fetchedAt, Instant expiresAt) {
    /**
     * @throws IllegalArgumentException when a value is not a {@code String}, {@code Long} or {@code
     *     Double}, or {@code expiresAt} is not after {@code fetchedAt}
     */
    public UrlPreviewResponse {
      Objects.requireNonNull(fetchedAt, "fetchedAt");
      Objects.requireNonNull(expiresAt, "expiresAt");
      if (!expiresAt.isAfter(fetchedAt)) {
        throw new IllegalArgumentException("expiresAt must be after fetchedAt");
      }
      Map<String, Object> copy = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : properties.entrySet()) {
        Object v = Objects.requireNonNull(e.getValue(), e.getKey());
        if (!(v instanceof String || v instanceof Long || v instanceof Double)) {
          throw new IllegalArgumentException(
              "the value of " + e.getKey() + " is not a String, Long or Double");
        }
        copy.put(Objects.requireNonNull(e.getKey(), "key"), v);
      }
      properties = Collections.unmodifiableMap(copy);
    }
  }

  /**
   * How a download should behave.
   *
   * @param allowRemote whether media of other servers may be fetched over federation (the spec's
   *     {@code allow_remote}); when false, uncached remote media is 404
   * @param timeout how long to wait for a pending upload's bytes (or a remote server's answer);
   *     absent means {@link MediaConfig#defaultDownloadTimeout()}. Clamped to at least one second
   *     and at most {@link MediaConfig#maxDownloadTimeout()}; a remote server is always given at
   *     least the default, so a short timeout cannot make a healthy server look broken.
   * @param legacyFreeze when present, media created at or after this instant is not served: 404
   *     before any fetch, wait or thumbnail generation starts (the spec's freeze of the
   *     unauthenticated endpoints). Remote media counts as created when it was first cached, so
   *     uncached remote media is 404 without asking its server once the freeze has begun.
   * @param requester who asks, when known: the bytes fetched from other servers for them count
   *     against their {@code RateLimiter.Action#REMOTE_DOWNLOAD_BYTES}; absent, nothing is counted
   */
  record DownloadOptions(
      boolean allowRemote,
      Optional<Duration> timeout,
      Optional<Instant> legacyFreeze,
      Optional<UserId> requester) {

    private static final DownloadOptions DEFAULTS =
        new DownloadOptions(true, Optional.empty(), Optional.empty());

    public DownloadOptions {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(legacyFreeze, "legacyFreeze");
      Objects.requireNonNull(requester, "requester");
      if (timeout.isPresent() && timeout.get().isNegative()) {
        throw new IllegalArgumentException("timeout cannot be negative");
      }
    }

    /** Options without a requester. */
    public DownloadOptions(
        boolean allowRemote, Optional<Duration> timeout, Optional<Instant> legacyFreeze) {
      this(allowRemote, timeout, legacyFreeze, Optional.empty());
    }

    /** Remote fetches allowed, the configured default timeout, no freeze. */
    public static DownloadOptions defaults() {
      return DEFAULTS;
    }

    public DownloadOptions withAllowRemote(boolean allowRemote) {
      return new DownloadOptions(allowRemote, timeout, legacyFreeze, requester);
    }

    public DownloadOptions withTimeout(Duration timeout) {
      return new DownloadOptions(allowRemote, Optional.of(timeout), legacyFreeze, requester);
    }

    /** Serves only media created before {@code freeze}; see {@link #legacyFreeze()}. */
    public DownloadOptions withLegacyFreeze(Instant freeze) {
      return new DownloadOptions(allowRemote, timeout, Optional.of(freeze), requester);
    }

    /**
     * Counts remote bytes fetched for this download against {@code requester}; see {@link
     * #requester()}.
     */
    public DownloadOptions withRequester(UserId requester) {
      return new DownloadOptions(allowRemote, timeout, legacyFreeze, Optional.of(requester));
    }
  }

  /**
   * The metadata that comes with an upload's bytes.
   *
   * @param contentType the client's {@code Content-Type}; absent or malformed means {@code
   *     application/octet-stream}
   * @param fileName the client's {@code filename}; 1 to 255 characters without control characters
   * @param declaredLength the client's {@code Content-Length}, when it sent one; a body over the
   *     limit is then refused before a byte is read, and a body of another length is refused
   */
  record UploadRequest(
      Optional<String> contentType, Optional<String> fileName, OptionalLong declaredLength) {

    private static final UploadRequest EMPTY =
        new UploadRequest(Optional.empty(), Optional.empty(), OptionalLong.empty());

    public UploadRequest {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(fileName, "fileName");
      Objects.requireNonNull(declaredLength, "declaredLength");
      if (declaredLength.isPresent() && declaredLength.getAsLong() < 0) {
        throw new IllegalArgumentException("declaredLength cannot be negative");
      }
    }

    /** No content type, no file name, no declared length. */
    public static UploadRequest empty() {
      return EMPTY;
    }

    /** An upload of the given type with no name and no declared length. */
    public static UploadRequest of(String contentType) {
      return new UploadRequest(Optional.of(contentType), Optional.empty(), OptionalLong.empty());
    }

    public UploadRequest withContentType(String contentType) {
      return new UploadRequest(Optional.of(contentType), fileName, declaredLength);
    }

    public UploadRequest withFileName(String fileName) {
      return new UploadRequest(contentType, Optional.of(fileName), declaredLength);
    }

    public UploadRequest withDeclaredLength(long length) {
      return new UploadRequest(contentType, fileName, OptionalLong.of(length));
    }
  }

  /**
   * What a download or thumbnail returns: the metadata a host needs for its response headers and
   * the {@link MediaContent} to stream. The caller must close it (closing closes the content).
   *
   * @param contentType the media type as stored (without the charset this class adds for text)
   * @param contentLength the number of bytes in {@code content}
   * @param fileName the name to offer the user, if the uploader gave one
   * @param inline whether the spec allows serving this type {@code inline}; {@code attachment}
   *     otherwise
   * @param sha256 the lower-case hex SHA-256 of the bytes
   * @param createdAt when the media was uploaded (or first cached, for remote media)
   * @param content the bytes
   */
  record MediaResponse(
      String contentType,
      long contentLength,
      Optional<String> fileName,
      boolean inline,
      String sha256,
      Instant createdAt,
      MediaContent content)
      implements Closeable {

    public MediaResponse {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(fileName, "fileName");
      Objects.requireNonNull(sha256, "sha256");
      Objects.requireNonNull(createdAt, "createdAt");
      Objects.requireNonNull(content, "content");
      if (contentLength < 0) {
        throw new IllegalArgumentException("contentLength cannot be negative");
      }
    }

    /**
     * The {@code Content-Type} header value: text types carry {@code charset=utf-8}; a stored type
     * that is not a well-formed media type in visible ASCII (a record imported or written by
     * another program) is served as {@code application/octet-stream}, never as it is.
     */
    public String contentTypeHeader() {
      return ContentHeaders.contentTypeHeader(
          ContentHeaders.normalizeContentType(Optional.of(contentType)));
    }

    /** The {@code Content-Disposition} header value, with the file name encoded per RFC 6266. */
    public String contentDispositionHeader() {
      return ContentHeaders.contentDisposition(inline, fileName);
    }

    /**
     * The same response offering the user another file name (the spec's download-with-name
     * endpoints).
     *
     * @throws MediaException 400 {@code M_INVALID_PARAM} for a name over 255 characters or with
     *     control characters
     */
    public MediaResponse withFileName(String name) {
      if (!ContentHeaders.isAcceptableFileName(name)) {
        throw MediaException.invalidParam(
            "The file name must be at most 255 characters without control characters");
      }
      return new MediaResponse(
          contentType, contentLength, Optional.of(name), inline, sha256, createdAt, content);
    }

    /** A strong entity tag derived from the content hash, quoted as HTTP requires. */
    public String etag() {
      return "\"" + sha256 + "\"";
    }

    @Override
    public void close() throws IOException {
      content.close();
    }
  }

  /**
   * How an extra {@link StorageProvider} is used, as Synapse's storage provider options.
   *
   * @param storeLocal whether local uploads are copied to it
   * @param storeRemote whether cached remote media and thumbnails of it are copied to it
   * @param synchronous whether an upload waits for the copy (and fails if it fails); otherwise the
   *     copy happens in the background and a failed copy is logged and retried with backoff
   */
  record StorageProviderOptions(boolean storeLocal, boolean storeRemote, boolean synchronous) {

    /** Synapse's defaults: local media only, copied in the background. */
    public static StorageProviderOptions defaults() {
      return new StorageProviderOptions(true, false, false);
    }

    /** Every blob copied before the operation that made it completes: a synchronous backup. */
    public static StorageProviderOptions backup() {
      return new StorageProviderOptions(true, true, true);
    }

    /** Only read from, never written to (for example a legacy store being migrated away from). */
    public static StorageProviderOptions readOnly() {
      return new StorageProviderOptions(false, false, false);
    }
  }
}
