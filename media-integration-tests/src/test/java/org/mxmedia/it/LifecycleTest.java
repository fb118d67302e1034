package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxmedia.it.Fixture.ALICE;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;

/** Quarantine, protection, deletion and the administrative surface. */
class LifecycleTest {
  static final UserId ADMIN = UserId.of("@admin:example.org");

  @TempDir Path dir;
  Fixture f;

  @BeforeEach
  void setUp() {
    f =
        new Fixture(
            dir, MediaStore.inMemory(), b -> b.authorizer(Authorizer.admins(Set.of(ADMIN))));
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

  @Test
  void downloadOfQuarantinedMediaIs404UntilReleased() throws Exception {
    MxcUri uri = f.upload("bad");
    assertThat(f.repo.admin().quarantine(uri)).isTrue();
    assertNotFound(uri);
    f.repo.admin().unquarantine(uri);
    assertThat(f.download(uri)).isNotEmpty();
  }

  @Test
  void protectedMediaCannotBeQuarantined() throws Exception {
    MxcUri uri = f.upload("avatar");
    f.repo.admin().protect(uri);
    assertThat(f.repo.admin().quarantine(uri)).isFalse();
    assertThat(
            f.repo
                .admin()
                .quarantineByHash(BlobKey.of(f.repo.admin().describe(uri).sha256()).sha256()))
        .isZero();
    assertThat(f.download(uri)).isNotEmpty();
    f.repo.admin().unprotect(uri);
    assertThat(f.repo.admin().quarantine(uri)).isTrue();
  }

  @Test
  void quarantineByHashCoversEveryCopyAndLaterUploadsOfTheSameBytes() throws Exception {
    MxcUri a = f.upload("same bytes");
    MxcUri b = f.upload("same bytes");
    MxcUri other = f.upload("other bytes");
    String hash = BlobKey.of(f.repo.admin().describe(a).sha256()).sha256();
    assertThat(f.repo.admin().quarantineByHash(hash)).isEqualTo(2);
    assertNotFound(a);
    assertNotFound(b);
    assertThat(f.download(other)).isNotEmpty();
    MxcUri later = f.upload("same bytes");
    assertNotFound(later);
    assertThat(f.repo.admin().unquarantineByHash(hash)).isEqualTo(3);
    assertThat(f.download(later)).isNotEmpty();
  }

  @Test
  void aMalformedHashIs400() {
    assertThatThrownBy(() -> f.repo.admin().quarantineByHash("../../etc/passwd"))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_INVALID_PARAM));
  }

  @Test
  void deleteRemovesTheBlobOnlyWithItsLastReference() throws Exception {
    MxcUri a = f.upload("shared");
    MxcUri b = f.upload("shared");
    BlobKey key = BlobKey.of(f.repo.admin().describe(a).sha256());
    f.repo.admin().delete(a);
    assertNotFound(a);
    assertThat(f.storage.exists(key)).isTrue();
    assertThat(f.download(b)).isNotEmpty();
    f.repo.admin().delete(b);
    assertThat(f.storage.exists(key)).isFalse();
    assertThat(f.files()).isEmpty();
    assertThat(f.store.blobReferences(key)).isZero();
    assertThat(f.store.unreferencedBlobs(10)).isEmpty();
    assertThatThrownBy(() -> f.repo.admin().delete(b)).isInstanceOf(MediaException.class);
  }

  @Test
  void aDownloadStartedBeforeADeletionFinishes() throws Exception {
    MxcUri uri = f.upload("x".repeat(200_000));
    try (var response = f.repo.download(uri, DownloadOptions.defaults())) {
      f.repo.admin().delete(uri);
      assertThat(f.files()).isEmpty();
      assertThat(response.content().openStream().readAllBytes()).hasSize(200_000);
    }
  }

  @Test
  void adminOperationsOnBehalfOfAUserNeedTheAuthorizer() throws Exception {
    MxcUri uri = f.upload("x");
    assertThatThrownBy(() -> f.repo.admin(ALICE).quarantine(uri))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_FORBIDDEN);
              assertThat(e.httpStatus()).isEqualTo(403);
            });
    assertThat(f.download(uri)).isNotEmpty();
    assertThat(f.repo.admin(ADMIN).quarantine(uri)).isTrue();
  }

  @Test
  void operationsOnOtherServersMediaAre404() {
    assertThatThrownBy(() -> f.repo.admin().delete(MxcUri.of("other.org", "abc")))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_NOT_FOUND));
  }

  @Test
  void usageReportsWhatAUserUploaded() {
    Instant start = f.clock.instant();
    f.upload("12345");
    f.upload("123");
    assertThat(f.repo.admin().usage(ALICE, start)).isEqualTo(new MediaUsage(2, 8));
  }

  @Test
  void startUpFinishesADeletionThatACrashInterrupted(@TempDir Path other) throws Exception {
    MediaStore store = MediaStore.inMemory();
    BlobKey key;
    try (Fixture first = new Fixture(other, store, b -> b)) {
      MxcUri uri =
          first.repo.upload(
              ALICE, UploadRequest.empty(), new ByteArrayInputStream(new byte[] {1, 2, 3}));
      key = BlobKey.of(first.repo.admin().describe(uri).sha256());
      // the crash: the record is gone and the blob claimed, but its bytes were never deleted
      store.deleteLocalMedia(uri.mediaId());
      store.claimBlobForDeletion(
          key, first.clock.instant().minusSeconds(600)); // ten minutes ago: abandoned
    }
    assertThat(Files.exists(FixturePaths.blob(other, key))).isTrue();
    CountDownLatch startUpMaintenance = new CountDownLatch(1);
    try (Fixture second =
        new Fixture(other, StoreHooks.signallingMaintenance(store, startUpMaintenance), b -> b)) {
      // the start-up maintenance sweeps (deleting the bytes, then forgetting the blob), then purges
      // pending uploads
      assertThat(startUpMaintenance.await(30, TimeUnit.SECONDS))
          .as("the start-up maintenance ran")
          .isTrue();
      assertThat(second.storage.exists(key)).isFalse();
      assertThat(store.unreferencedBlobs(10)).isEmpty();
    }
  }

  /** Where a blob lives in a storage root. */
  static final class FixturePaths {
    static Path blob(Path root, BlobKey key) {
      String h = key.sha256();
      return root.resolve("blobs").resolve(h.substring(0, 2)).resolve(h.substring(2, 4)).resolve(h);
    }
  }
}
