package org.mxmedia.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import org.mxmedia.MediaContent;

/**
 * A place that holds blob bytes by key: the primary storage, or an extra copy (a second disk, S3).
 * Implementations pass {@code org.mxmedia.testkit.StorageProviderContract}.
 *
 * <p>Every method may throw {@link IOException} for a fault; the engine logs it and answers 500
 * {@code M_UNKNOWN} (or tries the next provider, when reading).
 */
public interface StorageProvider {

  /**
   * Stores a copy of {@code source} (a complete local file, which the caller keeps) under {@code
   * key}. Atomic: a reader sees the whole blob or none. Idempotent: storing a key that is already
   * present succeeds and leaves it as it was.
   */
  void store(BlobKey key, Path source) throws IOException;

  /** The bytes stored under {@code key}, opened now, or empty if there are none. */
  Optional<MediaContent> fetch(BlobKey key) throws IOException;

  /** Deletes the bytes under {@code key}; returns false if there were none. */
  boolean delete(BlobKey key) throws IOException;

  /** Whether bytes are stored under {@code key}. */
  boolean exists(BlobKey key) throws IOException;

  /** A short name for logs. */
  default String name() {
    String simple = getClass().getSimpleName();
    return simple.isEmpty() ? getClass().getName() : simple;
  }
}
