package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;

/**
 * Quarantine by hash racing inserts of the same bytes, on PostgreSQL (READ COMMITTED, where neither
 * transaction sees the other's uncommitted rows) and SQLite: whichever commits first, no record
 * with a quarantined hash may end up visible.
 */
class QuarantineRaceTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final int INSERTERS = 4;

  private static BlobKey blob(int n) {
    byte[] digest = new byte[32];
    digest[0] = (byte) n;
    digest[1] = (byte) (n >> 8);
    digest[31] = 7;
    return BlobKey.of(HexFormat.of().formatHex(digest));
  }

  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"postgres", "sqlite"})
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void everyRecordOfAHashQuarantinedWhileItWasInsertedEndsQuarantined(String database)
      throws Exception {
    try (JdbcMediaStore store =
        database.equals("sqlite")
            ? JdbcMediaStore.sqlite(dir.resolve("media.db"))
            : Postgres.newStore()) {
      ExecutorService pool = Executors.newFixedThreadPool(INSERTERS + 1);
      try {
        List<String> visible = new ArrayList<>();
        for (int round = 0; round < 150; round++) {
          BlobKey b = blob(round);
          for (int i = 0; i <= INSERTERS; i++) {
            store.reserveBlob(b);
          }
          CyclicBarrier start = new CyclicBarrier(INSERTERS + 1);
          List<Future<?>> work = new ArrayList<>();
          int r = round;
          work.add(
              pool.submit(
                  () -> {
                    start.await();
                    store.setQuarantinedByHash(b, true);
                    return null;
                  }));
          for (int i = 0; i < INSERTERS; i++) {
            int n = i;
            work.add(
                pool.submit(
                    () -> {
                      start.await();
                      if (n == 0) {
                        store.insertRemoteMedia(
                            RemoteMedia.cached(
                                ServerName.of("other.org"),
                                MediaId.of("r" + r),
                                "text/plain",
                                Optional.empty(),
                                1,
                                b,
                                T0));
                      } else {
                        store.insertLocalMedia(
                            LocalMedia.uploaded(
                                MediaId.of("m" + r + "x" + n),
                                "text/plain",
                                Optional.empty(),
                                UserId.of("@a:example.org"),
                                1,
                                b,
                                T0));
                      }
                      return null;
                    }));
          }
          for (Future<?> w : work) {
            w.get(60, TimeUnit.SECONDS);
          }
          for (int n = 1; n < INSERTERS; n++) {
            LocalMedia m = store.localMedia(MediaId.of("m" + r + "x" + n)).orElseThrow();
            if (!m.quarantined()) {
              visible.add(m.mediaId().value());
            }
          }
          if (!store.remoteMedia(MxcUri.of("other.org", "r" + r)).orElseThrow().quarantined()) {
            visible.add("remote r" + r);
          }
        }
        assertThat(visible).as("records left visible although their hash is quarantined").isEmpty();
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
