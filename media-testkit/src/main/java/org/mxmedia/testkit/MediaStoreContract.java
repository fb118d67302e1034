package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.mxmedia.MediaAdmin.MediaQuery;
import org.mxmedia.MediaAdmin.MediaUsage;
import org.mxmedia.MediaAdmin.Page;
import org.mxmedia.MediaAdmin.StatisticsQuery;
import org.mxmedia.MediaAdmin.UserMediaStatistics;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingInsert;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.Reservation;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.spi.MediaStore.UrlPreviewRecord;

/**
 * The promises of {@link MediaStore}, for any implementation: extend this class and return a new,
 * empty store from {@link #newStore()}.
 */
public abstract class MediaStoreContract {

  protected static final UserId ALICE = UserId.of("@alice:example.org");
  protected static final UserId BOB = UserId.of("@bob:example.org");
  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  private MediaStore store;

  /** A new store with no media, no pending uploads and no blobs. */
  protected abstract MediaStore newStore() throws Exception;

  @BeforeEach
  void createStore() throws Exception {
    store = newStore();
  }

  /** The store under test. */
  protected MediaStore store() {
    return store;
  }

  protected static BlobKey blob(int n) {
    byte[] digest = new byte[32];
    digest[0] = (byte) n;
    digest[31] = (byte) (n >> 8);
    return BlobKey.of(HexFormat.of().formatHex(digest));
  }

  protected static LocalMedia media(
      String id, BlobKey blob, UserId uploader, Instant at, long size) {
    return LocalMedia.uploaded(
        MediaId.of(id), "image/png", Optional.of("cat.png"), uploader, size, blob, at);
  }

  private LocalMedia insertReserved(String id, BlobKey blob) {
    assertThat(store.reserveBlob(blob)).isEqualTo(Reservation.RESERVED);
    LocalMedia m = media(id, blob, ALICE, T0, 10);
    assertThat(store.insertLocalMedia(m)).isTrue();
    return m;
  }

  // ---- local media

  @Test
  void insertedMediaIsReadBackEqual() {
    BlobKey b = blob(1);
    store.reserveBlob(b);
    LocalMedia m =
        LocalMedia.uploaded(
            MediaId.of("abc"),
            "text/plain; charset=latin1",
            Optional.of("Grüße.txt"),
            ALICE,
            1234,
            b,
            T0);
    assertThat(store.insertLocalMedia(m)).isTrue();
    assertThat(store.localMedia(MediaId.of("abc"))).contains(m);
    assertThat(store.localMedia(MediaId.of("other"))).isEmpty();
  }

  @Test
  void mediaWithoutUploadNameKeepsItAbsent() {
    BlobKey b = blob(1);
    store.reserveBlob(b);
    LocalMedia m =
        LocalMedia.uploaded(
            MediaId.of("abc"), "application/octet-stream", Optional.empty(), ALICE, 0, b, T0);
    store.insertLocalMedia(m);
    assertThat(store.localMedia(MediaId.of("abc")).orElseThrow().uploadName()).isEmpty();
  }

  @Test
  void insertOfTakenIdIsRefusedAndChangesNothing() {
    LocalMedia first = insertReserved("abc", blob(1));
    store.reserveBlob(blob(2));
    assertThat(store.insertLocalMedia(media("abc", blob(2), BOB, T0, 99))).isFalse();
    assertThat(store.localMedia(MediaId.of("abc"))).contains(first);
  }

  @Test
  void insertOfIdTakenByPendingUploadIsRefused() {
    store.insertPending(new PendingMedia(MediaId.of("abc"), ALICE, T0, T0.plusSeconds(60)), 5, T0);
    store.reserveBlob(blob(1));
    assertThat(store.insertLocalMedia(media("abc", blob(1), ALICE, T0, 1))).isFalse();
  }

  @Test
  void deleteReturnsTheRecordAndDropsItsReference() {
    LocalMedia m = insertReserved("abc", blob(1));
    assertThat(store.blobReferences(blob(1))).isEqualTo(1);
    assertThat(store.deleteLocalMedia(MediaId.of("abc"))).contains(m);
    assertThat(store.localMedia(MediaId.of("abc"))).isEmpty();
    assertThat(store.blobReferences(blob(1))).isZero();
    assertThat(store.deleteLocalMedia(MediaId.of("abc"))).isEmpty();
  }

  @Test
  void everyRecordWithTheSameBytesHoldsOneReference() {
    insertReserved("a", blob(1));
    insertReserved("b", blob(1));
    insertReserved("c", blob(2));
    assertThat(store.blobReferences(blob(1))).isEqualTo(2);
    assertThat(store.blobReferences(blob(2))).isEqualTo(1);
    assertThat(store.blobReferences(blob(3))).as("bytes no record has").isZero();
    store.deleteLocalMedia(MediaId.of("a"));
    assertThat(store.blobReferences(blob(1))).isEqualTo(1);
    assertThat(store.localMedia(MediaId.of("b")))
        .as("the other record with those bytes")
        .isPresent();
  }

  @Test
  void recordAccessKeepsTheLatestTimeAndIgnoresUnknownIds() {
    insertReserved("abc", blob(1));
    store.recordAccess(Map.of(MediaId.of("abc"), T0.plusSeconds(100), MediaId.of("unknown"), T0));
    store.recordAccess(Map.of(MediaId.of("abc"), T0.plusSeconds(50)));
    assertThat(store.localMedia(MediaId.of("abc")).orElseThrow().lastAccessedAt())
        .isEqualTo(T0.plusSeconds(100));
    assertThat(store.localMedia(MediaId.of("unknown"))).isEmpty();
  }

  @Test
  void usageCountsOnlyTheUsersUploadsSinceTheGivenTime() {
    store.reserveBlob(blob(1));
    store.insertLocalMedia(media("old", blob(1), ALICE, T0, 100));
    store.reserveBlob(blob(2));
    store.insertLocalMedia(media("new1", blob(2), ALICE, T0.plusSeconds(10), 20));
    store.reserveBlob(blob(3));
    store.insertLocalMedia(media("new2", blob(3), ALICE, T0.plusSeconds(20), 3));
    store.reserveBlob(blob(4));
    store.insertLocalMedia(media("bobs", blob(4), BOB, T0.plusSeconds(20), 1000));
    assertThat(store.usage(ALICE, T0.plusSeconds(10))).isEqualTo(new MediaUsage(2, 23));
    assertThat(store.usage(ALICE, T0)).isEqualTo(new MediaUsage(3, 123));
    assertThat(store.usage(UserId.of("@carol:example.org"), T0)).isEqualTo(MediaUsage.NONE);
  }

  // ---- quarantine and protection

  @Test
  void quarantineAndReleaseOfOneMedia() {
    insertReserved("abc", blob(1));
    assertThat(store.setQuarantined(MediaId.of("abc"), true).orElseThrow().quarantined()).isTrue();
    assertThat(store.localMedia(MediaId.of("abc")).orElseThrow().quarantined()).isTrue();
    assertThat(store.setQuarantined(MediaId.of("abc"), false).orElseThrow().quarantined())
        .isFalse();
    assertThat(store.setQuarantined(MediaId.of("nope"), true)).isEmpty();
  }

  @Test
  void protectedMediaIsNeverQuarantined() {
    insertReserved("abc", blob(1));
    store.setSafeFromQuarantine(MediaId.of("abc"), true);
    assertThat(store.setQuarantined(MediaId.of("abc"), true).orElseThrow().quarantined()).isFalse();
    assertThat(store.setQuarantinedByHash(blob(1), true)).isZero();
    assertThat(store.localMedia(MediaId.of("abc")).orElseThrow().quarantined()).isFalse();
    store.setSafeFromQuarantine(MediaId.of("abc"), false);
    assertThat(store.setQuarantined(MediaId.of("abc"), true).orElseThrow().quarantined()).isTrue();
  }

  @Test
  void quarantineByHashCoversExistingAndLaterMediaWithThoseBytes() {
    insertReserved("a", blob(1));
    insertReserved("b", blob(1));
    insertReserved("other", blob(2));
    assertThat(store.setQuarantinedByHash(blob(1), true)).isEqualTo(2);
    assertThat(store.localMedia(MediaId.of("a")).orElseThrow().quarantined()).isTrue();
    assertThat(store.localMedia(MediaId.of("b")).orElseThrow().quarantined()).isTrue();
    assertThat(store.localMedia(MediaId.of("other")).orElseThrow().quarantined()).isFalse();

    insertReserved("later", blob(1));
    assertThat(store.localMedia(MediaId.of("later")).orElseThrow().quarantined()).isTrue();

    store.insertPending(new PendingMedia(MediaId.of("pend"), ALICE, T0, T0.plusSeconds(60)), 5, T0);
    store.reserveBlob(blob(1));
    assertThat(store.completePending(media("pend", blob(1), ALICE, T0, 10))).isTrue();
    assertThat(store.localMedia(MediaId.of("pend")).orElseThrow().quarantined()).isTrue();

    assertThat(store.setQuarantinedByHash(blob(1), false)).isEqualTo(4);
    assertThat(store.localMedia(MediaId.of("later")).orElseThrow().quarantined()).isFalse();
    insertReserved("afterRelease", blob(1));
    assertThat(store.localMedia(MediaId.of("afterRelease")).orElseThrow().quarantined()).isFalse();
  }

  // ---- pending uploads

  @Test
  void pendingUploadsAreLimitedPerOwnerCountingOnlyUnexpiredOnes() {
    for (int i = 0; i < 3; i++) {
      assertThat(
              store.insertPending(
                  new PendingMedia(MediaId.of("p" + i), ALICE, T0, T0.plusSeconds(60)), 3, T0))
          .isEqualTo(PendingInsert.INSERTED);
    }
    assertThat(
            store.insertPending(
                new PendingMedia(MediaId.of("p3"), ALICE, T0, T0.plusSeconds(60)), 3, T0))
        .isEqualTo(PendingInsert.LIMIT_REACHED);
    assertThat(store.pending(MediaId.of("p3"))).isEmpty();
    assertThat(
            store.insertPending(
                new PendingMedia(MediaId.of("b0"), BOB, T0, T0.plusSeconds(60)), 3, T0))
        .isEqualTo(PendingInsert.INSERTED);
    Instant later = T0.plusSeconds(61);
    assertThat(
            store.insertPending(
                new PendingMedia(MediaId.of("p4"), ALICE, later, later.plusSeconds(60)), 3, later))
        .isEqualTo(PendingInsert.INSERTED);
  }

  @Test
  void pendingIdTakenByMediaOrPendingIsRefused() {
    insertReserved("abc", blob(1));
    assertThat(
            store.insertPending(
                new PendingMedia(MediaId.of("abc"), ALICE, T0, T0.plusSeconds(1)), 5, T0))
        .isEqualTo(PendingInsert.ID_TAKEN);
    store.insertPending(new PendingMedia(MediaId.of("p"), ALICE, T0, T0.plusSeconds(1)), 5, T0);
    assertThat(
            store.insertPending(
                new PendingMedia(MediaId.of("p"), BOB, T0, T0.plusSeconds(1)), 5, T0))
        .isEqualTo(PendingInsert.ID_TAKEN);
    assertThat(store.pending(MediaId.of("p")).orElseThrow().owner()).isEqualTo(ALICE);
  }

  @Test
  void pendingUploadCompletesExactlyOnce() {
    PendingMedia p = new PendingMedia(MediaId.of("p"), ALICE, T0, T0.plusSeconds(60));
    store.insertPending(p, 5, T0);
    assertThat(store.pending(MediaId.of("p"))).contains(p);
    store.reserveBlob(blob(1));
    LocalMedia m = media("p", blob(1), ALICE, T0.plusSeconds(5), 7);
    assertThat(store.completePending(m)).isTrue();
    assertThat(store.pending(MediaId.of("p"))).isEmpty();
    assertThat(store.localMedia(MediaId.of("p"))).contains(m);

    store.reserveBlob(blob(2));
    assertThat(store.completePending(media("p", blob(2), ALICE, T0, 1))).isFalse();
    assertThat(store.localMedia(MediaId.of("p"))).contains(m);
    assertThat(store.completePending(media("never", blob(2), ALICE, T0, 1))).isFalse();
    assertThat(store.localMedia(MediaId.of("never"))).isEmpty();
  }

  @Test
  void expiredPendingUploadsArePurged() {
    store.insertPending(new PendingMedia(MediaId.of("old"), ALICE, T0, T0.plusSeconds(10)), 5, T0);
    store.insertPending(
        new PendingMedia(MediaId.of("young"), ALICE, T0, T0.plusSeconds(100)), 5, T0);
    assertThat(store.deleteExpiredPending(T0.plusSeconds(10))).isEqualTo(1);
    assertThat(store.pending(MediaId.of("old"))).isEmpty();
    assertThat(store.pending(MediaId.of("young"))).isPresent();
  }

  // ---- cached remote media

  protected static RemoteMedia remote(String server, String id, BlobKey blob, Instant at) {
    return RemoteMedia.cached(
        ServerName.of(server), MediaId.of(id), "image/png", Optional.of("r.png"), 10, blob, at);
  }

  @Test
  void cachedRemoteMediaIsReadBackAndHoldsItsBlob() {
    RemoteMedia r = remote("other.org", "abc", blob(1), T0);
    store.reserveBlob(blob(1));
    assertThat(store.insertRemoteMedia(r)).isTrue();
    assertThat(store.remoteMedia(r.uri())).contains(r);
    assertThat(store.remoteMedia(MxcUri.of("third.org", "abc"))).isEmpty();
    assertThat(store.localMedia(MediaId.of("abc"))).as("remote media is not local media").isEmpty();
    assertThat(store.blobReferences(blob(1))).isEqualTo(1);
    store.reserveBlob(blob(2));
    assertThat(store.insertRemoteMedia(remote("other.org", "abc", blob(2), T0))).isFalse();
    assertThat(store.deleteRemoteMedia(r.uri())).contains(r);
    assertThat(store.blobReferences(blob(1))).isZero();
    assertThat(store.deleteRemoteMedia(r.uri())).isEmpty();
  }

  @Test
  void remoteMediaIsListedByLastAccessForPurging() {
    for (int i = 0; i < 5; i++) {
      store.reserveBlob(blob(i + 1));
      store.insertRemoteMedia(remote("other.org", "m" + i, blob(i + 1), T0.plusSeconds(i * 10)));
    }
    store.recordRemoteAccess(
        Map.of(
            MxcUri.of("other.org", "m0"), T0.plusSeconds(100), MxcUri.of("nowhere.org", "x"), T0));
    assertThat(store.remoteMediaAccessedBefore(T0.plusSeconds(35), 10))
        .extracting(m -> m.mediaId().value())
        .containsExactly("m1", "m2", "m3");
    assertThat(store.remoteMediaAccessedBefore(T0.plusSeconds(35), 2)).hasSize(2);
    assertThat(store.remoteMedia(MxcUri.of("other.org", "m0")).orElseThrow().lastAccessedAt())
        .isEqualTo(T0.plusSeconds(100));
  }

  @Test
  void remoteMediaIsQuarantinedByItselfAndByHash() {
    RemoteMedia r = remote("other.org", "abc", blob(1), T0);
    store.reserveBlob(blob(1));
    store.insertRemoteMedia(r);
    assertThat(store.setRemoteQuarantined(r.uri(), true).orElseThrow().quarantined()).isTrue();
    assertThat(store.setRemoteQuarantined(r.uri(), false).orElseThrow().quarantined()).isFalse();
    assertThat(store.setQuarantinedByHash(blob(1), true)).isEqualTo(1);
    assertThat(store.remoteMedia(r.uri()).orElseThrow().quarantined()).isTrue();
    store.reserveBlob(blob(1));
    store.insertRemoteMedia(remote("third.org", "later", blob(1), T0));
    assertThat(store.remoteMedia(MxcUri.of("third.org", "later")).orElseThrow().quarantined())
        .isTrue();
    assertThat(store.setRemoteQuarantined(MxcUri.of("x.org", "y"), true)).isEmpty();
  }

  // ---- thumbnails

  protected static ThumbnailRecord thumb(
      BlobKey source, int w, int h, ThumbnailMethod method, BlobKey blob) {
    return new ThumbnailRecord(source, w, h, method, false, "image/jpeg", 100, blob, T0);
  }

  @Test
  void thumbnailsAreStoredPerSourceAndHoldTheirBlob() {
    BlobKey source = blob(1);
    ThumbnailRecord a = thumb(source, 32, 32, ThumbnailMethod.CROP, blob(10));
    ThumbnailRecord b = thumb(source, 320, 240, ThumbnailMethod.SCALE, blob(11));
    store.reserveBlob(blob(10));
    store.reserveBlob(blob(11));
    assertThat(store.insertThumbnail(a)).isTrue();
    assertThat(store.insertThumbnail(b)).isTrue();
    assertThat(store.thumbnails(source)).containsExactlyInAnyOrder(a, b);
    assertThat(store.thumbnails(blob(2))).isEmpty();
    assertThat(store.blobReferences(blob(10))).isEqualTo(1);
  }

  @Test
  void aDuplicateThumbnailIsRefused() {
    BlobKey source = blob(1);
    store.reserveBlob(blob(10));
    store.insertThumbnail(thumb(source, 32, 32, ThumbnailMethod.CROP, blob(10)));
    store.reserveBlob(blob(12));
    assertThat(store.insertThumbnail(thumb(source, 32, 32, ThumbnailMethod.CROP, blob(12))))
        .isFalse();
    assertThat(store.thumbnails(source))
        .extracting(ThumbnailRecord::blob)
        .containsExactly(blob(10));
    ThumbnailRecord animated =
        new ThumbnailRecord(
            source, 32, 32, ThumbnailMethod.CROP, true, "image/gif", 5, blob(12), T0);
    assertThat(store.insertThumbnail(animated)).as("animated is another thumbnail").isTrue();
  }

  @Test
  void deletingThumbnailsDropsTheirReferences() {
    BlobKey source = blob(1);
    ThumbnailRecord a = thumb(source, 32, 32, ThumbnailMethod.CROP, blob(10));
    ThumbnailRecord b = thumb(source, 96, 96, ThumbnailMethod.CROP, blob(10));
    store.reserveBlob(blob(10));
    store.reserveBlob(blob(10));
    store.insertThumbnail(a);
    store.insertThumbnail(b);
    ThumbnailRecord aElsewhere = thumb(source, 32, 32, ThumbnailMethod.CROP, blob(11));
    assertThat(store.deleteThumbnail(aElsewhere))
        .as("same key, another blob: a record regenerated since")
        .isFalse();
    assertThat(store.thumbnails(source)).contains(a);
    assertThat(store.deleteThumbnail(a)).isTrue();
    assertThat(store.deleteThumbnail(a)).isFalse();
    assertThat(store.blobReferences(blob(10))).isEqualTo(1);
    assertThat(store.deleteThumbnails(source)).containsExactly(b);
    assertThat(store.blobReferences(blob(10))).isZero();
    assertThat(store.thumbnails(source)).isEmpty();
    assertThat(store.deleteThumbnails(source)).isEmpty();
  }

  // ---- blobs

  @Test
  void reservationsCountAndReleaseDropsThem() {
    BlobKey b = blob(7);
    assertThat(store.blobReferences(b)).isZero();
    store.reserveBlob(b);
    store.reserveBlob(b);
    assertThat(store.blobReferences(b)).isEqualTo(2);
    store.releaseBlob(b);
    assertThat(store.blobReferences(b)).isEqualTo(1);
  }

  /** A blob at count zero, not claimed. */
  private BlobKey unreferenced(int n) {
    BlobKey b = blob(n);
    store.reserveBlob(b);
    store.releaseBlob(b);
    return b;
  }

  @Test
  void onlyAnUnreferencedBlobCanBeClaimedAndOnlyOnce() {
    BlobKey b = blob(7);
    store.reserveBlob(b);
    assertThat(store.claimBlobForDeletion(b, T0)).isFalse();
    store.releaseBlob(b);
    assertThat(store.unreferencedBlobs(10)).contains(b);
    assertThat(store.claimBlobForDeletion(b, T0)).isTrue();
    assertThat(store.claimBlobForDeletion(b, T0.plusSeconds(1))).as("a claimed blob").isFalse();
    assertThat(store.reserveBlob(b)).isEqualTo(Reservation.BEING_DELETED);
    assertThat(store.blobReferences(b)).isZero();
    assertThat(store.unreferencedBlobs(10)).as("a claimed blob is still listed").contains(b);
    store.forgetBlob(b, T0);
    assertThat(store.unreferencedBlobs(10)).doesNotContain(b);
    assertThat(store.reserveBlob(b)).isEqualTo(Reservation.RESERVED);
  }

  @Test
  void unknownBlobCannotBeClaimed() {
    assertThat(store.claimBlobForDeletion(blob(9), T0)).isFalse();
  }

  @Test
  void forgetIsANoOpForAReferencedBlob() {
    LocalMedia m = insertReserved("abc", blob(1));
    store.forgetBlob(blob(1), T0);
    store.cancelDeletion(blob(1), T0);
    assertThat(store.blobReferences(blob(1))).isEqualTo(1);
    assertThat(store.localMedia(m.mediaId())).isPresent();
  }

  @Test
  void onlyAClaimOlderThanTheBoundIsTakenOverAndTheTakerRenewsIt() {
    BlobKey b = unreferenced(7);
    assertThat(store.claimBlobForDeletion(b, T0)).isTrue();
    Instant later = T0.plusSeconds(600);
    assertThat(store.takeOverDeletion(b, T0, later))
        .as("a claim made at the bound is not older than it")
        .isFalse();
    assertThat(store.takeOverDeletion(b, T0.plusMillis(1), later)).isTrue();
    assertThat(store.reserveBlob(b))
        .as("still claimed, by the taker")
        .isEqualTo(Reservation.BEING_DELETED);
    assertThat(store.takeOverDeletion(b, T0.plusMillis(1), later))
        .as("the renewed claim is not stale")
        .isFalse();
    assertThat(store.takeOverDeletion(b, later.plusMillis(1), later.plusSeconds(600)))
        .as("until it is stale in turn")
        .isTrue();
  }

  @Test
  void anUnclaimedOrReferencedBlobCannotBeTakenOver() {
    Instant now = T0.plusSeconds(600);
    assertThat(store.takeOverDeletion(blob(9), now, now)).as("unknown").isFalse();
    BlobKey b = unreferenced(7);
    assertThat(store.takeOverDeletion(b, now, now)).as("unreferenced, not claimed").isFalse();
    assertThat(store.claimBlobForDeletion(b, now))
        .as("the failed takeovers claimed nothing")
        .isTrue();
    store.reserveBlob(blob(8));
    assertThat(store.takeOverDeletion(blob(8), now, now)).as("referenced").isFalse();
    assertThat(store.blobReferences(blob(8))).isEqualTo(1);
  }

  @Test
  void aTakeoverBoundAfterNowIsRefused() {
    BlobKey b = unreferenced(7);
    store.claimBlobForDeletion(b, T0);
    assertThatThrownBy(() -> store.takeOverDeletion(b, T0.plusSeconds(10), T0.plusSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.takeOverDeletion(b, T0.plusSeconds(5), T0.plusSeconds(5)))
        .as("the refusal changed nothing")
        .isTrue();
  }

  @Test
  void theOwnerOfATakenOverClaimCanNoLongerEndIt() {
    BlobKey b = unreferenced(7);
    store.claimBlobForDeletion(b, T0);
    Instant taken = T0.plusSeconds(600);
    assertThat(store.takeOverDeletion(b, T0.plusSeconds(300), taken)).isTrue();
    store.forgetBlob(b, T0);
    store.cancelDeletion(b, T0);
    assertThat(store.reserveBlob(b))
        .as("the stale owner ended nothing")
        .isEqualTo(Reservation.BEING_DELETED);
    assertThat(store.unreferencedBlobs(10)).contains(b);
    store.forgetBlob(b, taken);
    assertThat(store.unreferencedBlobs(10)).doesNotContain(b);
    assertThat(store.reserveBlob(b)).isEqualTo(Reservation.RESERVED);
    assertThat(store.blobReferences(b)).isEqualTo(1);
  }

  @Test
  void aCancelledDeletionLeavesTheBlobUnreferencedAndReservable() {
    BlobKey b = unreferenced(7);
    assertThat(store.claimBlobForDeletion(b, T0)).isTrue();
    store.cancelDeletion(b, T0);
    assertThat(store.unreferencedBlobs(10)).contains(b);
    assertThat(store.reserveBlob(b)).isEqualTo(Reservation.RESERVED);
    assertThat(store.claimBlobForDeletion(b, T0)).isFalse();
    store.releaseBlob(b);
    assertThat(store.claimBlobForDeletion(b, T0.plusSeconds(1))).as("claimable again").isTrue();
  }

  /**
   * Many processes find the same abandoned claims at once: each claim goes to exactly one of them.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void ofConcurrentTakeoversOfAClaimExactlyOneWins() throws Exception {
    int takers = 8;
    ExecutorService pool = Executors.newFixedThreadPool(takers);
    try {
      for (int round = 0; round < 20; round++) {
        BlobKey b = unreferenced(1000 + round);
        assertThat(store.claimBlobForDeletion(b, T0)).isTrue();
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < takers; t++) {
          Instant now = T0.plusSeconds(600 + t); // each taker's own clock
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    return store.takeOverDeletion(b, T0.plusSeconds(300), now);
                  }));
        }
        start.countDown();
        int winners = 0;
        for (Future<Boolean> r : results) {
          winners += r.get() ? 1 : 0;
        }
        assertThat(winners).as("round " + round).isEqualTo(1);
        assertThat(store.reserveBlob(b)).isEqualTo(Reservation.BEING_DELETED);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTransferOrReleaseWithoutAReservationIsRefusedAndChangesNothing() {
    BlobKey b = blob(7);
    assertThatThrownBy(() -> store.insertLocalMedia(media("abc", b, ALICE, T0, 1)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.localMedia(MediaId.of("abc"))).isEmpty();
    assertThatThrownBy(() -> store.insertRemoteMedia(remote("other.org", "abc", b, T0)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.remoteMedia(MxcUri.of("other.org", "abc"))).isEmpty();
    assertThatThrownBy(() -> store.insertThumbnail(thumb(blob(1), 32, 32, ThumbnailMethod.CROP, b)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.thumbnails(blob(1))).isEmpty();
    store.insertPending(new PendingMedia(MediaId.of("p"), ALICE, T0, T0.plusSeconds(60)), 5, T0);
    assertThatThrownBy(() -> store.completePending(media("p", b, ALICE, T0, 1)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.pending(MediaId.of("p"))).as("still pending").isPresent();
    assertThatThrownBy(() -> store.releaseBlob(b)).isInstanceOf(IllegalStateException.class);
    assertThat(store.blobReferences(b)).isZero();

    // with a reservation, the same calls work: the refusals left the ids free
    store.reserveBlob(b);
    assertThat(store.insertLocalMedia(media("abc", b, ALICE, T0, 1))).isTrue();
    store.reserveBlob(b);
    assertThat(store.completePending(media("p", b, ALICE, T0, 1))).isTrue();
    assertThat(store.blobReferences(b)).isEqualTo(2);
  }

  @Test
  void aReservationIsTransferredOrReleasedOnlyOnce() {
    BlobKey b = blob(7);
    store.reserveBlob(b);
    assertThat(store.insertLocalMedia(media("a", b, ALICE, T0, 1))).isTrue();
    assertThatThrownBy(() -> store.insertLocalMedia(media("b", b, ALICE, T0, 1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> store.releaseBlob(b)).isInstanceOf(IllegalStateException.class);
    assertThat(store.blobReferences(b)).isEqualTo(1);
    assertThat(store.localMedia(MediaId.of("b"))).isEmpty();
  }

  @Test
  void aStoreNeverReleasesItsOwnReservations() {
    BlobKey b = blob(7);
    store.renewLease(T0);
    store.reserveBlob(b);
    Instant muchLater = T0.plusSeconds(86_400);
    assertThat(store.releaseAbandonedReservations(muchLater, muchLater)).isZero();
    assertThat(store.blobReferences(b)).isEqualTo(1);
    assertThat(store.insertLocalMedia(media("a", b, ALICE, T0, 1)))
        .as("the reservation is still held")
        .isTrue();
  }

  @Test
  void releasingAbandonedReservationsRefusesABoundAfterNow() {
    assertThatThrownBy(() -> store.releaseAbandonedReservations(T0.plusSeconds(1), T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void unreferencedBlobsHonoursTheLimit() {
    for (int i = 1; i <= 5; i++) {
      store.reserveBlob(blob(i));
      store.releaseBlob(blob(i));
    }
    assertThat(store.unreferencedBlobs(3)).hasSize(3);
    assertThat(store.unreferencedBlobs(100)).hasSize(5);
  }

  // ---- concurrency

  /**
   * Many threads insert and delete records of the same bytes while others reserve and release: at
   * the end the count equals the records left, and a deletion claim was never granted while a
   * reservation was held.
   */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentReferencesAndDeletionClaimsNeverOverlap() throws Exception {
    BlobKey b = blob(42);
    int threads = 16;
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
    AtomicBoolean deleting = new AtomicBoolean();
    AtomicInteger violations = new AtomicInteger();
    AtomicInteger ids = new AtomicInteger();
    AtomicInteger claims = new AtomicInteger();
    Map<MediaId, Boolean> live = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int role = t % 4;
      futures.add(
          pool.submit(
              () -> {
                start.await();
                while (System.nanoTime() < until) {
                  if (role == 0) {
                    Instant at = T0.plusMillis(claims.incrementAndGet());
                    if (store.claimBlobForDeletion(b, at)) {
                      deleting.set(true);
                      Thread.onSpinWait();
                      deleting.set(false);
                      store.forgetBlob(b, at);
                    }
                    continue;
                  }
                  if (store.reserveBlob(b) != Reservation.RESERVED) {
                    Thread.yield();
                    continue;
                  }
                  if (deleting.get()) {
                    violations.incrementAndGet();
                  }
                  if (role == 1) {
                    store.releaseBlob(b);
                  } else {
                    MediaId id = MediaId.of("m" + ids.incrementAndGet());
                    store.insertLocalMedia(media(id.value(), b, ALICE, T0, 1));
                    live.put(id, true);
                    if (ThreadLocalRandom.current().nextBoolean()) {
                      MediaId victim = live.keySet().stream().findAny().orElse(id);
                      if (live.remove(victim) != null) {
                        assertThat(store.deleteLocalMedia(victim)).isPresent();
                      }
                    }
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    assertThat(violations.get()).as("claims granted while a reservation was held").isZero();
    assertThat(store.blobReferences(b)).isEqualTo(live.size());
    assertThat(store.usage(ALICE, T0))
        .as("the records left, each of one byte")
        .isEqualTo(new MediaUsage(live.size(), live.size()));
  }

  /** Concurrent creation of pending uploads never passes the per-owner limit. */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentPendingCreationNeverPassesTheLimit() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<PendingInsert>> results = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      MediaId id = MediaId.of("p" + i);
      results.add(
          pool.submit(
              () ->
                  store.insertPending(new PendingMedia(id, ALICE, T0, T0.plusSeconds(60)), 5, T0)));
    }
    int inserted = 0;
    for (Future<PendingInsert> r : results) {
      if (r.get() == PendingInsert.INSERTED) {
        inserted++;
      }
    }
    pool.shutdown();
    assertThat(inserted).isEqualTo(5);
  }

  /** Of many concurrent completions of one pending upload, exactly one wins. */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentCompletionOfOnePendingUploadHasOneWinner() throws Exception {
    store.insertPending(new PendingMedia(MediaId.of("p"), ALICE, T0, T0.plusSeconds(60)), 5, T0);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      BlobKey b = blob(100 + i);
      results.add(
          pool.submit(
              () -> {
                store.reserveBlob(b);
                return store.completePending(media("p", b, ALICE, T0, 1));
              }));
    }
    int winners = 0;
    for (Future<Boolean> r : results) {
      winners += r.get() ? 1 : 0;
    }
    pool.shutdown();
    assertThat(winners).isEqualTo(1);
  }

  // ---- claims of work

  @Test
  void aClaimOfWorkIsExclusiveUntilItLapsesOrIsReleased() {
    String work = "remote mxc://origin.test/abc";
    assertThat(store.claimWork(work, "node-a", T0, T0.plusSeconds(30))).isTrue();
    assertThat(store.claimWork(work, "node-b", T0.plusSeconds(29), T0.plusSeconds(59)))
        .as("held by a")
        .isFalse();
    assertThat(store.claimWork(work, "node-a", T0.plusSeconds(20), T0.plusSeconds(50)))
        .as("a renews its own")
        .isTrue();
    assertThat(store.claimWork(work, "node-b", T0.plusSeconds(49), T0.plusSeconds(79)))
        .as("renewed to 50")
        .isFalse();
    assertThat(store.claimWork(work, "node-b", T0.plusSeconds(50), T0.plusSeconds(80)))
        .as("lapsed: b takes it")
        .isTrue();
    store.releaseWork(work, "node-a");
    assertThat(store.claimWork(work, "node-c", T0.plusSeconds(51), T0.plusSeconds(81)))
        .as("a's release after losing the claim does not end b's")
        .isFalse();
    store.releaseWork(work, "node-b");
    assertThat(store.claimWork(work, "node-c", T0.plusSeconds(52), T0.plusSeconds(82)))
        .as("released")
        .isTrue();
    assertThat(store.claimWork("other work", "node-a", T0.plusSeconds(52), T0.plusSeconds(82)))
        .as("works are independent")
        .isTrue();
  }

  @Test
  void ofConcurrentClaimsOfOneWorkExactlyOneWins() throws Exception {
    int owners = 8;
    for (int round = 0; round < 10; round++) {
      String work = "thumbnail " + round;
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(owners);
      try {
        List<Future<Boolean>> claims = new ArrayList<>();
        for (int o = 0; o < owners; o++) {
          String owner = "node-" + o;
          claims.add(
              pool.submit(
                  () -> {
                    start.await();
                    return store.claimWork(work, owner, T0, T0.plusSeconds(30));
                  }));
        }
        start.countDown();
        int won = 0;
        for (Future<Boolean> c : claims) {
          won += c.get(30, TimeUnit.SECONDS) ? 1 : 0;
        }
        assertThat(won).as("round " + round).isEqualTo(1);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  // ---- admin listings

  private LocalMedia stored(LocalMedia m) {
    assertThat(store.reserveBlob(m.blob())).isEqualTo(Reservation.RESERVED);
    assertThat(store.insertLocalMedia(m)).isTrue();
    return m;
  }

  private static final List<Optional<String>> NAMES =
      List.of(
          Optional.empty(),
          Optional.of("b.png"),
          Optional.of("B.png"),
          Optional.of("\u00e9t\u00e9.jpg"),
          Optional.of("\ud83d\ude00.gif"),
          Optional.of("\ufffd.txt"),
          Optional.of(""),
          Optional.of("a.png"));
  private static final List<String> TYPES =
      List.of("image/png", "image/jpeg", "application/octet-stream", "text/plain");

  /** 30 media of Alice with repeating values in every sortable field, and 3 of Bob. */
  private List<LocalMedia> storeVariedMedia() {
    List<LocalMedia> alices = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Instant created = T0.plusSeconds(i % 7);
      LocalMedia m =
          new LocalMedia(
              MediaId.of("m" + (char) ('A' + (i * 7) % 26) + i),
              TYPES.get(i % TYPES.size()),
              NAMES.get(i % NAMES.size()),
              ALICE,
              100 + i % 5,
              blob(i % 4),
              created,
              created.plusSeconds(i % 3),
              false,
              i % 4 == 0);
      alices.add(stored(m));
    }
    for (int i = 0; i < 3; i++) {
      stored(media("bob" + i, blob(9), BOB, T0, 1));
    }
    for (int i = 0; i < 30; i += 3) {
      store.setQuarantined(alices.get(i).mediaId(), true);
    }
    return alices.stream().map(m -> store.localMedia(m.mediaId()).orElseThrow()).toList();
  }

  private static int byCodePoint(String a, String b) {
    int[] x = a.codePoints().toArray();
    int[] y = b.codePoints().toArray();
    return Arrays.compare(x, y);
  }

  private static Comparator<LocalMedia> expectedOrder(MediaQuery.Order order) {
    return switch (order) {
      case MEDIA_ID -> (a, b) -> a.mediaId().value().compareTo(b.mediaId().value());
      case UPLOAD_NAME ->
          (a, b) -> byCodePoint(a.uploadName().orElse(""), b.uploadName().orElse(""));
      case CREATED_TS -> Comparator.comparing(LocalMedia::createdAt);
      case LAST_ACCESS_TS -> Comparator.comparing(LocalMedia::lastAccessedAt);
      case MEDIA_LENGTH -> Comparator.comparingLong(LocalMedia::size);
      case MEDIA_TYPE -> Comparator.comparing(LocalMedia::contentType);
      case QUARANTINED_BY -> Comparator.comparing(LocalMedia::quarantined);
      case SAFE_FROM_QUARANTINE -> Comparator.comparing(LocalMedia::safeFromQuarantine);
    };
  }

  @Test
  void localMediaOfPagesInEveryOrderWithTiesByAscendingMediaId() {
    List<LocalMedia> alices = storeVariedMedia();
    for (MediaQuery.Order order : MediaQuery.Order.values()) {
      for (boolean descending : new boolean[] {false, true}) {
        Comparator<LocalMedia> c = expectedOrder(order);
        if (descending) {
          c = c.reversed();
        }
        List<MediaId> expected =
            alices.stream()
                .sorted(c.thenComparing(m -> m.mediaId().value()))
                .map(LocalMedia::mediaId)
                .toList();
        List<MediaId> seen = new ArrayList<>();
        for (long offset = 0; offset < 35; offset += 7) {
          Page<LocalMedia> page =
              store.localMediaOf(ALICE, new MediaQuery(order, descending, offset, 7));
          assertThat(page.total()).as(order + " total").isEqualTo(30);
          assertThat(page.offset()).isEqualTo(offset);
          page.items().forEach(m -> seen.add(m.mediaId()));
        }
        assertThat(seen)
            .as(order + (descending ? " descending" : " ascending"))
            .containsExactlyElementsOf(expected);
      }
    }
    assertThat(
            store
                .localMediaOf(ALICE, new MediaQuery(MediaQuery.Order.MEDIA_ID, false, 0, 1))
                .items()
                .get(0))
        .isEqualTo(alices.stream().min(expectedOrder(MediaQuery.Order.MEDIA_ID)).orElseThrow());
  }

  @Test
  void localMediaOfBeyondTheEndIsEmptyWithTheTotal() {
    storeVariedMedia();
    Page<LocalMedia> page =
        store.localMediaOf(ALICE, new MediaQuery(MediaQuery.Order.CREATED_TS, false, 500, 10));
    assertThat(page.items()).isEmpty();
    assertThat(page.total()).isEqualTo(30);
    assertThat(
            store
                .localMediaOf(ALICE, new MediaQuery(MediaQuery.Order.CREATED_TS, false, 0, 0))
                .total())
        .isEqualTo(30);
    Page<LocalMedia> nobody =
        store.localMediaOf(UserId.of("@carol:example.org"), MediaQuery.newestFirst());
    assertThat(nobody.items()).isEmpty();
    assertThat(nobody.total()).isZero();
  }

  @Test
  void pagesOfOverAThousandMediaListEachExactlyOnce() {
    int n = 1100;
    Set<MediaId> all = new HashSet<>();
    for (int i = 0; i < n; i++) {
      LocalMedia m =
          stored(
              media(
                  String.format("p%05d", (i * 7919) % n),
                  blob(i % 3),
                  ALICE,
                  T0.plusMillis(i % 13),
                  i % 11));
      all.add(m.mediaId());
      if (i % 10 == 0) {
        store.setQuarantined(m.mediaId(), true);
      }
    }
    List<MediaId> seen = new ArrayList<>();
    long offset = 0;
    while (true) {
      Page<LocalMedia> page =
          store.localMediaOf(ALICE, new MediaQuery(MediaQuery.Order.CREATED_TS, true, offset, 250));
      assertThat(page.total()).isEqualTo(n);
      page.items().forEach(m -> seen.add(m.mediaId()));
      if (page.nextOffset().isEmpty()) {
        break;
      }
      offset = page.nextOffset().getAsLong();
    }
    assertThat(seen).hasSize(n).doesNotHaveDuplicates();
    assertThat(new HashSet<>(seen)).isEqualTo(all);

    List<MediaId> quarantined = new ArrayList<>();
    for (long o = 0; ; o += 30) {
      Page<MediaId> page = store.quarantinedLocalMedia(o, 30);
      assertThat(page.total()).isEqualTo(n / 10);
      if (page.items().isEmpty()) {
        break;
      }
      quarantined.addAll(page.items());
    }
    assertThat(quarantined)
        .hasSize(n / 10)
        .doesNotHaveDuplicates()
        .isSortedAccordingTo(Comparator.comparing(MediaId::value));
  }

  @Test
  void quarantineLocalMediaOfSkipsProtectedMediaAndCountsOnlyChanges() {
    LocalMedia a = stored(media("qa", blob(1), ALICE, T0, 1));
    LocalMedia b = stored(media("qb", blob(2), ALICE, T0, 1));
    LocalMedia safe = stored(media("qs", blob(3), ALICE, T0, 1));
    LocalMedia bobs = stored(media("qbob", blob(4), BOB, T0, 1));
    store.setSafeFromQuarantine(safe.mediaId(), true);
    store.setQuarantined(b.mediaId(), true);

    assertThat(store.quarantineLocalMediaOf(ALICE)).isEqualTo(1);
    assertThat(store.localMedia(a.mediaId()).orElseThrow().quarantined()).isTrue();
    assertThat(store.localMedia(b.mediaId()).orElseThrow().quarantined()).isTrue();
    assertThat(store.localMedia(safe.mediaId()).orElseThrow().quarantined()).isFalse();
    assertThat(store.localMedia(bobs.mediaId()).orElseThrow().quarantined()).isFalse();
    assertThat(store.quarantineLocalMediaOf(ALICE)).isZero();
  }

  @Test
  void localMediaAccessedBeforePagesByMediaIdAfterTheLastSeen() {
    for (int i = 0; i < 40; i++) {
      Instant at = T0.plusSeconds(i);
      LocalMedia m =
          stored(
              new LocalMedia(
                  MediaId.of(String.format("d%02d", 39 - i)),
                  "image/png",
                  Optional.empty(),
                  ALICE,
                  i,
                  blob(i % 2),
                  at,
                  at,
                  i % 5 == 0,
                  i % 7 == 0));
      assertThat(m).isNotNull();
    }
    // accessed before T0+30s: i < 30; larger than 9 bytes: i >= 10; so i in [10, 29], ids d10..d29
    List<String> seen = new ArrayList<>();
    Optional<MediaId> after = Optional.empty();
    while (true) {
      List<LocalMedia> batch = store.localMediaAccessedBefore(T0.plusSeconds(30), 9, after, 6);
      if (batch.isEmpty()) {
        break;
      }
      assertThat(batch.size()).isLessThanOrEqualTo(6);
      batch.forEach(m -> seen.add(m.mediaId().value()));
      after = Optional.of(batch.get(batch.size() - 1).mediaId());
    }
    List<String> expected = new ArrayList<>();
    for (int i = 10; i <= 29; i++) {
      expected.add(String.format("d%02d", 39 - i));
    }
    expected.sort(null);
    assertThat(seen).containsExactlyElementsOf(expected);
  }

  @Test
  void quarantinedRemoteMediaPagesByOriginThenMediaId() {
    String[][] uris = {
      {"b.org", "x"}, {"a.org", "z"}, {"a.org", "y"}, {"c.org", "a"}, {"a.org", "x"}
    };
    for (int i = 0; i < uris.length; i++) {
      BlobKey b = blob(20 + i);
      assertThat(store.reserveBlob(b)).isEqualTo(Reservation.RESERVED);
      RemoteMedia r = remote(uris[i][0], uris[i][1], b, T0);
      assertThat(store.insertRemoteMedia(r)).isTrue();
      if (i != 3) {
        store.setRemoteQuarantined(r.uri(), true);
      }
    }
    Page<MxcUri> first = store.quarantinedRemoteMedia(0, 3);
    Page<MxcUri> second = store.quarantinedRemoteMedia(3, 3);
    assertThat(first.total()).isEqualTo(4);
    assertThat(second.total()).isEqualTo(4);
    assertThat(first.items())
        .extracting(MxcUri::toString)
        .containsExactly("mxc://a.org/x", "mxc://a.org/y", "mxc://a.org/z");
    assertThat(second.items()).extracting(MxcUri::toString).containsExactly("mxc://b.org/x");
    assertThat(store.quarantinedRemoteMedia(10, 3).items()).isEmpty();
    assertThat(store.quarantinedRemoteMedia(10, 3).total()).isEqualTo(4);
    assertThat(store.quarantinedLocalMedia(0, 10).total()).isZero();
  }

  @Test
  void mediaStatisticsGroupByUploaderWithPeriodSearchAndOrder() {
    UserId carol = UserId.of("@Car%ol_1:example.org");
    UserId dave = UserId.of("@dave:carol.example.org");
    stored(media("s1", blob(1), ALICE, T0, 10));
    stored(media("s2", blob(1), ALICE, T0.plusSeconds(10), 20));
    stored(media("s3", blob(2), BOB, T0.plusSeconds(5), 100));
    stored(media("s4", blob(3), carol, T0.plusSeconds(20), 5));
    stored(media("s5", blob(3), carol, T0.plusSeconds(20), 5));
    stored(media("s6", blob(3), carol, T0.plusSeconds(20), 5));
    stored(media("s7", blob(4), dave, T0, 1));

    Page<UserMediaStatistics> all = store.mediaStatistics(StatisticsQuery.byUserId());
    assertThat(all.total()).isEqualTo(4);
    assertThat(all.items())
        .containsExactly(
            new UserMediaStatistics(carol, Optional.empty(), 3, 15),
            new UserMediaStatistics(ALICE, Optional.empty(), 2, 30),
            new UserMediaStatistics(BOB, Optional.empty(), 1, 100),
            new UserMediaStatistics(dave, Optional.empty(), 1, 1));

    StatisticsQuery byCount =
        new StatisticsQuery(
            StatisticsQuery.Order.MEDIA_COUNT, true, 0, 10, T0, Optional.empty(), Optional.empty());
    assertThat(store.mediaStatistics(byCount).items())
        .extracting(UserMediaStatistics::user)
        .containsExactly(carol, ALICE, BOB, dave);
    StatisticsQuery byLength =
        new StatisticsQuery(
            StatisticsQuery.Order.MEDIA_LENGTH,
            false,
            1,
            2,
            T0,
            Optional.empty(),
            Optional.empty());
    Page<UserMediaStatistics> page = store.mediaStatistics(byLength);
    assertThat(page.items()).extracting(UserMediaStatistics::user).containsExactly(carol, ALICE);
    assertThat(page.total()).isEqualTo(4);

    StatisticsQuery period =
        new StatisticsQuery(
            StatisticsQuery.Order.USER_ID,
            false,
            0,
            10,
            T0.plusSeconds(5),
            Optional.of(T0.plusSeconds(10)),
            Optional.empty());
    assertThat(store.mediaStatistics(period).items())
        .containsExactly(
            new UserMediaStatistics(ALICE, Optional.empty(), 1, 20),
            new UserMediaStatistics(BOB, Optional.empty(), 1, 100));

    // the localpart only, ASCII case ignored, LIKE's wildcards taken literally
    assertThat(search("car%ol")).containsExactly(carol);
    assertThat(search("CAR")).containsExactly(carol);
    assertThat(search("r%")).containsExactly(carol);
    assertThat(search("_1")).containsExactly(carol);
    assertThat(search("%")).containsExactly(carol);
    assertThat(search("_")).containsExactly(carol);
    assertThat(search("example")).isEmpty();
    assertThat(search("a")).containsExactly(carol, ALICE, dave);
    Page<UserMediaStatistics> none =
        store.mediaStatistics(
            new StatisticsQuery(
                StatisticsQuery.Order.USER_ID,
                false,
                0,
                10,
                T0,
                Optional.empty(),
                Optional.of("zzz")));
    assertThat(none.items()).isEmpty();
    assertThat(none.total()).isZero();
  }

  private List<UserId> search(String term) {
    return store
        .mediaStatistics(
            new StatisticsQuery(
                StatisticsQuery.Order.USER_ID,
                false,
                0,
                10,
                Instant.EPOCH,
                Optional.empty(),
                Optional.of(term)))
        .items()
        .stream()
        .map(UserMediaStatistics::user)
        .toList();
  }

  // ---- retention and the remote cache's space bound

  @Test
  void
      retentionDeletesLocalMediaAccessedBeforeTheBoundLeastRecentFirstAndKeepsQuarantinedAndProtected() {
    for (int i = 0; i < 6; i++) {
      store.reserveBlob(blob(i));
      store.insertLocalMedia(media("m" + i, blob(i), ALICE, T0.plusSeconds(i * 10), 10));
    }
    store.recordAccess(Map.of(MediaId.of("m0"), T0.plusSeconds(45))); // used lately: after m1..m4
    store.setQuarantined(MediaId.of("m1"), true);
    store.setSafeFromQuarantine(MediaId.of("m2"), true);

    List<LocalMedia> first = store.deleteLocalMediaAccessedBefore(T0.plusSeconds(50), 1);
    assertThat(first).extracting(m -> m.mediaId().value()).containsExactly("m3");
    List<LocalMedia> rest = store.deleteLocalMediaAccessedBefore(T0.plusSeconds(50), 10);
    assertThat(rest).extracting(m -> m.mediaId().value()).containsExactly("m4", "m0");
    assertThat(store.deleteLocalMediaAccessedBefore(T0.plusSeconds(50), 10)).isEmpty();
    // the bound is exclusive: m5 was accessed at exactly T0 + 50 s
    assertThat(store.localMedia(MediaId.of("m5"))).isPresent();
    assertThat(store.localMedia(MediaId.of("m1"))).isPresent();
    assertThat(store.localMedia(MediaId.of("m2"))).isPresent();
    for (String gone : List.of("m0", "m3", "m4")) {
      assertThat(store.localMedia(MediaId.of(gone))).isEmpty();
    }
    assertThat(store.blobReferences(blob(3))).isZero();
    assertThat(store.blobReferences(blob(0))).isZero();
    assertThat(store.unreferencedBlobs(10)).contains(blob(0), blob(3), blob(4));
    assertThat(store.blobReferences(blob(1))).isEqualTo(1);
    // the ids are free again
    store.reserveBlob(blob(3));
    assertThat(store.insertLocalMedia(media("m3", blob(3), BOB, T0, 1))).isTrue();
  }

  @Test
  void retentionOfLocalMediaKeepsABlobSharedWithAnotherRecord() {
    store.reserveBlob(blob(1));
    store.insertLocalMedia(media("old", blob(1), ALICE, T0, 10));
    store.reserveBlob(blob(1));
    store.insertLocalMedia(media("new", blob(1), ALICE, T0.plusSeconds(100), 10));
    assertThat(store.deleteLocalMediaAccessedBefore(T0.plusSeconds(50), 10))
        .extracting(m -> m.mediaId().value())
        .containsExactly("old");
    assertThat(store.blobReferences(blob(1))).isEqualTo(1);
    assertThat(store.claimBlobForDeletion(blob(1), T0)).isFalse();
  }

  @Test
  void retentionDeletesRemoteMediaAccessedBeforeTheBoundAndKeepsQuarantined() {
    for (int i = 0; i < 4; i++) {
      store.reserveBlob(blob(i));
      store.insertRemoteMedia(remote("other.org", "r" + i, blob(i), T0.plusSeconds(i * 10)));
    }
    store.setRemoteQuarantined(MxcUri.of("other.org", "r1"), true);
    store.recordRemoteAccess(Map.of(MxcUri.of("other.org", "r0"), T0.plusSeconds(25)));
    assertThat(store.remoteMediaBytes()).isEqualTo(40);

    assertThat(store.deleteRemoteMediaAccessedBefore(T0.plusSeconds(30), 10))
        .extracting(m -> m.mediaId().value())
        .containsExactly("r2", "r0");
    assertThat(store.remoteMedia(MxcUri.of("other.org", "r1"))).isPresent();
    assertThat(store.remoteMedia(MxcUri.of("other.org", "r3"))).isPresent();
    assertThat(store.remoteMediaBytes()).isEqualTo(20);
    assertThat(store.blobReferences(blob(2))).isZero();
    // least recently accessed first, one at a time (as the space bound evicts)
    assertThat(store.deleteRemoteMediaAccessedBefore(T0.plusSeconds(1000), 1))
        .extracting(m -> m.mediaId().value())
        .containsExactly("r3");
    assertThat(store.deleteRemoteMediaAccessedBefore(T0.plusSeconds(1000), 1)).isEmpty();
    assertThat(store.remoteMediaBytes()).isEqualTo(10);
  }

  @Test
  void anEmptyRemoteCacheHoldsNoBytes() {
    assertThat(store.remoteMediaBytes()).isZero();
    assertThat(store.deleteLocalMediaAccessedBefore(T0, 1)).isEmpty();
    assertThat(store.deleteRemoteMediaAccessedBefore(T0, 1)).isEmpty();
  }

  // ---- the URL preview cache

  private static UrlPreviewRecord preview(String url, Instant fetchedAt, Instant expiresAt) {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put(
        "og:title", "Caf\u00e9 \u201cquoted\u201d \\ \t line\nbreak, = ; | \u0001 \ud83d\ude00");
    properties.put("og:description", "");
    properties.put("og:image", "mxc://example.org/preview" + fetchedAt.toEpochMilli());
    properties.put("og:image:width", 1200L);
    properties.put("matrix:image:size", Long.MAX_VALUE);
    properties.put("og:ratio", -0.5d);
    properties.put("og:z", "last");
    return new UrlPreviewRecord(
        url,
        fetchedAt,
        expiresAt,
        properties,
        Optional.of(MediaId.of("preview" + fetchedAt.toEpochMilli())));
  }

  @Test
  void aCachedPreviewComesBackWithEveryPropertyInOrderAndItsType() {
    UrlPreviewRecord p = preview("https://example.com/a?b=c#d", T0, T0.plusSeconds(3600));
    assertThat(store.insertUrlPreview(p)).isTrue();
    Optional<UrlPreviewRecord> read =
        store.urlPreview("https://example.com/a?b=c#d", T0.plusSeconds(10));
    assertThat(read).contains(p);
    assertThat(List.copyOf(read.orElseThrow().properties().keySet()))
        .containsExactlyElementsOf(p.properties().keySet());
    assertThat(read.orElseThrow().properties().get("matrix:image:size")).isEqualTo(Long.MAX_VALUE);
    assertThat(read.orElseThrow().properties().get("og:ratio")).isEqualTo(-0.5d);
    UrlPreviewRecord empty =
        new UrlPreviewRecord(
            "https://example.com/empty", T0, T0.plusSeconds(60), Map.of(), Optional.empty());
    assertThat(store.insertUrlPreview(empty)).isTrue();
    assertThat(store.urlPreview("https://example.com/empty", T0)).contains(empty);
  }

  @Test
  void aPreviewIsKeyedByItsExactUrlAndFetchTime() {
    UrlPreviewRecord p = preview("https://example.com/A", T0, T0.plusSeconds(3600));
    assertThat(store.insertUrlPreview(p)).isTrue();
    assertThat(store.insertUrlPreview(preview("https://example.com/A", T0, T0.plusSeconds(7200))))
        .isFalse();
    assertThat(store.urlPreview("https://example.com/A", T0)).contains(p);
    assertThat(store.urlPreview("https://example.com/a", T0)).isEmpty();
    assertThat(store.urlPreview("https://example.com/A/", T0)).isEmpty();
    String longUrl = "https://example.com/" + "x".repeat(UrlPreviewRecord.MAX_URL_LENGTH - 20);
    UrlPreviewRecord l = preview(longUrl, T0, T0.plusSeconds(60));
    assertThat(store.insertUrlPreview(l)).isTrue();
    assertThat(store.urlPreview(longUrl, T0)).contains(l);
  }

  @Test
  void theAnswerForAnInstantIsTheLastFreshOneFetchedBeforeItElseTheFirstAfter() {
    String url = "https://example.com/history";
    UrlPreviewRecord first = preview(url, T0, T0.plusSeconds(100));
    UrlPreviewRecord second = preview(url, T0.plusSeconds(50), T0.plusSeconds(1000));
    UrlPreviewRecord third = preview(url, T0.plusSeconds(500), T0.plusSeconds(600));
    for (UrlPreviewRecord p : List.of(third, first, second)) {
      assertThat(store.insertUrlPreview(p)).isTrue();
    }
    assertThat(store.urlPreview(url, T0.minusSeconds(5))).contains(first);
    assertThat(store.urlPreview(url, T0)).contains(first);
    assertThat(store.urlPreview(url, T0.plusSeconds(60))).contains(second);
    assertThat(store.urlPreview(url, T0.plusSeconds(550))).contains(third);
    // the third expired at 600: the second is still fresh at 700
    assertThat(store.urlPreview(url, T0.plusSeconds(700))).contains(second);
    // nothing fresh at or before 5000, nothing after: none
    assertThat(store.urlPreview(url, T0.plusSeconds(5000))).isEmpty();
  }

  @Test
  void expiredPreviewsAreListedByExpiryUpToTheLimitAndDeletedOnce() {
    UrlPreviewRecord a = preview("https://example.com/a", T0, T0.plusSeconds(30));
    UrlPreviewRecord b = preview("https://example.com/b", T0, T0.plusSeconds(10));
    UrlPreviewRecord c = preview("https://example.com/c", T0, T0.plusSeconds(20));
    UrlPreviewRecord fresh = preview("https://example.com/d", T0, T0.plusSeconds(3600));
    for (UrlPreviewRecord p : List.of(a, b, c, fresh)) {
      assertThat(store.insertUrlPreview(p)).isTrue();
    }
    assertThat(store.urlPreviewsExpiredBy(T0.plusSeconds(30), 10)).containsExactly(b, c, a);
    assertThat(store.urlPreviewsExpiredBy(T0.plusSeconds(30), 2)).containsExactly(b, c);
    assertThat(store.urlPreviewsExpiredBy(T0.plusSeconds(15), 10)).containsExactly(b);
    assertThat(store.deleteUrlPreview(b.url(), b.fetchedAt())).contains(b);
    assertThat(store.deleteUrlPreview(b.url(), b.fetchedAt())).isEmpty();
    assertThat(store.deleteUrlPreview(a.url(), a.fetchedAt().plusMillis(1))).isEmpty();
    assertThat(store.urlPreviewsExpiredBy(T0.plusSeconds(30), 10)).containsExactly(c, a);
    assertThat(store.urlPreview(b.url(), T0)).isEmpty();
    assertThat(store.urlPreview(fresh.url(), T0)).contains(fresh);
  }
}
