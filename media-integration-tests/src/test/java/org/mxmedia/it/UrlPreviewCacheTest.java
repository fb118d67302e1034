package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MediaRepository.UrlPreviewResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.UrlPreviewer;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * The URL preview cache in the store: a cached answer makes no fetch, concurrent requests (in one
 * repository and across two sharing a store) make one, answers live within [1 h, 1 day], and the
 * sweep deletes expired previews with their images, keeping bytes other media still use.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UrlPreviewCacheTest {
  static final String PAGE = "https://example.com/page";

  /** No pre-generated thumbnails: the storage holds only what the tests put there. */
  static final MediaConfig CONFIG =
      MediaConfig.defaults().rebuild().thumbnailSizes(List.of()).build();

  @TempDir Path dir;
  final FakePreviewer previewer = new FakePreviewer();
  final List<Fixture> fixtures = new ArrayList<>();
  final ExecutorService threads = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    previewer.open();
    threads.shutdownNow();
    fixtures.forEach(Fixture::close);
  }

  private Fixture node(MediaStore store) {
    Fixture f =
        new Fixture(
            dir.resolve("storage"),
            store,
            b -> b.config(CONFIG).urlPreviews(previewer).thumbnailer(new ImageIoThumbnailer()));
    fixtures.add(f);
    return f;
  }

  private Fixture node() {
    return node(MediaStore.inMemory());
  }

  static byte[] png(int width, int height, int rgb) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, rgb);
      }
    }
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Counts its previews; holds them while closed; for a path starting {@code /image} stores the
   * image {@link #images} maps the path to, as {@code UrlPreviews} does; fails after storing when
   * told to.
   */
  static final class FakePreviewer implements UrlPreviewer {
    final AtomicInteger calls = new AtomicInteger();
    final CountDownLatch entered = new CountDownLatch(1);
    private volatile CountDownLatch gate = new CountDownLatch(0);
    volatile Duration maxAge = Duration.ofMinutes(5);
    volatile Optional<MediaException> failAfterImage = Optional.empty();
    final Map<String, byte[]> images = new LinkedHashMap<>();

    void close() {
      gate = new CountDownLatch(1);
    }

    void open() {
      gate.countDown();
    }

    @Override
    public UrlPreview preview(URI url, ImageStore store) {
      calls.incrementAndGet();
      entered.countDown();
      try {
        if (!gate.await(30, TimeUnit.SECONDS)) {
          throw new AssertionError("the previewer was never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      Map<String, Object> og = new LinkedHashMap<>();
      og.put("og:title", "Title of " + url);
      byte[] image = images.get(url.getPath());
      if (image != null) {
        StoredImage stored =
            store.store(
                new ByteArrayInputStream(image), "image/png", OptionalLong.of(image.length));
        og.put("og:image", stored.uri().toString());
        stored.width().ifPresent(w -> og.put("og:image:width", w));
        stored.height().ifPresent(h -> og.put("og:image:height", h));
        og.put("og:image:type", stored.contentType());
        og.put("matrix:image:size", stored.size());
      }
      if (failAfterImage.isPresent()) {
        throw failAfterImage.get();
      }
      return new UrlPreview(og, maxAge);
    }
  }

  @Test
  void aSecondRequestIsAnsweredFromTheCacheUntilTheAnswerExpires() {
    Fixture f = node();
    UrlPreviewResponse first = f.repo.previewUrl(Fixture.ALICE, PAGE);
    assertThat(first.properties()).containsEntry("og:title", "Title of " + PAGE);
    UrlPreviewResponse second = f.repo.previewUrl(Fixture.BOB, PAGE);
    assertThat(second).isEqualTo(first);
    assertThat(previewer.calls).hasValue(1);
    // 5 minutes asked: kept the minimum of an hour
    assertThat(Duration.between(first.fetchedAt(), first.expiresAt()))
        .isEqualTo(Duration.ofHours(1));
    f.clock.advance(Duration.ofMinutes(59));
    f.repo.previewUrl(Fixture.ALICE, PAGE);
    assertThat(previewer.calls).hasValue(1);
    f.clock.advance(Duration.ofMinutes(2));
    UrlPreviewResponse third = f.repo.previewUrl(Fixture.ALICE, PAGE);
    assertThat(previewer.calls).hasValue(2);
    assertThat(third.fetchedAt()).isAfter(first.fetchedAt());
    // another URL is another entry
    f.repo.previewUrl(Fixture.ALICE, PAGE + "?other");
    assertThat(previewer.calls).hasValue(3);
  }

  @Test
  void thePagesOwnAgeIsKeptBetweenAnHourAndADay() {
    Fixture f = node();
    previewer.maxAge = Duration.ofHours(5);
    UrlPreviewResponse five = f.repo.previewUrl(Fixture.ALICE, PAGE + "/5h");
    assertThat(Duration.between(five.fetchedAt(), five.expiresAt())).isEqualTo(Duration.ofHours(5));
    previewer.maxAge = Duration.ofDays(30);
    UrlPreviewResponse month = f.repo.previewUrl(Fixture.ALICE, PAGE + "/30d");
    assertThat(Duration.between(month.fetchedAt(), month.expiresAt()))
        .isEqualTo(Duration.ofDays(1));
    previewer.maxAge = Duration.ZERO;
    UrlPreviewResponse none = f.repo.previewUrl(Fixture.ALICE, PAGE + "/0");
    assertThat(Duration.between(none.fetchedAt(), none.expiresAt())).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void tsInTheFutureIsNowAndTsInThePastGetsThePreviewOfItsTime() {
    Fixture f = node();
    Instant start = f.clock.instant();
    UrlPreviewResponse first = f.repo.previewUrl(Fixture.ALICE, PAGE);
    f.clock.advance(Duration.ofHours(2)); // expired, not yet swept
    UrlPreviewResponse asOfThen =
        f.repo.previewUrl(Fixture.ALICE, PAGE, start.plus(Duration.ofMinutes(10)));
    assertThat(asOfThen).isEqualTo(first);
    assertThat(previewer.calls).hasValue(1);
    // a time to come cannot keep a fetch from happening, nor make one every time
    UrlPreviewResponse future =
        f.repo.previewUrl(Fixture.ALICE, PAGE, f.clock.instant().plus(Duration.ofDays(365)));
    assertThat(previewer.calls).hasValue(2);
    assertThat(f.repo.previewUrl(Fixture.ALICE, PAGE, f.clock.instant().plus(Duration.ofDays(365))))
        .isEqualTo(future);
    assertThat(previewer.calls).hasValue(2);
    // before the first fetch: the first preview fetched after it
    assertThat(f.repo.previewUrl(Fixture.ALICE, PAGE, Instant.EPOCH)).isEqualTo(first);
    assertThat(previewer.calls).hasValue(2);
  }

  @Test
  void twentyConcurrentRequestsForOneUrlMakeOneFetch() throws Exception {
    Fixture f = node();
    previewer.close();
    CountDownLatch started = new CountDownLatch(20);
    List<Future<UrlPreviewResponse>> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      answers.add(
          threads.submit(
              () -> {
                started.countDown();
                return f.repo.previewUrl(Fixture.ALICE, PAGE);
              }));
    }
    assertThat(previewer.entered.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();
    previewer.open();
    UrlPreviewResponse one = answers.get(0).get(30, TimeUnit.SECONDS);
    for (Future<UrlPreviewResponse> a : answers) {
      assertThat(a.get(30, TimeUnit.SECONDS)).isEqualTo(one);
    }
    assertThat(previewer.calls).hasValue(1);
  }

  @Test
  void twoRepositoriesSharingAStoreFetchOnce() throws Exception {
    MediaStore shared = MediaStore.inMemory();
    Fixture a = node(shared);
    Fixture b = node(shared);
    previewer.close();
    Future<UrlPreviewResponse> onA = threads.submit(() -> a.repo.previewUrl(Fixture.ALICE, PAGE));
    assertThat(previewer.entered.await(20, TimeUnit.SECONDS)).isTrue();
    List<Future<UrlPreviewResponse>> onB = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      onB.add(threads.submit(() -> b.repo.previewUrl(Fixture.BOB, PAGE)));
    }
    previewer.open();
    UrlPreviewResponse answer = onA.get(30, TimeUnit.SECONDS);
    for (Future<UrlPreviewResponse> r : onB) {
      assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(answer);
    }
    assertThat(b.repo.previewUrl(Fixture.BOB, PAGE)).isEqualTo(answer);
    assertThat(previewer.calls).hasValue(1);
  }

  @Test
  void aPreviewImageIsTheRequestersMediaMeasuredByTheThumbnailer() throws Exception {
    Fixture f = node();
    byte[] png = png(7, 5, 0x336699);
    previewer.images.put("/image", png);
    UrlPreviewResponse r = f.repo.previewUrl(Fixture.ALICE, "https://example.com/image");
    MxcUri image = MxcUri.parse((String) r.properties().get("og:image"));
    assertThat(r.properties())
        .containsEntry("og:image:width", 7L)
        .containsEntry("og:image:height", 5L)
        .containsEntry("og:image:type", "image/png")
        .containsEntry("matrix:image:size", (long) png.length);
    assertThat(f.download(image)).isEqualTo(png);
    LocalMedia media = f.store.localMedia(image.mediaId()).orElseThrow();
    assertThat(media.uploader()).isEqualTo(Fixture.ALICE);
    assertThat(
            f.store
                .urlPreview("https://example.com/image", f.clock.instant())
                .orElseThrow()
                .image())
        .contains(image.mediaId());
  }

  @Test
  void aFailedPreviewKeepsNoImage() throws Exception {
    Fixture f = node();
    previewer.images.put("/image", png(4, 4, 0xFF0000));
    previewer.failAfterImage =
        Optional.of(new MediaException(ErrorCode.M_UNKNOWN, 502, "the page went away"));
    var before = f.files();
    assertThatThrownBy(() -> f.repo.previewUrl(Fixture.ALICE, "https://example.com/image"))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(502));
    assertThat(f.files()).isEqualTo(before);
    assertThat(f.store.usage(Fixture.ALICE, Instant.EPOCH).mediaCount()).isZero();
    assertThat(f.store.urlPreview("https://example.com/image", f.clock.instant())).isEmpty();
  }

  @Test
  void theSweepDeletesExpiredPreviewsAndTheirImagesButKeepsBytesOtherMediaUses() throws Exception {
    Fixture f = node();
    byte[] shared = png(6, 6, 0x00FF00);
    byte[] own = png(9, 3, 0x0000FF);
    previewer.images.put("/shared", shared);
    previewer.images.put("/own", own);
    MxcUri upload = f.upload(shared, UploadRequest.of("image/png"));
    MxcUri sharedImage =
        MxcUri.parse(
            (String)
                f.repo
                    .previewUrl(Fixture.ALICE, "https://example.com/shared")
                    .properties()
                    .get("og:image"));
    MxcUri ownImage =
        MxcUri.parse(
            (String)
                f.repo
                    .previewUrl(Fixture.ALICE, "https://example.com/own")
                    .properties()
                    .get("og:image"));
    BlobKey ownBlob = f.store.localMedia(ownImage.mediaId()).orElseThrow().blob();
    BlobKey sharedBlob = f.store.localMedia(upload.mediaId()).orElseThrow().blob();
    assertThat(f.files()).anyMatch(p -> p.contains(ownBlob.sha256()));
    // many previews without images, more than one batch (a second apart: the rate limit refills)
    for (int i = 0; i < 250; i++) {
      f.clock.advance(Duration.ofSeconds(1));
      f.repo.previewUrl(Fixture.BOB, PAGE + "?n=" + i);
    }
    previewer.maxAge = Duration.ofHours(3);
    f.repo.previewUrl(Fixture.BOB, PAGE + "?lasting");

    f.clock.advance(Duration.ofMinutes(30));
    f.scheduler.runPeriodicTasks();
    assertThat(f.download(ownImage)).isEqualTo(own); // not expired yet

    f.clock.advance(Duration.ofMinutes(35));
    f.scheduler.runPeriodicTasks();
    assertThat(f.store.urlPreviewsExpiredBy(f.clock.instant(), 1000)).isEmpty();
    assertThat(f.store.urlPreview(PAGE + "?n=7", Instant.EPOCH)).isEmpty();
    assertThat(f.store.urlPreview(PAGE + "?lasting", f.clock.instant())).isPresent();
    for (MxcUri gone : List.of(ownImage, sharedImage)) {
      assertThat(f.store.localMedia(gone.mediaId())).isEmpty();
      assertThatThrownBy(() -> f.repo.download(gone, DownloadOptions.defaults()))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
    }
    assertThat(f.files()).noneMatch(p -> p.contains(ownBlob.sha256()));
    assertThat(f.files()).anyMatch(p -> p.contains(sharedBlob.sha256()));
    assertThat(f.download(upload)).isEqualTo(shared);
    // asked again, the page is fetched again
    int calls = previewer.calls.get();
    f.repo.previewUrl(Fixture.ALICE, "https://example.com/own");
    assertThat(previewer.calls).hasValue(calls + 1);
  }

  @Test
  void withoutAPreviewerPreviewsAre404Unrecognized() {
    Fixture f = new Fixture(dir.resolve("plain"));
    fixtures.add(f);
    assertThatThrownBy(() -> f.repo.previewUrl(Fixture.ALICE, PAGE))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNRECOGNIZED);
              assertThat(e.httpStatus()).isEqualTo(404);
            });
  }

  @Test
  void aStoreWithoutACacheStillPreviewsAndKeepsTheImageAsMedia() throws Exception {
    // a host store that predates the cache: the SPI's defaults
    MediaStore plain = StoreHooks.withoutPreviewCache(MediaStore.inMemory());
    Fixture f = node(plain);
    previewer.images.put("/image", png(2, 2, 0x123456));
    UrlPreviewResponse r = f.repo.previewUrl(Fixture.ALICE, "https://example.com/image");
    assertThat(f.download(MxcUri.parse((String) r.properties().get("og:image")))).isNotEmpty();
    f.repo.previewUrl(Fixture.ALICE, "https://example.com/image");
    assertThat(previewer.calls).hasValue(2);
    assertThat(plain.urlPreview("https://example.com/image", f.clock.instant())).isEmpty();
    assertThat(f.store.urlPreviewsExpiredBy(Instant.MAX, 10)).isEmpty();
  }
}
