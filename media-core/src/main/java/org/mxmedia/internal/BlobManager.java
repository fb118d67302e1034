package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blob layer: the one way bytes enter the repository, and the ways they are read back.
 *
 * <p>{@link #ingest} is invariant 1 and 2 in one place: stage (hashing, counting, limited),
 * reserve, commit (atomic), copy to providers, record; a failure after the reservation releases it
 * (and deletes the bytes if nothing else refers to them), so nothing partial and no orphan is left.
 * Uploads, pending uploads, remote copies and thumbnails all go through it.
 */
final class BlobManager {
  private static final Logger log = LoggerFactory.getLogger(BlobManager.class);

  private final PrimaryStorage primary;
  private final List<ProviderEntry> providers;
  private final LocalBlobCache cache;
  private final BlobDeletions deletions;
  private final ProviderCopies copies;

  BlobManager(
      MediaStore store,
      PrimaryStorage primary,
      List<ProviderEntry> providers,
      LocalBlobCache cache,
      Clock clock,
      Executor executor,
      ScheduledExecutorService scheduler) {
    this.primary = primary;
    this.providers = providers;
    this.cache = cache;
    this.deletions = new BlobDeletions(store, primary, providers, clock, cache::remove);
    this.copies =
        new ProviderCopies(store, providers, deletions, this::localFile, executor, scheduler);
  }

  /**
   * Writes the record of a committed blob, transferring the caller's reservation of it to the
   * record, and says whether it did.
   */
  @FunctionalInterface
  interface Recorder<T> {
    Recorded<T> record(Ingest.Staged staged);
  }

  /**
   * What a {@link Recorder} did.
   *
   * @param value what the ingest returns
   * @param transferred whether the reservation now belongs to a record (else it is released)
   */
  record Recorded<T>(T value, boolean transferred) {
    static <T> Recorded<T> kept(T value) {
      return new Recorded<>(value, true);
    }

    static <T> Recorded<T> notKept(T value) {
      return new Recorded<>(value, false);
    }
  }

  /**
   * Streams {@code body} into the repository and records it: stage under {@code limit}, run {@code
   * afterStaging} (a last check before anything becomes visible), then {@link #commitAndRecord}.
   * Nothing is left behind when it throws.
   *
   * @param local whether the bytes are local media (providers' {@code store_local}) or a remote
   *     copy
   * @throws MediaException the limit's error, 400 when the body fails or ends short, 500 when
   *     storage fails, or whatever {@code afterStaging} and {@code recorder} throw
   */
  <T> T ingest(
      InputStream body,
      OptionalLong declaredLength,
      Ingest.Limit limit,
      boolean local,
      Consumer<Ingest.Staged> afterStaging,
      Recorder<T> recorder) {
    try (Ingest.Staged staged = stage(body, declaredLength, limit)) {
      afterStaging.accept(staged);
      return commitAndRecord(staged, local, recorder);
    }
  }

  /**
   * The first half of {@link #ingest}: stages {@code body} in the primary storage; see {@link
   * Ingest#stage}.
   */
  Ingest.Staged stage(InputStream body, OptionalLong declaredLength, Ingest.Limit limit) {
    return Ingest.stage(primary, body, declaredLength, limit);
  }

  /**
   * The second half of {@link #ingest}, for a caller that staged the bytes itself (to tell the
   * failures of its source from those of storage): reserve, commit, copy to providers, record;
   * release on any failure or when the recorder did not keep the reservation.
   */
  <T> T commitAndRecord(Ingest.Staged staged, boolean local, Recorder<T> recorder) {
    BlobKey key = staged.key();
    deletions.reserve(key);
    boolean transferred = false;
    try {
      try {
        staged.staged().commit(key);
      } catch (IOException e) {
        log.error("Could not commit blob {} to {}", key, primary.name(), e);
        throw MediaException.internal("Could not store the media", e);
      }
      copies.afterCommit(key, local);
      Recorded<T> recorded = recorder.record(staged);
      transferred = recorded.transferred();
      return recorded.value();
    } finally {
      if (!transferred) {
        deletions.release(key);
      }
    }
  }

  /** Takes a reference to {@code key}; see {@link BlobDeletions#reserve}. */
  void reserve(BlobKey key) {
    deletions.reserve(key);
  }

  /** Gives up a reservation, deleting the bytes if that was the last reference. */
  void release(BlobKey key) {
    deletions.release(key);
  }

  /** Deletes the bytes of {@code key} (and its thumbnails) if nothing refers to them. */
  void deleteIfUnreferenced(BlobKey key) {
    deletions.deleteIfUnreferenced(key);
  }

  /**
   * A local file with the bytes of {@code key} (the caller holds a reservation): the primary
   * storage's own file, or a copy in the local cache fetched from the primary storage or, failing
   * that, from the providers in order; empty when no storage has them.
   */
  Optional<LocalFile> localFile(BlobKey key) throws IOException {
    Optional<Path> own = primary.localFile(key);
    if (own.isPresent()) {
      return Optional.of(LocalFile.of(own.get()));
    }
    Optional<LocalBlobCache.Lease> lease = cache.acquire(key, () -> open(key));
    return lease.map(
        l ->
            new LocalFile() {
              @Override
              public Path path() {
                return l.file();
              }

              @Override
              public void close() {
                l.close();
              }
            });
  }

  /** Opens the bytes of {@code key}: from the primary storage, else from each provider in order. */
  Optional<MediaContent> open(BlobKey key) {
    return open(key, -1);
  }

  /**
   * Opens the bytes of {@code key} as {@link #open(BlobKey)} does, skipping a copy that is not
   * {@code size} bytes long (truncated or overwritten in place: served, it would reach clients as a
   * cacheable answer under the whole blob's ETag); a negative {@code size} checks nothing.
   */
  Optional<MediaContent> open(BlobKey key, long size) {
    try {
      Optional<MediaContent> content = whole(primary.fetch(key), key, size, primary.name());
      if (content.isPresent()) {
        return content;
      }
    } catch (IOException e) {
      log.error("Could not read blob {} from {}", key, primary.name(), e);
    }
    for (ProviderEntry entry : providers) {
      String name = "storage provider " + entry.provider().name();
      try {
        Optional<MediaContent> content = whole(entry.provider().fetch(key), key, size, name);
        if (content.isPresent()) {
          return content;
        }
      } catch (IOException e) {
        log.error("Could not read blob {} from {}", key, name, e);
      }
    }
    return Optional.empty();
  }

  /**
   * {@code content} if it is {@code size} bytes long (or {@code size} is negative); else closed.
   */
  private static Optional<MediaContent> whole(
      Optional<MediaContent> content, BlobKey key, long size, String storage) throws IOException {
    if (content.isEmpty() || size < 0 || content.get().length() == size) {
      return content;
    }
    log.error(
        "Blob {} in {} is {} bytes long, not the recorded {}: not served from there",
        key,
        storage,
        content.get().length(),
        size);
    content.get().close();
    return Optional.empty();
  }

  /** Background copies to storage providers queued, waiting for a retry, or running. */
  int copiesQueued() {
    return copies.queued();
  }

  /** Renews this process's lease; see {@link BlobDeletions#heartbeat}. */
  void heartbeat() {
    deletions.heartbeat();
  }

  /** Deletes what crashes and failures left behind; see {@link BlobDeletions#sweepUnreferenced}. */
  int sweepUnreferenced() {
    return deletions.sweepUnreferenced();
  }

  void close() {
    copies.close();
    deletions.close();
  }
}
