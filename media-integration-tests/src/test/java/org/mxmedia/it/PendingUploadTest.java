package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxmedia.it.Fixture.ALICE;
import static org.mxmedia.it.Fixture.BOB;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.PendingUpload;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.MediaStore;

/** Asynchronous uploads: create, then upload; and downloads that wait for the bytes. */
class PendingUploadTest {

  @TempDir Path dir;
  Fixture f;

  @BeforeEach
  void setUp() {
    f = new Fixture(dir);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private static ByteArrayInputStream body(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }

  private static void assertError(Runnable r, ErrorCode code, int status) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(code);
              assertThat(e.httpStatus()).isEqualTo(status);
            });
  }

  @Test
  void createThenUploadServesTheBytes() throws Exception {
    PendingUpload p = f.repo.createPending(ALICE);
    assertThat(p.expiresAt()).isEqualTo(f.clock.instant().plus(Duration.ofHours(24)));
    f.repo.uploadPending(
        p.uri(), ALICE, UploadRequest.of("text/plain").withFileName("later.txt"), body("later"));
    assertThat(f.download(p.uri())).isEqualTo("later".getBytes(StandardCharsets.UTF_8));
    assertThat(f.repo.admin().describe(p.uri()).uploadName()).contains("later.txt");
  }

  @Test
  void onlyTheCreatorMayUpload() throws Exception {
    PendingUpload p = f.repo.createPending(ALICE);
    assertError(
        () -> f.repo.uploadPending(p.uri(), BOB, UploadRequest.empty(), body("x")),
        ErrorCode.M_FORBIDDEN,
        403);
    assertThat(f.files()).isEmpty();
  }

  @Test
  void aSecondUploadIs409AndKeepsTheFirst() throws Exception {
    PendingUpload p = f.repo.createPending(ALICE);
    f.repo.uploadPending(p.uri(), ALICE, UploadRequest.empty(), body("first"));
    assertError(
        () -> f.repo.uploadPending(p.uri(), ALICE, UploadRequest.empty(), body("second")),
        ErrorCode.M_CANNOT_OVERWRITE_MEDIA,
        409);
    assertThat(f.download(p.uri())).isEqualTo("first".getBytes(StandardCharsets.UTF_8));
    assertThat(f.files()).hasSize(1);
  }

  @Test
  void unknownForeignAndExpiredIdsAre404() {
    assertError(
        () ->
            f.repo.uploadPending(
                MxcUri.of("example.org", "unknown"), ALICE, UploadRequest.empty(), body("x")),
        ErrorCode.M_NOT_FOUND,
        404);
    assertError(
        () ->
            f.repo.uploadPending(
                MxcUri.of("other.org", "abc"), ALICE, UploadRequest.empty(), body("x")),
        ErrorCode.M_NOT_FOUND,
        404);
    PendingUpload p = f.repo.createPending(ALICE);
    f.clock.advance(Duration.ofHours(24));
    assertError(
        () -> f.repo.uploadPending(p.uri(), ALICE, UploadRequest.empty(), body("x")),
        ErrorCode.M_NOT_FOUND,
        404);
    f.repo
        .admin()
        .purgeExpiredPendingUploads(); // the start-up maintenance run may have purged it already
    assertThat(f.store.pending(p.uri().mediaId())).isEmpty();
    assertError(
        () -> f.repo.uploadPending(p.uri(), ALICE, UploadRequest.empty(), body("x")),
        ErrorCode.M_NOT_FOUND,
        404);
  }

  @Test
  void aUserMayHoldFivePendingUploadsThen429() {
    for (int i = 0; i < 5; i++) {
      f.repo.createPending(ALICE);
    }
    assertThatThrownBy(() -> f.repo.createPending(ALICE))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_LIMIT_EXCEEDED);
              assertThat(e.httpStatus()).isEqualTo(429);
              assertThat(e.retryAfter()).isPresent();
            });
    f.repo.createPending(BOB);
    f.clock.advance(Duration.ofHours(25));
    f.repo.createPending(ALICE);
  }

  @Test
  void completingAPendingUploadFreesItsSlot() {
    PendingUpload[] held = new PendingUpload[5];
    for (int i = 0; i < 5; i++) {
      held[i] = f.repo.createPending(ALICE);
    }
    f.repo.uploadPending(held[0].uri(), ALICE, UploadRequest.empty(), body("done"));
    f.repo.createPending(ALICE);
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aDownloadOfAPendingIdTimesOutWith504() {
    PendingUpload p = f.repo.createPending(ALICE);
    long start = System.nanoTime();
    assertError(
        () ->
            f.repo.download(
                p.uri(), DownloadOptions.defaults().withTimeout(Duration.ofMillis(300))),
        ErrorCode.M_NOT_YET_UPLOADED,
        504);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void aWaitingDownloadGetsTheBytesWhenTheyArrive() throws Exception {
    PendingUpload p = f.repo.createPending(ALICE);
    Callers<byte[]> download =
        Callers.prepare(
                1,
                () -> {
                  try (MediaResponse r =
                      f.repo.download(
                          p.uri(), DownloadOptions.defaults().withTimeout(Duration.ofSeconds(8)))) {
                    return r.content().openStream().readAllBytes();
                  }
                })
            .start();
    download.awaitAllWaiting(
        Duration.ofSeconds(5)); // the download is parked, waiting for the bytes
    f.repo.uploadPending(p.uri(), ALICE, UploadRequest.empty(), body("arrived"));
    assertThat(download.answers(Duration.ofSeconds(5)))
        .containsExactly("arrived".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theWaitIsCappedByTheConfiguredMaximum() {
    PendingUpload p = f.repo.createPending(ALICE);
    // an absurd timeout is capped (120 s by default); a zero timeout waits the minimum, one second
    assertError(
        () -> f.repo.download(p.uri(), DownloadOptions.defaults().withTimeout(Duration.ZERO)),
        ErrorCode.M_NOT_YET_UPLOADED,
        504);
  }

  @Test
  @Timeout(value = 20, unit = TimeUnit.SECONDS)
  void downloadsWaitingForPendingUploadsAreCappedSoTheyCannotHoldEveryThread(@TempDir Path other)
      throws Exception {
    try (Fixture q =
        new Fixture(
            other,
            MediaStore.inMemory(),
            b ->
                b.config(
                    MediaConfig.defaults().rebuild().maxConcurrentRemoteDownloads(4).build()))) {
      PendingUpload p = q.repo.createPending(ALICE);
      ExecutorService pool = Executors.newFixedThreadPool(12);
      List<Future<Integer>> answers = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        answers.add(
            pool.submit(
                () -> {
                  try {
                    q.repo
                        .download(
                            p.uri(), DownloadOptions.defaults().withTimeout(Duration.ofSeconds(3)))
                        .close();
                    return 200;
                  } catch (MediaException e) {
                    return e.httpStatus();
                  }
                }));
      }
      Map<Integer, Integer> statuses = new TreeMap<>();
      for (Future<Integer> a : answers) {
        statuses.merge(a.get(10, TimeUnit.SECONDS), 1, Integer::sum);
      }
      pool.shutdown();
      assertThat(statuses).containsEntry(429, 8).containsEntry(504, 4);
    }
  }

  @Test
  void aFailedPendingUploadCanBeRetried() throws Exception {
    PendingUpload p = f.repo.createPending(ALICE);
    assertError(
        () ->
            f.repo.uploadPending(
                p.uri(), ALICE, UploadRequest.empty().withDeclaredLength(100), body("short")),
        ErrorCode.M_UNKNOWN,
        400);
    assertThat(f.files()).isEmpty();
    f.repo.uploadPending(p.uri(), ALICE, UploadRequest.empty(), body("retried"));
    assertThat(f.download(p.uri())).isEqualTo("retried".getBytes(StandardCharsets.UTF_8));
  }
}
