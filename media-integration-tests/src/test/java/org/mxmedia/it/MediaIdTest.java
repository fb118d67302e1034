package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxmedia.it.Fixture.ALICE;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository.PendingUpload;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaIdGenerator;
import org.mxmedia.spi.MediaStore;

/**
 * Invariant 6 for ids: new media and pending uploads get exactly the ids the injected generator
 * gives; an id already used (by media or by a pending upload) is never reused but another is asked
 * for; and a generator that only gives used ids ends in a clear 500 that leaves nothing behind.
 */
class MediaIdTest {
  @TempDir Path dir;

  /** Gives the ids it was made with, in order, then fails the test if asked again. */
  static final class Sequence implements MediaIdGenerator {
    private final Deque<String> ids;
    final AtomicInteger asked = new AtomicInteger();

    Sequence(String... ids) {
      this.ids = new ArrayDeque<>(List.of(ids));
    }

    @Override
    public synchronized MediaId next() {
      asked.incrementAndGet();
      String id = ids.poll();
      if (id == null) {
        throw new AssertionError("the generator was asked for more ids than the test expected");
      }
      return new MediaId(id);
    }
  }

  private Fixture fixture(MediaIdGenerator ids) {
    return new Fixture(dir, MediaStore.inMemory(), ids, b -> b);
  }

  private static String sha256(String text) throws Exception {
    return HexFormat.of()
        .formatHex(
            MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static void assertIdsExhausted(Throwable e) {
    assertThat(e)
        .isInstanceOfSatisfying(
            MediaException.class,
            m -> {
              assertThat(m.httpStatus()).isEqualTo(500);
              assertThat(m.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
              assertThat(m.getMessage())
                  .as("names the exhaustion")
                  .contains("media id")
                  .contains("taken");
            });
  }

  @Test
  void uploadsAndPendingUploadsGetExactlyTheGeneratorsIds() throws Exception {
    Sequence ids = new Sequence("firstUpload", "secondUpload", "aPendingOne", "third_Upload-3");
    try (Fixture f = fixture(ids)) {
      assertThat(f.upload("one")).isEqualTo(MxcUri.of("example.org", "firstUpload"));
      assertThat(f.upload("two")).isEqualTo(MxcUri.of("example.org", "secondUpload"));
      assertThat(f.repo.createPending(ALICE).uri())
          .isEqualTo(MxcUri.of("example.org", "aPendingOne"));
      assertThat(f.upload("three")).isEqualTo(MxcUri.of("example.org", "third_Upload-3"));
      assertThat(ids.asked.get()).isEqualTo(4);
      assertThat(f.download(MxcUri.of("example.org", "secondUpload")))
          .isEqualTo("two".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void anUploadWhoseIdIsTakenGetsTheNextIdAndTheTakenMediaIsUntouched() throws Exception {
    Sequence ids = new Sequence("taken", "taken", "fresh");
    try (Fixture f = fixture(ids)) {
      MxcUri first = f.upload("the original");
      MxcUri second = f.upload("another file");

      assertThat(second).isEqualTo(MxcUri.of("example.org", "fresh"));
      assertThat(ids.asked.get()).isEqualTo(3);
      assertThat(f.download(first))
          .as("never overwritten")
          .isEqualTo("the original".getBytes(StandardCharsets.UTF_8));
      assertThat(f.download(second)).isEqualTo("another file".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void anIdTakenByAPendingUploadIsNotGivenToAnUploadAndTheOtherWayRound() throws Exception {
    Sequence ids = new Sequence("pending1", "pending1", "media1", "media1", "pending2");
    try (Fixture f = fixture(ids)) {
      PendingUpload pending = f.repo.createPending(ALICE);
      assertThat(pending.uri().mediaId().value()).isEqualTo("pending1");
      assertThat(f.upload("bytes").mediaId().value())
          .as("pending1 belongs to a pending upload")
          .isEqualTo("media1");
      assertThat(f.repo.createPending(ALICE).uri().mediaId().value())
          .as("media1 belongs to media")
          .isEqualTo("pending2");
      assertThat(ids.asked.get()).isEqualTo(5);
      assertThat(f.store.pending(pending.uri().mediaId())).isPresent();
    }
  }

  @Test
  void aPendingUploadWhoseIdIsTakenGetsTheNextId() {
    Sequence ids = new Sequence("p1", "p1", "p2");
    try (Fixture f = fixture(ids)) {
      f.repo.createPending(ALICE);
      assertThat(f.repo.createPending(ALICE).uri().mediaId().value()).isEqualTo("p2");
      assertThat(ids.asked.get()).isEqualTo(3);
    }
  }

  @Test
  void anUploadWhenEveryIdIsTakenIsAClear500AndLeavesNothing() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    MediaIdGenerator alwaysTaken =
        () -> {
          asked.incrementAndGet();
          return new MediaId("taken");
        };
    try (Fixture f = fixture(alwaysTaken)) {
      MxcUri taken = f.upload("the original");
      Set<String> filesBefore = f.files();
      MediaUsage usageBefore = f.repo.admin().usage(ALICE, f.clock.instant().minusSeconds(60));
      asked.set(0);

      assertThatThrownBy(() -> f.upload("a new file")).satisfies(MediaIdTest::assertIdsExhausted);

      assertThat(asked.get()).as("ids asked for before giving up").isGreaterThan(1).isLessThan(100);
      assertThat(f.files()).as("no blob and no staging file left").isEqualTo(filesBefore);
      assertThat(f.store.blobReferences(BlobKey.of(sha256("a new file")))).isZero();
      assertThat(f.store.unreferencedBlobs(10)).isEmpty();
      assertThat(f.repo.admin().usage(ALICE, f.clock.instant().minusSeconds(60)))
          .as("nothing recorded")
          .isEqualTo(usageBefore);
      assertThat(f.download(taken)).isEqualTo("the original".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aPendingUploadWhenEveryIdIsTakenIsAClear500AndLeavesNothing() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    MediaIdGenerator alwaysTaken =
        () -> {
          asked.incrementAndGet();
          return new MediaId("taken");
        };
    try (Fixture f = fixture(alwaysTaken)) {
      MxcUri taken = f.upload("the original");
      asked.set(0);

      assertThatThrownBy(() -> f.repo.createPending(ALICE))
          .satisfies(MediaIdTest::assertIdsExhausted);

      assertThat(asked.get()).as("ids asked for before giving up").isGreaterThan(1).isLessThan(100);
      assertThat(f.store.pending(taken.mediaId())).as("no pending upload recorded").isEmpty();
      assertThat(f.download(taken)).isEqualTo("the original".getBytes(StandardCharsets.UTF_8));
      // the failures took none of Alice's pending slots
      for (int i = 0; i < f.repo.config().maxPendingUploadsPerUser(); i++) {
        assertThatThrownBy(() -> f.repo.createPending(ALICE))
            .satisfies(MediaIdTest::assertIdsExhausted);
      }
    }
  }
}
