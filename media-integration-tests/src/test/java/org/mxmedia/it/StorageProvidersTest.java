package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.spy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.ErrorCode;
import org.mxmedia.InMemoryMediaStore;
import org.mxmedia.MediaException;
import org.mxmedia.MxcUri;
import org.mxmedia.StorageProviderOptions;
import org.mxmedia.internal.DefaultMediaRepository;
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
    try (Fixture f = new Fixture(primaryDir, new InMemoryMediaStore(), b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("precious");
      assertThat(backup.exists(f.repo.admin().describe(uri).blob())).isTrue();
    }
  }

  @Test
  void downloadsFallBackToProvidersInOrderWhenThePrimaryLostTheBytes() throws Exception {
    FileSystemStorage backup = FileSystemStorage.at(backupDir);
    try (Fixture f = new Fixture(primaryDir, new InMemoryMediaStore(), b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("precious");
      BlobKey key = f.repo.admin().describe(uri).blob();
      f.storage.delete(key);
      assertThat(new String(f.download(uri))).isEqualTo("precious");
    }
  }

  @Test
  void aFailingSynchronousProviderFailsTheUploadAndLeavesNothing() throws Exception {
    StorageProvider broken = spy(FileSystemStorage.at(backupDir));
    doThrow(new IOException("disk full")).when(broken).store(any(), any());
    try (Fixture f = new Fixture(primaryDir, new InMemoryMediaStore(), b -> b.storageProvider(broken, StorageProviderOptions.backup()))) {
      assertThatThrownBy(() -> f.upload("x")).isInstanceOfSatisfying(MediaException.class, e -> {
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
    StorageProvider flaky = new DelegatingProvider(real) {
      @Override
      public void store(BlobKey key, Path source) throws IOException {
        if (attempts.incrementAndGet() < 3) {
          throw new IOException("temporarily unavailable");
        }
        super.store(key, source);
      }
    };
    try (Fixture f = new Fixture(primaryDir, new InMemoryMediaStore(),
        b -> b.storageProvider(flaky, new StorageProviderOptions(true, false, false)))) {
      MxcUri uri = f.upload("eventually");
      BlobKey key = f.repo.admin().describe(uri).blob();
      long deadline = System.currentTimeMillis() + 15_000;
      // the copy lands, then the task releases its reservation: wait for both
      while ((!real.exists(key) || ((DefaultMediaRepository) f.repo).pendingProviderCopies() > 0) && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      assertThat(real.exists(key)).isTrue();
      assertThat(attempts.get()).isEqualTo(3);
      assertThat(((DefaultMediaRepository) f.repo).pendingProviderCopies()).isZero();
      assertThat(f.store.blobReferences(key)).as("copy reservations are released").isEqualTo(1);
    }
  }

  @Test
  void aReadOnlyProviderIsReadButNeverWrittenOrDeleted() throws Exception {
    FileSystemStorage legacy = FileSystemStorage.at(backupDir);
    try (Fixture f = new Fixture(primaryDir, new InMemoryMediaStore(), b -> b.storageProvider(legacy, StorageProviderOptions.readOnly()))) {
      MxcUri uri = f.upload("new");
      BlobKey key = f.repo.admin().describe(uri).blob();
      Thread.sleep(100);
      assertThat(legacy.exists(key)).isFalse();
      legacy.store(key, f.storage.pathOf(key));
      f.repo.admin().delete(uri);
      assertThat(legacy.exists(key)).isTrue();
    }
  }

  @Test
  void deletionRemovesCopiesFromWritableProviders() throws Exception {
    FileSystemStorage backup = FileSystemStorage.at(backupDir);
    try (Fixture f = new Fixture(primaryDir, new InMemoryMediaStore(), b -> b.storageProvider(backup, StorageProviderOptions.backup()))) {
      MxcUri uri = f.upload("gone");
      BlobKey key = f.repo.admin().describe(uri).blob();
      f.repo.admin().delete(uri);
      assertThat(backup.exists(key)).isFalse();
      assertThat(f.storage.exists(key)).isFalse();
    }
  }

  @Test
  void aCrashingHostStoreBecomesA500WithoutInternals() throws Exception {
    MediaStore crashing = spy(new InMemoryMediaStore());
    doThrow(new IllegalStateException("connection to db.internal:5432 refused")).when(crashing).insertLocalMedia(any());
    try (Fixture f = new Fixture(primaryDir, crashing, b -> b)) {
      assertThatThrownBy(() -> f.upload("x")).isInstanceOfSatisfying(MediaException.class, e -> {
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
    public java.util.Optional<org.mxmedia.MediaContent> fetch(BlobKey key) throws IOException {
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
