package org.mxmedia.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;

/**
 * Blobs held in memory: {@link PrimaryStorage#inMemory()}, for tests and harnesses (with {@link
 * InMemoryMediaStore} a complete repository needs no disk). Public only so that the SPI's factory
 * reaches it; the package is not exported.
 *
 * <p>Every blob is a byte array, so memory grows with what is stored: not for production.
 * Thread-safe.
 */
public final class InMemoryStorage implements PrimaryStorage {
  private final ConcurrentHashMap<BlobKey, byte[]> blobs = new ConcurrentHashMap<>();
  private final AtomicInteger staging = new AtomicInteger();

  @Override
  public StagedBlob stage() {
    staging.incrementAndGet();
    return new StagedBlob() {
      private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      private boolean done;

      @Override
      public OutputStream outputStream() {
        return bytes;
      }

      @Override
      public synchronized InputStream openStaged() {
        if (done) {
          throw new IllegalStateException("staged blob already committed or closed");
        }
        return new ByteArrayInputStream(bytes.toByteArray());
      }

      @Override
      public synchronized void commit(BlobKey key) {
        if (done) {
          throw new IllegalStateException("staged blob already committed or closed");
        }
        done = true;
        staging.decrementAndGet();
        blobs.putIfAbsent(key, bytes.toByteArray());
      }

      @Override
      public synchronized void close() {
        if (!done) {
          done = true;
          staging.decrementAndGet();
        }
      }
    };
  }

  /** Always empty: these blobs are not files. */
  @Override
  public Optional<Path> localFile(BlobKey key) {
    return Optional.empty();
  }

  @Override
  public void store(BlobKey key, Path source) throws IOException {
    if (!blobs.containsKey(key)) {
      blobs.putIfAbsent(key, Files.readAllBytes(source));
    }
  }

  @Override
  public Optional<MediaContent> fetch(BlobKey key) {
    byte[] bytes = blobs.get(key);
    if (bytes == null) {
      return Optional.empty();
    }
    return Optional.of(MediaContent.ofStreams(bytes.length, () -> new ByteArrayInputStream(bytes)));
  }

  @Override
  public boolean delete(BlobKey key) {
    return blobs.remove(key) != null;
  }

  @Override
  public boolean exists(BlobKey key) {
    return blobs.containsKey(key);
  }

  /** How many blobs are held. */
  public int size() {
    return blobs.size();
  }

  /** How many staged blobs are neither committed nor closed (uploads in progress, or leaked). */
  public int staging() {
    return staging.get();
  }

  @Override
  public String name() {
    return "InMemoryStorage";
  }
}
