package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.mxmedia.spi.StorageProvider;

/**
 * The promises of {@link PrimaryStorage} on top of those of {@link StorageProvider}: staged bytes
 * are invisible until committed, an uncommitted staged blob leaves nothing behind, and a local
 * file, where the storage has one, holds exactly the blob's bytes.
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
  void closingAnUncommittedStagedBlobLeavesNothingVisible() throws Exception {
    Blob b = randomBlob(3, 15);
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(b.bytes());
    }
    assertThat(primary().exists(b.key())).isFalse();
    assertThat(primary().fetch(b.key())).isEmpty();
    assertThat(primary().localFile(b.key())).isEmpty();
  }

  @Test
  void committingContentThatIsAlreadyStoredKeepsOneCopy() throws Exception {
    Blob b = randomBlob(1000, 12);
    primary().store(b.key(), b.file());
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(b.bytes());
      staged.commit(b.key());
    }
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
  void aLocalFileWhereTheStorageHasOneHoldsTheBlobsBytes() throws Exception {
    Blob b = randomBlob(123, 14);
    primary().store(b.key(), b.file());
    Optional<Path> file = primary().localFile(b.key());
    if (file.isPresent()) {
      assertThat(Files.readAllBytes(file.get())).isEqualTo(b.bytes());
    }
    assertThat(primary().localFile(randomBlob(5, 16).key()))
        .as("no file for a blob it does not hold")
        .isEmpty();
  }
}
