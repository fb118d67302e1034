package org.mxmedia.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage;

/**
 * {@link PrimaryStorage#inMemory()}, counting what it holds: the blobs stored, and the staged blobs
 * neither committed nor closed (uploads in progress, or leaked), so a test sees what a request left
 * behind.
 */
final class CountingStorage implements PrimaryStorage {
  private final PrimaryStorage inner = PrimaryStorage.inMemory();
  private final Set<BlobKey> keys = ConcurrentHashMap.newKeySet();
  private final AtomicInteger staging = new AtomicInteger();

  @Override
  public StagedBlob stage() throws IOException {
    StagedBlob staged = inner.stage();
    staging.incrementAndGet();
    return new StagedBlob() {
      private final AtomicBoolean done = new AtomicBoolean();

      @Override
      public OutputStream outputStream() {
        return staged.outputStream();
      }

      @Override
      public InputStream openStaged() throws IOException {
        return staged.openStaged();
      }

      @Override
      public void commit(BlobKey key) throws IOException {
        staged.commit(key);
        keys.add(key);
        finish();
      }

      @Override
      public void close() throws IOException {
        try {
          staged.close();
        } finally {
          finish();
        }
      }

      private void finish() {
        if (done.compareAndSet(false, true)) {
          staging.decrementAndGet();
        }
      }
    };
  }

  @Override
  public Optional<Path> localFile(BlobKey key) throws IOException {
    return inner.localFile(key);
  }

  @Override
  public void store(BlobKey key, Path source) throws IOException {
    inner.store(key, source);
    keys.add(key);
  }

  @Override
  public Optional<MediaContent> fetch(BlobKey key) throws IOException {
    return inner.fetch(key);
  }

  @Override
  public boolean delete(BlobKey key) throws IOException {
    boolean deleted = inner.delete(key);
    keys.remove(key);
    return deleted;
  }

  @Override
  public boolean exists(BlobKey key) throws IOException {
    return inner.exists(key);
  }

  /** How many blobs are held. */
  int size() {
    int n = 0;
    for (BlobKey key : keys) {
      try {
        n += inner.exists(key) ? 1 : 0;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return n;
  }

  /** How many staged blobs are neither committed nor closed. */
  int staging() {
    return staging.get();
  }

  @Override
  public String name() {
    return inner.name();
  }
}
