package org.mxmedia.internal;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MediaRepository.UrlPreviewResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.UrlPreviewRecord;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UrlPreviewer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code preview_url}: the URL checked, the user's rate limit, then the cache in the store (shared
 * by every repository using it), and on a miss one fetch per URL however many ask, here ({@link
 * SingleFlight}) and in the cluster ({@link WorkClaims}). The previewer's image is stored as the
 * requester's local media through the blob layer's one ingest path, under the upload policy's
 * allowance, and measured by the thumbnailer. {@link #expire} deletes expired previews and their
 * images, in batches.
 */
final class PreviewService {
  private static final Logger log = LoggerFactory.getLogger(PreviewService.class);

  /** The cache keeps a preview at least this long (a page that says nothing, or asks for less). */
  static final Duration MIN_AGE = Duration.ofHours(1);

  /** ... and at most this long. */
  static final Duration MAX_AGE = Duration.ofDays(1);

  /** Requests a user may make at once (the bucket's size). */
  static final int BURST = 30;

  /** How often the bucket gains one request. */
  static final Duration REFILL = Duration.ofSeconds(1);

  /** How long a caller waits for the fetch of the same URL by another caller or repository. */
  static final Duration MAX_WAIT = Duration.ofSeconds(90);

  /** Expired previews handled per batch, and batches per sweep. */
  static final int EXPIRY_BATCH = 100;

  static final int EXPIRY_BATCHES = 20;

  private final ServerName serverName;
  private final MediaConfig config;
  private final MediaStore store;
  private final BlobManager blobs;
  private final UploadPolicy uploadPolicy;
  private final Clock clock;
  private final MediaIdGenerator ids;
  private final Optional<Thumbnailer> thumbnailer;
  private final Consumer<LocalMedia> stored;
  private final WorkClaims claims;
  private final UrlPreviewer previewer;
  private final SingleFlight<String, UrlPreviewRecord> flights = new SingleFlight<>();

  /** Each user's request bucket; bounded, and a bucket left alone refills completely anyway. */
  private final Cache<UserId, Bucket> buckets =
      CacheBuilder.newBuilder()
          .maximumSize(100_000)
          .expireAfterAccess(REFILL.multipliedBy(BURST))
          .build();

  PreviewService(
      ServerName serverName,
      MediaConfig config,
      MediaStore store,
      BlobManager blobs,
      UploadPolicy uploadPolicy,
      Clock clock,
      MediaIdGenerator ids,
      Optional<Thumbnailer> thumbnailer,
      Consumer<LocalMedia> stored,
      WorkClaims claims,
      UrlPreviewer previewer) {
    this.serverName = serverName;
    this.config = config;
    this.store = store;
    this.blobs = blobs;
    this.uploadPolicy = uploadPolicy;
    this.clock = clock;
    this.ids = ids;
    this.thumbnailer = thumbnailer;
    this.stored = stored;
    this.claims = claims;
    this.previewer = previewer;
  }

  /** See {@link MediaRepository#previewUrl(UserId, String, Instant)}. */
  UrlPreviewResponse preview(UserId user, String rawUrl, Optional<Instant> ts) {
    URI url = validate(rawUrl);
    admit(user);
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    // a time to come is now: no one gets a fetch by asking for the future
    Instant at =
        ts.filter(t -> t.isBefore(now)).map(t -> t.truncatedTo(ChronoUnit.MILLIS)).orElse(now);
    Optional<UrlPreviewRecord> cached = usable(rawUrl, at);
    if (cached.isPresent()) {
      return response(cached.get());
    }
    UrlPreviewRecord fetched =
        flights.run(
            rawUrl,
            MAX_WAIT,
            () ->
                claims.once(
                    "url preview " + sha256(rawUrl),
                    MAX_WAIT,
                    () -> usable(rawUrl, at),
                    () -> fetch(user, url, rawUrl)));
    return response(fetched);
  }

  /**
   * The cached preview for {@code at}, if it may be served: fresh at {@code at}, or fetched after
   * it.
   */
  private Optional<UrlPreviewRecord> usable(String url, Instant at) {
    return store.urlPreview(url, at).filter(p -> p.isFreshAt(at) || p.fetchedAt().isAfter(at));
  }

  private static UrlPreviewResponse response(UrlPreviewRecord r) {
    return new UrlPreviewResponse(r.properties(), r.fetchedAt(), r.expiresAt());
  }

  /**
   * The URL as the previewer takes it.
   *
   * @throws MediaException 400 {@code M_MISSING_PARAM} when empty; 400 {@code M_INVALID_PARAM} when
   *     too long, not a URL, not absolute http(s) with a host, or carrying credentials
   */
  static URI validate(String raw) {
    if (raw.isEmpty()) {
      throw new MediaException(ErrorCode.M_MISSING_PARAM, "Missing the url parameter");
    }
    if (raw.length() > UrlPreviewRecord.MAX_URL_LENGTH) {
      throw MediaException.invalidParam(
          "The URL is longer than " + UrlPreviewRecord.MAX_URL_LENGTH + " characters");
    }
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw MediaException.invalidParam("The url parameter is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw MediaException.invalidParam("Only http and https URLs can be previewed");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw MediaException.invalidParam("The URL has no host");
    }
    if (uri.getRawUserInfo() != null) {
      throw MediaException.invalidParam("URLs with credentials are not previewed");
    }
    return uri;
  }

  /** Takes one request from the user's bucket, or answers 429 with when the next one comes. */
  private void admit(UserId user) {
    Bucket bucket;
    try {
      bucket = buckets.get(user, () -> new Bucket(clock.instant()));
    } catch (ExecutionException e) {
      throw MediaException.internal("Could not check the rate limit", e);
    }
    Optional<Duration> wait = bucket.take(clock.instant());
    if (wait.isPresent()) {
      throw MediaException.limitExceeded("Too many URL previews; try again shortly", wait.get());
    }
  }

  /** A token bucket: {@link #BURST} requests, one more every {@link #REFILL}. */
  private static final class Bucket {
    private double tokens = BURST;
    private Instant last;

    Bucket(Instant now) {
      this.last = now;
    }

    synchronized Optional<Duration> take(Instant now) {
      if (now.isAfter(last)) {
        tokens =
            Math.min(
                BURST, tokens + (double) Duration.between(last, now).toNanos() / REFILL.toNanos());
        last = now;
      }
      if (tokens >= 1) {
        tokens -= 1;
        return Optional.empty();
      }
      return Optional.of(Duration.ofNanos((long) ((1 - tokens) * REFILL.toNanos())).plusMillis(1));
    }
  }

  /** Runs the previewer (once, under the claims) and caches its answer. */
  private UrlPreviewRecord fetch(UserId user, URI url, String key) {
    Images images = new Images(user);
    UrlPreviewRecord record;
    try {
      UrlPreviewer.UrlPreview preview = previewer.preview(url, images);
      Instant fetchedAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
      Duration age = clamp(preview.maxAge());
      Map<String, Object> properties = properties(preview.properties());
      Optional<MediaId> image = images.kept(properties);
      record = new UrlPreviewRecord(key, fetchedAt, fetchedAt.plus(age), properties, image);
      images.forgetOthers(image);
      images.pregenerate(image);
    } catch (RuntimeException | Error e) {
      images.forgetOthers(Optional.empty());
      throw e;
    }
    if (store.insertUrlPreview(record)) {
      log.info("Cached the URL preview of {} until {}", url.getHost(), record.expiresAt());
    } else {
      log.debug(
          "The URL preview of {} was not cached (the store keeps no previews, or has this one)",
          url.getHost());
    }
    return record;
  }

  private static Duration clamp(Duration age) {
    if (age.compareTo(MIN_AGE) < 0) {
      return MIN_AGE;
    }
    return age.compareTo(MAX_AGE) > 0 ? MAX_AGE : age;
  }

  /**
   * Numbers as {@code Long} or {@code Double}; strings without U+0000 and with unpaired surrogates
   * replaced (what every store can keep); anything else is dropped.
   */
  static Map<String, Object> properties(Map<String, Object> raw) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> entry : raw.entrySet()) {
      String key = storable(entry.getKey());
      if (key.isEmpty()) {
        continue;
      }
      Map.Entry<String, Object> e = Map.entry(key, entry.getValue());
      Object v = e.getValue();
      if (v instanceof String str) {
        out.put(e.getKey(), storable(str));
      } else if (v instanceof Long
          || v instanceof Integer
          || v instanceof Short
          || v instanceof Byte) {
        out.put(e.getKey(), ((Number) v).longValue());
      } else if (v instanceof Double || v instanceof Float) {
        double d = ((Number) v).doubleValue();
        if (Double.isFinite(d)) {
          out.put(e.getKey(), d);
        }
      } else {
        log.debug(
            "Dropped the URL preview property {} of type {}", e.getKey(), v.getClass().getName());
      }
    }
    return out;
  }

  /**
   * Stores the preview's image as local media of the requester: the upload policy's allowance and
   * the configured maximum apply, as to an upload. Remembers what it stored, so what the answer
   * does not show (or a failed preview's image) is deleted again.
   */
  private final class Images implements UrlPreviewer.ImageStore {
    private final UserId user;
    private final List<LocalMedia> kept = new ArrayList<>();

    Images(UserId user) {
      this.user = user;
    }

    @Override
    public UrlPreviewer.StoredImage store(
        InputStream body, String contentType, OptionalLong declaredLength) {
      String type = ContentHeaders.normalizeContentType(Optional.of(contentType));
      Instant now = clock.instant();
      UploadRequest request =
          new UploadRequest(Optional.of(type), Optional.empty(), declaredLength);
      UploadPolicy.Allowance allowance =
          uploadPolicy.admit(
              new UploadPolicy.Attempt(
                  user, request, now, since -> PreviewService.this.store.usage(user, since)));
      long max = Math.min(config.maxUploadSize().bytes(), allowance.maxBytes());
      MediaException tooLarge =
          new MediaException(ErrorCode.M_TOO_LARGE, 502, "The preview's image is too large");
      LocalMedia media;
      try {
        media =
            blobs.ingest(
                body,
                declaredLength,
                new Ingest.Limit(max, tooLarge),
                true,
                s -> {},
                staged -> {
                  Instant at = clock.instant();
                  for (int attempt = 0; attempt < Uploads.MAX_ID_ATTEMPTS; attempt++) {
                    MediaId id = ids.next();
                    LocalMedia m =
                        LocalMedia.uploaded(
                            id, type, Optional.empty(), user, staged.size(), staged.key(), at);
                    if (PreviewService.this.store.insertLocalMedia(m)) {
                      return BlobManager.Recorded.kept(m);
                    }
                  }
                  throw MediaException.internal(
                      "Could not allocate a media id", new IllegalStateException());
                });
      } catch (MediaException e) {
        if (e.httpStatus() == 400 && e.errorCode() == ErrorCode.M_UNKNOWN) {
          throw new MediaException(
              ErrorCode.M_UNKNOWN, 502, "The preview's image could not be read");
        }
        throw e;
      }
      synchronized (kept) {
        kept.add(media);
      }
      OptionalInt width = OptionalInt.empty();
      OptionalInt height = OptionalInt.empty();
      Optional<ImageInfo> info = probe(media);
      if (info.isPresent()) {
        width = OptionalInt.of(info.get().width());
        height = OptionalInt.of(info.get().height());
      }
      log.info(
          "Stored a URL preview image {} ({} bytes, {}) for {}",
          media.mediaId(),
          media.size(),
          type,
          user);
      return new UrlPreviewer.StoredImage(
          MxcUri.of(serverName, media.mediaId()), type, media.size(), width, height);
    }

    private Optional<ImageInfo> probe(LocalMedia media) {
      if (thumbnailer.isEmpty()) {
        return Optional.empty();
      }
      try {
        Optional<LocalFile> file = blobs.localFile(media.blob());
        if (file.isEmpty()) {
          return Optional.empty();
        }
        try (LocalFile f = file.get()) {
          return thumbnailer.get().probe(f.path(), media.contentType());
        }
      } catch (IOException e) {
        log.info("Could not measure the URL preview image {}: {}", media.mediaId(), e.getMessage());
        return Optional.empty();
      }
    }

    /** The stored image the answer shows, if any. */
    Optional<MediaId> kept(Map<String, Object> properties) {
      Object shown = properties.get("og:image");
      synchronized (kept) {
        return kept.stream()
            .map(LocalMedia::mediaId)
            .filter(id -> MxcUri.of(serverName, id).toString().equals(shown))
            .findFirst();
      }
    }

    /**
     * Hands the image the answer shows to {@code stored} (its thumbnails are made in the
     * background): only once the answer is kept, so no background work reads an image that a failed
     * or unused preview deletes.
     */
    void pregenerate(Optional<MediaId> shown) {
      if (shown.isEmpty()) {
        return;
      }
      synchronized (kept) {
        kept.stream().filter(m -> m.mediaId().equals(shown.get())).forEach(stored);
      }
    }

    /** Deletes the stored images other than {@code keep}. */
    void forgetOthers(Optional<MediaId> keep) {
      List<LocalMedia> all;
      synchronized (kept) {
        all = List.copyOf(kept);
      }
      for (LocalMedia m : all) {
        if (keep.isPresent() && keep.get().equals(m.mediaId())) {
          continue;
        }
        try {
          deleteMedia(m.mediaId());
        } catch (RuntimeException e) {
          log.warn("Could not delete the unused URL preview image {}", m.mediaId(), e);
        }
      }
    }
  }

  /** {@code s} without U+0000 and with unpaired surrogates as U+FFFD. */
  static String storable(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        continue;
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        b.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        b.append('\uFFFD');
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private void deleteMedia(MediaId id) {
    store.deleteLocalMedia(id).ifPresent(m -> blobs.deleteIfUnreferenced(m.blob()));
  }

  /**
   * Deletes previews that expired, and their images (their bytes go when nothing else refers to
   * them), at most {@link #EXPIRY_BATCHES} batches of {@link #EXPIRY_BATCH} per call.
   *
   * @return how many previews were deleted
   */
  int expire() {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    int deleted = 0;
    for (int batch = 0; batch < EXPIRY_BATCHES; batch++) {
      List<UrlPreviewRecord> expired = store.urlPreviewsExpiredBy(now, EXPIRY_BATCH);
      for (UrlPreviewRecord p : expired) {
        Optional<UrlPreviewRecord> removed = store.deleteUrlPreview(p.url(), p.fetchedAt());
        if (removed.isPresent()) {
          deleted++;
          removed.get().image().ifPresent(this::deleteMedia);
        }
      }
      if (expired.size() < EXPIRY_BATCH) {
        break;
      }
    }
    return deleted;
  }

  private static String sha256(String s) {
    return HexFormat.of().formatHex(Ingest.newSha256().digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
