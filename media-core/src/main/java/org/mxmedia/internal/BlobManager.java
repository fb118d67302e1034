package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.google.common.util.concurrent.Striped;
import java.util.concurrent.locks.Lock;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaRepository.Builder.ProviderEntry;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.StagedBlob;
import org.mxmedia.spi.ThumbnailRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The life of a blob across the metadata store and the storages: reservation before bytes become
 * visible, copies to storage providers, reads in order, and deletion only once nothing refers to
 * the bytes (the protocol described on {@link MediaStore}).
 */
final class BlobManager {
  private static final Logger log = LoggerFactory.getLogger(BlobManager.class);

  /**
   * How long to wait for another process's deletion of the same blob before taking it as
   * abandoned (its process died) and finishing it here. Deletions in this process hold
   * {@link #deletionLocks} and are never taken over.
   */
  private static final Duration DELETION_WAIT = Duration.ofSeconds(10);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final MediaStore store;
  private final PrimaryStorage primary;
  private final List<ProviderEntry> providers;
  private final Executor executor;
  private final ScheduledExecutorService scheduler;
  private final AtomicInteger pendingCopies = new AtomicInteger();
  private volatile boolean closed;
  /** Held for the whole claim, delete, forget of a blob, so this process never takes over its own live deletion. */
  private final Striped<Lock> deletionLocks = Striped.lazyWeakLock(64);

  BlobManager(
      MediaStore store, PrimaryStorage primary, List<ProviderEntry> providers, Executor executor,
      ScheduledExecutorService scheduler) {
    this.store = store;
    this.primary = primary;
    this.providers = providers;
    this.executor = executor;
    this.scheduler = scheduler;
  }

  /**
   * Takes a reference to {@code key}, waiting out a concurrent deletion; a deletion that stays
   * claimed longer than {@link #DELETION_WAIT} (its process died) is finished here.
   */
  void reserve(BlobKey key) {
    long deadline = System.nanoTime() + DELETION_WAIT.toNanos();
    long sleepMillis = 1;
    while (store.reserveBlob(key) == MediaStore.Reservation.BEING_DELETED) {
      if (System.nanoTime() > deadline) {
        Lock lock = deletionLocks.get(key);
        lock.lock();
        try {
          // no deletion of this process is running (we hold its lock): the claim was abandoned
          if (store.reserveBlob(key) == MediaStore.Reservation.RESERVED) {
            return;
          }
          log.warn("Blob {} stayed claimed for deletion for {}; finishing that deletion", key, DELETION_WAIT);
          deleteBytesEverywhere(key);
          store.forgetBlob(key);
        } finally {
          lock.unlock();
        }
        deadline = System.nanoTime() + DELETION_WAIT.toNanos();
        continue;
      }
      sleepQuietly(sleepMillis);
      sleepMillis = Math.min(50, sleepMillis * 2);
    }
  }

  /**
   * Makes a staged upload the blob {@code key} (reserved by the caller) and copies it to the
   * providers that take {@code local} (or remote) media: synchronously to synchronous ones (a
   * failure fails the call), in the background to the others.
   */
  void commit(StagedBlob staged, BlobKey key, boolean local) {
    try {
      staged.commit(key);
    } catch (IOException e) {
      log.error("Could not commit blob {} to {}", key, primary.name(), e);
      throw MediaException.internal("Could not store the media", e);
    }
    for (ProviderEntry entry : providers) {
      boolean wanted = local ? entry.options().storeLocal() : entry.options().storeRemote();
      if (!wanted) {
        continue;
      }
      if (entry.options().synchronous()) {
        try {
          entry.provider().store(key, primary.pathOf(key));
        } catch (IOException | RuntimeException e) {
          log.error("Could not copy blob {} to storage provider {}", key, entry.provider().name(), e);
          throw MediaException.internal("Could not store the media", e);
        }
      } else {
        scheduleCopy(key, entry, 0);
      }
    }
  }

  /** Gives up a reservation and deletes the bytes if that was the last reference. */
  void release(BlobKey key) {
    store.releaseBlob(key);
    deleteIfUnreferenced(key);
  }

  /**
   * Deletes the bytes of {@code key} from every writable storage if nothing refers to them, and
   * with them the thumbnails made from them (whose own blobs go the same way).
   */
  void deleteIfUnreferenced(BlobKey key) {
    List<ThumbnailRecord> thumbnails;
    Lock lock = deletionLocks.get(key);
    lock.lock();
    try {
      if (!store.claimBlobForDeletion(key)) {
        return;
      }
      thumbnails = store.deleteThumbnails(key);
      if (deleteBytesEverywhere(key)) {
        store.forgetBlob(key);
      } else {
        log.warn("Blob {} stays claimed for deletion; the next sweep retries", key);
      }
    } finally {
      lock.unlock();
    }
    for (ThumbnailRecord t : thumbnails) {
      deleteIfUnreferenced(t.blob());
    }
  }

  /** A blob just stored from a local file, with one reservation the caller owns. */
  record Stored(BlobKey key, long size) {}

  /** Stores a complete local file (a generated thumbnail) as a blob and reserves it. */
  Stored storeFile(Path file, boolean local) {
    try (InputStream in = Files.newInputStream(file);
        Ingest.Staged staged = Ingest.stage(primary, in, OptionalLong.empty(),
            new Ingest.Limit(Long.MAX_VALUE, MediaException.internal("unreachable", new IllegalStateException())))) {
      reserve(staged.key());
      try {
        commit(staged.staged(), staged.key(), local);
      } catch (RuntimeException e) {
        release(staged.key());
        throw e;
      }
      return new Stored(staged.key(), staged.size());
    } catch (IOException e) {
      throw MediaException.internal("Could not store a thumbnail", e);
    }
  }

  /**
   * The primary storage's file of {@code key} (the caller holds a reservation), copying the bytes
   * from a storage provider when only a provider has them; empty when no storage has them.
   */
  Optional<Path> ensureLocal(BlobKey key) {
    try {
      if (primary.exists(key)) {
        return Optional.of(primary.pathOf(key));
      }
    } catch (IOException e) {
      log.warn("Could not check blob {} in {}", key, primary.name(), e);
    }
    for (ProviderEntry entry : providers) {
      try {
        Optional<MediaContent> content = entry.provider().fetch(key);
        if (content.isEmpty()) {
          continue;
        }
        try (MediaContent c = content.get(); InputStream in = c.openStream(); StagedBlob staged = primary.stage()) {
          in.transferTo(staged.outputStream());
          staged.commit(key);
        }
        log.debug("Cached blob {} from storage provider {} locally", key, entry.provider().name());
        return Optional.of(primary.pathOf(key));
      } catch (IOException | RuntimeException e) {
        log.error("Could not copy blob {} from storage provider {}", key, entry.provider().name(), e);
      }
    }
    return Optional.empty();
  }

  /** Finishes deletions that a crash interrupted; returns how many blobs were deleted. */
  int sweepUnreferenced() {
    int deleted = 0;
    for (BlobKey key : store.unreferencedBlobs(1000)) {
      Lock lock = deletionLocks.get(key);
      if (!lock.tryLock()) {
        continue; // being deleted here right now
      }
      try {
        store.claimBlobForDeletion(key);
        for (ThumbnailRecord t : store.deleteThumbnails(key)) {
          log.debug("Sweep drops thumbnail blob {} of {}", t.blob(), key);
        }
        if (deleteBytesEverywhere(key)) {
          store.forgetBlob(key);
          deleted++;
        }
      } finally {
        lock.unlock();
      }
    }
    return deleted;
  }

  private boolean deleteBytesEverywhere(BlobKey key) {
    boolean ok = true;
    try {
      primary.delete(key);
    } catch (IOException | RuntimeException e) {
      log.error("Could not delete blob {} from {}", key, primary.name(), e);
      ok = false;
    }
    for (ProviderEntry entry : providers) {
      if (!entry.options().storeLocal() && !entry.options().storeRemote()) {
        continue; // read-only providers are not ours to delete from
      }
      try {
        entry.provider().delete(key);
      } catch (IOException | RuntimeException e) {
        log.error("Could not delete blob {} from storage provider {}", key, entry.provider().name(), e);
        ok = false;
      }
    }
    return ok;
  }

  /** Opens the bytes of {@code key}: from the primary storage, else from each provider in order. */
  Optional<MediaContent> open(BlobKey key) {
    try {
      Optional<MediaContent> content = primary.fetch(key);
      if (content.isPresent()) {
        return content;
      }
    } catch (IOException | RuntimeException e) {
      log.error("Could not read blob {} from {}", key, primary.name(), e);
    }
    for (ProviderEntry entry : providers) {
      try {
        Optional<MediaContent> content = entry.provider().fetch(key);
        if (content.isPresent()) {
          return content;
        }
      } catch (IOException | RuntimeException e) {
        log.error("Could not read blob {} from storage provider {}", key, entry.provider().name(), e);
      }
    }
    return Optional.empty();
  }

  private void scheduleCopy(BlobKey key, ProviderEntry entry, int attempt) {
    if (closed) {
      log.error("Blob {} was not copied to storage provider {}: the repository closed", key, entry.provider().name());
      return;
    }
    if (attempt == 0) {
      pendingCopies.incrementAndGet();
      executor.execute(() -> copy(key, entry, attempt));
    } else {
      long delay = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(attempt - 1, 20));
      scheduler.schedule(() -> executor.execute(() -> copy(key, entry, attempt)), delay, TimeUnit.MILLISECONDS);
    }
  }

  /** One background copy; holds a reservation so the blob cannot vanish mid-copy. */
  private void copy(BlobKey key, ProviderEntry entry, int attempt) {
    boolean reserved = false;
    boolean done = true;
    try {
      if (store.reserveBlob(key) != MediaStore.Reservation.RESERVED) {
        log.debug("Blob {} is being deleted; not copying it to {}", key, entry.provider().name());
        return;
      }
      reserved = true;
      if (!primary.exists(key)) {
        log.debug("Blob {} was deleted before it was copied to {}", key, entry.provider().name());
        return;
      }
      entry.provider().store(key, primary.pathOf(key));
      log.debug("Copied blob {} to storage provider {}", key, entry.provider().name());
    } catch (NoSuchFileException e) {
      log.debug("Blob {} was deleted while being copied to {}", key, entry.provider().name());
    } catch (IOException | RuntimeException e) {
      done = false;
      log.warn("Copy {} of blob {} to storage provider {} failed; retrying with backoff",
          attempt + 1, key, entry.provider().name(), e);
    } finally {
      if (reserved) {
        try {
          release(key);
        } catch (RuntimeException e) {
          log.error("Could not release blob {} after copying it", key, e);
        }
      }
      if (done) {
        pendingCopies.decrementAndGet();
      } else if (closed) {
        pendingCopies.decrementAndGet();
        log.error("Blob {} was not copied to storage provider {}: the repository closed", key, entry.provider().name());
      } else {
        scheduleCopy(key, entry, attempt + 1);
      }
    }
  }

  /** Background copies not finished yet (including those waiting to retry). */
  int pendingCopies() {
    return pendingCopies.get();
  }


  void close() {
    closed = true;
    int left = pendingCopies.get();
    if (left > 0) {
      log.error("{} blob copies to storage providers had not finished when the repository closed", left);
    }
  }

  static List<String> describe(List<ProviderEntry> providers) {
    List<String> names = new ArrayList<>();
    providers.forEach(p -> names.add(p.provider().name() + " " + p.options()));
    return names;
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw MediaException.internal("Interrupted", e);
    }
  }
}
