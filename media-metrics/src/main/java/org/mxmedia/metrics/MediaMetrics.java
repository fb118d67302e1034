package org.mxmedia.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;
import org.mxmedia.spi.MediaEvents;

/**
 * A repository's {@link MediaEvents} as Micrometer meters, for any registry (Prometheus, OTLP,
 * JMX...). Install it with {@link MediaRepository.Builder#events}:
 *
 * <pre>{@code
 * PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
 * MediaRepository repo = MediaRepository.builder()...events(MediaMetrics.create(registry)).build();
 * String text = registry.scrape(); // serve at /metrics
 * }</pre>
 *
 * <p>The meters (Micrometer names; a Prometheus registry renders {@code mxmedia.uploads} as {@code
 * mxmedia_uploads_total}, a timer {@code mxmedia.store.calls} as {@code
 * mxmedia_store_calls_seconds_count}, {@code _sum} and {@code _max}):
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th><th>counts</th></tr>
 *   <tr><td>{@code mxmedia.uploads}</td><td>counter</td><td>{@code kind} ({@code upload}, {@code pending}),
 *       {@code outcome} ({@code ok} or the Matrix error code)</td><td>uploads by outcome</td></tr>
 *   <tr><td>{@code mxmedia.upload.bytes}</td><td>counter (bytes)</td><td>{@code kind}</td><td>bytes of stored uploads</td></tr>
 *   <tr><td>{@code mxmedia.upload.duration}</td><td>timer</td><td>{@code kind}</td><td>stored uploads, body reading included</td></tr>
 *   <tr><td>{@code mxmedia.downloads}</td><td>counter</td><td>{@code source} ({@code local}, {@code remote_cached},
 *       {@code remote_fetched})</td><td>media opened for download</td></tr>
 *   <tr><td>{@code mxmedia.download.bytes}</td><td>counter (bytes)</td><td>{@code source}</td><td>the length of media opened
 *       for download (a range request may send fewer)</td></tr>
 *   <tr><td>{@code mxmedia.thumbnails.generated}</td><td>counter</td><td>{@code sizes} ({@code configured},
 *       {@code requested})</td><td>thumbnails stored</td></tr>
 *   <tr><td>{@code mxmedia.thumbnail.decodes}</td><td>timer</td><td>{@code sizes}, {@code outcome} ({@code ok},
 *       {@code failed})</td><td>decodes of source images, with the storing of their thumbnails</td></tr>
 *   <tr><td>{@code mxmedia.thumbnails.served}</td><td>counter</td><td>{@code from} ({@code thumbnail},
 *       {@code source})</td><td>thumbnail requests answered</td></tr>
 *   <tr><td>{@code mxmedia.remote.fetches}</td><td>timer</td><td>{@code outcome} ({@code ok} or the error code)</td>
 *       <td>fetches of remote media from their origin</td></tr>
 *   <tr><td>{@code mxmedia.remote.fetch.bytes}</td><td>counter (bytes)</td><td></td><td>bytes of remote media cached</td></tr>
 *   <tr><td>{@code mxmedia.errors}</td><td>counter</td><td>{@code operation} ({@code upload}, {@code create_pending},
 *       {@code upload_pending}, {@code download}, {@code thumbnail}), {@code errcode}, {@code status}</td>
 *       <td>failed operations, as the caller was answered</td></tr>
 *   <tr><td>{@code mxmedia.store.calls}</td><td>timer</td><td>{@code method}, {@code outcome} ({@code ok},
 *       {@code failed})</td><td>calls to the metadata store</td></tr>
 *   <tr><td>{@code mxmedia.storage.calls}</td><td>timer</td><td>{@code storage} (its name), {@code method},
 *       {@code outcome}</td><td>calls to the primary storage and the storage providers</td></tr>
 *   <tr><td>{@code mxmedia.background.queued}</td><td>gauge</td><td>{@code work} ({@code thumbnails},
 *       {@code provider_copies}, {@code access_times})</td><td>background work waiting: sources queued for
 *       thumbnail pre-generation, copies to asynchronous storage providers, download times not yet written</td></tr>
 * </table>
 *
 * <p>No tag carries a user, a media id or a remote server name, so the number of series is bounded
 * whatever requests arrive. Meters are registered on first use, except those of successful traffic,
 * registered at zero by {@link #create} so dashboards see them before the first request.
 *
 * <p>One instance serves one repository: its gauges read the background work of the repository that
 * last started with it. Repositories sharing a registry each take their own instance with
 * distinguishing tags ({@link #create(MeterRegistry, Iterable)}).
 *
 * <p>Thread-safe; every method only increments meters (no I/O, no blocking).
 */
public final class MediaMetrics implements MediaEvents {
  private static final String OK = "ok";
  private static final String FAILED = "failed";

  private final MeterRegistry registry;
  private final Tags tags;
  private final AtomicReference<BackgroundWork> work = new AtomicReference<>(IDLE);
  private final Map<Source, Counter> downloads = new EnumMap<>(Source.class);
  private final Map<Source, Counter> downloadBytes = new EnumMap<>(Source.class);
  private final Counter[] uploads = new Counter[2];
  private final Counter[] uploadBytes = new Counter[2];
  private final Timer[] uploadDurations = new Timer[2];

  /**
   * The store and storage timers, looked up once each: {@link #pluginCalled} is the hottest event
   * (several per request). Keys are SPI methods of the configured storages, so few; the map stops
   * growing at {@link #MAX_CACHED_TIMERS} all the same (the registry then finds the timer).
   */
  private final ConcurrentHashMap<PluginCall, Timer> pluginTimers = new ConcurrentHashMap<>();

  private static final int MAX_CACHED_TIMERS = 1024;

  /** A repository with no background work, read before the first {@link #started}. */
  private static final BackgroundWork IDLE =
      new BackgroundWork() {
        @Override
        public int thumbnailsQueued() {
          return 0;
        }

        @Override
        public int providerCopiesQueued() {
          return 0;
        }

        @Override
        public int accessTimesWaiting() {
          return 0;
        }
      };

  private MediaMetrics(MeterRegistry registry, Tags tags) {
    this.registry = registry;
    this.tags = tags;
    for (Source source : Source.values()) {
      downloads.put(
          source,
          counter("mxmedia.downloads", "Media opened for download", null, "source", lower(source)));
      downloadBytes.put(
          source,
          counter(
              "mxmedia.download.bytes",
              "Length of media opened for download",
              "bytes",
              "source",
              lower(source)));
    }
    for (int pending = 0; pending < 2; pending++) {
      String kind = kind(pending == 1);
      uploads[pending] =
          counter("mxmedia.uploads", "Uploads by outcome", null, "kind", kind, "outcome", OK);
      uploadBytes[pending] =
          counter("mxmedia.upload.bytes", "Bytes of stored uploads", "bytes", "kind", kind);
      uploadDurations[pending] =
          Timer.builder("mxmedia.upload.duration")
              .description("Stored uploads, body reading included")
              .tags(tags)
              .tag("kind", kind)
              .register(registry);
    }
    counter("mxmedia.thumbnails.served", "Thumbnail requests answered", null, "from", "thumbnail");
    counter("mxmedia.thumbnails.served", "Thumbnail requests answered", null, "from", "source");
    counter("mxmedia.remote.fetch.bytes", "Bytes of remote media cached", "bytes");
    gauge("thumbnails", BackgroundWork::thumbnailsQueued);
    gauge("provider_copies", BackgroundWork::providerCopiesQueued);
    gauge("access_times", BackgroundWork::accessTimesWaiting);
  }

  /** Meters in {@code registry} without extra tags. */
  public static MediaMetrics create(MeterRegistry registry) {
    return create(registry, Tags.empty());
  }

  /**
   * Meters in {@code registry}, each with {@code tags} too (for example the repository's name when
   * several share a registry).
   */
  public static MediaMetrics create(MeterRegistry registry, Iterable<Tag> tags) {
    Objects.requireNonNull(registry, "registry");
    return new MediaMetrics(registry, Tags.of(Objects.requireNonNull(tags, "tags")));
  }

  @Override
  public void started(BackgroundWork work) {
    this.work.set(Objects.requireNonNull(work, "work"));
  }

  @Override
  public void uploaded(Upload upload) {
    int i = upload.pending() ? 1 : 0;
    uploads[i].increment();
    uploadBytes[i].increment(upload.bytes());
    uploadDurations[i].record(upload.duration());
  }

  @Override
  public void downloaded(Download download) {
    Objects.requireNonNull(downloads.get(download.source())).increment();
    Objects.requireNonNull(downloadBytes.get(download.source())).increment(download.bytes());
  }

  @Override
  public void thumbnailsGenerated(ThumbnailGeneration generation) {
    String sizes = generation.configuredSizes() ? "configured" : "requested";
    Timer.builder("mxmedia.thumbnail.decodes")
        .description("Decodes of source images, with the storing of their thumbnails")
        .tags(tags)
        .tag("sizes", sizes)
        .tag("outcome", generation.failed() ? FAILED : OK)
        .register(registry)
        .record(generation.duration());
    counter("mxmedia.thumbnails.generated", "Thumbnails stored", null, "sizes", sizes)
        .increment(generation.stored());
  }

  @Override
  public void thumbnailServed(ThumbnailServed served) {
    counter(
            "mxmedia.thumbnails.served",
            "Thumbnail requests answered",
            null,
            "from",
            served.fromSource() ? "source" : "thumbnail")
        .increment();
  }

  @Override
  public void remoteFetched(RemoteFetch fetch) {
    Timer.builder("mxmedia.remote.fetches")
        .description("Fetches of remote media from their origin")
        .tags(tags)
        .tag("outcome", fetch.error().map(ErrorCode::name).orElse(OK))
        .register(registry)
        .record(fetch.duration());
    if (fetch.bytes() > 0) {
      counter("mxmedia.remote.fetch.bytes", "Bytes of remote media cached", "bytes")
          .increment(fetch.bytes());
    }
  }

  @Override
  public void failed(Failure failure) {
    counter(
            "mxmedia.errors",
            "Failed operations, as the caller was answered",
            null,
            "operation",
            lower(failure.operation()),
            "errcode",
            failure.errorCode().name(),
            "status",
            Integer.toString(failure.httpStatus()))
        .increment();
    if (failure.operation() == Operation.UPLOAD
        || failure.operation() == Operation.UPLOAD_PENDING) {
      counter(
              "mxmedia.uploads",
              "Uploads by outcome",
              null,
              "kind",
              kind(failure.operation() == Operation.UPLOAD_PENDING),
              "outcome",
              failure.errorCode().name())
          .increment();
    }
  }

  @Override
  public void pluginCalled(PluginCall call) {
    // the key: the call without its duration
    PluginCall key =
        new PluginCall(call.plugin(), call.name(), call.method(), Duration.ZERO, call.failed());
    Timer timer = pluginTimers.get(key);
    if (timer == null) {
      timer = pluginTimer(call);
      if (pluginTimers.size() < MAX_CACHED_TIMERS) {
        pluginTimers.putIfAbsent(key, timer);
      }
    }
    timer.record(call.duration());
  }

  private Timer pluginTimer(PluginCall call) {
    String outcome = call.failed() ? FAILED : OK;
    Timer.Builder timer =
        call.plugin() == Plugin.STORE
            ? Timer.builder("mxmedia.store.calls").description("Calls to the metadata store")
            : Timer.builder("mxmedia.storage.calls")
                .description("Calls to the primary storage and the storage providers")
                .tag("storage", call.name());
    return timer.tags(tags).tag("method", call.method()).tag("outcome", outcome).register(registry);
  }

  @Override
  public String toString() {
    return "MediaMetrics" + tags;
  }

  private Counter counter(
      String name, String description, @Nullable String unit, String... tagPairs) {
    Counter.Builder b = Counter.builder(name).description(description).tags(tags).tags(tagPairs);
    if (unit != null) {
      b.baseUnit(unit);
    }
    return b.register(registry);
  }

  private void gauge(String work, ToIntFunction<BackgroundWork> read) {
    Gauge.builder("mxmedia.background.queued", this.work, w -> read.applyAsInt(w.get()))
        .description(
            "Background work waiting: thumbnail pre-generation, copies to storage providers, download times to write")
        .tags(tags)
        .tag("work", work)
        .strongReference(true)
        .register(registry);
  }

  private static String kind(boolean pending) {
    return pending ? "pending" : "upload";
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
