package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.StagedBlob;
import org.mxmedia.spi.StorageProvider;

/**
 * The promises of {@link PrimaryStorage} on top of those of {@link StorageProvider}: staged bytes
 * are invisible until committed, and an uncommitted staging file leaves nothing behind.
 */
public abstract class PrimaryStorageContract extends StorageProviderContract {

  /** A new primary storage holding no blobs. */
  protected abstract PrimaryStorage newPrimaryStorage() throws Exception;

  @Override
  protected final StorageProvider newProvider() throws Exception {
    return newPrimaryStorage();
  }

  protected PrimaryStorage primary() {
    return (PrimaryStorage) provider();
  }

  @Test
  void partialWriteIsNeverVisible() throws Exception {
    Blob b = randomBlob(10_000, 11);
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(b.bytes(), 0, 5_000);
      assertThat(primary().exists(b.key())).isFalse();
      assertThat(primary().fetch(b.key())).isEmpty();
      staged.outputStream().write(b.bytes(), 5_000, 5_000);
      staged.commit(b.key());
    }
    assertThat(read(primary().fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void closingAnUncommittedStagedBlobDeletesIt() throws Exception {
    Path stagingFile;
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(new byte[] {1, 2, 3});
      stagingFile = staged.path();
      assertThat(Files.exists(stagingFile)).isTrue();
    }
    assertThat(Files.exists(stagingFile)).isFalse();
  }

  @Test
  void committingContentThatIsAlreadyStoredKeepsOneCopy() throws Exception {
    Blob b = randomBlob(1000, 12);
    primary().store(b.key(), b.file());
    Path stagingFile;
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(b.bytes());
      stagingFile = staged.path();
      staged.commit(b.key());
    }
    assertThat(Files.exists(stagingFile)).isFalse();
    assertThat(read(primary().fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void aStagedBlobCommitsOnlyOnce() throws Exception {
    Blob b = randomBlob(10, 13);
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(b.bytes());
      staged.commit(b.key());
      assertThatThrownBy(() -> staged.commit(b.key())).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void pathOfACommittedBlobHoldsItsBytes() throws Exception {
    Blob b = randomBlob(123, 14);
    primary().store(b.key(), b.file());
    assertThat(Files.readAllBytes(primary().pathOf(b.key()))).isEqualTo(b.bytes());
  }
}
