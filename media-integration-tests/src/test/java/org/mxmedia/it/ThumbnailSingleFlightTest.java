package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
 * Invariant 4 for thumbnails made on request: fifty callers asking at once for a thumbnail that
 * does not exist yet (a dynamic size, an animated thumbnail, a thumbnail whose bytes were lost)
 * cause exactly one decode and all get the same bytes; when that decode fails, all get the same
 * 400. The one decode is held until every caller is waiting (see {@link Callers}), so a caller that
 * did not join it would be seen decoding too.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ThumbnailSingleFlightTest {
  private static final int CALLERS = 50;
  private static final Duration LONG = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final StoreSignals signals = new StoreSignals(MediaStore.inMemory());

  /** Counts decodes; each decode first runs the gate, and fails when told to. */
  static final class GatedThumbnailer implements Thumbnailer {
    final ImageIoThumbnailer delegate = new ImageIoThumbnailer();
    final AtomicInteger decodes = new AtomicInteger();
    volatile Runnable gate = () -> {};
    volatile boolean fail;

    @Override
    public Optional<ImageInfo> probe(Path source, String contentType) throws IOException {
      return delegate.probe(source, contentType);
    }

    @Override
    public List<GeneratedThumbnail> generate(
        Path source, ImageInfo info, List<ThumbnailSpec> specs, long maxPixels, Path out)
        throws IOException {
      decodes.incrementAndGet();
      gate.run();
      if (fail) {
        throw new IOException("corrupt image data");
      }
      return delegate.generate(source, info, specs, maxPixels, out);
    }
  }

  /** What a caller got. */
  record Answer(String contentType, byte[] bytes) {}

  private Fixture fixture(Thumbnailer thumbnailer, MediaConfig config, MediaStore store) {
    return new Fixture(dir, store, b -> b.thumbnailer(thumbnailer).config(config));
  }

  private static byte[] photo(int w, int h) {
    return TestImages.encode(TestImages.noisy(w, h, w * 31L + h), "png");
  }

  private static BlobKey blobOf(Fixture f, MxcUri uri) {
    return BlobKey.of(f.repo.admin().describe(uri).sha256());
  }

  private static Answer ask(Fixture f, MxcUri uri, ThumbnailSpec spec) throws IOException {
    try (MediaResponse r = f.repo.thumbnail(uri, spec, DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      return new Answer(r.contentType(), in.readAllBytes());
    }
  }

  private static BufferedImage image(byte[] bytes) throws IOException {
    return ImageIO.read(new ByteArrayInputStream(bytes));
  }

  /**
   * Fifty callers of {@code spec}, with the thumbnailer's next decodes held until they all wait.
   */
  private static Callers<Answer> fiftyCallersGating(
      GatedThumbnailer t, Fixture f, MxcUri uri, ThumbnailSpec spec) {
    Callers<Answer> callers = Callers.prepare(CALLERS, () -> ask(f, uri, spec));
    t.gate = callers.gate(LONG);
    return callers;
  }

  private static void assertAllTheSame(List<Answer> answers) {
    Answer first = answers.get(0);
    assertThat(answers)
        .hasSize(CALLERS)
        .allSatisfy(
            a -> {
              assertThat(a.contentType()).isEqualTo(first.contentType());
              assertThat(a.bytes()).isEqualTo(first.bytes());
            });
  }

  @Test
  void fiftyRequestsForADynamicSizeNotYetMadeCauseOneDecodeAndGetTheSameBytes() throws Exception {
    GatedThumbnailer t = new GatedThumbnailer();
    try (Fixture f =
        fixture(t, MediaConfig.defaults().withDynamicThumbnails(true), signals.store)) {
      MxcUri uri = f.upload(photo(1000, 750), UploadRequest.of("image/png"));
      BlobKey blob = blobOf(f, uri);
      signals.awaitThumbnails(blob, 5, LONG);
      assertThat(f.store.thumbnails(blob))
          .as("128x128 is not a configured size")
          .noneMatch(r -> r.width() == 128);
      int before = t.decodes.get();

      Callers<Answer> callers = fiftyCallersGating(t, f, uri, ThumbnailSpec.crop(100, 100)).start();
      List<Answer> answers = callers.answers(LONG);

      assertThat(t.decodes.get() - before)
          .as("decodes for %d concurrent requests", CALLERS)
          .isEqualTo(1);
      assertAllTheSame(answers);
      BufferedImage img = image(answers.get(0).bytes());
      assertThat(img.getWidth()).isEqualTo(128);
      assertThat(img.getHeight()).isEqualTo(128);
      assertThat(f.store.thumbnails(blob))
          .filteredOn(r -> r.width() == 128 && r.height() == 128)
          .hasSize(1);
    }
  }

  @Test
  void fiftyRequestsForAnAnimatedThumbnailOfAnAnimatedGifCauseOneDecodeAndGetTheSameBytes()
      throws Exception {
    GatedThumbnailer t = new GatedThumbnailer();
    byte[] gif =
        TestImages.animatedGif(
            400, 300, new Color[] {Color.RED, Color.GREEN, Color.BLUE, Color.WHITE}, 20);
    try (Fixture f = fixture(t, MediaConfig.defaults(), signals.store)) {
      MxcUri uri = f.upload(gif, UploadRequest.of("image/gif"));
      BlobKey blob = blobOf(f, uri);
      // a still request waits for (or makes) the configured sizes: after it, only the animated one
      // is missing
      ask(f, uri, ThumbnailSpec.scale(320, 240));
      assertThat(f.store.thumbnails(blob)).isNotEmpty().noneMatch(ThumbnailRecord::animated);
      int before = t.decodes.get();

      Callers<Answer> callers =
          fiftyCallersGating(t, f, uri, new ThumbnailSpec(320, 240, ThumbnailMethod.SCALE, true))
              .start();
      List<Answer> answers = callers.answers(LONG);

      assertThat(t.decodes.get() - before)
          .as("decodes for %d concurrent requests", CALLERS)
          .isEqualTo(1);
      assertAllTheSame(answers);
      assertThat(answers.get(0).contentType()).isEqualTo("image/gif");
      assertThat(answers.get(0).bytes()).as("a thumbnail, not the source").isNotEqualTo(gif);
      assertThat(f.store.thumbnails(blob)).filteredOn(ThumbnailRecord::animated).hasSize(1);
    }
  }

  @Test
  void fiftyRequestsForAThumbnailWhoseBytesWereLostRegenerateItOnce() throws Exception {
    GatedThumbnailer t = new GatedThumbnailer();
    // Every caller reads the stored thumbnails, finds the lost one, fails to open it and drops its
    // record. The test lines the callers up after the read and after the drop, so all fifty find
    // it lost and none asks for it again before its record is gone (what a caller gets that comes
    // between another's drop and its regeneration is not this test's question).
    AtomicReference<Callers<Answer>> asking = new AtomicReference<>();
    CountDownLatch allRead = new CountDownLatch(CALLERS);
    CountDownLatch allDropped = new CountDownLatch(CALLERS);
    Set<Thread> haveRead = ConcurrentHashMap.newKeySet();
    Set<Thread> haveDropped = ConcurrentHashMap.newKeySet();
    MediaStore store =
        StoreHooks.after(
            signals.store,
            (method, result) -> {
              Callers<Answer> callers = asking.get();
              Thread self = Thread.currentThread();
              if (callers == null || !callers.includes(self)) {
                return;
              }
              if (method.equals("thumbnails") && haveRead.add(self)) {
                callers.awaitAtTestBarrier(allRead, LONG);
              } else if (method.equals("deleteThumbnail") && haveDropped.add(self)) {
                callers.awaitAtTestBarrier(allDropped, LONG);
              }
            });
    try (Fixture f = fixture(t, MediaConfig.defaults(), store)) {
      MxcUri uri = f.upload(photo(800, 600), UploadRequest.of("image/png"));
      BlobKey blob = blobOf(f, uri);
      signals.awaitThumbnails(blob, 5, LONG);
      ThumbnailRecord crop96 =
          f.store.thumbnails(blob).stream().filter(r -> r.width() == 96).findFirst().orElseThrow();
      assertThat(f.storage.delete(crop96.blob())).isTrue();
      int before = t.decodes.get();

      Callers<Answer> callers = fiftyCallersGating(t, f, uri, ThumbnailSpec.crop(96, 96));
      asking.set(callers);
      List<Answer> answers = callers.start().answers(LONG);

      assertThat(allDropped.getCount()).as("every caller found the thumbnail lost").isZero();
      assertThat(t.decodes.get() - before)
          .as("decodes for %d concurrent requests", CALLERS)
          .isEqualTo(1);
      assertAllTheSame(answers);
      BufferedImage img = image(answers.get(0).bytes());
      assertThat(img.getWidth()).isEqualTo(96);
      assertThat(img.getHeight()).isEqualTo(96);
      ThumbnailRecord again =
          f.store.thumbnails(blob).stream().filter(r -> r.width() == 96).findFirst().orElseThrow();
      assertThat(f.storage.exists(again.blob())).isTrue();
      assertThat(f.store.blobReferences(again.blob())).isEqualTo(1);
    }
  }

  @Test
  void whenTheOneDecodeFailsAllFiftyCallersGetTheSame400() throws Exception {
    GatedThumbnailer t = new GatedThumbnailer();
    t.fail = true;
    try (Fixture f = fixture(t, MediaConfig.defaults(), signals.store)) {
      MxcUri[] uri = new MxcUri[1];
      Callers<Answer> callers =
          Callers.prepare(CALLERS, () -> ask(f, uri[0], ThumbnailSpec.crop(96, 96)));
      // armed before the upload: the decode may be the background pre-generation or a caller's
      t.gate = callers.gate(LONG);
      uri[0] = f.upload(photo(800, 600), UploadRequest.of("image/png"));

      List<Throwable> failures = callers.start().failures(LONG);

      assertThat(t.decodes.get()).as("decodes for %d concurrent requests", CALLERS).isEqualTo(1);
      String message = failures.get(0).getMessage();
      assertThat(failures)
          .hasSize(CALLERS)
          .allSatisfy(
              e ->
                  assertThat(e)
                      .isInstanceOfSatisfying(
                          MediaException.class,
                          m -> {
                            assertThat(m.httpStatus()).isEqualTo(400);
                            assertThat(m.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
                            assertThat(m.getMessage()).isEqualTo(message);
                          }));
      assertThat(f.store.thumbnails(blobOf(f, uri[0]))).isEmpty();
      assertThat(f.download(uri[0])).as("the upload itself is fine").isNotEmpty();
    }
  }
}
