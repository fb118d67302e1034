package org.mxmedia.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.mxmedia.testkit.PrimaryStorageContract;

class FileSystemStorageTest extends PrimaryStorageContract {

  private Path root;

  @Override
  protected PrimaryStorage newPrimaryStorage() {
    root = scratch.resolve("store");
    return FileSystemStorage.at(root);
  }

  @Test
  void blobsAreShardedByTheirHashPrefix() throws Exception {
    Blob b = randomBlob(10, 1);
    primary().store(b.key(), b.file());
    String h = b.key().sha256();
    Path expected =
        root.toRealPath()
            .resolve("blobs")
            .resolve(h.substring(0, 2))
            .resolve(h.substring(2, 4))
            .resolve(h);
    assertThat(expected).exists().hasBinaryContent(b.bytes());
    assertThat(((FileSystemStorage) primary()).pathOf(b.key())).isEqualTo(expected);
    assertThat(primary().localFile(b.key())).contains(expected);
  }

  private List<Path> stagingFiles() throws Exception {
    try (Stream<Path> files = Files.list(root.toRealPath().resolve("tmp"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".part")).toList();
    }
  }

  @Test
  void stagingFilesLiveInTheSameStoreAndLeaveNothingWhenAbandoned() throws Exception {
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(new byte[] {1, 2, 3});
      assertThat(stagingFiles()).hasSize(1);
      assertThat(((FileSystemStorage) primary()).stagingFiles()).isEqualTo(1);
    }
    assertThat(stagingFiles()).isEmpty();
  }

  @Test
  void committingContentThatIsAlreadyStoredLeavesNoStagingFile() throws Exception {
    Blob b = randomBlob(1000, 12);
    primary().store(b.key(), b.file());
    try (StagedBlob staged = primary().stage()) {
      staged.outputStream().write(b.bytes());
      staged.commit(b.key());
    }
    assertThat(stagingFiles()).isEmpty();
  }

  @Test
  void startUpDeletesStaleStagingFilesButKeepsFreshOnes() throws Exception {
    StagedBlob stale = primary().stage();
    Path stalePath = stagingFiles().get(0);
    StagedBlob fresh = primary().stage();
    Path freshPath =
        stagingFiles().stream().filter(p -> !p.equals(stalePath)).findFirst().orElseThrow();
    Files.setLastModifiedTime(stalePath, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path unrelated = Files.writeString(root.resolve("tmp").resolve("keep-me.txt"), "not ours");

    FileSystemStorage.at(root);

    assertThat(stalePath).doesNotExist();
    assertThat(freshPath).exists();
    assertThat(unrelated).exists();
    FileSystemStorage.at(root, Duration.ZERO);
    assertThat(freshPath).doesNotExist();
    stale.close();
    fresh.close();
  }

  @Test
  void aRootThatCannotBeCreatedFailsWithItsPath() throws Exception {
    Path file = Files.writeString(scratch.resolve("a-file"), "x");
    assertThatThrownBy(() -> FileSystemStorage.at(file.resolve("sub")))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(file.resolve("sub").toString());
  }

  @Test
  void aSymlinkedRootIsResolvedSoPathsStayUnderIt() throws Exception {
    Path real = Files.createDirectories(scratch.resolve("real"));
    Path link = Files.createSymbolicLink(scratch.resolve("link"), real);
    FileSystemStorage storage = FileSystemStorage.at(link);
    Blob b = randomBlob(10, 2);
    storage.store(b.key(), b.file());
    assertThat(storage.pathOf(b.key())).startsWith(real.toRealPath());
  }
}
