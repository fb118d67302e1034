package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.StorageProvider;

/**
 * The promises of {@link StorageProvider}, for any implementation: extend this class and return a
 * new, empty provider from {@link #newProvider()}.
 */
public abstract class StorageProviderContract {

  @TempDir protected Path scratch;

  private StorageProvider provider;

  /** A new provider holding no blobs. */
  protected abstract StorageProvider newProvider() throws Exception;

  /**
   * Whether content fetched before a deletion stays readable after it (true for local files held
   * open; a remote store may say false).
   */
  protected boolean fetchedContentSurvivesDeletion() {
    return true;
  }

  @BeforeEach
  void createProvider() throws Exception {
    provider = newProvider();
  }

  protected StorageProvider provider() {
    return provider;
  }

  /** Writes {@code bytes} to a scratch file and returns it with its key. */
  protected Blob blobOf(byte[] bytes) throws Exception {
    Path file = Files.createTempFile(scratch, "blob", ".bin");
    Files.write(file, bytes);
    return new Blob(
        BlobKey.ofDigest(MessageDigest.getInstance("SHA-256").digest(bytes)), file, bytes);
  }

  protected Blob randomBlob(int size, long seed) throws Exception {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return blobOf(bytes);
  }

  /** A test blob: its key, a file holding it, its bytes. */
  protected record Blob(BlobKey key, Path file, byte[] bytes) {}

  protected static byte[] read(MediaContent content) throws IOException {
    try (content;
        InputStream in = content.openStream()) {
      return in.readAllBytes();
    }
  }

  @Test
  void storedBlobIsFetchedWhole() throws Exception {
    Blob b = randomBlob(100_000, 1);
    provider.store(b.key(), b.file());
    assertThat(provider.exists(b.key())).isTrue();
    MediaContent content = provider.fetch(b.key()).orElseThrow();
    assertThat(content.length()).isEqualTo(b.bytes().length);
    assertThat(read(content)).isEqualTo(b.bytes());
  }

  @Test
  void storeLeavesTheSourceInPlace() throws Exception {
    Blob b = randomBlob(10, 2);
    provider.store(b.key(), b.file());
    assertThat(Files.readAllBytes(b.file())).isEqualTo(b.bytes());
  }

  @Test
  void emptyBlobIsStoredAndFetched() throws Exception {
    Blob b = blobOf(new byte[0]);
    provider.store(b.key(), b.file());
    MediaContent content = provider.fetch(b.key()).orElseThrow();
    assertThat(content.length()).isZero();
    assertThat(read(content)).isEmpty();
  }

  @Test
  void fetchOfAMissingBlobIsEmpty() throws Exception {
    Blob b = randomBlob(10, 3);
    assertThat(provider.fetch(b.key())).isEmpty();
    assertThat(provider.exists(b.key())).isFalse();
  }

  @Test
  void deleteRemovesTheBlobAndReportsWhetherThereWasOne() throws Exception {
    Blob b = randomBlob(10, 4);
    provider.store(b.key(), b.file());
    assertThat(provider.delete(b.key())).isTrue();
    assertThat(provider.exists(b.key())).isFalse();
    assertThat(provider.fetch(b.key())).isEmpty();
    assertThat(provider.delete(b.key())).isFalse();
  }

  @Test
  void storingAPresentKeyAgainIsIdempotent() throws Exception {
    Blob b = randomBlob(1000, 5);
    provider.store(b.key(), b.file());
    provider.store(b.key(), b.file());
    assertThat(read(provider.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void contentCanBeReadFromAnOffset() throws Exception {
    Blob b = randomBlob(70_000, 6);
    provider.store(b.key(), b.file());
    try (MediaContent content = provider.fetch(b.key()).orElseThrow();
        InputStream in = content.openStream(65_000)) {
      byte[] tail = in.readAllBytes();
      assertThat(tail).hasSize(5_000);
      assertThat(tail[0]).isEqualTo(b.bytes()[65_000]);
    }
  }

  @Test
  void transferToWritesEveryByte() throws Exception {
    Blob b = randomBlob(300_000, 7);
    provider.store(b.key(), b.file());
    Path out = scratch.resolve("out.bin");
    try (MediaContent content = provider.fetch(b.key()).orElseThrow();
        OutputStream os = Files.newOutputStream(out)) {
      assertThat(content.transferTo(os)).isEqualTo(300_000);
    }
    assertThat(Files.readAllBytes(out)).isEqualTo(b.bytes());
  }

  @Test
  void contentFetchedBeforeADeletionStaysReadable() throws Exception {
    if (!fetchedContentSurvivesDeletion()) {
      return;
    }
    Blob b = randomBlob(50_000, 8);
    provider.store(b.key(), b.file());
    MediaContent content = provider.fetch(b.key()).orElseThrow();
    provider.delete(b.key());
    assertThat(read(content)).isEqualTo(b.bytes());
  }

  /** Many threads store the same key while others read it: a reader sees nothing or everything. */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentStoreOfSameKeyIsAtomic() throws Exception {
    Blob b = randomBlob(2 * 1024 * 1024, 9);
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean writersDone = new AtomicBoolean();
    AtomicInteger partialReads = new AtomicInteger();
    List<Future<?>> writers = new ArrayList<>();
    List<Future<?>> readers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      if (t % 2 == 0) {
        writers.add(
            pool.submit(
                () -> {
                  start.await();
                  provider.store(b.key(), b.file());
                  return null;
                }));
      } else {
        readers.add(
            pool.submit(
                () -> {
                  start.await();
                  while (!writersDone.get()) {
                    Optional<MediaContent> c = provider.fetch(b.key());
                    if (c.isPresent()) {
                      byte[] got = read(c.get());
                      if (!Arrays.equals(got, b.bytes())) {
                        partialReads.incrementAndGet();
                      }
                    }
                  }
                  return null;
                }));
      }
    }
    start.countDown();
    for (Future<?> w : writers) {
      w.get();
    }
    writersDone.set(true);
    for (Future<?> r : readers) {
      r.get();
    }
    pool.shutdown();
    assertThat(partialReads.get()).as("reads that saw a partial blob").isZero();
    assertThat(read(provider.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  /** Different keys stored at once do not disturb each other. */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentStoresOfDifferentKeysAllLand() throws Exception {
    List<Blob> blobs = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      blobs.add(randomBlob(10_000 + i, 100 + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    for (Blob b : blobs) {
      futures.add(
          pool.submit(
              () -> {
                provider.store(b.key(), b.file());
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    for (Blob b : blobs) {
      assertThat(read(provider.fetch(b.key()).orElseThrow()))
          .as("blob of %d bytes", b.bytes().length)
          .isEqualTo(b.bytes());
    }
  }
}
