package org.mxmedia.internal;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.internal.ThumbnailGeometry.Candidate;
import org.mxmedia.internal.ThumbnailGeometry.Target;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thumbnails of a source blob: pre-generation of the configured sizes in the background, selection
 * among stored thumbnails, dynamic generation of snapped sizes, and the rules that a thumbnail is
 * never upscaled, never smaller than asked while a larger exists, and never kept when it is bigger
 * in bytes than its source. Every generation is single-flight.
 */
final class ThumbnailService {
  private static final Logger log = LoggerFactory.getLogger(ThumbnailService.class);

  /**
   * Source types a client can display as they are, so they may answer a thumbnail request
   * themselves.
   */
  private static final Set<String> DISPLAYABLE =
      Set.of("image/jpeg", "image/png", "image/gif", "image/webp");

  /**
   * The longest a request waits for another request's generation of the same thumbnail (504 after
   * it). A decode is bounded by {@link MediaConfig#maxImagePixels()}, so this is only reached on a
   * badly overloaded machine.
   */
  private static final Duration GENERATION_WAIT = Duration.ofMinutes(2);

  /**
   * Decodes running at once, in the background and on request threads together: each may hold up to
   * {@link MediaConfig#maxImagePixels()} decoded pixels, so this bounds the heap thumbnails can
   * take however many different sizes are asked for at once.
   */
  private static final int MAX_DECODES = Math.max(2, Runtime.getRuntime().availableProcessors());

  /** The longest a request waits for a decode slot before 429. */
  private static final Duration DECODE_WAIT = Duration.ofSeconds(30);

  private final Semaphore decodes = new Semaphore(MAX_DECODES, true);

  private final MediaStore store;
  private final BlobManager blobs;
  private final Thumbnailer thumbnailer;
  private final MediaConfig config;
  private final Clock clock;
  private final ExecutorService pregenerator;

  /** Generations happen once across repositories sharing the store. */
  private final WorkClaims claims;

  private final SingleFlight<Object, List<ThumbnailRecord>> flights = new SingleFlight<>();

  /** Sources that cannot be thumbnailed, so repeated requests do not decode them again. */
  private final Cache<BlobKey, MediaException> failures =
      CacheBuilder.newBuilder()
          .maximumSize(10_000)
          .expireAfterWrite(Duration.ofMinutes(10))
          .build();

  /** Image headers already read, so a request does not re-read the source. */
  private final Cache<BlobKey, ImageInfo> infos =
      CacheBuilder.newBuilder().maximumSize(10_000).build();

  /**
   * Sources whose configured sizes were generated (some may have been dropped as bigger than the
   * source).
   */
  private final Cache<BlobKey, Boolean> pregenerated =
      CacheBuilder.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofHours(1)).build();

  /** Targets whose thumbnail came out bigger than the source, so the source answers them. */
  private final Cache<TargetKey, Boolean> sourceIsSmaller =
      CacheBuilder.newBuilder().maximumSize(100_000).expireAfterWrite(Duration.ofHours(1)).build();

  private final MediaEvents events;

  ThumbnailService(
      MediaStore store,
      BlobManager blobs,
      Thumbnailer thumbnailer,
      MediaConfig config,
      Clock clock,
      ExecutorService pregenerator,
      WorkClaims claims,
      MediaEvents events) {
    this.events = events;
    this.store = store;
    this.claims = claims;
    this.blobs = blobs;
    this.thumbnailer = thumbnailer;
    this.config = config;
    this.clock = clock;
    this.pregenerator = pregenerator;
  }

  /** What a thumbnail is made from. */
  record Source(BlobKey blob, String contentType, long size, Instant createdAt, boolean local) {}

  private record TargetKey(BlobKey source, Target target, boolean animated) {}

  private record PregenKey(BlobKey source) {}

  /**
   * Queues generation of the configured sizes; a full queue skips it (requests generate on demand).
   */
  void pregenerateLater(Source source) {
    if (!source.contentType().toLowerCase(Locale.ROOT).startsWith("image/")) {
      return;
    }
    try {
      pregenerator.execute(
          () -> {
            try {
              pregenerate(source);
            } catch (MediaException e) {
              log.debug("No thumbnails for blob {}: {}", source.blob(), e.getMessage());
            } catch (RuntimeException e) {
              log.warn("Thumbnail generation for blob {} failed", source.blob(), e);
            }
          });
    } catch (RejectedExecutionException e) {
      log.debug("Thumbnail queue full; blob {} is thumbnailed on first request", source.blob());
    }
  }

  /** Generates the configured sizes (deduplicated by output size) once per source. */
  List<ThumbnailRecord> pregenerate(Source source) {
    return flights.run(
        new PregenKey(source.blob()),
        GENERATION_WAIT,
        () -> {
          if (pregenerated.getIfPresent(source.blob()) != null) {
            return store.thumbnails(source.blob());
          }
          // thumbnails found outside the claim may be the first few of another node's run: read
          // them
          // under the claim, once that run has ended
          List<ThumbnailRecord> made =
              claims.onceWhole(
                  "pregenerate " + source.blob().sha256(),
                  GENERATION_WAIT,
                  () -> Optional.of(store.thumbnails(source.blob())).filter(t -> !t.isEmpty()),
                  () ->
                      generate(
                          source,
                          true,
                          info -> {
                            Set<ThumbnailSpec> targets = new LinkedHashSet<>();
                            for (ThumbnailSpec spec : config.thumbnailSizes()) {
                              Target t =
                                  ThumbnailGeometry.target(
                                      info.displayWidth(),
                                      info.displayHeight(),
                                      spec.width(),
                                      spec.height(),
                                      spec.method());
                              targets.add(
                                  new ThumbnailSpec(t.width(), t.height(), t.method(), false));
                            }
                            return List.copyOf(targets);
                          }));
          pregenerated.put(source.blob(), true);
          return made;
        });
  }

  /** Answers a thumbnail request for {@code source}. */
  MediaResponse serve(Source source, ThumbnailSpec request) {
    MediaException failed = failures.getIfPresent(source.blob());
    if (failed != null) {
      throw new MediaException(failed.errorCode(), failed.httpStatus(), failed.getMessage());
    }
    for (int attempt = 0; attempt < 3; attempt++) {
      List<ThumbnailRecord> stored = store.thumbnails(source.blob());
      if (pregenerated.getIfPresent(source.blob()) == null
          || flights.isRunning(new PregenKey(source.blob()))) {
        stored = pregenerate(source);
      }
      ImageInfo info = probeStored(source);
      Target target =
          ThumbnailGeometry.target(
              info.displayWidth(),
              info.displayHeight(),
              request.width(),
              request.height(),
              request.method());
      boolean animated = request.animated() && info.isAnimated();
      Optional<Choice> choice =
          config.dynamicThumbnails()
              ? dynamicChoice(source, info, request, animated, stored)
              : staticChoice(source, info, target, animated, stored);
      if (choice.isEmpty()) {
        throw new MediaException(
            ErrorCode.M_UNKNOWN, 400, "Cannot generate a thumbnail of this media");
      }
      Optional<MediaResponse> response = open(source, choice.get());
      if (response.isPresent()) {
        events.thumbnailServed(
            new MediaEvents.ThumbnailServed(
                choice.get().record == null, response.get().contentLength()));
        return response.get();
      }
      ThumbnailRecord lost = choice.get().record;
      if (lost == null) {
        log.error("The bytes of blob {} are missing from every storage", source.blob());
        throw MediaException.notFound("Not found");
      }
      // the thumbnail's bytes are gone: forget it and make it again
      log.warn(
          "Thumbnail {}x{} of blob {} lost its bytes; regenerating",
          lost.width(),
          lost.height(),
          source.blob());
      if (store.deleteThumbnail(lost)) {
        blobs.deleteIfUnreferenced(lost.blob());
      }
      ensure(
          source, new ThumbnailSpec(lost.width(), lost.height(), lost.method(), lost.animated()));
    }
    throw MediaException.internal(
        "Could not produce a thumbnail",
        new IllegalStateException("thumbnail bytes keep vanishing"));
  }

  /** A stored thumbnail, or the source itself ({@code record == null}). */
  private record Choice(
      @Nullable ThumbnailRecord record, int width, int height, ThumbnailMethod method)
      implements Candidate {}

  private Optional<Choice> staticChoice(
      Source source,
      ImageInfo info,
      Target target,
      boolean animated,
      List<ThumbnailRecord> stored) {
    if (animated) {
      // animated thumbnails are made on demand, at the configured size the still one would have
      Optional<Choice> still = staticChoice(source, info, target, false, stored);
      if (still.isEmpty() || still.get().record == null) {
        return still;
      }
      ThumbnailRecord s = still.get().record;
      return Optional.of(
          ensure(source, new ThumbnailSpec(s.width(), s.height(), s.method(), true)));
    }
    List<Choice> candidates = new ArrayList<>();
    for (ThumbnailRecord t : stored) {
      if (!t.animated()) {
        candidates.add(new Choice(t, t.width(), t.height(), t.method()));
      }
    }
    if (sourceAnswers(source, info, false)) {
      candidates.add(
          new Choice(null, info.displayWidth(), info.displayHeight(), ThumbnailMethod.SCALE));
    }
    return ThumbnailGeometry.select(candidates, target);
  }

  private Optional<Choice> dynamicChoice(
      Source source,
      ImageInfo info,
      ThumbnailSpec request,
      boolean animated,
      List<ThumbnailRecord> stored) {
    Target target =
        ThumbnailGeometry.target(
            info.displayWidth(),
            info.displayHeight(),
            ThumbnailGeometry.snapUp(request.width()),
            ThumbnailGeometry.snapUp(request.height()),
            request.method());
    ThumbnailSpec exact =
        new ThumbnailSpec(target.width(), target.height(), target.method(), animated);
    for (ThumbnailRecord t : stored) {
      if (t.width() == exact.width()
          && t.height() == exact.height()
          && t.method() == exact.method()
          && t.animated() == animated) {
        return Optional.of(new Choice(t, t.width(), t.height(), t.method()));
      }
    }
    return Optional.of(ensure(source, exact));
  }

  /**
   * The stored thumbnail for an exact spec, generated once if missing; the source when that is
   * smaller.
   */
  private Choice ensure(Source source, ThumbnailSpec exact) {
    Target target = new Target(exact.width(), exact.height(), exact.method());
    TargetKey key = new TargetKey(source.blob(), target, exact.animated());
    if (sourceIsSmaller.getIfPresent(key) == null) {
      String work =
          "thumbnail "
              + source.blob().sha256()
              + " "
              + exact.width()
              + "x"
              + exact.height()
              + " "
              + exact.method()
              + (exact.animated() ? " animated" : "");
      List<ThumbnailRecord> made =
          flights.run(
              key,
              GENERATION_WAIT,
              () ->
                  claims.once(
                      work,
                      GENERATION_WAIT,
                      () -> find(store.thumbnails(source.blob()), exact).map(List::of),
                      () -> generate(source, false, info -> List.of(exact))));
      Optional<ThumbnailRecord> found =
          find(made, exact).or(() -> find(store.thumbnails(source.blob()), exact));
      if (found.isPresent()) {
        return new Choice(found.get(), exact.width(), exact.height(), exact.method());
      }
    }
    return new Choice(null, exact.width(), exact.height(), exact.method());
  }

  private static Optional<ThumbnailRecord> find(
      List<ThumbnailRecord> records, ThumbnailSpec exact) {
    return records.stream()
        .filter(
            t ->
                t.width() == exact.width()
                    && t.height() == exact.height()
                    && t.method() == exact.method()
                    && t.animated() == exact.animated())
        .findFirst();
  }

  /** Whether the source's own bytes may answer a thumbnail request. */
  private boolean sourceAnswers(Source source, ImageInfo info, boolean animated) {
    return DISPLAYABLE.contains(ContentHeaders.essence(source.contentType()))
        && (animated || !info.isAnimated());
  }

  private Optional<MediaResponse> open(Source source, Choice choice) {
    if (choice.record == null) {
      return blobs
          .open(source.blob())
          .map(
              content ->
                  response(
                      source.contentType(), source.blob().sha256(), source.createdAt(), content));
    }
    ThumbnailRecord t = choice.record;
    return blobs
        .open(t.blob())
        .map(content -> response(t.contentType(), t.blob().sha256(), source.createdAt(), content));
  }

  private static MediaResponse response(
      String contentType, String sha256, Instant createdAt, MediaContent content) {
    return new MediaResponse(
        contentType,
        content.length(),
        Optional.empty(),
        ContentHeaders.isInlineSafe(contentType),
        sha256,
        createdAt,
        content);
  }

  /** Chooses specs once the image is probed. */
  @FunctionalInterface
  private interface SpecChooser {
    List<ThumbnailSpec> choose(ImageInfo info);
  }

  /** Probes the source (for its size) without generating: used to compute targets for requests. */
  private ImageInfo probeStored(Source source) {
    ImageInfo cached = infos.getIfPresent(source.blob());
    return cached != null ? cached : withLocalSource(source, path -> probe(source, path));
  }

  private ImageInfo probe(Source source, Path path) {
    Optional<ImageInfo> info;
    try {
      info = thumbnailer.probe(path, source.contentType());
    } catch (IOException | RuntimeException e) {
      log.debug("Could not read the image header of blob {}", source.blob(), e);
      throw remember(source.blob(), "The image could not be read");
    }
    if (info.isEmpty()) {
      throw remember(source.blob(), "Cannot generate thumbnails of " + source.contentType());
    }
    if (info.get().pixels() > config.maxImagePixels()) {
      throw remember(
          source.blob(),
          "The image has more pixels than this server thumbnails ("
              + info.get().width()
              + "x"
              + info.get().height()
              + ")");
    }
    infos.put(source.blob(), info.get());
    return info.get();
  }

  private MediaException remember(BlobKey source, String message) {
    MediaException e = new MediaException(ErrorCode.M_UNKNOWN, 400, message);
    failures.put(source, e);
    return e;
  }

  /** Runs {@code action} on a local file of the source, holding a reservation of it meanwhile. */
  private <T> T withLocalSource(Source source, Function<Path, T> action) {
    blobs.reserve(source.blob());
    try (LocalFile file =
        blobs.localFile(source.blob()).orElseThrow(() -> MediaException.notFound("Not found"))) {
      return action.apply(file.path());
    } catch (IOException e) {
      log.error("Could not get a local copy of blob {}", source.blob(), e);
      throw MediaException.internal("Could not read the media", e);
    } finally {
      blobs.release(source.blob());
    }
  }

  /**
   * Decodes the source once and stores a thumbnail per chosen spec; returns every thumbnail of the
   * source.
   */
  private List<ThumbnailRecord> generate(
      Source source, boolean configuredSizes, SpecChooser chooser) {
    return withLocalSource(
        source,
        path -> {
          ImageInfo info = probe(source, path);
          List<ThumbnailSpec> specs = chooser.choose(info);
          if (specs.isEmpty()) {
            return store.thumbnails(
                source.blob()); // nothing to make (no sizes configured): no decode
          }
          @Nullable Path work = null;
          try {
            work = Files.createTempDirectory("mxmedia-thumbnails");
            List<GeneratedThumbnail> made;
            acquireDecode();
            long start = System.nanoTime();
            try {
              made = thumbnailer.generate(path, info, specs, config.maxImagePixels(), work);
            } catch (IOException | RuntimeException e) {
              log.debug("Could not thumbnail blob {}", source.blob(), e);
              events.thumbnailsGenerated(
                  new MediaEvents.ThumbnailGeneration(
                      0, true, configuredSizes, Duration.ofNanos(System.nanoTime() - start)));
              throw remember(source.blob(), "The image could not be decoded");
            } finally {
              decodes.release();
            }
            int stored = 0;
            for (GeneratedThumbnail g : made) {
              if (keep(source, info, g)) {
                stored++;
              }
            }
            events.thumbnailsGenerated(
                new MediaEvents.ThumbnailGeneration(
                    stored, false, configuredSizes, Duration.ofNanos(System.nanoTime() - start)));
            return store.thumbnails(source.blob());
          } catch (IOException e) {
            throw MediaException.internal("Could not generate thumbnails", e);
          } finally {
            deleteTree(work);
          }
        });
  }

  private void acquireDecode() {
    try {
      if (!decodes.tryAcquire(DECODE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw MediaException.limitExceeded(
            "The server is busy making thumbnails; try again shortly", Duration.ofSeconds(10));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw MediaException.internal("Interrupted while waiting to make a thumbnail", e);
    }
  }

  /** Stores a generated thumbnail unless the source answers for it; says whether it stored it. */
  private boolean keep(Source source, ImageInfo info, GeneratedThumbnail g) throws IOException {
    long size = Files.size(g.file());
    ThumbnailSpec spec = g.requested();
    if (size > source.size() && sourceAnswers(source, info, spec.animated())) {
      log.debug(
          "Thumbnail {} of blob {} is bigger than its source; the source answers instead",
          spec,
          source.blob());
      sourceIsSmaller.put(
          new TargetKey(
              source.blob(), new Target(g.width(), g.height(), spec.method()), spec.animated()),
          true);
      return false;
    }
    try (InputStream in = Files.newInputStream(g.file())) {
      return blobs.ingest(
          in,
          OptionalLong.empty(),
          Ingest.Limit.NONE,
          source.local(),
          staged -> {},
          staged -> {
            ThumbnailRecord record =
                new ThumbnailRecord(
                    source.blob(),
                    g.width(),
                    g.height(),
                    spec.method(),
                    spec.animated(),
                    g.contentType(),
                    staged.size(),
                    staged.key(),
                    clock.instant());
            boolean inserted = store.insertThumbnail(record);
            return new BlobManager.Recorded<>(inserted, inserted);
          });
    }
  }

  private static void deleteTree(@Nullable Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  log.debug("Could not delete {}", p, e);
                }
              });
    } catch (IOException e) {
      log.debug("Could not clean {}", dir, e);
    }
  }
}
