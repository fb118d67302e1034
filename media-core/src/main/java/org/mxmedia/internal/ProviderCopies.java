package org.mxmedia.internal;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.mxmedia.MediaException;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies of committed blobs to storage providers, with Synapse's options: synchronous providers are
 * copied to before the upload answers (a failure fails it), the others in the background, retried
 * with backoff (1 s doubling to 5 min) until the copy lands or the repository closes. A background
 * copy holds a reservation, so the blob cannot be deleted under it.
 */
final class ProviderCopies {
  private static final Logger log = LoggerFactory.getLogger(ProviderCopies.class);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);

  /** Where a copy reads the blob's bytes from: a local file, empty when no storage has them. */
  @FunctionalInterface
  interface BlobFiles {
    Optional<LocalFile> open(BlobKey key) throws IOException;
  }

  private final MediaStore store;
  private final List<ProviderEntry> providers;
  private final BlobDeletions deletions;
  private final BlobFiles files;
  private final Executor executor;
  private final ScheduledExecutorService scheduler;
  private volatile boolean closed;

  /** Background copies submitted and not yet ended (queued, waiting for a retry, or running). */
  private final AtomicInteger queued = new AtomicInteger();

  ProviderCopies(
      MediaStore store,
      List<ProviderEntry> providers,
      BlobDeletions deletions,
      BlobFiles files,
      Executor executor,
      ScheduledExecutorService scheduler) {
    this.store = store;
    this.providers = providers;
    this.deletions = deletions;
    this.files = files;
    this.executor = executor;
    this.scheduler = scheduler;
  }

  /**
   * Copies the just-committed blob {@code key} (reserved by the caller) to the providers that take
   * {@code local} (or remote) media.
   *
   * @throws MediaException 500 when a synchronous copy fails
   */
  void afterCommit(BlobKey key, boolean local) {
    List<ProviderEntry> wanted = providers.stream().filter(p -> p.takes(local)).toList();
    if (wanted.stream().anyMatch(p -> p.options().synchronous())) {
      try (LocalFile file =
          files.open(key).orElseThrow(() -> new NoSuchFileException(key.sha256()))) {
        for (ProviderEntry entry : wanted) {
          if (entry.options().synchronous()) {
            entry.provider().store(key, file.path());
          }
        }
      } catch (IOException e) {
        log.error("Could not copy blob {} to a synchronous storage provider", key, e);
        throw MediaException.internal("Could not store the media", e);
      }
    }
    for (ProviderEntry entry : wanted) {
      if (!entry.options().synchronous()) {
        schedule(key, entry, 0);
      }
    }
  }

  /** Background copies submitted and not yet ended (queued, waiting for a retry, or running). */
  int queued() {
    return queued.get();
  }

  private void schedule(BlobKey key, ProviderEntry entry, int attempt) {
    if (closed) {
      log.error(
          "Blob {} was not copied to storage provider {}: the repository closed",
          key,
          entry.provider().name());
      return;
    }
    queued.incrementAndGet();
    try {
      if (attempt == 0) {
        executor.execute(() -> copy(key, entry, attempt));
      } else {
        long delay =
            Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(attempt - 1, 20));
        scheduler.schedule(
            () -> {
              try {
                executor.execute(() -> copy(key, entry, attempt));
              } catch (RejectedExecutionException e) {
                queued.decrementAndGet();
                log.error(
                    "Blob {} was not copied to storage provider {}: the repository is shutting down",
                    key,
                    entry.provider().name());
              }
            },
            delay,
            TimeUnit.MILLISECONDS);
      }
    } catch (RejectedExecutionException e) {
      queued.decrementAndGet();
      log.error(
          "Blob {} was not copied to storage provider {}: the repository is shutting down",
          key,
          entry.provider().name());
    }
  }

  /** One background copy; holds a reservation so the blob cannot vanish mid-copy. */
  private void copy(BlobKey key, ProviderEntry entry, int attempt) {
    try {
      copyOnce(key, entry, attempt);
    } finally {
      queued.decrementAndGet();
    }
  }

  private void copyOnce(BlobKey key, ProviderEntry entry, int attempt) {
    if (closed) {
      log.error(
          "Blob {} was not copied to storage provider {}: the repository closed",
          key,
          entry.provider().name());
      return;
    }
    boolean reserved = false;
    boolean retry = false;
    try {
      if (store.reserveBlob(key) != MediaStore.Reservation.RESERVED) {
        log.debug("Blob {} is being deleted; not copying it to {}", key, entry.provider().name());
        return;
      }
      reserved = true;
      Optional<LocalFile> file = files.open(key);
      if (file.isEmpty()) {
        log.debug("Blob {} was deleted before it was copied to {}", key, entry.provider().name());
        return;
      }
      try (LocalFile f = file.get()) {
        entry.provider().store(key, f.path());
      }
      log.debug("Copied blob {} to storage provider {}", key, entry.provider().name());
    } catch (NoSuchFileException e) {
      log.debug("Blob {} was deleted while being copied to {}", key, entry.provider().name());
    } catch (IOException | RuntimeException e) {
      retry = true;
      log.warn(
          "Copy {} of blob {} to storage provider {} failed; retrying with backoff",
          attempt + 1,
          key,
          entry.provider().name(),
          e);
    } finally {
      if (reserved) {
        try {
          deletions.release(key);
        } catch (RuntimeException e) {
          log.error("Could not release blob {} after copying it", key, e);
        }
      }
      if (retry) {
        schedule(key, entry, attempt + 1);
      }
    }
  }

  void close() {
    closed = true;
  }
}
