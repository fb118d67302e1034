package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * Remote media against an honest and a hostile origin: right status, nothing partial kept, no
 * thread left blocked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteMediaTest {
  static final MxcUri REMOTE = MxcUri.of("origin.test", "remoteMedia1");

  @TempDir Path dir;
  FakeOrigin origin;
  Fixture f;

  @BeforeEach
  void start() throws Exception {
    origin = new FakeOrigin();
    f = fixture(b -> b);
  }

  private Fixture fixture(UnaryOperator<MediaConfig.Builder> config) {
    MediaConfig c =
        config
            .apply(
                MediaConfig.defaults()
                    .rebuild()
                    .maxUploadSize(DataSize.kibibytes(512))
                    .remoteIdleTimeout(Duration.ofMillis(500))
                    .remoteRetryBackoff(Duration.ofSeconds(30)))
            .build();
    return new Fixture(
        dir.resolve("s" + System.nanoTime()),
        MediaStore.inMemory(),
        b ->
            b.config(c)
                .federationClient(origin.client())
                .thumbnailer(new ImageIoThumbnailer())
                .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY));
  }

  @AfterEach
  void stop() {
    f.close();
    origin.close();
  }

  private byte[] download(MxcUri uri) throws Exception {
    try (MediaResponse r =
        f.repo.download(uri, DownloadOptions.defaults().withTimeout(Duration.ofSeconds(5)))) {
      return r.content().openStream().readAllBytes();
    }
  }

  private void assertFails(MxcUri uri, int status, ErrorCode code) throws Exception {
    assertThatThrownBy(() -> download(uri))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).as(e.getMessage()).isEqualTo(status);
              assertThat(e.errorCode()).isEqualTo(code);
            });
    assertThat(f.store.remoteMedia(uri)).as("nothing cached").isEmpty();
    assertThat(f.stagingFiles()).as("no staging file left").isEmpty();
  }

  /** Requests the origin saw, on either endpoint: a fetch asks one or the other first. */
  private long fetches() {
    return origin.federationRequests.get();
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void remoteMediaIsFetchedOnceCachedAndServedWithItsMetadata() throws Exception {
    byte[] bytes = random(30_000);
    origin.federation =
        FakeOrigin.multipartAnswer(
            bytes, "image/png", "inline; filename*=utf-8''r%C3%A9sum%C3%A9.png");
    assertThat(download(REMOTE)).isEqualTo(bytes);
    try (MediaResponse r = f.repo.download(REMOTE, DownloadOptions.defaults())) {
      assertThat(r.contentType()).isEqualTo("image/png");
      assertThat(r.fileName()).contains("résumé.png");
    }
    assertThat(origin.federationRequests.get()).isEqualTo(1);
    assertThat(fetches()).isEqualTo(1);
  }

  @Test
  void remoteCopiesDedupeWithLocalBlobs() throws Exception {
    byte[] bytes = random(10_000);
    f.upload(bytes, UploadRequest.of("image/png"));
    origin.federation = FakeOrigin.multipartAnswer(bytes, "image/png", "inline");
    download(REMOTE);
    assertThat(f.files().stream().filter(p -> p.startsWith("blobs"))).hasSize(1);
  }

  @Test
  void fiftyConcurrentRequestsMakeOneFetch() throws Exception {
    f.close();
    f = fixture(b -> b.maxConcurrentRemoteDownloads(50).maxRemoteFetchesPerServer(50));
    byte[] bytes = random(100_000);
    Callers<byte[]> callers = Callers.prepare(50, () -> download(REMOTE));
    Runnable allWaiting = callers.gate(Duration.ofSeconds(20));
    // the origin answers once all 50 requests wait: for this fetch, or (were there more) for their
    // own
    origin.federation =
        ex -> {
          allWaiting.run();
          FakeOrigin.multipartAnswer(bytes, "application/octet-stream", "attachment").answer(ex);
        };
    assertThat(callers.start().answers(Duration.ofSeconds(30)))
        .hasSize(50)
        .allSatisfy(a -> assertThat(a).isEqualTo(bytes));
    assertThat(origin.federationRequests.get())
        .as("fetches for 50 concurrent requests")
        .isEqualTo(1);
  }

  @Test
  void aLocationInTheMediaPartIsFollowed() throws Exception {
    byte[] bytes = random(5_000);
    origin.other =
        ex -> {
          ex.getResponseHeaders().set("Content-Disposition", "attachment; filename=cdn.bin");
          FakeOrigin.send(ex, 200, "application/pdf", bytes);
        };
    origin.federation =
        ex ->
            FakeOrigin.send(
                ex,
                200,
                "multipart/mixed; boundary=b1",
                ("--b1\r\nContent-Type: application/json\r\n\r\n{}\r\n--b1\r\nLocation: "
                        + origin.base()
                        + "/cdn/file\r\n\r\n\r\n--b1--\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
    assertThat(download(REMOTE)).isEqualTo(bytes);
    assertThat(f.store.remoteMedia(REMOTE).orElseThrow().contentType())
        .isEqualTo("application/pdf");
    assertThat(f.store.remoteMedia(REMOTE).orElseThrow().uploadName()).contains("cdn.bin");
  }

  @Test
  void aLegacyOnlyServerIsAskedOnTheLegacyEndpoint() throws Exception {
    byte[] bytes = random(4_000);
    origin.federation =
        ex ->
            FakeOrigin.send(
                ex,
                404,
                "application/json",
                "{\"errcode\":\"M_UNRECOGNIZED\",\"error\":\"Unrecognized request\"}".getBytes());
    origin.legacy =
        ex -> {
          assertThat(ex.getRequestURI().getQuery())
              .contains("allow_remote=false")
              .contains("allow_redirect=true");
          ex.getResponseHeaders().set("Content-Disposition", "inline; filename=old.gif");
          FakeOrigin.send(ex, 200, "image/gif", bytes);
        };
    assertThat(download(REMOTE)).isEqualTo(bytes);
    assertThat(origin.legacyRequests.get()).isEqualTo(1);
    assertThat(f.store.remoteMedia(REMOTE).orElseThrow().uploadName()).contains("old.gif");
  }

  @Test
  void aNonJson404AlsoFallsBackAndALegacyRedirectIsFollowed() throws Exception {
    byte[] bytes = random(4_000);
    origin.federation =
        ex -> FakeOrigin.send(ex, 404, "text/html", "<h1>Not Found</h1>".getBytes());
    origin.legacy =
        ex -> {
          ex.getResponseHeaders().set("Location", origin.base() + "/elsewhere");
          ex.sendResponseHeaders(307, -1);
        };
    origin.other = ex -> FakeOrigin.send(ex, 200, "image/png", bytes);
    assertThat(download(REMOTE)).isEqualTo(bytes);
  }

  @Test
  void malformedMultipartAnswersAre502AndKeepNothing() throws Exception {
    String[][] cases = {
      {"multipart/mixed", "--x\r\n\r\n"}, // no boundary parameter
      {"application/octet-stream", "just bytes"}, // not multipart
      {
        "multipart/mixed; boundary=b",
        "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: image/png\r\n\r\nxx\r\n--b--"
      },
      {
        "multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\nContent-Type: image/png\r\n\r\ntruncat"
      },
      {
        "multipart/mixed; boundary=b",
        "--b\r\nContent-Type: application/json\r\n\r\n{}\r\n--b--\r\n"
      },
      {"multipart/mixed; boundary=b", "no boundary at all"},
    };
    int i = 0;
    for (String[] c : cases) {
      MxcUri uri = MxcUri.of("origin.test", "bad" + i++);
      origin.federation =
          ex -> FakeOrigin.send(ex, 200, c[0], c[1].getBytes(StandardCharsets.ISO_8859_1));
      assertFails(uri, 502, ErrorCode.M_UNKNOWN);
      f.close();
      f = fixture(b -> b); // a fresh repository: the origin is now backed off in the old one
    }
  }

  @Test
  void aContentLengthOverTheLimitIsRefusedBeforeReading() throws Exception {
    origin.legacy =
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
          ex.sendResponseHeaders(200, 10L * 1024 * 1024 * 1024);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(new byte[1024]);
            Thread.sleep(5000);
          }
        };
    origin.federation =
        ex ->
            FakeOrigin.send(
                ex, 404, "application/json", "{\"errcode\":\"M_UNRECOGNIZED\"}".getBytes());
    long start = System.nanoTime();
    assertFails(REMOTE, 502, ErrorCode.M_TOO_LARGE);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void aBodyThatPassesTheLimitIsCutOff() throws Exception {
    origin.federation = FakeOrigin.multipartAnswer(random(600 * 1024), "image/png", "inline");
    assertFails(REMOTE, 502, ErrorCode.M_TOO_LARGE);
    assertThat(f.files().stream().filter(p -> p.startsWith("blobs"))).isEmpty();
  }

  @Test
  void aLyingContentLengthIs502() throws Exception {
    origin.federation = FakeOrigin.multipartAnswer(random(1000), "image/png", "inline");
    origin.federation =
        ex ->
            FakeOrigin.send(
                ex,
                200,
                "multipart/mixed; boundary=q",
                FakeOrigin.multipart(
                    "q", "Content-Type: image/png\r\nContent-Length: 5000", random(1000)));
    assertFails(REMOTE, 502, ErrorCode.M_UNKNOWN);
  }

  @Test
  void aStalledBodyIsAbandonedAtTheIdleTimeout() throws Exception {
    origin.federation =
        ex -> {
          ex.getResponseHeaders().set("Content-Type", "multipart/mixed; boundary=s");
          ex.sendResponseHeaders(200, 0);
          OutputStream out = ex.getResponseBody();
          out.write(
              "--s\r\nContent-Type: application/json\r\n\r\n{}\r\n--s\r\nContent-Type: image/png\r\n\r\n"
                  .getBytes());
          out.write(random(10_000));
          out.flush();
          Thread.sleep(20_000); // stall
        };
    long start = System.nanoTime();
    assertFails(REMOTE, 502, ErrorCode.M_UNKNOWN);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void notFoundIs404AndServerErrorsAre502ThenBackedOff() throws Exception {
    assertFails(REMOTE, 404, ErrorCode.M_NOT_FOUND);
    origin.federation =
        ex ->
            FakeOrigin.send(ex, 500, "application/json", "{\"errcode\":\"M_UNKNOWN\"}".getBytes());
    MxcUri other = MxcUri.of("origin.test", "other");
    assertFails(other, 502, ErrorCode.M_UNKNOWN);
    int asked = origin.federationRequests.get();
    MxcUri third = MxcUri.of("origin.test", "third");
    assertThatThrownBy(() -> download(third))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.getMessage()).contains("Not retrying"));
    assertThat(origin.federationRequests.get())
        .as("a backed-off server is not asked")
        .isEqualTo(asked);
  }

  @Test
  void anUnreachableServerIs502() throws Exception {
    origin.close();
    assertFails(REMOTE, 502, ErrorCode.M_UNKNOWN);
  }

  @Test
  void policyIsHonouredWithoutAskingTheOrigin() throws Exception {
    assertThatThrownBy(
            () -> f.repo.download(REMOTE, DownloadOptions.defaults().withAllowRemote(false)))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
    f.close();
    f = fixture(b -> b.preventMediaDownloadsFrom(Set.of("origin.test")));
    assertFails(REMOTE, 404, ErrorCode.M_NOT_FOUND);
    f.close();
    f = fixture(b -> b.federationDomainWhitelist(Set.of("friend.test")));
    assertFails(REMOTE, 404, ErrorCode.M_NOT_FOUND);
    assertThat(origin.federationRequests.get()).isZero();
  }

  @Test
  void remoteThumbnailsAreGeneratedLocally() throws Exception {
    byte[] png = TestImages.encode(TestImages.noisy(400, 300, 5), "png");
    origin.federation = FakeOrigin.multipartAnswer(png, "image/png", "inline; filename=p.png");
    try (MediaResponse thumb =
        f.repo.thumbnail(REMOTE, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults())) {
      assertThat(ImageIO.read(thumb.content().openStream()).getWidth()).isEqualTo(96);
    }
    assertThat(origin.federationRequests.get()).isEqualTo(1);
  }

  @Test
  void purgingOldRemoteMediaIsSafeAgainstADownloadInProgress() throws Exception {
    byte[] bytes = random(200_000);
    origin.federation =
        FakeOrigin.multipartAnswer(
            bytes, "application/octet-stream", "attachment"); // no thumbnails
    download(REMOTE);
    f.clock.advance(Duration.ofDays(31));
    try (MediaResponse streaming = f.repo.download(REMOTE, DownloadOptions.defaults())) {
      f.scheduler.runPeriodicTasks();
      // accessed just now: a purge of media older than a day keeps it
      assertThat(
              f.repo
                  .admin()
                  .purgeRemoteMediaAccessedBefore(f.clock.instant().minus(Duration.ofDays(1))))
          .isZero();
      assertThat(f.repo.admin().purgeRemoteMediaAccessedBefore(f.clock.instant().plusSeconds(1)))
          .isEqualTo(1);
      try (InputStream in = streaming.content().openStream()) {
        assertThat(in.readAllBytes()).isEqualTo(bytes);
      }
    }
    assertThat(f.store.remoteMedia(REMOTE)).isEmpty();
    assertThat(f.files().stream().filter(p -> p.startsWith("blobs"))).isEmpty();
    assertThat(download(REMOTE)).isEqualTo(bytes);
    assertThat(origin.federationRequests.get()).as("fetched again after the purge").isEqualTo(2);
  }

  @Test
  void quarantinedRemoteMediaIs404AndIsNotFetchedAgain() throws Exception {
    origin.federation = FakeOrigin.multipartAnswer(random(100), "image/png", "inline");
    download(REMOTE);
    f.repo.admin().quarantine(REMOTE);
    assertThatThrownBy(() -> download(REMOTE))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
    assertThat(origin.federationRequests.get()).isEqualTo(1);
  }
}
