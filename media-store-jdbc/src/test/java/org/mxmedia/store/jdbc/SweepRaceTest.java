package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
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
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * The engine's sweep over SQLite: an upload of the same bytes that lands between the sweep's
 * listing of unreferenced blobs and its claim keeps its bytes and thumbnails.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SweepRaceTest {
  @TempDir Path dir;

  @Test
  void anUploadBetweenTheSweepsListingAndItsClaimKeepsItsBytesAndThumbnails() throws Exception {
    byte[] photo = TestImages.jpeg(400, 300);
    BlobKey key = BlobKey.ofDigest(MessageDigest.getInstance("SHA-256").digest(photo));
    try (JdbcMediaStore store = JdbcMediaStore.sqlite(dir.resolve("media.db"))) {
      // left by an earlier run: known at count zero, not claimed, so the start-up sweep lists it
      store.reserveBlob(key);
      store.releaseBlob(key);

      CompletableFuture<MediaRepository> repository = new CompletableFuture<>();
      AtomicReference<MxcUri> uploaded = new AtomicReference<>();
      AtomicReference<List<ThumbnailRecord>> thumbnails = new AtomicReference<>();
      AtomicReference<Throwable> raceFailure = new AtomicReference<>();
      CountDownLatch maintenanceDone = new CountDownLatch(1);
      AtomicBoolean raced = new AtomicBoolean();
      MediaStore racing =
          (MediaStore)
              Proxy.newProxyInstance(
                  MediaStore.class.getClassLoader(),
                  new Class<?>[] {MediaStore.class},
                  (proxy, method, args) -> {
                    Object result;
                    try {
                      result = method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                      throw e.getCause();
                    }
                    if (method.getName().equals("unreferencedBlobs")
                        && ((List<?>) result).contains(key)
                        && raced.compareAndSet(false, true)) {
                      // right after the sweep's listing, before it acts on it: a real upload of the
                      // same bytes
                      try {
                        MediaRepository repo = repository.get(30, TimeUnit.SECONDS);
                        MxcUri uri =
                            repo.upload(
                                UserId.of("@alice:example.org"),
                                UploadRequest.of("image/jpeg"),
                                new ByteArrayInputStream(photo));
                        try (MediaResponse r =
                            repo.thumbnail(
                                uri, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults())) {
                          r.content().openStream().readAllBytes();
                        }
                        thumbnails.set(store.thumbnails(key));
                        uploaded.set(uri);
                      } catch (Throwable t) {
                        raceFailure.set(t);
                      }
                    }
                    if (method.getName().equals("deleteExpiredPending")) {
                      maintenanceDone.countDown(); // maintenance's last step, after the sweep
                    }
                    return result;
                  });

      FileSystemStorage storage = FileSystemStorage.at(dir.resolve("blobs"));
      try (MediaRepository repo =
          MediaRepository.builder()
              .serverName("example.org")
              .mediaStore(racing)
              .storage(storage)
              .thumbnailer(new ImageIoThumbnailer())
              .build()) {
        repository.complete(repo);
        assertThat(maintenanceDone.await(30, TimeUnit.SECONDS))
            .as("the start-up maintenance ran")
            .isTrue();
        assertThat(raceFailure.get()).as("the racing upload").isNull();
        MxcUri uri = uploaded.get();
        assertThat(uri).as("the sweep listed the blob and the upload raced it").isNotNull();

        try (MediaResponse r = repo.download(uri, DownloadOptions.defaults());
            InputStream in = r.content().openStream()) {
          assertThat(in.readAllBytes()).as("the racing upload's bytes").isEqualTo(photo);
        }
        assertThat(storage.exists(key)).isTrue();
        assertThat(thumbnails.get()).isNotEmpty();
        assertThat(store.thumbnails(key))
            .as("the thumbnail records")
            .containsExactlyInAnyOrderElementsOf(thumbnails.get());
        for (ThumbnailRecord t : thumbnails.get()) {
          assertThat(storage.exists(t.blob()))
              .as("thumbnail bytes " + t.width() + "x" + t.height())
              .isTrue();
        }
        assertThat(store.blobReferences(key)).isEqualTo(1);
      }
    }
  }
}
