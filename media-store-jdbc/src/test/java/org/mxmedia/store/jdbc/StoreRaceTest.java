package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.PendingInsert;
import org.mxmedia.spi.MediaStore.PendingMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;

/**
 * Store methods that change a record and its blob's count, raced by threads of several instances
 * (as processes would) on PostgreSQL, where each statement of a transaction sees what others
 * committed before it (READ COMMITTED), and on SQLite. At the end every count must equal the
 * records that hold it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StoreRaceTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final UserId ALICE = UserId.of("@alice:example.org");
  static final int THREADS = 8;
  static final long RUN_MILLIS = 3000;

  @TempDir Path dir;
  private final List<JdbcMediaStore> opened = new ArrayList<>();
  private String postgresUrl;

  @AfterEach
  void closeAll() {
    opened.forEach(JdbcMediaStore::close);
  }

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
    digest[2] = 9;
    return BlobKey.of(HexFormat.of().formatHex(digest));
  }

  @FunctionalInterface
  interface Step {
    void run(JdbcMediaStore store, ThreadLocalRandom random);
  }

  /**
   * Runs {@code step} in a loop on {@link #THREADS} threads spread over two instances; returns what
   * they threw.
   */
  private List<Throwable> race(List<JdbcMediaStore> nodes, Step step) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      JdbcMediaStore store = nodes.get(t % nodes.size());
      workers.add(
          pool.submit(
              () -> {
                start.await();
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
                while (System.nanoTime() < until) {
                  try {
                    step.run(store, ThreadLocalRandom.current());
                  } catch (RuntimeException e) {
                    failures.add(e);
                  }
                }
                return null;
              }));
    }
    start.countDown();
    for (Future<?> w : workers) {
      w.get();
    }
    pool.shutdown();
    return new ArrayList<>(failures);
  }

  /**
   * A local record on {@code b}, so its count never reaches zero and a wrong drop goes unnoticed by
   * the store.
   */
  private static void anchor(JdbcMediaStore store, BlobKey b, String id) {
    store.reserveBlob(b);
    assertThat(
            store.insertLocalMedia(
                LocalMedia.uploaded(
                    MediaId.of(id), "text/plain", Optional.empty(), ALICE, 1, b, T0)))
        .isTrue();
  }

  /**
   * Cached remote media is dropped and fetched again, with bytes that may differ (a remote may
   * serve other bytes under the same id), while other threads drop it: a deletion must drop the
   * reference of the record it deleted.
   */
  @ParameterizedTest
  @ValueSource(strings = {"postgres", "sqlite"})
  void remoteMediaDeletedWhileCachedAgainDropsTheReferenceOfTheRecordItDeleted(String database)
      throws Exception {
    List<JdbcMediaStore> nodes = List.of(node(database), node(database));
    BlobKey x = blob(1);
    BlobKey y = blob(2);
    anchor(nodes.get(0), x, "ax");
    anchor(nodes.get(0), y, "ay");
    MxcUri uri = MxcUri.of("other.org", "abc");
    List<Throwable> failures =
        race(
            nodes,
            (store, random) -> {
              if (random.nextBoolean()) {
                BlobKey b = random.nextBoolean() ? x : y;
                store.reserveBlob(b);
                if (!store.insertRemoteMedia(
                    RemoteMedia.cached(
                        ServerName.of("other.org"),
                        uri.mediaId(),
                        "text/plain",
                        Optional.empty(),
                        1,
                        b,
                        T0))) {
                  store.releaseBlob(b);
                }
              } else {
                store.deleteRemoteMedia(uri);
              }
            });
    assertThat(failures).isEmpty();
    JdbcMediaStore s = nodes.get(0);
    Optional<BlobKey> cached = s.remoteMedia(uri).map(RemoteMedia::blob);
    assertThat(s.blobReferences(x)).as("x").isEqualTo(1 + (cached.equals(Optional.of(x)) ? 1 : 0));
    assertThat(s.blobReferences(y)).as("y").isEqualTo(1 + (cached.equals(Optional.of(y)) ? 1 : 0));
  }

  /**
   * Thumbnails of one source are stored and dropped one by one and all at once: every count matches
   * what is stored.
   */
  @ParameterizedTest
  @ValueSource(strings = {"postgres", "sqlite"})
  void thumbnailsDeletedWhileOthersAreStoredDropExactlyTheirReferences(String database)
      throws Exception {
    List<JdbcMediaStore> nodes = List.of(node(database), node(database));
    BlobKey source = blob(10);
    BlobKey[] thumbBlobs = {blob(11), blob(12), blob(13)};
    for (int i = 0; i < thumbBlobs.length; i++) {
      anchor(nodes.get(0), thumbBlobs[i], "t" + i);
    }
    int[] sizes = {32, 96, 320, 640};
    List<Throwable> failures =
        race(
            nodes,
            (store, random) -> {
              int op = random.nextInt(4);
              if (op < 2) {
                BlobKey b = thumbBlobs[random.nextInt(thumbBlobs.length)];
                int size = sizes[random.nextInt(sizes.length)];
                store.reserveBlob(b);
                if (!store.insertThumbnail(
                    new ThumbnailRecord(
                        source, size, size, ThumbnailMethod.CROP, false, "image/jpeg", 1, b, T0))) {
                  store.releaseBlob(b);
                }
              } else if (op == 2) {
                int size = sizes[random.nextInt(sizes.length)];
                store.deleteThumbnail(
                    new ThumbnailRecord(
                        source,
                        size,
                        size,
                        ThumbnailMethod.CROP,
                        false,
                        "image/jpeg",
                        1,
                        thumbBlobs[0],
                        T0));
              } else {
                store.deleteThumbnails(source);
              }
            });
    assertThat(failures).isEmpty();
    JdbcMediaStore s = nodes.get(0);
    List<ThumbnailRecord> stored = s.thumbnails(source);
    for (BlobKey b : thumbBlobs) {
      long held = stored.stream().filter(t -> t.blob().equals(b)).count();
      assertThat(s.blobReferences(b)).as(b.toString()).isEqualTo(1 + held);
    }
  }

  /**
   * Expired pending uploads are purged while their (late) bytes complete them: a completed upload
   * keeps its id, so no new pending upload can take it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"postgres", "sqlite"})
  void purgingExpiredPendingUploadsNeverFreesTheIdOfOneThatCompleted(String database)
      throws Exception {
    List<JdbcMediaStore> nodes = List.of(node(database), node(database));
    BlobKey b = blob(20);
    List<String> freed = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      int count = 300;
      List<MediaId> ids = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        MediaId id = MediaId.of("p" + round + "x" + i);
        ids.add(id);
        assertThat(
                nodes
                    .get(i % 2)
                    .insertPending(
                        new PendingMedia(
                            id, UserId.of("@u" + i + ":example.org"), T0, T0.plusSeconds(60)),
                        5,
                        T0))
            .isEqualTo(PendingInsert.INSERTED);
      }
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> work = new ArrayList<>();
      work.add(
          pool.submit(
              () -> {
                start.await();
                nodes.get(0).deleteExpiredPending(T0.plusSeconds(60));
                return null;
              }));
      for (int t = 0; t < THREADS - 1; t++) {
        int first = t;
        JdbcMediaStore store = nodes.get(t % 2);
        work.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = first; i < count; i += THREADS - 1) {
                    store.reserveBlob(b);
                    if (!store.completePending(
                        LocalMedia.uploaded(
                            ids.get(i), "text/plain", Optional.empty(), ALICE, 1, b, T0))) {
                      store.releaseBlob(b);
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> w : work) {
        w.get();
      }
      pool.shutdown();
      for (MediaId id : ids) {
        if (nodes.get(0).localMedia(id).isPresent()
            && nodes
                    .get(1)
                    .insertPending(
                        new PendingMedia(id, ALICE, T0, T0.plusSeconds(3600)), 1_000_000, T0)
                == PendingInsert.INSERTED) {
          freed.add(id.value());
        }
      }
    }
    assertThat(freed).as("ids of completed uploads that a new pending upload could take").isEmpty();
  }
}
