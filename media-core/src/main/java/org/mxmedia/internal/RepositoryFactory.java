package org.mxmedia.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.SpamChecker;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UrlPreviewer;
import org.mxmedia.spi.UserDirectory;

/**
 * Builds the engine behind {@link MediaRepository.Builder}: the one place host plug-ins are guarded
 * ({@link Guards}) and the parts are wired. Not API: this package is not exported, and nothing here
 * is promised to stay.
 */
public final class RepositoryFactory {
  private RepositoryFactory() {}

  /**
   * Everything a repository is made of, as the builder collected it (defaults already applied).
   *
   * @param localCache where copies of blobs from a storage without local files are kept, and how
   *     many bytes of them; empty for a temporary directory of {@code 1 GiB}
   * @param urlPreviewer what previews URLs; empty when previews are off
   */
  public record Parts(
      ServerName serverName,
      MediaConfig config,
      MediaStore store,
      PrimaryStorage storage,
      List<ProviderEntry> providers,
      UploadPolicy uploadPolicy,
      Authorizer authorizer,
      UserDirectory userDirectory,
      Clock clock,
      MediaIdGenerator ids,
      Optional<Executor> executor,
      Optional<ScheduledExecutorService> scheduler,
      Optional<Thumbnailer> thumbnailer,
      Optional<FederationClient> federationClient,
      OutboundPolicy outboundPolicy,
      Optional<LocalCache> localCache,
      MediaEvents events,
      LifecycleOptions lifecycle,
      Optional<UrlPreviewer> urlPreviewer) {
    public Parts {
      Objects.requireNonNull(serverName, "serverName");
      providers = List.copyOf(providers);
    }
  }

  /**
   * A directory for local copies of blobs and its size bound.
   *
   * @param directory created if missing; copies found there at start are deleted
   * @param maxSize the bytes of copies not in use kept at most
   */
  public record LocalCache(Path directory, DataSize maxSize) {
    public LocalCache {
      Objects.requireNonNull(directory, "directory");
      Objects.requireNonNull(maxSize, "maxSize");
    }
  }

  static final DataSize DEFAULT_CACHE_SIZE = DataSize.gibibytes(1);

  /** Guards the plug-ins, wires the engine and starts its background work. */
  public static MediaRepository create(Parts p) {
    MediaEvents events = Guards.events(p.events());
    List<ProviderEntry> providers =
        p.providers().stream()
            .map(e -> new ProviderEntry(Guards.provider(e.provider(), events), e.options()))
            .toList();
    return new DefaultMediaRepository(
        p.serverName(),
        p.config(),
        new CachingMediaStore(Guards.store(p.store(), events)),
        Guards.primary(p.storage(), events),
        providers,
        Guards.uploadPolicy(p.uploadPolicy()),
        Guards.authorizer(p.authorizer()),
        Guards.userDirectory(p.userDirectory()),
        p.clock(),
        Guards.ids(p.ids()),
        new Lifecycle(p.executor(), p.scheduler()),
        p.thumbnailer().map(Guards::thumbnailer),
        p.federationClient().map(Guards::federation),
        p.outboundPolicy(),
        openCache(p.localCache()),
        events,
        p.lifecycle().guarded(),
        p.urlPreviewer().map(Guards::previewer));
  }

  private static LocalBlobCache openCache(Optional<LocalCache> configured) {
    try {
      if (configured.isPresent()) {
        return new LocalBlobCache(
            configured.get().directory(), configured.get().maxSize().bytes(), false);
      }
      return new LocalBlobCache(
          Files.createTempDirectory("mxmedia-cache"), DEFAULT_CACHE_SIZE.bytes(), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the local blob cache: " + e.getMessage(), e);
    }
  }

  /**
   * The lifecycle options (issue 13): retention, the remote cache's bound, the rate limiter, the
   * spam checker.
   *
   * @param localMediaLifetime Synapse's {@code media_retention.local_media_lifetime}
   * @param remoteMediaLifetime Synapse's {@code media_retention.remote_media_lifetime}
   * @param remoteCacheMaxSize the bytes of cached remote media kept at most
   */
  public record LifecycleOptions(
      Optional<Duration> localMediaLifetime,
      Optional<Duration> remoteMediaLifetime,
      Optional<DataSize> remoteCacheMaxSize,
      RateLimiter rateLimiter,
      Optional<SpamChecker> spamChecker) {
    public static final LifecycleOptions NONE =
        new LifecycleOptions(
            Optional.empty(), Optional.empty(), Optional.empty(), noRateLimit(), Optional.empty());

    public LifecycleOptions {
      Objects.requireNonNull(localMediaLifetime, "localMediaLifetime");
      Objects.requireNonNull(remoteMediaLifetime, "remoteMediaLifetime");
      Objects.requireNonNull(remoteCacheMaxSize, "remoteCacheMaxSize");
      Objects.requireNonNull(rateLimiter, "rateLimiter");
      Objects.requireNonNull(spamChecker, "spamChecker");
    }

    /** The host's rate limiter and spam checker wrapped by {@link Guards}. */
    LifecycleOptions guarded() {
      return new LifecycleOptions(
          localMediaLifetime,
          remoteMediaLifetime,
          remoteCacheMaxSize,
          rateLimiter == noRateLimit() ? rateLimiter : Guards.rateLimiter(rateLimiter),
          spamChecker.map(Guards::spamChecker));
    }
  }

  /** {@link RateLimiter#unlimited()}. */
  public static RateLimiter noRateLimit() {
    return LeakyBuckets.UNLIMITED;
  }

  /** {@link RateLimiter#leakyBucket}. */
  public static RateLimiter leakyBuckets(
      Map<RateLimiter.Action, RateLimiter.Rate> rates, Clock clock) {
    return new LeakyBuckets(rates, clock);
  }
}
