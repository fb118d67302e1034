package org.mxmedia.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaEvents;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.testkit.DrivenScheduler;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

class MediaMetricsTest {
  static final UserId ALICE = UserId.of("@alice:example.org");

  static MediaRepository repository(MediaEvents events, DrivenScheduler scheduler) {
    return MediaRepository.builder()
        .serverName("example.org")
        .mediaStore(MediaStore.inMemory())
        .storage(PrimaryStorage.inMemory())
        .thumbnailer(new ImageIoThumbnailer())
        .scheduler(scheduler)
        .events(events)
        .build();
  }

  static MxcUri upload(MediaRepository repo, String type, byte[] bytes) {
    return repo.upload(ALICE, UploadRequest.of(type), new ByteArrayInputStream(bytes));
  }

  static long read(MediaResponse response) throws Exception {
    try (response;
        InputStream in = response.content().openStream()) {
      return in.transferTo(OutputStream.nullOutputStream());
    }
  }

  static double count(MeterRegistry registry, String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  @Test
  void knownTrafficIsCountedExactlyAndRenderedInPrometheusNames() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    DrivenScheduler scheduler = new DrivenScheduler();
    try (MediaRepository repo =
        repository(MediaMetrics.create(registry, Tags.of("repository", "test")), scheduler)) {
      byte[] png = TestImages.png(400, 300);
      byte[] text = "hello, metrics".getBytes(StandardCharsets.UTF_8);
      MxcUri image = upload(repo, "image/png", png);
      MxcUri note = upload(repo, "text/plain", text);
      assertThat(read(repo.download(image, DownloadOptions.defaults()))).isEqualTo(png.length);
      assertThat(
              read(repo.thumbnail(image, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults())))
          .isPositive();
      // larger than every configured size: the source answers
      assertThat(
              read(
                  repo.thumbnail(
                      image, ThumbnailSpec.scale(2000, 2000), DownloadOptions.defaults())))
          .isEqualTo(png.length);
      assertThatThrownBy(
              () ->
                  repo.download(
                      MxcUri.parse("mxc://example.org/nothingHere"), DownloadOptions.defaults()))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
      assertThatThrownBy(
              () -> repo.thumbnail(note, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults()))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(400));
      assertThatThrownBy(
              () ->
                  repo.download(
                      MxcUri.parse("mxc://elsewhere.example/abc"), DownloadOptions.defaults()))
          .isInstanceOf(MediaException.class); // no federation client: 404, and no fetch counted

      assertThat(count(registry, "mxmedia.uploads", "kind", "upload", "outcome", "ok"))
          .isEqualTo(2);
      assertThat(count(registry, "mxmedia.upload.bytes", "kind", "upload"))
          .isEqualTo(png.length + text.length);
      assertThat(registry.get("mxmedia.upload.duration").tags("kind", "upload").timer().count())
          .isEqualTo(2);
      assertThat(count(registry, "mxmedia.downloads", "source", "local")).isEqualTo(1);
      assertThat(count(registry, "mxmedia.download.bytes", "source", "local"))
          .isEqualTo(png.length);
      assertThat(count(registry, "mxmedia.downloads", "source", "remote_fetched")).isZero();
      assertThat(count(registry, "mxmedia.thumbnails.served", "from", "thumbnail")).isEqualTo(1);
      assertThat(count(registry, "mxmedia.thumbnails.served", "from", "source")).isEqualTo(1);
      // one decode made the configured sizes, whether the background or the first request ran it
      assertThat(
              registry
                  .get("mxmedia.thumbnail.decodes")
                  .tags("sizes", "configured", "outcome", "ok")
                  .timer()
                  .count())
          .isEqualTo(1);
      assertThat(count(registry, "mxmedia.thumbnails.generated", "sizes", "configured"))
          .isPositive();
      assertThat(
              count(
                  registry,
                  "mxmedia.errors",
                  "operation",
                  "download",
                  "errcode",
                  "M_NOT_FOUND",
                  "status",
                  "404"))
          .isEqualTo(2);
      assertThat(
              count(
                  registry,
                  "mxmedia.errors",
                  "operation",
                  "thumbnail",
                  "errcode",
                  "M_UNKNOWN",
                  "status",
                  "400"))
          .isEqualTo(1);
      assertThat(registry.find("mxmedia.remote.fetches").timers()).isEmpty();
      assertThat(
              registry
                  .get("mxmedia.store.calls")
                  .tags("method", "insertLocalMedia", "outcome", "ok")
                  .timer()
                  .count())
          .isEqualTo(2);
      assertThat(
              registry
                  .get("mxmedia.storage.calls")
                  .tags("storage", PrimaryStorage.inMemory().name(), "method", "commit")
                  .timer()
                  .count())
          .isGreaterThanOrEqualTo(2);
      // the download's access time waits for the (driven) flush
      assertThat(
              registry
                  .get("mxmedia.background.queued")
                  .tags("work", "access_times")
                  .gauge()
                  .value())
          .isEqualTo(1);
      scheduler.runPeriodicTasks();
      assertThat(
              registry
                  .get("mxmedia.background.queued")
                  .tags("work", "access_times")
                  .gauge()
                  .value())
          .isZero();

      String text2 = registry.scrape();
      assertThat(text2)
          .contains("mxmedia_uploads_total{kind=\"upload\",outcome=\"ok\",repository=\"test\"} 2")
          .contains(
              "mxmedia_upload_bytes_total{kind=\"upload\",repository=\"test\"} "
                  + (png.length + text.length))
          .contains(
              "mxmedia_errors_total{errcode=\"M_NOT_FOUND\",operation=\"download\",repository=\"test\",status=\"404\"} 2")
          .contains(
              "mxmedia_store_calls_seconds_count{method=\"insertLocalMedia\",outcome=\"ok\",repository=\"test\"} 2")
          .contains("mxmedia_background_queued{repository=\"test\",work=\"thumbnails\"}");
    } finally {
      scheduler.shutdownNow();
    }
  }

  @Test
  void uploadFailuresAreCountedByTheirErrorCode() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    DrivenScheduler scheduler = new DrivenScheduler();
    try (MediaRepository repo =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(MediaStore.inMemory())
            .storage(PrimaryStorage.inMemory())
            .config(MediaConfig.defaults().rebuild().maxUploadSize(DataSize.bytes(10)).build())
            .scheduler(scheduler)
            .events(MediaMetrics.create(registry))
            .build()) {
      assertThatThrownBy(() -> upload(repo, "text/plain", new byte[11]))
          .isInstanceOf(MediaException.class);
      MxcUri ok = upload(repo, "text/plain", new byte[10]);
      assertThatThrownBy(
              () ->
                  repo.uploadPending(
                      ok,
                      ALICE,
                      UploadRequest.of("text/plain"),
                      new ByteArrayInputStream(new byte[1])))
          .isInstanceOf(MediaException.class);

      assertThat(count(registry, "mxmedia.uploads", "kind", "upload", "outcome", "M_TOO_LARGE"))
          .isEqualTo(1);
      assertThat(count(registry, "mxmedia.uploads", "kind", "upload", "outcome", "ok"))
          .isEqualTo(1);
      assertThat(count(registry, "mxmedia.upload.bytes", "kind", "upload")).isEqualTo(10);
      assertThat(
              count(
                  registry,
                  "mxmedia.errors",
                  "operation",
                  "upload",
                  "errcode",
                  "M_TOO_LARGE",
                  "status",
                  "413"))
          .isEqualTo(1);
      assertThat(
              count(
                  registry,
                  "mxmedia.uploads",
                  "kind",
                  "pending",
                  "outcome",
                  "M_CANNOT_OVERWRITE_MEDIA"))
          .isEqualTo(1);
    } finally {
      scheduler.shutdownNow();
    }
  }

  /** A listener whose every method throws. */
  static MediaEvents throwing(Consumer<String> called) {
    return (MediaEvents)
        Proxy.newProxyInstance(
            MediaEvents.class.getClassLoader(),
            new Class<?>[] {MediaEvents.class},
            (proxy, method, args) -> {
              if (method.getDeclaringClass() == Object.class) {
                return method.getName().equals("toString")
                    ? "throwing listener"
                    : method.invoke(new Object(), args);
              }
              called.accept(method.getName());
              throw new IllegalStateException("listener bug in " + method.getName());
            });
  }

  @Test
  void aListenerThatThrowsNeverBreaksARequest() throws Exception {
    Set<String> called = ConcurrentHashMap.newKeySet();
    DrivenScheduler scheduler = new DrivenScheduler();
    try (MediaRepository repo = repository(throwing(called::add), scheduler)) {
      byte[] png = TestImages.png(200, 150);
      MxcUri image = upload(repo, "image/png", png);
      assertThat(read(repo.download(image, DownloadOptions.defaults()))).isEqualTo(png.length);
      assertThat(
              read(repo.thumbnail(image, ThumbnailSpec.crop(32, 32), DownloadOptions.defaults())))
          .isPositive();
      // a failure is still the caller's MediaException, not the listener's exception
      assertThatThrownBy(
              () ->
                  repo.download(
                      MxcUri.parse("mxc://example.org/nothingHere"), DownloadOptions.defaults()))
          .isInstanceOfSatisfying(
              MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
      MxcUri pending = repo.createPending(ALICE).uri();
      repo.uploadPending(
          pending, ALICE, UploadRequest.of("text/plain"), new ByteArrayInputStream(new byte[3]));
      assertThat(read(repo.download(pending, DownloadOptions.defaults()))).isEqualTo(3);
      scheduler.runPeriodicTasks();
    } finally {
      scheduler.shutdownNow();
    }
    assertThat(called)
        .contains(
            "started",
            "uploaded",
            "downloaded",
            "thumbnailsGenerated",
            "thumbnailServed",
            "failed",
            "pluginCalled");
  }
}
