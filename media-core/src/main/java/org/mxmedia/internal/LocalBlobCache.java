package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local copies of blobs for a primary storage that keeps none (object storage, memory), so the
 * engine has a file to thumbnail or to copy to a provider: fetched once, kept in one directory
 * under their SHA-256, evicted least recently used first once the total passes a size bound. A copy
 * in use (pinned by an open {@link Lease}) is never evicted. Files are written to a temporary name
 * and renamed into place, so a reader sees whole files only. Thread-safe.
 */
final class LocalBlobCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalBlobCache.class);

  private final Path directory;
  private final long maxBytes;
  private final boolean ownsDirectory;

  /** Access order: the eldest entry is the least recently used. */
  private final LinkedHashMap<BlobKey, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);

  private long totalBytes;

  private static final class Entry {
    final Path file;
    final long size;
    int pins;

    Entry(Path file, long size) {
      this.file = file;
      this.size = size;
    }
  }

  /** The bytes of a blob to fetch into the cache. */
  @FunctionalInterface
  interface Source {
    /** The bytes, opened now, or empty when no storage has them. */
    Optional<MediaContent> open() throws IOException;
  }

  /** A copy in use: its file stays until the lease is closed. */
  final class Lease implements AutoCloseable {
    private final BlobKey key;
    private final Path file;
    private boolean closed;

    private Lease(BlobKey key, Path file) {
      this.key = key;
      this.file = file;
    }

    Path file() {
      return file;
    }

    @Override
    public void close() {
      synchronized (LocalBlobCache.this) {
        if (closed) {
          return;
        }
        closed = true;
        Entry e = entries.get(key);
        if (e != null && e.file.equals(file)) {
          e.pins--;
        }
        evict();
      }
    }
  }

  /**
   * A cache in {@code directory} (created if missing; emptied of earlier copies, which belong to no
   * one now) holding at most {@code maxBytes} of copies not in use.
   *
   * @param ownsDirectory whether {@link #close} deletes the directory (a temporary one)
   */
  LocalBlobCache(Path directory, long maxBytes, boolean ownsDirectory) throws IOException {
    this.directory = Files.createDirectories(directory).toRealPath();
    this.maxBytes = maxBytes;
    this.ownsDirectory = ownsDirectory;
    deleteContents();
  }

  /**
   * A lease on the local copy of {@code key}, fetched from {@code source} if it is not cached.
   * Concurrent callers for one key may each fetch; the first rename wins and the others' copies are
   * dropped.
   *
   * @return empty when the source has no such blob
   */
  Optional<Lease> acquire(BlobKey key, Source source) throws IOException {
    synchronized (this) {
      Entry e = entries.get(key);
      if (e != null && Files.isRegularFile(e.file)) {
        e.pins++;
        return Optional.of(new Lease(key, e.file));
      }
      if (e != null) {
        entries.remove(key);
        totalBytes -= e.size;
      }
    }
    Optional<MediaContent> content = source.open();
    if (content.isEmpty()) {
      return Optional.empty();
    }
    Path target = directory.resolve(key.sha256());
    Path part = Files.createTempFile(directory, key.sha256(), ".part");
    long size;
    try (MediaContent c = content.get();
        InputStream body = c.openStream()) {
      size = Files.copy(body, part, StandardCopyOption.REPLACE_EXISTING);
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(part);
    }
    synchronized (this) {
      Entry e = entries.get(key);
      if (e == null) {
        e = new Entry(target, size);
        entries.put(key, e);
        totalBytes += size;
      }
      e.pins++;
      evict();
      return Optional.of(new Lease(key, e.file));
    }
  }

  /**
   * Forgets and deletes the copy of {@code key} (its blob was deleted); a copy in use goes when
   * released.
   */
  synchronized void remove(BlobKey key) {
    Entry e = entries.get(key);
    if (e != null && e.pins == 0) {
      entries.remove(key);
      totalBytes -= e.size;
      deleteQuietly(e.file);
    }
  }

  /** Bytes held by copies, in use or not. */
  synchronized long totalBytes() {
    return totalBytes;
  }

  private void evict() {
    Iterator<Map.Entry<BlobKey, Entry>> it = entries.entrySet().iterator();
    while (totalBytes > maxBytes && it.hasNext()) {
      Entry e = it.next().getValue();
      if (e.pins > 0) {
        continue;
      }
      it.remove();
      totalBytes -= e.size;
      deleteQuietly(e.file);
    }
  }

  private void deleteContents() throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      for (Path f : files.toList()) {
        if (Files.isRegularFile(f) && f.getFileName().toString().matches("[0-9a-f]{64}.*")) {
          deleteQuietly(f);
        }
      }
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (NoSuchFileException e) {
      // gone already
    } catch (IOException e) {
      log.warn("Could not delete cached blob {}", file, e);
    }
  }

  @Override
  public synchronized void close() {
    for (Entry e : entries.values()) {
      deleteQuietly(e.file);
    }
    entries.clear();
    totalBytes = 0;
    if (ownsDirectory) {
      try (Stream<Path> files = Files.walk(directory)) {
        files.sorted(Comparator.reverseOrder()).forEach(LocalBlobCache::deleteQuietly);
      } catch (IOException e) {
        log.debug("Could not delete the cache directory {}", directory, e);
      }
    }
  }
}
