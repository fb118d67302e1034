package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.Thumbnailer;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * Thumbnail semantics end to end: pre-generation, selection, dynamic sizes, single flight,
 * lifecycle.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThumbnailTest {
  @TempDir Path dir;

  /** Counts decodes, and can hold them until released. */
  static class CountingThumbnailer implements Thumbnailer {
    final ImageIoThumbnailer delegate = new ImageIoThumbnailer();
    final AtomicInteger generations = new AtomicInteger();

    /** Runs before each decode: a test holds decodes with it (see {@link Callers#gate}). */
    volatile Runnable gate = () -> {};

    volatile int bloat;

    @Override
    public Optional<ImageInfo> probe(Path source, String contentType) throws IOException {
      return delegate.probe(source, contentType);
    }

    @Override
    public List<GeneratedThumbnail> generate(
        Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path out)
        throws IOException {
      generations.incrementAndGet();
      gate.run();
      List<GeneratedThumbnail> made = delegate.generate(source, info, specs, maxPixels, out);
      for (GeneratedThumbnail g : made) {
        Files.write(g.file(), new byte[bloat], StandardOpenOption.APPEND);
      }
      return made;
    }
  }

  /** The store, telling waiters of every call (pre-generation happens in the background). */
  private final StoreSignals signals = new StoreSignals(MediaStore.inMemory());

  private Fixture fixture(CountingThumbnailer thumbnailer, MediaConfig config) {
    return new Fixture(dir, signals.store, b -> b.thumbnailer(thumbnailer).config(config));
  }

  private static byte[] photo(int w, int h) {
    return TestImages.encode(TestImages.noisy(w, h, w * 31L + h), "png");
  }

  private static BufferedImage image(MediaResponse r) throws IOException {
    try (r;
        InputStream in = r.content().openStream()) {
      return ImageIO.read(in);
    }
  }

  /**
   * Waits for the background pre-generation to have stored {@code count} thumbnails of {@code uri},
   * and no more.
   */
  private void awaitThumbnails(Fixture f, MxcUri uri, int count) throws InterruptedException {
    var blob = BlobKey.of(f.repo.admin().describe(uri).sha256());
    signals.awaitThumbnails(blob, count, Duration.ofSeconds(20));
    assertThat(f.store.thumbnails(blob)).hasSize(count);
  }

  @Test
  void theConfiguredSizesArePregeneratedAfterUpload() throws Exception {
    CountingThumbnailer t = new CountingThumbnailer();
    try (Fixture f = fixture(t, MediaConfig.defaults())) {
      MxcUri uri = f.upload(photo(1000, 750), UploadRequest.of("image/png"));
      awaitThumbnails(f, uri, 5);
      List<ThumbnailRecord> thumbs =
          f.store.thumbnails(BlobKey.of(f.repo.admin().describe(uri).sha256()));
      assertThat(thumbs)
          .extracting(r -> r.width() + "x" + r.height() + " " + r.method())
          .containsExactlyInAnyOrder(
              "32x32 CROP", "96x96 CROP", "320x240 SCALE", "640x480 SCALE", "800x600 SCALE");
      assertThat(t.generations.get()).as("one decode for all sizes").isEqualTo(1);
    }
  }

  @Test
  void requestsDuringPregenerationWaitForItInsteadOfDecodingAgain() throws Exception {
    CountingThumbnailer t = new CountingThumbnailer();
    try (Fixture f = fixture(t, MediaConfig.defaults())) {
      MxcUri[] uri = new MxcUri[1];
      Callers<int[]> callers =
          Callers.prepare(
              50,
              () -> {
                BufferedImage img =
                    image(
                        f.repo.thumbnail(
                            uri[0], ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()));
                return new int[] {img.getWidth(), img.getHeight()};
              });
      // the pre-generation's decode is held until all 50 requests wait for it
      t.gate = callers.gate(Duration.ofSeconds(30));
      uri[0] = f.upload(photo(800, 600), UploadRequest.of("image/png"));
      for (int[] size : callers.start().answers(Duration.ofSeconds(30))) {
        assertThat(size).containsExactly(96, 96);
      }
      assertThat(t.generations.get()).as("decodes for 50 concurrent requests").isEqualTo(1);
    }
  }

  @Test
  void aThumbnailIsNeverSmallerThanAskedWhileALargerExists() throws Exception {
    try (Fixture f = fixture(new CountingThumbnailer(), MediaConfig.defaults())) {
      MxcUri uri = f.upload(photo(1000, 750), UploadRequest.of("image/png"));
      BufferedImage crop100 =
          image(f.repo.thumbnail(uri, ThumbnailSpec.crop(100, 100), DownloadOptions.defaults()));
      assertThat(crop100.getWidth()).isGreaterThanOrEqualTo(100);
      assertThat(crop100.getHeight()).isGreaterThanOrEqualTo(100);
      BufferedImage crop96 =
          image(f.repo.thumbnail(uri, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()));
      assertThat(crop96.getWidth()).isEqualTo(96);
      BufferedImage scale300 =
          image(f.repo.thumbnail(uri, ThumbnailSpec.scale(300, 300), DownloadOptions.defaults()));
      assertThat(scale300.getWidth()).isEqualTo(320);
      // the smallest thumbnail made with the requested method that covers the request
      BufferedImage small =
          image(f.repo.thumbnail(uri, ThumbnailSpec.scale(20, 20), DownloadOptions.defaults()));
      assertThat(small.getWidth()).isEqualTo(320);
      BufferedImage smallCrop =
          image(f.repo.thumbnail(uri, ThumbnailSpec.crop(20, 20), DownloadOptions.defaults()));
      assertThat(smallCrop.getWidth()).isEqualTo(32);
    }
  }

  @Test
  void aSourceSmallerThanTheRequestIsNeverUpscaled() throws Exception {
    try (Fixture f = fixture(new CountingThumbnailer(), MediaConfig.defaults())) {
      MxcUri uri = f.upload(photo(50, 40), UploadRequest.of("image/png"));
      BufferedImage crop =
          image(f.repo.thumbnail(uri, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()));
      assertThat(crop.getWidth()).isLessThanOrEqualTo(50);
      assertThat(crop.getHeight()).isLessThanOrEqualTo(40);
      BufferedImage scale =
          image(f.repo.thumbnail(uri, ThumbnailSpec.scale(800, 600), DownloadOptions.defaults()));
      assertThat(scale.getWidth()).isEqualTo(50);
      assertThat(scale.getHeight()).isEqualTo(40);
    }
  }

  @Test
  void aThumbnailBiggerThanItsSourceIsNotKeptAndTheSourceAnswers() throws Exception {
    CountingThumbnailer bloated = new CountingThumbnailer();
    bloated.bloat = 200_000; // every thumbnail comes out bigger than the source
    byte[] source = photo(400, 300);
    assertThat(source.length).isLessThan(200_000);
    try (Fixture f = fixture(bloated, MediaConfig.defaults())) {
      MxcUri uri = f.upload(source, UploadRequest.of("image/png"));
      try (MediaResponse r =
          f.repo.thumbnail(uri, ThumbnailSpec.scale(320, 240), DownloadOptions.defaults())) {
        assertThat(r.sha256())
            .as("the source answers")
            .isEqualTo(BlobKey.of(f.repo.admin().describe(uri).sha256()).sha256());
        assertThat(r.contentType()).isEqualTo("image/png");
      }
      assertThat(f.store.thumbnails(BlobKey.of(f.repo.admin().describe(uri).sha256()))).isEmpty();
      int decodes = bloated.generations.get();
      f.repo.thumbnail(uri, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults()).close();
      assertThat(bloated.generations.get())
          .as("not decoded again for every request")
          .isEqualTo(decodes);
    }
  }

  @Test
  void dynamicSizesSnapToABoundedSetAndAreStoredUnderTheSizeProduced() throws Exception {
    CountingThumbnailer t = new CountingThumbnailer();
    try (Fixture f = fixture(t, MediaConfig.defaults().withDynamicThumbnails(true))) {
      MxcUri uri = f.upload(photo(1000, 750), UploadRequest.of("image/png"));
      awaitThumbnails(f, uri, 5);
      var blob = BlobKey.of(f.repo.admin().describe(uri).sha256());
      BufferedImage a =
          image(f.repo.thumbnail(uri, ThumbnailSpec.crop(100, 100), DownloadOptions.defaults()));
      assertThat(a.getWidth()).isEqualTo(128);
      int before = f.store.thumbnails(blob).size();
      for (int w = 97; w <= 128; w++) {
        image(f.repo.thumbnail(uri, ThumbnailSpec.crop(w, w), DownloadOptions.defaults()));
      }
      assertThat(f.store.thumbnails(blob))
          .as("32 distinct requests, one stored size")
          .hasSize(before);
      for (int w = 1; w <= 2000; w += 7) {
        image(f.repo.thumbnail(uri, ThumbnailSpec.scale(w, w), DownloadOptions.defaults()));
      }
      assertThat(f.store.thumbnails(blob).size())
          .as("a bounded number of sizes")
          .isLessThanOrEqualTo(5 + 1 + 17);
    }
  }

  @Test
  void decodesRunAFewAtATimeHoweverManySizesAreAskedAtOnce() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    CountingThumbnailer t =
        new CountingThumbnailer() {
          @Override
          public List<GeneratedThumbnail> generate(
              Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path out)
              throws IOException {
            most.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
              return super.generate(source, info, specs, maxPixels, out);
            } finally {
              running.decrementAndGet();
            }
          }
        };
    try (Fixture f = fixture(t, MediaConfig.defaults().withDynamicThumbnails(true))) {
      MxcUri uri = f.upload(photo(1200, 900), UploadRequest.of("image/png"));
      awaitThumbnails(f, uri, 5);
      int[] sizes = {
        20, 40, 56, 72, 88, 104, 136, 152, 168, 184, 200, 232, 264, 296, 328, 360, 392, 424, 456,
        488, 520, 552, 584, 616
      };
      List<Callable<BufferedImage>> requests = new ArrayList<>();
      for (int w : sizes) {
        requests.add(
            () ->
                image(f.repo.thumbnail(uri, ThumbnailSpec.crop(w, w), DownloadOptions.defaults())));
      }
      Callers<BufferedImage> callers = Callers.prepare(requests);
      // each decode is held until every other request waits (for a decode slot, or for another's
      // decode of its size) or is decoding too: so "at once" is what the engine let run at once
      t.gate = callers.gate(Duration.ofSeconds(30));
      assertThat(callers.start().answers(Duration.ofSeconds(50)))
          .hasSize(sizes.length)
          .doesNotContainNull();
      assertThat(most.get())
          .as("decodes at once")
          .isGreaterThanOrEqualTo(1)
          .isLessThanOrEqualTo(Math.max(2, Runtime.getRuntime().availableProcessors()));
    }
  }

  @Test
  void aThumbnailWhoseBytesWentMissingIsRegenerated() throws Exception {
    try (Fixture f = fixture(new CountingThumbnailer(), MediaConfig.defaults())) {
      MxcUri uri = f.upload(photo(800, 600), UploadRequest.of("image/png"));
      awaitThumbnails(f, uri, 5);
      ThumbnailRecord crop96 =
          f.store.thumbnails(BlobKey.of(f.repo.admin().describe(uri).sha256())).stream()
              .filter(r -> r.width() == 96)
              .findFirst()
              .orElseThrow();
      f.storage.delete(crop96.blob());
      BufferedImage again =
          image(f.repo.thumbnail(uri, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()));
      assertThat(again.getWidth()).isEqualTo(96);
    }
  }

  @Test
  void identicalUploadsShareThumbnailsAndDeletionRemovesThem() throws Exception {
    CountingThumbnailer t = new CountingThumbnailer();
    try (Fixture f = fixture(t, MediaConfig.defaults())) {
      byte[] bytes = photo(640, 480);
      MxcUri a = f.upload(bytes, UploadRequest.of("image/png"));
      awaitThumbnails(f, a, 4); // 640x480 and 800x600 give the same 640x480: deduplicated
      image(
          f.repo.thumbnail(
              a,
              ThumbnailSpec.crop(32, 32),
              DownloadOptions.defaults())); // a's pre-generation has ended
      int mark = signals.mark();
      Thread test = Thread.currentThread();
      MxcUri b = f.upload(bytes, UploadRequest.of("image/png"));
      // b's pre-generation, in the background, looks up the thumbnails of b's bytes (and finds a's)
      signals.awaitCallSince(mark, "thumbnails", thread -> thread != test, Duration.ofSeconds(20));
      // a request joins that pre-generation if it is still running, so it has ended after this
      image(f.repo.thumbnail(b, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults()));
      assertThat(t.generations.get()).as("decodes of two identical uploads").isEqualTo(1);
      f.repo.admin().delete(a);
      assertThat(f.store.thumbnails(BlobKey.of(f.repo.admin().describe(b).sha256()))).hasSize(4);
      f.repo.admin().delete(b);
      assertThat(f.files()).as("source and thumbnails deleted").isEmpty();
      assertThat(f.store.unreferencedBlobs(100)).isEmpty();
    }
  }

  @Test
  void contentThatCannotBeThumbnailedIsA400AndTheUploadStillSucceeds() throws Exception {
    try (Fixture f = fixture(new CountingThumbnailer(), MediaConfig.defaults())) {
      for (var c :
          List.of(
              new Object[] {"hello".getBytes(), "text/plain"},
              new Object[] {
                "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(), "image/svg+xml"
              },
              new Object[] {TestImages.pngClaiming(60_000, 60_000), "image/png"},
              new Object[] {TestImages.gifWithScreen(65535, 65535), "image/gif"},
              new Object[] {new byte[] {1, 2, 3, 4}, "image/png"},
              new Object[] {new byte[0], "image/jpeg"})) {
        MxcUri uri = f.upload((byte[]) c[0], UploadRequest.of((String) c[1]));
        assertThatThrownBy(
                () -> f.repo.thumbnail(uri, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults()))
            .as((String) c[1])
            .isInstanceOfSatisfying(
                MediaException.class,
                e -> {
                  assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
                  assertThat(e.httpStatus()).isEqualTo(400);
                });
        assertThat(f.download(uri)).isEqualTo((byte[]) c[0]);
      }
    }
  }

  @Test
  void
      aPixelLimitConfiguredBelowTheDefaultRefusesAnImageJustOverItWithoutDecodingAndThumbnailsOnesUpToIt()
          throws Exception {
    long limit = 250_000;
    assertThat(limit).isLessThan(MediaConfig.defaults().maxImagePixels());
    CountingThumbnailer t = new CountingThumbnailer();
    try (Fixture f = fixture(t, MediaConfig.defaults().rebuild().maxImagePixels(limit).build())) {
      MxcUri over = f.upload(photo(501, 500), UploadRequest.of("image/png")); // 250,500 pixels
      assertThatThrownBy(
              () -> f.repo.thumbnail(over, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(400);
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
                assertThat(e.getMessage()).contains("pixels");
              });
      assertThat(t.generations.get()).as("decodes of an image over the limit").isZero();

      MxcUri under = f.upload(photo(500, 499), UploadRequest.of("image/png")); // 249,500 pixels
      BufferedImage thumbnail =
          image(f.repo.thumbnail(under, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()));
      assertThat(thumbnail.getWidth()).isEqualTo(96);
      assertThat(t.generations.get()).isEqualTo(1);

      MxcUri at = f.upload(photo(500, 500), UploadRequest.of("image/png")); // exactly the limit
      assertThat(
              image(f.repo.thumbnail(at, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults()))
                  .getWidth())
          .isEqualTo(96);
      assertThat(t.generations.get()).isEqualTo(2);
    }
  }

  @Test
  void animatedRequestsOfAnimatedGifsGetAnAnimatedGif() throws Exception {
    byte[] gif =
        TestImages.animatedGif(400, 300, new Color[] {Color.RED, Color.GREEN, Color.BLUE}, 20);
    try (Fixture f = fixture(new CountingThumbnailer(), MediaConfig.defaults())) {
      MxcUri uri = f.upload(gif, UploadRequest.of("image/gif"));
      try (MediaResponse r =
          f.repo.thumbnail(
              uri,
              new ThumbnailSpec(320, 240, ThumbnailMethod.SCALE, true),
              DownloadOptions.defaults())) {
        assertThat(r.contentType()).isEqualTo("image/gif");
      }
      try (MediaResponse still =
          f.repo.thumbnail(uri, ThumbnailSpec.scale(320, 240), DownloadOptions.defaults())) {
        assertThat(still.contentType()).isEqualTo("image/png");
      }
    }
  }

  @Test
  void quarantinedMediaHasNoThumbnails() throws Exception {
    try (Fixture f = fixture(new CountingThumbnailer(), MediaConfig.defaults())) {
      MxcUri uri = f.upload(photo(200, 200), UploadRequest.of("image/png"));
      f.repo.admin().quarantine(uri);
      assertThatThrownBy(
              () -> f.repo.thumbnail(uri, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults()))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
    }
  }
}
