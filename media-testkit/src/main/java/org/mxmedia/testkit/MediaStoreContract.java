package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
import org.mxmedia.MediaId;
import org.mxmedia.MediaUsage;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.LocalMedia;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.PendingInsert;
import org.mxmedia.spi.MediaStore.Reservation;
import org.mxmedia.spi.PendingMedia;
import org.mxmedia.spi.ThumbnailRecord;
import org.mxmedia.spi.UrlPreviewRecord;
import org.mxmedia.spi.RemoteMedia;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailMethod;

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

  protected static LocalMedia media(String id, BlobKey blob, UserId uploader, Instant at, long size) {
    return LocalMedia.uploaded(MediaId.of(id), "image/png", Optional.of("cat.png"), uploader, size, blob, at);
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
    LocalMedia m = LocalMedia.uploaded(MediaId.of("abc"), "text/plain; charset=latin1", Optional.of("Grüße.txt"), ALICE, 1234, b, T0);
    assertThat(store.insertLocalMedia(m)).isTrue();
    assertThat(store.localMedia(MediaId.of("abc"))).contains(m);
    assertThat(store.localMedia(MediaId.of("other"))).isEmpty();
  }

  @Test
  void mediaWithoutUploadNameKeepsItAbsent() {
    BlobKey b = blob(1);
    store.reserveBlob(b);
    LocalMedia m = LocalMedia.uploaded(MediaId.of("abc"), "application/octet-stream", Optional.empty(), ALICE, 0, b, T0);
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
    assertThat(store.localMedia(MediaId.of("b"))).as("the other record with those bytes").isPresent();
  }

  @Test
  void recordAccessKeepsTheLatestTimeAndIgnoresUnknownIds() {
    insertReserved("abc", blob(1));
    store.recordAccess(Map.of(MediaId.of("abc"), T0.plusSeconds(100), MediaId.of("unknown"), T0));
    store.recordAccess(Map.of(MediaId.of("abc"), T0.plusSeconds(50)));
    assertThat(store.localMedia(MediaId.of("abc")).orElseThrow().lastAccessedAt()).isEqualTo(T0.plusSeconds(100));
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
    assertThat(store.setQuarantined(MediaId.of("abc"), false).orElseThrow().quarantined()).isFalse();
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
      assertThat(store.insertPending(new PendingMedia(MediaId.of("p" + i), ALICE, T0, T0.plusSeconds(60)), 3, T0))
          .isEqualTo(PendingInsert.INSERTED);
    }
    assertThat(store.insertPending(new PendingMedia(MediaId.of("p3"), ALICE, T0, T0.plusSeconds(60)), 3, T0))
        .isEqualTo(PendingInsert.LIMIT_REACHED);
    assertThat(store.pending(MediaId.of("p3"))).isEmpty();
    assertThat(store.insertPending(new PendingMedia(MediaId.of("b0"), BOB, T0, T0.plusSeconds(60)), 3, T0))
        .isEqualTo(PendingInsert.INSERTED);
    Instant later = T0.plusSeconds(61);
    assertThat(store.insertPending(new PendingMedia(MediaId.of("p4"), ALICE, later, later.plusSeconds(60)), 3, later))
        .isEqualTo(PendingInsert.INSERTED);
  }

  @Test
  void pendingIdTakenByMediaOrPendingIsRefused() {
    insertReserved("abc", blob(1));
    assertThat(store.insertPending(new PendingMedia(MediaId.of("abc"), ALICE, T0, T0.plusSeconds(1)), 5, T0))
        .isEqualTo(PendingInsert.ID_TAKEN);
    store.insertPending(new PendingMedia(MediaId.of("p"), ALICE, T0, T0.plusSeconds(1)), 5, T0);
    assertThat(store.insertPending(new PendingMedia(MediaId.of("p"), BOB, T0, T0.plusSeconds(1)), 5, T0))
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
    store.insertPending(new PendingMedia(MediaId.of("young"), ALICE, T0, T0.plusSeconds(100)), 5, T0);
    assertThat(store.deleteExpiredPending(T0.plusSeconds(10))).isEqualTo(1);
    assertThat(store.pending(MediaId.of("old"))).isEmpty();
    assertThat(store.pending(MediaId.of("young"))).isPresent();
  }

  // ---- cached remote media

  protected static RemoteMedia remote(String server, String id, BlobKey blob, Instant at) {
    return RemoteMedia.cached(ServerName.of(server), MediaId.of(id), "image/png", Optional.of("r.png"), 10, blob, at);
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
    store.recordRemoteAccess(Map.of(MxcUri.of("other.org", "m0"), T0.plusSeconds(100), MxcUri.of("nowhere.org", "x"), T0));
    assertThat(store.remoteMediaAccessedBefore(T0.plusSeconds(35), 10)).extracting(m -> m.mediaId().value())
        .containsExactly("m1", "m2", "m3");
    assertThat(store.remoteMediaAccessedBefore(T0.plusSeconds(35), 2)).hasSize(2);
    assertThat(store.remoteMedia(MxcUri.of("other.org", "m0")).orElseThrow().lastAccessedAt()).isEqualTo(T0.plusSeconds(100));
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
    assertThat(store.remoteMedia(MxcUri.of("third.org", "later")).orElseThrow().quarantined()).isTrue();
    assertThat(store.setRemoteQuarantined(MxcUri.of("x.org", "y"), true)).isEmpty();
  }

  // ---- thumbnails

  protected static ThumbnailRecord thumb(BlobKey source, int w, int h, ThumbnailMethod method, BlobKey blob) {
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
    assertThat(store.insertThumbnail(thumb(source, 32, 32, ThumbnailMethod.CROP, blob(12)))).isFalse();
    assertThat(store.thumbnails(source)).extracting(ThumbnailRecord::blob).containsExactly(blob(10));
    ThumbnailRecord animated = new ThumbnailRecord(source, 32, 32, ThumbnailMethod.CROP, true, "image/gif", 5, blob(12), T0);
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
    assertThat(store.deleteThumbnail(aElsewhere)).as("same key, another blob: a record regenerated since").isFalse();
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
    assertThat(store.takeOverDeletion(b, T0, later)).as("a claim made at the bound is not older than it").isFalse();
    assertThat(store.takeOverDeletion(b, T0.plusMillis(1), later)).isTrue();
    assertThat(store.reserveBlob(b)).as("still claimed, by the taker").isEqualTo(Reservation.BEING_DELETED);
    assertThat(store.takeOverDeletion(b, T0.plusMillis(1), later)).as("the renewed claim is not stale").isFalse();
    assertThat(store.takeOverDeletion(b, later.plusMillis(1), later.plusSeconds(600))).as("until it is stale in turn").isTrue();
  }

  @Test
  void anUnclaimedOrReferencedBlobCannotBeTakenOver() {
    Instant now = T0.plusSeconds(600);
    assertThat(store.takeOverDeletion(blob(9), now, now)).as("unknown").isFalse();
    BlobKey b = unreferenced(7);
    assertThat(store.takeOverDeletion(b, now, now)).as("unreferenced, not claimed").isFalse();
    assertThat(store.claimBlobForDeletion(b, now)).as("the failed takeovers claimed nothing").isTrue();
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
    assertThat(store.takeOverDeletion(b, T0.plusSeconds(5), T0.plusSeconds(5))).as("the refusal changed nothing").isTrue();
  }

  @Test
  void theOwnerOfATakenOverClaimCanNoLongerEndIt() {
    BlobKey b = unreferenced(7);
    store.claimBlobForDeletion(b, T0);
    Instant taken = T0.plusSeconds(600);
    assertThat(store.takeOverDeletion(b, T0.plusSeconds(300), taken)).isTrue();
    store.forgetBlob(b, T0);
    store.cancelDeletion(b, T0);
    assertThat(store.reserveBlob(b)).as("the stale owner ended nothing").isEqualTo(Reservation.BEING_DELETED);
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

  /** Many processes find the same abandoned claims at once: each claim goes to exactly one of them. */
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
          results.add(pool.submit(() -> {
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
    assertThatThrownBy(() -> store.insertLocalMedia(media("abc", b, ALICE, T0, 1))).isInstanceOf(IllegalStateException.class);
    assertThat(store.localMedia(MediaId.of("abc"))).isEmpty();
    assertThatThrownBy(() -> store.insertRemoteMedia(remote("other.org", "abc", b, T0))).isInstanceOf(IllegalStateException.class);
    assertThat(store.remoteMedia(MxcUri.of("other.org", "abc"))).isEmpty();
    assertThatThrownBy(() -> store.insertThumbnail(thumb(blob(1), 32, 32, ThumbnailMethod.CROP, b)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(store.thumbnails(blob(1))).isEmpty();
    store.insertPending(new PendingMedia(MediaId.of("p"), ALICE, T0, T0.plusSeconds(60)), 5, T0);
    assertThatThrownBy(() -> store.completePending(media("p", b, ALICE, T0, 1))).isInstanceOf(IllegalStateException.class);
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
    assertThatThrownBy(() -> store.insertLocalMedia(media("b", b, ALICE, T0, 1))).isInstanceOf(IllegalStateException.class);
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
    assertThat(store.insertLocalMedia(media("a", b, ALICE, T0, 1))).as("the reservation is still held").isTrue();
  }

  @Test
  void releasingAbandonedReservationsRefusesABoundAfterNow() {
    assertThatThrownBy(() -> store.releaseAbandonedReservations(T0.plusSeconds(1), T0)).isInstanceOf(IllegalArgumentException.class);
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
   * Many threads insert and delete records of the same bytes while others reserve and release:
   * at the end the count equals the records left, and a deletion claim was never granted while a
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
      futures.add(pool.submit(() -> {
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
    assertThat(store.usage(ALICE, T0)).as("the records left, each of one byte").isEqualTo(new MediaUsage(live.size(), live.size()));
  }

  /** Concurrent creation of pending uploads never passes the per-owner limit. */
  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentPendingCreationNeverPassesTheLimit() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<PendingInsert>> results = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      MediaId id = MediaId.of("p" + i);
      results.add(pool.submit(() -> store.insertPending(new PendingMedia(id, ALICE, T0, T0.plusSeconds(60)), 5, T0)));
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
      results.add(pool.submit(() -> {
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
    assertThat(store.claimWork(work, "node-b", T0.plusSeconds(29), T0.plusSeconds(59))).as("held by a").isFalse();
    assertThat(store.claimWork(work, "node-a", T0.plusSeconds(20), T0.plusSeconds(50))).as("a renews its own").isTrue();
    assertThat(store.claimWork(work, "node-b", T0.plusSeconds(49), T0.plusSeconds(79))).as("renewed to 50").isFalse();
    assertThat(store.claimWork(work, "node-b", T0.plusSeconds(50), T0.plusSeconds(80))).as("lapsed: b takes it").isTrue();
    store.releaseWork(work, "node-a");
    assertThat(store.claimWork(work, "node-c", T0.plusSeconds(51), T0.plusSeconds(81)))
        .as("a's release after losing the claim does not end b's").isFalse();
    store.releaseWork(work, "node-b");
    assertThat(store.claimWork(work, "node-c", T0.plusSeconds(52), T0.plusSeconds(82))).as("released").isTrue();
    assertThat(store.claimWork("other work", "node-a", T0.plusSeconds(52), T0.plusSeconds(82))).as("works are independent").isTrue();
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
          claims.add(pool.submit(() -> {
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

  // ---- the URL preview cache

  private static UrlPreviewRecord preview(String url, Instant fetchedAt, Instant expiresAt) {
    Map<String, Object> properties = new LinkedHashMap<>();
    properties.put("og:title", "Caf\u00e9 \u201cquoted\u201d \\ \t line\nbreak, = ; | \u0001 \ud83d\ude00");
    properties.put("og:description", "");
    properties.put("og:image", "mxc://example.org/preview" + fetchedAt.toEpochMilli());
    properties.put("og:image:width", 1200L);
    properties.put("matrix:image:size", Long.MAX_VALUE);
    properties.put("og:ratio", -0.5d);
    properties.put("og:z", "last");
    return new UrlPreviewRecord(url, fetchedAt, expiresAt, properties,
        Optional.of(MediaId.of("preview" + fetchedAt.toEpochMilli())));
  }

  @Test
  void aCachedPreviewComesBackWithEveryPropertyInOrderAndItsType() {
    UrlPreviewRecord p = preview("https://example.com/a?b=c#d", T0, T0.plusSeconds(3600));
    assertThat(store.insertUrlPreview(p)).isTrue();
    Optional<UrlPreviewRecord> read = store.urlPreview("https://example.com/a?b=c#d", T0.plusSeconds(10));
    assertThat(read).contains(p);
    assertThat(List.copyOf(read.orElseThrow().properties().keySet())).containsExactlyElementsOf(p.properties().keySet());
    assertThat(read.orElseThrow().properties().get("matrix:image:size")).isEqualTo(Long.MAX_VALUE);
    assertThat(read.orElseThrow().properties().get("og:ratio")).isEqualTo(-0.5d);
    UrlPreviewRecord empty = new UrlPreviewRecord("https://example.com/empty", T0, T0.plusSeconds(60), Map.of(), Optional.empty());
    assertThat(store.insertUrlPreview(empty)).isTrue();
    assertThat(store.urlPreview("https://example.com/empty", T0)).contains(empty);
  }

  @Test
  void aPreviewIsKeyedByItsExactUrlAndFetchTime() {
    UrlPreviewRecord p = preview("https://example.com/A", T0, T0.plusSeconds(3600));
    assertThat(store.insertUrlPreview(p)).isTrue();
    assertThat(store.insertUrlPreview(preview("https://example.com/A", T0, T0.plusSeconds(7200)))).isFalse();
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
