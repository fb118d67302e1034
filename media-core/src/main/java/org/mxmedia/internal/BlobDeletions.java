package org.mxmedia.internal;

import com.google.common.util.concurrent.Striped;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.function.Consumer;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.PrimaryStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reservations and deletions of blobs, by the protocol described on {@link MediaStore}: bytes are
 * deleted only by the holder of a deletion claim it won, by {@link MediaStore#claimBlobForDeletion}
 * or by taking over a claim abandoned for {@link #STALE_CLAIM} ({@link
 * MediaStore#takeOverDeletion}); {@link #deletionLocks} is held from the claim to its end, so this
 * process never takes over its own live deletion. Leases keep this process's reservations its own;
 * the sweep releases those of stopped processes.
 */
final class BlobDeletions {
  private static final Logger log = LoggerFactory.getLogger(BlobDeletions.class);

  /**
   * How old a deletion claim must be before it counts as abandoned (its process died or hung) and
   * another process, or this one, takes it over. A deletion takes milliseconds to seconds; the
   * bound is generous so that a slow but live deleter is never overtaken, and the processes sharing
   * a store must keep their clocks in step to well within it.
   */
  static final Duration STALE_CLAIM = Duration.ofMinutes(5);

  /**
   * A deleter stops deleting copies under its own claim once the claim is this old (and cancels
   * it), so it is done long before anyone may take the claim over.
   */
  static final Duration CLAIM_WORK_LIMIT = STALE_CLAIM.dividedBy(2);

  /**
   * How long {@link #reserve} waits for a live deletion of the same bytes to end before it gives up
   * with 503: deletions are short, and a request should not hang on one.
   */
  static final Duration DELETION_WAIT = Duration.ofSeconds(10);

  /** Blobs the sweep lists at a time. */
  static final int SWEEP_BATCH = 1000;

  /**
   * How often {@link #heartbeat} renews this process's lease (the sweep also renews it before each
   * batch).
   */
  static final Duration HEARTBEAT_INTERVAL = Duration.ofMinutes(1);

  /**
   * How long a store instance's lease lasts without renewal before another process takes it as
   * stopped and releases the reservations it held ({@link
   * MediaStore#releaseAbandonedReservations}): five missed heartbeats, so a live process never
   * loses its reservations to a slow beat.
   */
  static final Duration LEASE = Duration.ofMinutes(5);

  private final MediaStore store;
  private final PrimaryStorage primary;
  private final List<ProviderEntry> providers;
  private final Clock clock;

  /** Told of every blob whose bytes went, so local copies of it go too. */
  private final Consumer<BlobKey> deleted;

  /**
   * Held for the whole claim, delete, forget of a blob, so this process never takes over its own
   * live deletion.
   */
  private final Striped<Lock> deletionLocks = Striped.lazyWeakLock(64);

  private volatile boolean closed;

  BlobDeletions(
      MediaStore store,
      PrimaryStorage primary,
      List<ProviderEntry> providers,
      Clock clock,
      Consumer<BlobKey> deleted) {
    this.store = store;
    this.primary = primary;
    this.providers = providers;
    this.clock = clock;
    this.deleted = deleted;
  }

  /** The clock's instant at the stores' precision, so claims are named alike in every store. */
  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  /**
   * Takes a reference to {@code key}. While the blob is claimed for deletion it waits, up to {@link
   * #DELETION_WAIT}, for the deletion to end; a claim older than {@link #STALE_CLAIM} is taken over
   * and finished here at once.
   *
   * @throws MediaException 503 {@code M_UNKNOWN} when a live deletion of the same bytes outlasts
   *     the wait
   */
  void reserve(BlobKey key) {
    long deadline = System.nanoTime() + DELETION_WAIT.toNanos();
    long nextTakeoverCheck = System.nanoTime();
    long pauseMillis = 1;
    while (store.reserveBlob(key) == MediaStore.Reservation.BEING_DELETED) {
      // at once, then about once a second: a claim seldom turns stale during the wait
      if (System.nanoTime() - nextTakeoverCheck >= 0) {
        if (finishAbandonedDeletion(key)) {
          continue;
        }
        nextTakeoverCheck = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      }
      long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (leftMillis <= 0) {
        log.warn(
            "Blob {} stayed claimed for deletion by a live deletion for {}; refusing the reservation",
            key,
            DELETION_WAIT);
        throw new MediaException(
            ErrorCode.M_UNKNOWN, 503, "The same file is being deleted; try again");
      }
      sleepQuietly(Math.min(pauseMillis, leftMillis));
      pauseMillis = Math.min(50, pauseMillis * 2);
    }
  }

  /** Gives up a reservation and deletes the bytes if that was the last reference. */
  void release(BlobKey key) {
    store.releaseBlob(key);
    deleteIfUnreferenced(key);
  }

  /**
   * Deletes the bytes of {@code key} from every writable storage if nothing refers to them, and
   * with them the thumbnails made from them (whose own blobs go the same way). Does nothing when
   * the blob is referenced (a read, {@link MediaStore#blobReferences}, decides that without a
   * write), unknown, or being deleted by someone else.
   */
  void deleteIfUnreferenced(BlobKey key) {
    if (store.blobReferences(key) > 0) {
      return;
    }
    List<ThumbnailRecord> thumbnails;
    Lock lock = deletionLocks.get(key);
    lock.lock();
    try {
      Instant now = now();
      if (!store.claimBlobForDeletion(key, now)) {
        return;
      }
      thumbnails = delete(key, now).thumbnails();
    } finally {
      lock.unlock();
    }
    deleteThumbnailBlobs(thumbnails);
  }

  /**
   * Takes over and finishes the deletion of {@code key} if its claim is abandoned; false when the
   * claim is live (or gone), or a deletion of this process holds the blob's lock.
   */
  private boolean finishAbandonedDeletion(BlobKey key) {
    Lock lock = deletionLocks.get(key);
    if (!lock.tryLock()) {
      return false; // a deletion of this process is running: it is live
    }
    List<ThumbnailRecord> thumbnails;
    try {
      Instant now = now();
      if (!store.takeOverDeletion(key, now.minus(STALE_CLAIM), now)) {
        return false;
      }
      log.warn(
          "Blob {} was claimed for deletion more than {} ago and never finished; finishing that deletion",
          key,
          STALE_CLAIM);
      thumbnails = delete(key, now).thumbnails();
    } finally {
      lock.unlock();
    }
    deleteThumbnailBlobs(thumbnails);
    return true;
  }

  /**
   * What a deletion under a claim did: the thumbnail records it dropped, and whether every copy of
   * the bytes went.
   */
  private record Deletion(List<ThumbnailRecord> thumbnails, boolean complete) {}

  /**
   * The work of a deletion whose claim, made at {@code claimedAt}, the caller holds (with the
   * blob's lock): drops the thumbnails, deletes every copy, and ends the claim: forgets the blob
   * when every copy went, else cancels the claim so the blob stays unreferenced (reservable, and
   * retried by the next sweep). When a store call fails midway it still tries to cancel the claim,
   * so uploads of the same bytes do not wait for a deletion nobody works on, and rethrows.
   */
  private Deletion delete(BlobKey key, Instant claimedAt) {
    try {
      List<ThumbnailRecord> thumbnails = store.deleteThumbnails(key);
      boolean complete = deleteBytesEverywhere(key, claimedAt);
      deleted.accept(key);
      if (complete) {
        store.forgetBlob(key, claimedAt);
        return new Deletion(thumbnails, true);
      }
      store.cancelDeletion(key, claimedAt);
      log.warn(
          "Blob {} was not deleted from every storage; it stays unreferenced and the next sweep retries",
          key);
      return new Deletion(thumbnails, false);
    } catch (RuntimeException e) {
      try {
        store.cancelDeletion(key, claimedAt);
      } catch (RuntimeException cancel) {
        e.addSuppressed(cancel); // the claim stays until it is stale, then it is taken over
      }
      throw e;
    }
  }

  private void deleteThumbnailBlobs(List<ThumbnailRecord> thumbnails) {
    for (ThumbnailRecord t : thumbnails) {
      deleteIfUnreferenced(t.blob());
    }
  }

  /**
   * Renews this process's lease in the store, so other processes sharing it keep its reservations.
   * Called every {@link #HEARTBEAT_INTERVAL}.
   */
  void heartbeat() {
    store.renewLease(now());
  }

  /**
   * Deletes what crashes and failures left behind. First it renews this process's lease and
   * releases the reservations of processes whose lease expired ({@link #LEASE}); then it deletes
   * blobs at count zero that are not claimed (the last reference went, but the deletion never ran
   * or did not finish, or a stopped process's reservations were just released), and blobs whose
   * deletion claim was abandoned. It deletes only a blob whose claim it has just won or taken over:
   * a blob listed here may be reserved again before the sweep gets to it, and is then left alone.
   *
   * @return how many blobs were deleted
   */
  int sweepUnreferenced() {
    Instant start = now();
    store.renewLease(start);
    int released = store.releaseAbandonedReservations(start.minus(LEASE), start);
    if (released > 0) {
      log.warn("Released {} blob reservations of stopped processes", released);
    }
    int deleted = 0;
    boolean first = true;
    while (!closed) {
      if (!first) {
        heartbeat(); // a long sweep must not let this process's own lease lapse
      }
      first = false;
      List<BlobKey> batch = store.unreferencedBlobs(SWEEP_BATCH);
      int deletedNow = 0;
      for (BlobKey key : batch) {
        Lock lock = deletionLocks.get(key);
        if (!lock.tryLock()) {
          continue; // being deleted here right now
        }
        Deletion deletion;
        try {
          Instant now = now();
          if (!store.claimBlobForDeletion(key, now)
              && !store.takeOverDeletion(key, now.minus(STALE_CLAIM), now)) {
            continue; // reserved again since it was listed, or a live deletion holds it
          }
          deletion = delete(key, now);
        } finally {
          lock.unlock();
        }
        if (deletion.complete()) {
          deletedNow++;
        }
        deleteThumbnailBlobs(deletion.thumbnails());
      }
      deleted += deletedNow;
      // a full batch may hide more; another round only while rounds make progress, since the
      // blobs left alone are listed again
      if (batch.size() < SWEEP_BATCH || deletedNow == 0) {
        break;
      }
    }
    return deleted;
  }

  /**
   * Deletes every copy of {@code key} under the claim made at {@code claimedAt}; stops early
   * (false) once the claim is {@link #CLAIM_WORK_LIMIT} old, so it never deletes under a claim that
   * may have been taken over. False when any copy remains.
   */
  private boolean deleteBytesEverywhere(BlobKey key, Instant claimedAt) {
    Instant stop = claimedAt.plus(CLAIM_WORK_LIMIT);
    if (!clock.instant().isBefore(stop)) {
      log.warn(
          "The deletion claim of blob {} is {} old; not deleting under it", key, CLAIM_WORK_LIMIT);
      return false;
    }
    boolean ok = true;
    try {
      primary.delete(key);
    } catch (IOException e) {
      log.error("Could not delete blob {} from {}", key, primary.name(), e);
      ok = false;
    }
    for (ProviderEntry entry : providers) {
      if (!entry.writable()) {
        continue;
      }
      if (!clock.instant().isBefore(stop)) {
        log.warn(
            "The deletion claim of blob {} is {} old; not deleting under it from {}",
            key,
            CLAIM_WORK_LIMIT,
            entry.provider().name());
        return false;
      }
      try {
        entry.provider().delete(key);
      } catch (IOException e) {
        log.error(
            "Could not delete blob {} from storage provider {}", key, entry.provider().name(), e);
        ok = false;
      }
    }
    return ok;
  }

  /** Stops the sweep at its next batch. */
  void close() {
    closed = true;
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
