package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;

/**
 * The engine's cache of hot media records: repeated downloads read the store once, and every
 * quarantine, protection and deletion made through the repository is seen by the very next request
 * on the same node, however hot the record was.
 */
class MetadataCacheTest {
  @TempDir Path dir;
  Fixture f;
  final AtomicInteger recordReads = new AtomicInteger();

  @BeforeEach
  void setUp() {
    f =
        new Fixture(
            dir,
            StoreHooks.after(
                MediaStore.inMemory(),
                (method, result) -> {
                  if (method.equals("localMedia")) {
                    recordReads.incrementAndGet();
                  }
                }),
            b -> b);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private void assertNotFound(MxcUri uri) {
    assertThatThrownBy(() -> f.repo.download(uri, DownloadOptions.defaults()))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_NOT_FOUND));
  }

  /** Downloads {@code uri} a few times, so its record is cached. */
  private void warm(MxcUri uri) throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(f.download(uri)).isNotEmpty();
    }
  }

  @Test
  void repeatedDownloadsReadTheRecordOnce() throws Exception {
    MxcUri uri = f.upload("hot");
    recordReads.set(0);
    for (int i = 0; i < 50; i++) {
      f.download(uri);
    }
    assertThat(recordReads).hasValueLessThanOrEqualTo(1);
  }

  @Test
  void aQuarantineOfAHotRecordIsSeenByTheNextDownload() throws Exception {
    MxcUri uri = f.upload("hot");
    warm(uri);
    assertThat(f.repo.admin().quarantine(uri)).isTrue();
    assertNotFound(uri);
    f.repo.admin().unquarantine(uri);
    assertThat(f.download(uri)).isNotEmpty();
  }

  @Test
  void aQuarantineByHashOfHotRecordsIsSeenByTheNextDownload() throws Exception {
    MxcUri a = f.upload("same");
    MxcUri b = f.upload("same");
    warm(a);
    warm(b);
    assertThat(
            f.repo
                .admin()
                .quarantineByHash(BlobKey.of(f.repo.admin().describe(a).sha256()).sha256()))
        .isEqualTo(2);
    assertNotFound(a);
    assertNotFound(b);
  }

  @Test
  void aProtectionOfAHotRecordIsSeenAtOnce() throws Exception {
    MxcUri uri = f.upload("avatar");
    warm(uri);
    f.repo.admin().protect(uri);
    assertThat(f.repo.admin().quarantine(uri)).as("protected").isFalse();
    assertThat(f.download(uri)).isNotEmpty();
    f.repo.admin().unprotect(uri);
    assertThat(f.repo.admin().quarantine(uri)).isTrue();
    assertNotFound(uri);
  }

  @Test
  void aDeletionOfAHotRecordIsSeenByTheNextDownload() throws Exception {
    MxcUri uri = f.upload("gone soon");
    warm(uri);
    f.repo.admin().delete(uri);
    assertNotFound(uri);
  }
}
