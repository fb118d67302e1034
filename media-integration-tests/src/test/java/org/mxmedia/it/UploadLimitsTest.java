package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxmedia.it.Fixture.ALICE;
import static org.mxmedia.it.Fixture.BOB;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.PendingUpload;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.RateLimiter;
import org.mxmedia.spi.SpamChecker;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.spi.UploadPolicy.Quota;

/**
 * Synapse's {@code media_upload_limits} and {@code max_upload_size} at their edges, the per-user
 * rate limiter, and the spam checker: every refusal leaves no record, no blob and no staging file.
 */
class UploadLimitsTest {
  @TempDir Path dir;
  Fixture f;

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  private Fixture fixture(UnaryOperator<MediaRepository.Builder> customize) {
    return new Fixture(dir, MediaStore.inMemory(), customize);
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) seed);
    b[0] = (byte) (seed >> 8); // distinct contents per (n, seed)
    return b;
  }

  private MxcUri upload(int n, int seed) {
    return f.repo.upload(
        ALICE,
        UploadRequest.of("application/octet-stream").withDeclaredLength(n),
        new ByteArrayInputStream(bytes(n, seed)));
  }

  /** An upload without a declared length, so the limit can only be found while streaming. */
  private MxcUri streamed(int n, int seed) {
    return f.repo.upload(
        ALICE,
        UploadRequest.of("application/octet-stream"),
        new ByteArrayInputStream(bytes(n, seed)));
  }

  private void assertRefusedLeavingNothing(Runnable upload, int status, ErrorCode code)
      throws IOException {
    TreeSet<String> before = f.files();
    MediaUsage usage = f.store.usage(ALICE, Instant.EPOCH);
    assertThatThrownBy(upload::run)
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).as(e.getMessage()).isEqualTo(status);
              assertThat(e.errorCode()).isEqualTo(code);
            });
    assertThat(f.files()).as("no blob, no staging file").isEqualTo(before);
    assertThat(f.store.usage(ALICE, Instant.EPOCH)).as("no record").isEqualTo(usage);
  }

  // ---- media_upload_limits

  @Test
  void quotasAcceptAnUploadExactlyAtTheLimitAndRefuseOneByteMoreInEachPeriod() throws Exception {
    f =
        fixture(
            b ->
                b.uploadPolicy(
                    UploadPolicy.perUserQuotas(
                        List.of(
                            new Quota(DataSize.bytes(100), Duration.ofDays(1)),
                            new Quota(DataSize.bytes(150), Duration.ofDays(7))))));
    upload(60, 1);
    upload(40, 2); // exactly 100 today
    assertRefusedLeavingNothing(() -> upload(1, 3), 400, ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);
    assertRefusedLeavingNothing(() -> streamed(1, 3), 400, ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);
    f.repo.upload(BOB, UploadRequest.empty(), new ByteArrayInputStream(bytes(100, 4))); // per user

    // one day later the first uploads are out of the daily period (Synapse counts created_ts > now
    // - period)
    f.clock.advance(Duration.ofDays(1));
    assertRefusedLeavingNothing(
        () -> upload(51, 5), 400, ErrorCode.M_RESOURCE_LIMIT_EXCEEDED); // weekly: 100 + 51 > 150
    assertRefusedLeavingNothing(() -> streamed(51, 5), 400, ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);
    upload(50, 6); // exactly 150 this week
    assertRefusedLeavingNothing(() -> upload(1, 7), 400, ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);

    f.clock.advance(Duration.ofDays(6)); // the first two are out of the week; 50 left this week
    assertRefusedLeavingNothing(
        () -> upload(101, 8), 400, ErrorCode.M_RESOURCE_LIMIT_EXCEEDED); // daily
    upload(100, 9);
    assertThat(f.stagingFiles()).isEmpty();
  }

  @Test
  void anUploadCrossingTheQuotaMidStreamIsCutOffBeforeItsEnd() throws Exception {
    f =
        fixture(
            b ->
                b.uploadPolicy(
                    UploadPolicy.perUserQuota(DataSize.kibibytes(100), Duration.ofDays(1))));
    AtomicLong read = new AtomicLong();
    byte[] big = bytes(10 * 1024 * 1024, 1);
    InputStream counting =
        new ByteArrayInputStream(big) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            int n = super.read(b, off, len);
            if (n > 0) {
              read.addAndGet(n);
            }
            return n;
          }
        };
    assertRefusedLeavingNothing(
        () -> f.repo.upload(ALICE, UploadRequest.empty(), counting),
        400,
        ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);
    assertThat(read.get())
        .as("read at most one buffer past the quota")
        .isLessThanOrEqualTo(100 * 1024 + 64 * 1024);
  }

  @Test
  void maxUploadSizeAcceptsExactlyTheLimitAndRefusesOneByteMoreWith413() throws Exception {
    f =
        fixture(
            b ->
                b.config(
                    MediaConfig.defaults().rebuild().maxUploadSize(DataSize.bytes(1000)).build()));
    upload(1000, 1);
    streamed(1000, 2);
    assertRefusedLeavingNothing(() -> upload(1001, 3), 413, ErrorCode.M_TOO_LARGE);
    assertRefusedLeavingNothing(() -> streamed(1001, 3), 413, ErrorCode.M_TOO_LARGE);
  }

  @Test
  void aPolicysOwnPerUserMaximumIsEnforcedAndReported() throws Exception {
    UploadPolicy small =
        new UploadPolicy() {
          @Override
          public Allowance admit(Attempt attempt) {
            return Allowance.UNLIMITED;
          }

          @Override
          public Optional<DataSize> maxUploadSize(UserId user) {
            return user.equals(ALICE) ? Optional.of(DataSize.bytes(10)) : Optional.empty();
          }
        };
    f =
        fixture(
            b ->
                b.uploadPolicy(small)
                    .config(
                        MediaConfig.defaults()
                            .rebuild()
                            .maxUploadSize(DataSize.bytes(1000))
                            .build()));
    assertThat(f.repo.maxUploadSize(ALICE)).isEqualTo(DataSize.bytes(10));
    assertThat(f.repo.maxUploadSize(BOB)).isEqualTo(DataSize.bytes(1000));
    upload(10, 1);
    assertRefusedLeavingNothing(() -> upload(11, 2), 413, ErrorCode.M_TOO_LARGE);
  }

  @Test
  void quotasDoNotLowerTheReportedMaximumAsInSynapse() {
    f =
        fixture(
            b ->
                b.uploadPolicy(UploadPolicy.perUserQuota(DataSize.bytes(100), Duration.ofDays(1))));
    upload(100, 1);
    assertThat(f.repo.maxUploadSize(ALICE)).isEqualTo(MediaConfig.defaults().maxUploadSize());
  }

  // ---- the rate limiter

  @Test
  void theRateLimiterRefusesUploadsAndCreatesPastTheBurstWithTheWaitUntilTheBucketDrains()
      throws Exception {
    MutableClock limiterClock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    f =
        fixture(
            b ->
                b.rateLimiter(
                    RateLimiter.leakyBucket(
                        Map.of(
                            RateLimiter.Action.UPLOAD, new RateLimiter.Rate(0.5, 2),
                            RateLimiter.Action.CREATE, new RateLimiter.Rate(1, 1)),
                        limiterClock)));
    upload(1, 1);
    upload(1, 2);
    assertRefusedLeavingNothing(() -> upload(1, 3), 429, ErrorCode.M_LIMIT_EXCEEDED);
    assertThatThrownBy(() -> upload(1, 3))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(2)));
    f.repo.upload(BOB, UploadRequest.empty(), new ByteArrayInputStream(bytes(1, 4))); // per user
    limiterClock.advance(Duration.ofMillis(1500));
    assertThatThrownBy(() -> upload(1, 3))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.retryAfter()).hasValue(Duration.ofMillis(500)));
    limiterClock.advance(Duration.ofMillis(500));
    upload(1, 3);

    PendingUpload pending = f.repo.createPending(ALICE);
    assertThatThrownBy(() -> f.repo.createPending(ALICE))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).isEqualTo(429);
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_LIMIT_EXCEEDED);
              assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(1));
            });
    // sending a pending upload's bytes is an upload too
    assertRefusedLeavingNothing(
        () ->
            f.repo.uploadPending(
                pending.uri(), ALICE, UploadRequest.empty(), new ByteArrayInputStream(bytes(1, 9))),
        429,
        ErrorCode.M_LIMIT_EXCEEDED);
    limiterClock.advance(Duration.ofSeconds(2));
    f.repo.uploadPending(
        pending.uri(), ALICE, UploadRequest.empty(), new ByteArrayInputStream(bytes(1, 9)));
    f.repo.createPending(ALICE);
  }

  // ---- the spam checker

  @Test
  void aRejectedUploadIs400ForbiddenAndLeavesNoRecordNoBlobAndNoStagingFile() throws Exception {
    List<byte[]> seen = new ArrayList<>();
    List<SpamChecker.Upload> asked = new ArrayList<>();
    f =
        fixture(
            b ->
                b.spamChecker(
                    upload -> {
                      asked.add(upload);
                      try (InputStream in = upload.open()) {
                        byte[] b2 = in.readAllBytes();
                        seen.add(b2);
                        return b2[0] != 'X';
                      }
                    }));
    byte[] spam = "X marks the spam".getBytes(StandardCharsets.UTF_8);
    assertRefusedLeavingNothing(
        () ->
            f.repo.upload(
                ALICE,
                UploadRequest.of("text/plain").withFileName("s.txt"),
                new ByteArrayInputStream(spam)),
        400,
        ErrorCode.M_FORBIDDEN);
    assertThat(seen.get(0)).as("the checker read the staged bytes").isEqualTo(spam);
    SpamChecker.Upload first = asked.get(0);
    assertThat(first.uploader()).isEqualTo(ALICE);
    assertThat(first.contentType()).isEqualTo("text/plain");
    assertThat(first.fileName()).hasValue("s.txt");
    assertThat(first.size()).isEqualTo(spam.length);
    assertThat(f.files()).isEmpty();

    // the same bytes already stored by an accepted upload stay when a rejected one is refused
    byte[] fine = "fine bytes".getBytes(StandardCharsets.UTF_8);
    MxcUri kept = f.repo.upload(ALICE, UploadRequest.empty(), new ByteArrayInputStream(fine));
    assertThat(f.download(kept)).isEqualTo(fine);

    // a pending upload whose bytes are rejected stays pending, and can be sent again
    PendingUpload pending = f.repo.createPending(ALICE);
    assertRefusedLeavingNothing(
        () ->
            f.repo.uploadPending(
                pending.uri(), ALICE, UploadRequest.empty(), new ByteArrayInputStream(spam)),
        400,
        ErrorCode.M_FORBIDDEN);
    assertThat(f.store.pending(pending.uri().mediaId())).isPresent();
    f.repo.uploadPending(
        pending.uri(), ALICE, UploadRequest.empty(), new ByteArrayInputStream(fine));
    assertThat(f.download(pending.uri())).isEqualTo(fine);
    assertThat(f.stagingFiles()).isEmpty();
  }

  @Test
  void aSpamCheckerThatFailsIs500AndKeepsNothing() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    f =
        fixture(
            b ->
                b.spamChecker(
                    upload -> {
                      if (calls.incrementAndGet() == 1) {
                        throw new IllegalStateException("scanner down at scanner.internal");
                      }
                      throw new IOException("cannot read");
                    }));
    assertThatThrownBy(() -> upload(10, 1))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).isEqualTo(500);
              assertThat(e.getMessage()).doesNotContain("scanner.internal");
            });
    assertThat(f.files()).isEmpty();
    assertRefusedLeavingNothing(() -> upload(10, 1), 500, ErrorCode.M_UNKNOWN);
    assertThat(calls.get()).isEqualTo(2);
  }

  @Test
  void theSpamCheckerRunsOnlyOnUploadsWithinTheLimits() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    f =
        fixture(
            b ->
                b.config(MediaConfig.defaults().rebuild().maxUploadSize(DataSize.bytes(10)).build())
                    .spamChecker(
                        upload -> {
                          calls.incrementAndGet();
                          return true;
                        }));
    assertRefusedLeavingNothing(() -> streamed(11, 1), 413, ErrorCode.M_TOO_LARGE);
    assertThat(calls.get()).isZero();
    upload(10, 1);
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void remoteBytesCountAgainstTheRequesterAndAnOverFullBucketRefusesTheNextFetchWith429()
      throws Exception {
    MutableClock limiterClock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    try (FakeOrigin origin = new FakeOrigin()) {
      byte[] remote = bytes(3000, 7);
      origin.federation =
          FakeOrigin.multipartAnswer(remote, "application/octet-stream", "attachment");
      f =
          fixture(
              b ->
                  b.federationClient(origin.client())
                      .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY)
                      .rateLimiter(
                          RateLimiter.leakyBucket(
                              Map.of(
                                  RateLimiter.Action.REMOTE_DOWNLOAD_BYTES,
                                  new RateLimiter.Rate(1000, 2000)),
                              limiterClock)));
      DownloadOptions asAlice =
          DownloadOptions.defaults().withRequester(ALICE).withTimeout(Duration.ofSeconds(10));
      f.repo
          .download(MxcUri.of("origin.test", "first"), asAlice)
          .close(); // 3000 bytes: over-full by 1000
      assertThatThrownBy(() -> f.repo.download(MxcUri.of("origin.test", "second"), asAlice))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.httpStatus()).isEqualTo(429);
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_LIMIT_EXCEEDED);
                assertThat(e.retryAfter()).hasValue(Duration.ofSeconds(1));
              });
      assertThat(origin.federationRequests.get())
          .as("the refused fetch never reached the origin")
          .isEqualTo(1);
      // cached media costs nothing, other users and requests without a requester are not counted
      f.repo.download(MxcUri.of("origin.test", "first"), asAlice).close();
      f.repo
          .download(
              MxcUri.of("origin.test", "second"), DownloadOptions.defaults().withRequester(BOB))
          .close();
      limiterClock.advance(Duration.ofSeconds(1));
      f.repo.download(MxcUri.of("origin.test", "third"), asAlice).close();
      assertThat(origin.federationRequests.get()).isEqualTo(3);
    }
  }
}
