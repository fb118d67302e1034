package org.mxmedia.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;

/**
 * Told of what a repository does, to count it: uploads, downloads, thumbnails, remote fetches,
 * failures, and the latency of every call to the metadata store and the storages. Installed with
 * {@link MediaRepository.Builder#events}; {@code media-metrics} has one that records Micrometer
 * meters.
 *
 * <p>Every method has a no-op default, so an implementation overrides only what it counts. The
 * methods are called synchronously on the thread doing the work (request threads, background
 * threads), often concurrently, so they must be thread-safe and cheap: increment a counter, never
 * block or do I/O. An exception one throws is caught, logged once per method, and ignored: it never
 * fails the request or the work that reported it.
 *
 * <p>Durations are measured with {@link System#nanoTime()} (never the repository's clock); sizes
 * are in bytes. No event carries a user id, media id or remote server name, so a meter keyed by an
 * event's fields has a bounded number of series whatever requests arrive.
 */
public interface MediaEvents {

  /** A listener that ignores everything (the default). */
  static MediaEvents none() {
    return new MediaEvents() {
      @Override
      public String toString() {
        return "MediaEvents.none()";
      }
    };
  }

  /**
   * Called once when the repository starts, with a live view of its background work for gauges (it
   * may be read at any time, after {@link MediaRepository#close()} too).
   */
  default void started(BackgroundWork work) {}

  /** An upload (plain or asynchronous) was stored. */
  default void uploaded(Upload upload) {}

  /** Media was opened for download (not counted for thumbnails). */
  default void downloaded(Download download) {}

  /** A decode of a source image produced thumbnails (or failed to). */
  default void thumbnailsGenerated(ThumbnailGeneration generation) {}

  /** A thumbnail request was answered. */
  default void thumbnailServed(ThumbnailServed served) {}

  /**
   * A fetch of remote media from its origin ended (once per fetch, however many requests waited for
   * it).
   */
  default void remoteFetched(RemoteFetch fetch) {}

  /**
   * A public operation of the repository failed with a {@link MediaException} (or an unexpected
   * exception, counted as 500 {@code M_UNKNOWN}).
   */
  default void failed(Failure failure) {}

  /** A call to the metadata store or a storage returned or threw. */
  default void pluginCalled(PluginCall call) {}

  /** The public operations of a {@link MediaRepository} that events name. */
  enum Operation {
    UPLOAD,
    CREATE_PENDING,
    UPLOAD_PENDING,
    DOWNLOAD,
    THUMBNAIL
  }

  /**
   * A stored upload.
   *
   * @param pending whether it sent the bytes of an asynchronous upload ({@link
   *     MediaRepository#uploadPending})
   * @param bytes its size in bytes, {@code >= 0}
   * @param duration from the call's start to the record written, body reading included
   */
  record Upload(boolean pending, long bytes, Duration duration) {
    public Upload {
      Objects.requireNonNull(duration, "duration");
    }
  }

  /** Where a download's bytes came from. */
  enum Source {
    /** Local media. */
    LOCAL,
    /** Remote media already in the cache. */
    REMOTE_CACHED,
    /** Remote media fetched from its origin for this request (or for a request it waited for). */
    REMOTE_FETCHED
  }

  /**
   * Media opened for download.
   *
   * @param source local, cached remote or fetched remote
   * @param bytes the length of the media in bytes (a range request may send fewer)
   */
  record Download(Source source, long bytes) {
    public Download {
      Objects.requireNonNull(source, "source");
    }
  }

  /**
   * One decode of a source image.
   *
   * @param stored the thumbnails it stored ({@code 0} when it failed, or every one came out bigger
   *     than the source)
   * @param failed whether the image could not be decoded
   * @param configuredSizes whether it made the configured sizes (in the background after an upload
   *     or fetch, or for the first request), rather than one size a request asked for (dynamic,
   *     animated, or one whose bytes were lost)
   * @param duration the decode and the storing of its thumbnails
   */
  record ThumbnailGeneration(
      int stored, boolean failed, boolean configuredSizes, Duration duration) {
    public ThumbnailGeneration {
      Objects.requireNonNull(duration, "duration");
    }
  }

  /**
   * A thumbnail request answered.
   *
   * @param fromSource whether the source image itself answered (no stored thumbnail was smaller and
   *     big enough)
   * @param bytes the length of what was served, in bytes
   */
  record ThumbnailServed(boolean fromSource, long bytes) {}

  /**
   * A fetch of remote media.
   *
   * @param error empty when the media was fetched and cached; else the error the fetch ended with
   *     ({@code M_NOT_FOUND}, {@code M_TOO_LARGE}, {@code M_UNKNOWN} for an origin that failed or
   *     stalled, ...)
   * @param bytes the bytes cached ({@code 0} on failure)
   * @param duration from the first request to the origin to the record written
   */
  record RemoteFetch(Optional<ErrorCode> error, long bytes, Duration duration) {
    public RemoteFetch {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(duration, "duration");
    }
  }

  /**
   * A failed public operation: what the caller was answered.
   *
   * @param operation the operation
   * @param errorCode the Matrix error code
   * @param httpStatus the HTTP status, 400 to 599
   */
  record Failure(Operation operation, ErrorCode errorCode, int httpStatus) {
    public Failure {
      Objects.requireNonNull(operation, "operation");
      Objects.requireNonNull(errorCode, "errorCode");
    }
  }

  /** The plug-ins whose calls are timed. */
  enum Plugin {
    /** The {@link MediaStore}. */
    STORE,
    /** The primary storage or a storage provider. */
    STORAGE
  }

  /**
   * One call to a plug-in.
   *
   * @param plugin which kind
   * @param name the storage's {@link StorageProvider#name()}, or {@code "store"}
   * @param method the SPI method's name ({@code insertLocalMedia}, {@code fetch}, {@code commit},
   *     ...)
   * @param duration how long it ran (for {@code fetch}, until the content was opened, not read)
   * @param failed whether it threw
   */
  record PluginCall(Plugin plugin, String name, String method, Duration duration, boolean failed) {
    public PluginCall {
      Objects.requireNonNull(plugin, "plugin");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(duration, "duration");
    }
  }

  /** Live sizes of a repository's background work; each read is cheap and never blocks. */
  interface BackgroundWork {
    /** Sources waiting in the thumbnail pre-generation queue. */
    int thumbnailsQueued();

    /** Copies to asynchronous storage providers queued, waiting for a retry, or running. */
    int providerCopiesQueued();

    /** Download times recorded in memory and not yet written to the store. */
    int accessTimesWaiting();
  }
}
