package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaContent;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.testkit.DrivenScheduler;
import org.mxmedia.testkit.TestImages;

/**
 * Two requests for a thumbnail whose bytes were lost, in the order that breaks invariant 4: B finds
 * the bytes gone, and before B drops the lost record, A drops it, regenerates the thumbnail and
 * stores the new record. Were records dropped by key alone, B would then drop A's new record and
 * decode the source a second time. The window is a whole regeneration long: A's new thumbnail is a
 * blob of its own (one size decoded alone comes out in other bytes than the batch of
 * pre-generation), so B's look at the lost blob fails before and after A's work alike.
 *
 * <p>{@code MediaStore.deleteThumbnail} matches the blob too, so B's drop finds nothing to drop.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LostThumbnailRaceTest {
  @TempDir Path dir;

  /**
   * The file storage, holding one chosen thread inside a fetch that found nothing until told to go
   * on.
   */
  static final class HoldingStorage implements PrimaryStorage {
    final FileSystemStorage files;
    volatile Thread held;
    final CountDownLatch holding = new CountDownLatch(1);
    final CountDownLatch goOn = new CountDownLatch(1);

    HoldingStorage(FileSystemStorage files) {
      this.files = files;
    }

    @Override
    public Optional<MediaContent> fetch(BlobKey key) throws IOException {
      Optional<MediaContent> found = files.fetch(key);
      if (found.isEmpty() && Thread.currentThread() == held) {
        holding.countDown();
        try {
          goOn.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return found;
    }

    @Override
    public StagedBlob stage() throws IOException {
      return files.stage();
    }

    @Override
    public Optional<Path> localFile(BlobKey key) throws IOException {
      return files.localFile(key);
    }

    @Override
    public void store(BlobKey key, Path source) throws IOException {
      files.store(key, source);
    }

    @Override
    public boolean delete(BlobKey key) throws IOException {
      return files.delete(key);
    }

    @Override
    public boolean exists(BlobKey key) throws IOException {
      return files.exists(key);
    }
  }

  @Test
  void aLostThumbnailIsRegeneratedOnceEvenWhenAnotherRequestFoundItLostFirst() throws Exception {
    StoreSignals signals = new StoreSignals(MediaStore.inMemory());
    HoldingStorage storage = new HoldingStorage(FileSystemStorage.at(dir));
    ThumbnailTest.CountingThumbnailer thumbnailer = new ThumbnailTest.CountingThumbnailer();
    DrivenScheduler scheduler = new DrivenScheduler();
    try (MediaRepository repo =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(signals.store)
            .storage(storage)
            .thumbnailer(thumbnailer)
            .clock(new MutableClock(Instant.parse("2026-03-01T12:00:00Z")))
            .scheduler(scheduler)
            .build()) {
      byte[] photo = TestImages.encode(TestImages.noisy(800, 600, 3), "png");
      MxcUri uri =
          repo.upload(
              Fixture.ALICE, UploadRequest.of("image/png"), new ByteArrayInputStream(photo));
      BlobKey source = BlobKey.of(repo.admin().describe(uri).sha256());
      signals.awaitThumbnails(source, 5, Duration.ofSeconds(20));
      ThumbnailRecord lost =
          signals.store.thumbnails(source).stream()
              .filter(r -> r.width() == 96)
              .findFirst()
              .orElseThrow();
      assertThat(storage.files.delete(lost.blob())).isTrue();
      int decodes = thumbnailer.generations.get();

      // B finds the bytes gone and is held there, before it drops the record
      CompletableFuture<Integer> b = new CompletableFuture<>();
      Thread requestB =
          new Thread(
              () -> {
                try {
                  b.complete(width(repo, uri));
                } catch (Throwable e) {
                  b.completeExceptionally(e);
                }
              },
              "request-b");
      storage.held = requestB;
      requestB.setDaemon(true);
      requestB.start();
      assertThat(storage.holding.await(20, TimeUnit.SECONDS)).isTrue();

      // A finds them gone too, drops the record and regenerates the thumbnail
      assertThat(width(repo, uri)).isEqualTo(96);
      assertThat(thumbnailer.generations.get() - decodes).isEqualTo(1);
      ThumbnailRecord regenerated =
          signals.store.thumbnails(source).stream()
              .filter(r -> r.width() == 96)
              .findFirst()
              .orElseThrow();

      storage.goOn.countDown();
      assertThat(b.get(20, TimeUnit.SECONDS)).isEqualTo(96);
      assertThat(thumbnailer.generations.get() - decodes)
          .as("decodes for one lost thumbnail")
          .isEqualTo(1);
      assertThat(signals.store.thumbnails(source))
          .as("A's regenerated record is kept")
          .contains(regenerated);
    } finally {
      scheduler.shutdownNow();
    }
  }

  private static int width(MediaRepository repo, MxcUri uri) throws IOException {
    try (MediaResponse r =
            repo.thumbnail(uri, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      return ImageIO.read(in).getWidth();
    }
  }
}
