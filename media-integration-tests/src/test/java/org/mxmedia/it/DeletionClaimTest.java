package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.Reservation;

/**
 * An upload meets a deletion claim on its bytes that another process holds: a live claim is waited
 * for and never taken over; an abandoned one is taken over and finished.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeletionClaimTest {
  @TempDir Path dir;

  private final MediaStore store = MediaStore.inMemory();
  private final CountDownLatch startUpMaintenance = new CountDownLatch(1);

  /** A repository whose start-up sweep has run, so only the test touches the blobs. */
  private Fixture fixture() throws InterruptedException {
    Fixture f =
        new Fixture(dir, StoreHooks.signallingMaintenance(store, startUpMaintenance), b -> b);
    assertThat(startUpMaintenance.await(30, TimeUnit.SECONDS)).isTrue();
    return f;
  }

  /**
   * Another process deleted the last record of {@code bytes} and claimed the blob at {@code
   * claimedAt}; the bytes are still there.
   */
  private BlobKey claimedElsewhere(Fixture f, byte[] bytes, Instant claimedAt) {
    MxcUri old = f.upload(bytes, UploadRequest.empty());
    BlobKey key = BlobKey.of(f.repo.admin().describe(old).sha256());
    assertThat(store.deleteLocalMedia(old.mediaId())).isPresent();
    assertThat(store.claimBlobForDeletion(key, claimedAt)).isTrue();
    return key;
  }

  @Test
  void anUploadDuringAnotherProcesssLiveDeletionOfTheSameBytesIs503AndTakesNothingOver()
      throws Exception {
    byte[] bytes = "deleted elsewhere right now".getBytes(StandardCharsets.UTF_8);
    try (Fixture f = fixture()) {
      Instant claimedAt = f.clock.instant();
      BlobKey key = claimedElsewhere(f, bytes, claimedAt);

      assertThatThrownBy(() -> f.upload(bytes, UploadRequest.empty()))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(503);
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
                assertThat(e.getMessage()).contains("being deleted");
              });
      assertThat(store.reserveBlob(key))
          .as("the other process still holds its claim")
          .isEqualTo(Reservation.BEING_DELETED);
      assertThat(f.storage.exists(key))
          .as("this process deleted nothing under another's claim")
          .isTrue();
      assertThat(f.stagingFiles()).isEmpty();

      // the other process finishes its deletion; the same upload now works
      f.storage.delete(key);
      store.forgetBlob(key, claimedAt);
      MxcUri fresh = f.upload(bytes, UploadRequest.empty());
      assertThat(f.download(fresh)).isEqualTo(bytes);
    }
  }

  @Test
  void anUploadTakesOverAnAbandonedDeletionOfTheSameBytesAtOnce() throws Exception {
    byte[] bytes = "claimed by a process that died".getBytes(StandardCharsets.UTF_8);
    try (Fixture f = fixture()) {
      Instant claimedAt = f.clock.instant().minus(Duration.ofMinutes(6));
      BlobKey key = claimedElsewhere(f, bytes, claimedAt);

      long started = System.nanoTime();
      MxcUri fresh = f.upload(bytes, UploadRequest.empty());
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("no wait for a dead process")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(f.download(fresh)).isEqualTo(bytes);
      assertThat(store.blobReferences(key)).isEqualTo(1);

      // the process that died comes back and finishes "its" deletion: it ends nothing
      store.forgetBlob(key, claimedAt);
      store.cancelDeletion(key, claimedAt);
      assertThat(store.blobReferences(key)).isEqualTo(1);
      assertThat(f.download(fresh)).isEqualTo(bytes);
    }
  }

  @Test
  void theSweepLeavesAnotherProcesssLiveDeletionAlone() throws Exception {
    byte[] bytes = "claimed by a live process".getBytes(StandardCharsets.UTF_8);
    BlobKey key;
    Instant claimedAt;
    try (Fixture first = fixture()) {
      claimedAt = first.clock.instant();
      key = claimedElsewhere(first, bytes, claimedAt);
    }
    CountDownLatch swept = new CountDownLatch(1);
    try (Fixture second =
        new Fixture(dir, StoreHooks.signallingMaintenance(store, swept), b -> b)) {
      assertThat(swept.await(30, TimeUnit.SECONDS)).as("the start-up sweep ran").isTrue();
      assertThat(store.unreferencedBlobs(10)).as("the sweep saw the blob").contains(key);
      assertThat(second.storage.exists(key))
          .as("and deleted nothing under another's live claim")
          .isTrue();
      assertThat(store.reserveBlob(key))
          .as("whose claim still stands")
          .isEqualTo(Reservation.BEING_DELETED);
      store.forgetBlob(key, claimedAt);
      assertThat(store.unreferencedBlobs(10)).as("and is ended by its owner").isEmpty();
    }
  }

  @Test
  void aDeletionThatFailsMidwayGivesUpItsClaimSoTheSameBytesCanBeUploadedAgainAtOnce()
      throws Exception {
    byte[] bytes = "deleted during a database blip".getBytes(StandardCharsets.UTF_8);
    AtomicBoolean blip = new AtomicBoolean();
    MediaStore flaky =
        (MediaStore)
            Proxy.newProxyInstance(
                MediaStore.class.getClassLoader(),
                new Class<?>[] {MediaStore.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("deleteThumbnails") && blip.getAndSet(false)) {
                    throw new IllegalStateException("the database went away");
                  }
                  try {
                    return method.invoke(store, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    try (Fixture f =
        new Fixture(dir, StoreHooks.signallingMaintenance(flaky, startUpMaintenance), b -> b)) {
      assertThat(startUpMaintenance.await(30, TimeUnit.SECONDS)).isTrue();
      MxcUri old = f.upload(bytes, UploadRequest.empty());
      BlobKey key = BlobKey.of(f.repo.admin().describe(old).sha256());
      blip.set(true);
      assertThatThrownBy(() -> f.repo.admin().delete(old))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(500));
      assertThat(store.localMedia(old.mediaId()))
          .as("the record went before the failure")
          .isEmpty();

      long started = System.nanoTime();
      MxcUri fresh = f.upload(bytes, UploadRequest.empty());
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .as("no wait for a claim nobody works on")
          .isLessThan(Duration.ofSeconds(5));
      assertThat(f.download(fresh)).isEqualTo(bytes);
      assertThat(store.blobReferences(key)).isEqualTo(1);
    }
  }
}
