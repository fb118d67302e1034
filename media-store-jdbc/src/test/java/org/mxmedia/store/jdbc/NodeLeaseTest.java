package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.MediaId;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.Reservation;

/**
 * Several store instances (nodes, as several processes would open) on one database: a node that
 * stops holding reservations has them released by another once its lease expires, and a live node's
 * reservations are never released.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NodeLeaseTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final Duration LEASE = Duration.ofMinutes(5);

  @TempDir Path dir;
  private final List<JdbcMediaStore> opened = new ArrayList<>();
  private String postgresUrl;

  @AfterEach
  void closeAll() {
    opened.forEach(JdbcMediaStore::close);
  }

  /** A new node on the test's database of the given kind. */
  private JdbcMediaStore node(String database) {
    JdbcMediaStore store;
    if (database.equals("sqlite")) {
      store = JdbcMediaStore.sqlite(dir.resolve("media.db"));
    } else {
      if (postgresUrl == null) {
        postgresUrl = Postgres.newDatabase();
      }
      store = JdbcMediaStore.postgres(postgresUrl, "postgres", "postgres");
    }
    opened.add(store);
    return store;
  }

  private static BlobKey blob(int n) {
    byte[] digest = new byte[32];
    digest[0] = (byte) n;
    digest[1] = (byte) (n >> 8);
    return BlobKey.of(HexFormat.of().formatHex(digest));
  }

  private static LocalMedia media(String id, BlobKey blob) {
    return LocalMedia.uploaded(
        MediaId.of(id), "text/plain", Optional.empty(), UserId.of("@a:example.org"), 1, blob, T0);
  }

  /** The sweep's call in node {@code n} at {@code now}. */
  private static int sweep(JdbcMediaStore n, Instant now) {
    n.renewLease(now);
    return n.releaseAbandonedReservations(now.minus(LEASE), now);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void aStoppedNodesReservationsAreReleasedOnceItsLeaseExpires(String database) {
    JdbcMediaStore a = node(database);
    JdbcMediaStore b = node(database);
    a.renewLease(T0);
    b.renewLease(T0);
    BlobKey x = blob(1);
    BlobKey y = blob(2);
    assertThat(a.reserveBlob(x)).isEqualTo(Reservation.RESERVED);
    a.reserveBlob(x);
    a.reserveBlob(y);
    b.reserveBlob(y); // b's own, live
    a.close(); // a crashes between reserve and record: it never releases

    assertThat(sweep(b, T0.plus(LEASE))).as("a's lease runs until T0 + 5 min").isZero();
    assertThat(b.blobReferences(x)).isEqualTo(2);

    assertThat(sweep(b, T0.plus(LEASE).plusMillis(1))).as("a's entries: x and y").isEqualTo(2);
    assertThat(b.blobReferences(x)).isZero();
    assertThat(b.blobReferences(y)).as("b's reservation stays").isEqualTo(1);
    assertThat(b.unreferencedBlobs(10)).containsExactly(x);
    assertThat(b.claimBlobForDeletion(x, T0.plusSeconds(600))).as("x can now be deleted").isTrue();
    assertThat(sweep(b, T0.plusSeconds(3600))).as("released once").isZero();
    assertThat(b.insertLocalMedia(media("m", y))).as("b still holds its reservation of y").isTrue();
    assertThat(b.blobReferences(y)).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void aLiveNodesReservationsAreNeverReleased(String database) {
    JdbcMediaStore a = node(database);
    JdbcMediaStore b = node(database);
    BlobKey x = blob(1);
    a.renewLease(T0);
    a.reserveBlob(x);
    for (int minute = 1; minute <= 30; minute++) {
      Instant now = T0.plus(Duration.ofMinutes(minute));
      a.renewLease(now); // a's heartbeat
      assertThat(sweep(b, now.plusSeconds(59))).as("minute " + minute).isZero();
    }
    assertThat(a.blobReferences(x)).isEqualTo(1);
    assertThat(a.insertLocalMedia(media("m", x))).as("a transfers its reservation").isTrue();
    a.close();
    assertThat(sweep(b, T0.plus(Duration.ofHours(2)))).as("a record is not a reservation").isZero();
    assertThat(b.blobReferences(x)).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void aNodeThatStoppedBeforeItsFirstRenewalIsReleasedALeaseAfterItWasFirstSeen(String database) {
    JdbcMediaStore a = node(database);
    JdbcMediaStore b = node(database);
    BlobKey x = blob(1);
    a.reserveBlob(x);
    a.close();
    Instant seen = T0.plusSeconds(3600);
    assertThat(sweep(b, seen)).as("first seen now").isZero();
    assertThat(sweep(b, seen.plus(LEASE))).isZero();
    assertThat(sweep(b, seen.plus(LEASE).plusMillis(1))).isEqualTo(1);
    assertThat(b.blobReferences(x)).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void aNodeWhoseReservationWasReleasedCannotTransferOrReleaseIt(String database) {
    JdbcMediaStore a = node(database);
    JdbcMediaStore b = node(database);
    BlobKey x = blob(1);
    a.renewLease(T0);
    a.reserveBlob(x);
    // a hangs for longer than its lease; b releases its reservation
    assertThat(sweep(b, T0.plus(LEASE).plusSeconds(1))).isEqualTo(1);
    assertThatThrownBy(() -> a.insertLocalMedia(media("m", x)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(a.localMedia(MediaId.of("m"))).as("no record without a reservation").isEmpty();
    assertThatThrownBy(() -> a.releaseBlob(x)).isInstanceOf(IllegalStateException.class);
    assertThat(a.blobReferences(x)).isZero();
    // and b cannot use a's reservations either
    a.renewLease(T0.plus(LEASE).plusSeconds(2)); // a is back
    a.reserveBlob(x);
    assertThatThrownBy(() -> b.insertLocalMedia(media("n", x)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(a.insertLocalMedia(media("m", x))).isTrue();
  }

  /** Every node sweeps at once: each stopped node's reservations are released exactly once. */
  @Test
  void concurrentSweepsOnPostgresReleaseEachReservationOnce() throws Exception {
    BlobKey x = blob(1);
    for (int round = 0; round < 10; round++) {
      List<JdbcMediaStore> stopped = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        JdbcMediaStore dead = node("postgres");
        dead.renewLease(T0);
        dead.reserveBlob(x);
        dead.reserveBlob(blob(100 + round * 10 + i));
        stopped.add(dead);
      }
      stopped.forEach(JdbcMediaStore::close);
      List<JdbcMediaStore> sweepers =
          List.of(node("postgres"), node("postgres"), node("postgres"), node("postgres"));
      Instant now = T0.plus(LEASE).plusSeconds(1);
      ExecutorService pool = Executors.newFixedThreadPool(sweepers.size());
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> released = new ArrayList<>();
      for (JdbcMediaStore s : sweepers) {
        released.add(
            pool.submit(
                () -> {
                  start.await();
                  return s.releaseAbandonedReservations(now.minus(LEASE), now);
                }));
      }
      start.countDown();
      int total = 0;
      for (Future<Integer> r : released) {
        total += r.get();
      }
      pool.shutdown();
      assertThat(total).as("round " + round + ": two entries per stopped node").isEqualTo(6);
      assertThat(sweepers.get(0).blobReferences(x)).isZero();
      assertThat(sweepers.get(0).unreferencedBlobs(100)).contains(x).hasSize(1 + 3 * (round + 1));
      // the sweepers are live nodes with leases at T0: stop them too, so the next round's
      // sweepers release nothing of theirs (they hold nothing)
      sweepers.forEach(
          s -> {
            opened.remove(s);
            s.close();
          });
    }
  }
}
