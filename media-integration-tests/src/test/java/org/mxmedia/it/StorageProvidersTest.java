package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.StorageProviderOptions;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.StorageProvider;
import org.mxmedia.storage.fs.FileSystemStorage;

/** Extra storage providers with Synapse's options, and how faults in host code surface. */
class StorageProvidersTest {

  @TempDir Path primaryDir;
  @TempDir Path backupDir;

  @Test
  void aSynchronousProviderHoldsACopyWhenUploadReturns() throws Exception {
    FileSystemStorage backup = FileSystemStorage.at(backupDir);
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("precious");
      assertThat(backup.exists(BlobKey.of(f.repo.admin().describe(uri).sha256()))).isTrue();
    }
  }

  @Test
  void downloadsFallBackToProvidersInOrderWhenThePrimaryLostTheBytes() throws Exception {
    FileSystemStorage backup = FileSystemStorage.at(backupDir);
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("precious");
      BlobKey key = BlobKey.of(f.repo.admin().describe(uri).sha256());
      f.storage.delete(key);
      assertThat(new String(f.download(uri))).isEqualTo("precious");
    }
  }

  @Test
  void aTruncatedPrimaryCopyIsNotServedAndTheProvidersCopyIs() throws Exception {
    FileSystemStorage backup = FileSystemStorage.at(backupDir);
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("precious bytes");
      BlobKey key = BlobKey.of(f.repo.admin().describe(uri).sha256());
      truncate(f.storage.pathOf(key), 3);
      assertThat(new String(f.download(uri))).isEqualTo("precious bytes");
    }
  }

  @Test
  void aTruncatedBlobWithNoGoodCopyIsNotFoundNotServedShort() throws Exception {
    try (Fixture f = new Fixture(primaryDir)) {
      MxcUri uri = f.upload("precious bytes");
      BlobKey key = BlobKey.of(f.repo.admin().describe(uri).sha256());
      truncate(f.storage.pathOf(key), 3);
      assertThatThrownBy(() -> f.download(uri))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(404);
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_NOT_FOUND);
              });
    }
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.truncate(size);
    }
  }

  @Test
  void aFailingSynchronousProviderFailsTheUploadAndLeavesNothing() throws Exception {
    StorageProvider broken = spy(FileSystemStorage.at(backupDir));
    doThrow(new IOException("disk full")).when(broken).store(any(), any());
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b -> b.storageProvider(broken, StorageProviderOptions.backup()))) {
      assertThatThrownBy(() -> f.upload("x"))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(500);
                assertThat(e.getMessage()).doesNotContain("disk full");
              });
      assertThat(f.files()).isEmpty();
    }
  }

  @Test
  void aFailingAsynchronousCopyIsRetriedUntilItLands() throws Exception {
    FileSystemStorage real = FileSystemStorage.at(backupDir);
    AtomicInteger attempts = new AtomicInteger();
    AtomicBoolean landed = new AtomicBoolean();
    StorageProvider flaky =
        new DelegatingProvider(real) {
          @Override
          public void store(BlobKey key, Path source) throws IOException {
            if (attempts.incrementAndGet() < 3) {
              throw new IOException("temporarily unavailable");
            }
            super.store(key, source);
            landed.set(true);
          }
        };
    // the copy task that lands the copy then releases its reservation: its end is the signal
    CountDownLatch copiedAndReleased = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    Executor signalling =
        task ->
            pool.execute(
                () -> {
                  task.run();
                  if (landed.get()) {
                    copiedAndReleased.countDown();
                  }
                });
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b ->
                b.storageProvider(flaky, new StorageProviderOptions(true, false, false))
                    .executor(signalling))) {
      MxcUri uri = f.upload("eventually");
      BlobKey key = BlobKey.of(f.repo.admin().describe(uri).sha256());
      assertThat(copiedAndReleased.await(20, TimeUnit.SECONDS))
          .as("the third attempt lands")
          .isTrue();
      assertThat(real.exists(key)).isTrue();
      assertThat(attempts.get()).isEqualTo(3);
      assertThat(f.store.blobReferences(key)).as("copy reservations are released").isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aReadOnlyProviderIsReadButNeverWrittenOrDeleted() throws Exception {
    FileSystemStorage legacy = FileSystemStorage.at(backupDir);
    // background work runs on the calling thread, so a copy the upload queued would be done when it
    // returns
    AtomicInteger backgroundTasks = new AtomicInteger();
    Executor inline =
        task -> {
          backgroundTasks.incrementAndGet();
          task.run();
        };
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b -> b.storageProvider(legacy, StorageProviderOptions.readOnly()).executor(inline))) {
      MxcUri uri = f.upload("new");
      BlobKey key = BlobKey.of(f.repo.admin().describe(uri).sha256());
      assertThat(legacy.exists(key))
          .as("not copied, neither during the upload nor after it")
          .isFalse();
      legacy.store(key, f.storage.pathOf(key));
      f.repo.admin().delete(uri);
      assertThat(legacy.exists(key)).isTrue();
    }
  }

  @Test
  void deletionRemovesCopiesFromWritableProviders() throws Exception {
    FileSystemStorage backup = FileSystemStorage.at(backupDir);
    try (Fixture f =
        new Fixture(
            primaryDir,
            MediaStore.inMemory(),
            b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("gone");
      BlobKey key = BlobKey.of(f.repo.admin().describe(uri).sha256());
      f.repo.admin().delete(uri);
      assertThat(backup.exists(key)).isFalse();
      assertThat(f.storage.exists(key)).isFalse();
    }
  }

  @Test
  void aCrashingHostStoreBecomesA500WithoutInternals() throws Exception {
    MediaStore crashing = spy(MediaStore.inMemory());
    doThrow(new IllegalStateException("connection to db.internal:5432 refused"))
        .when(crashing)
        .insertLocalMedia(any());
    try (Fixture f = new Fixture(primaryDir, crashing, b -> b)) {
      assertThatThrownBy(() -> f.upload("x"))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
                assertThat(e.httpStatus()).isEqualTo(500);
                assertThat(e.getMessage()).doesNotContain("db.internal");
              });
      assertThat(f.files()).as("the failed upload's blob was released and deleted").isEmpty();
      assertThat(crashing.unreferencedBlobs(10)).isEmpty();
    }
  }

  /** Forwards to another provider; tests override single methods. */
  static class DelegatingProvider implements StorageProvider {
    private final StorageProvider delegate;

    DelegatingProvider(StorageProvider delegate) {
      this.delegate = delegate;
    }

    @Override
    public void store(BlobKey key, Path source) throws IOException {
      delegate.store(key, source);
    }

    @Override
    public Optional<MediaContent> fetch(BlobKey key) throws IOException {
      return delegate.fetch(key);
    }

    @Override
    public boolean delete(BlobKey key) throws IOException {
      return delegate.delete(key);
    }

    @Override
    public boolean exists(BlobKey key) throws IOException {
      return delegate.exists(key);
    }
  }
}
