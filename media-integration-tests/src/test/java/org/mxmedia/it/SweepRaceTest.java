package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * Invariant 1 against the sweep: the sweep lists unreferenced blobs and then deletes them, and an
 * upload of the same bytes may land in between. The sweep must then leave the bytes alone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SweepRaceTest {
  @TempDir Path dir;

  /**
   * A store that, right after the first {@code unreferencedBlobs} listing that contains {@code
   * contested} returns to the sweep, runs {@code race} (before the sweep can act on the listing),
   * and counts {@code maintenanceDone} down when maintenance has finished.
   */
  static MediaStore racing(
      MediaStore inner, BlobKey contested, Runnable race, CountDownLatch maintenanceDone) {
    AtomicBoolean raced = new AtomicBoolean();
    MediaStore racing =
        StoreHooks.after(
            inner,
            (method, result) -> {
              if (method.equals("unreferencedBlobs")
                  && ((List<?>) result).contains(contested)
                  && raced.compareAndSet(false, true)) {
                race.run();
              }
            });
    return StoreHooks.signallingMaintenance(racing, maintenanceDone);
  }

  static BlobKey keyOf(byte[] bytes) throws Exception {
    return BlobKey.ofDigest(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  void anUploadBetweenTheSweepsListingAndItsClaimKeepsItsBytesAndThumbnails() throws Exception {
    byte[] photo = TestImages.encode(TestImages.noisy(400, 300, 11), "png");
    BlobKey key = keyOf(photo);
    MediaStore inner = MediaStore.inMemory();
    // left by an earlier run: the blob is known at count zero and not claimed (the last record
    // went, and the process stopped before deleting the bytes), so the start-up sweep lists it
    inner.reserveBlob(key);
    inner.releaseBlob(key);

    CompletableFuture<MediaRepository> repository = new CompletableFuture<>();
    AtomicReference<MxcUri> uploaded = new AtomicReference<>();
    AtomicReference<List<ThumbnailRecord>> thumbnails = new AtomicReference<>();
    AtomicReference<Throwable> raceFailure = new AtomicReference<>();
    CountDownLatch maintenanceDone = new CountDownLatch(1);
    Runnable race =
        () -> {
          try {
            MediaRepository repo = repository.get(30, TimeUnit.SECONDS);
            MxcUri uri =
                repo.upload(
                    Fixture.ALICE, UploadRequest.of("image/png"), new ByteArrayInputStream(photo));
            // a thumbnail request waits for the pre-generation of the upload's thumbnails
            try (MediaResponse r =
                repo.thumbnail(uri, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults())) {
              r.content().openStream().readAllBytes();
            }
            thumbnails.set(inner.thumbnails(key));
            uploaded.set(uri);
          } catch (Throwable t) {
            raceFailure.set(t);
          }
        };

    try (Fixture f =
        new Fixture(
            dir,
            racing(inner, key, race, maintenanceDone),
            b -> b.thumbnailer(new ImageIoThumbnailer()))) {
      repository.complete(f.repo); // the start-up maintenance is already running and waits for this
      assertThat(maintenanceDone.await(30, TimeUnit.SECONDS))
          .as("the start-up maintenance ran")
          .isTrue();
      assertThat(raceFailure.get()).as("the racing upload").isNull();
      MxcUri uri = uploaded.get();
      assertThat(uri).as("the sweep listed the blob and the upload raced it").isNotNull();

      assertThat(f.download(uri)).as("the racing upload's bytes").isEqualTo(photo);
      assertThat(f.storage.exists(key)).isTrue();
      assertThat(thumbnails.get()).isNotEmpty();
      assertThat(inner.thumbnails(key))
          .as("the thumbnail records")
          .containsExactlyInAnyOrderElementsOf(thumbnails.get());
      for (ThumbnailRecord t : thumbnails.get()) {
        assertThat(f.storage.exists(t.blob()))
            .as("thumbnail bytes " + t.width() + "x" + t.height())
            .isTrue();
      }
      assertThat(inner.blobReferences(key)).isEqualTo(1);
    }
  }
}
