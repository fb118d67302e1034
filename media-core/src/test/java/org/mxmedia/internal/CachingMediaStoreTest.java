package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.MediaStore.RemoteMedia;

class CachingMediaStoreTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final BlobKey BLOB = BlobKey.of("a".repeat(64));
  private static final MediaId ID = MediaId.of("abc");

  private final InMemoryMediaStore inner = new InMemoryMediaStore();
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicLong nanos = new AtomicLong();
  private final Ticker ticker = nanos::get;

  private MediaStore counting(MediaStore store) {
    return (MediaStore)
        Proxy.newProxyInstance(
            MediaStore.class.getClassLoader(),
            new Class<?>[] {MediaStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("localMedia") || method.getName().equals("remoteMedia")) {
                reads.incrementAndGet();
              }
              try {
                return method.invoke(store, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private static LocalMedia record(MediaId id) {
    return LocalMedia.uploaded(
        id, "image/png", Optional.empty(), UserId.of("@a:example.org"), 3, BLOB, NOW);
  }

  private CachingMediaStore cachedWithOneRecord() {
    CachingMediaStore cache =
        new CachingMediaStore(counting(inner), Duration.ofSeconds(5), 100, ticker);
    inner.reserveBlob(BLOB);
    assertThat(cache.insertLocalMedia(record(ID))).isTrue();
    return cache;
  }

  @Test
  void aHotRecordIsReadFromTheStoreOnce() {
    CachingMediaStore cache = cachedWithOneRecord();
    for (int i = 0; i < 10; i++) {
      assertThat(cache.localMedia(ID)).isPresent();
    }
    assertThat(reads).hasValue(1);
  }

  @Test
  void quarantineProtectionAndDeletionThroughTheCacheAreSeenAtOnce() {
    CachingMediaStore cache = cachedWithOneRecord();
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isFalse();
    cache.setQuarantined(ID, true);
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isTrue();
    cache.setQuarantined(ID, false);
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isFalse();
    cache.setSafeFromQuarantine(ID, true);
    assertThat(cache.localMedia(ID).orElseThrow().safeFromQuarantine()).isTrue();
    cache.setSafeFromQuarantine(ID, false);
    assertThat(cache.localMedia(ID).orElseThrow().safeFromQuarantine()).isFalse();
    cache.setQuarantinedByHash(BLOB, true);
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isTrue();
    cache.setQuarantinedByHash(BLOB, false);
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isFalse();
    cache.deleteLocalMedia(ID);
    assertThat(cache.localMedia(ID)).isEmpty();
  }

  @Test
  void remoteQuarantineAndDeletionThroughTheCacheAreSeenAtOnce() {
    CachingMediaStore cache = new CachingMediaStore(inner, Duration.ofSeconds(5), 100, ticker);
    MxcUri uri = MxcUri.parse("mxc://other.org/xyz");
    inner.reserveBlob(BLOB);
    RemoteMedia remote =
        new RemoteMedia(
            uri.serverName(),
            uri.mediaId(),
            "image/png",
            Optional.empty(),
            3,
            BLOB,
            NOW,
            NOW,
            false);
    assertThat(cache.insertRemoteMedia(remote)).isTrue();
    assertThat(cache.remoteMedia(uri).orElseThrow().quarantined()).isFalse();
    cache.setRemoteQuarantined(uri, true);
    assertThat(cache.remoteMedia(uri).orElseThrow().quarantined()).isTrue();
    cache.deleteRemoteMedia(uri);
    assertThat(cache.remoteMedia(uri)).isEmpty();
  }

  @Test
  void anAbsentRecordIsAskedForAgain() {
    CachingMediaStore cache = new CachingMediaStore(inner, Duration.ofSeconds(5), 100, ticker);
    assertThat(cache.localMedia(ID)).isEmpty();
    inner.reserveBlob(BLOB);
    inner.insertLocalMedia(record(ID)); // a pending upload completing elsewhere
    assertThat(cache.localMedia(ID)).isPresent();
  }

  @Test
  void aChangeMadeElsewhereIsSeenWithinTheTimeToLive() {
    CachingMediaStore cache = cachedWithOneRecord();
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isFalse();
    inner.setQuarantined(ID, true); // another node, sharing the database
    nanos.addAndGet(Duration.ofSeconds(4).toNanos());
    assertThat(cache.localMedia(ID).orElseThrow().quarantined())
        .as("stale within the bound")
        .isFalse();
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    assertThat(cache.localMedia(ID).orElseThrow().quarantined())
        .as("fresh past the bound")
        .isTrue();
  }

  @Test
  void aReadThatRacedAQuarantineIsNeverAnsweredAfterIt() throws Exception {
    inner.reserveBlob(BLOB);
    inner.insertLocalMedia(record(ID));
    CountDownLatch readDone = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    MediaStore slowReads =
        (MediaStore)
            Proxy.newProxyInstance(
                MediaStore.class.getClassLoader(),
                new Class<?>[] {MediaStore.class},
                (proxy, method, args) -> {
                  Object result;
                  try {
                    result = method.invoke(inner, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                  if (method.getName().equals("localMedia") && readDone.getCount() > 0) {
                    readDone.countDown();
                    proceed.await(10, TimeUnit.SECONDS);
                  }
                  return result;
                });
    CachingMediaStore cache = new CachingMediaStore(slowReads, Duration.ofSeconds(5), 100, ticker);
    CompletableFuture<Optional<LocalMedia>> racing =
        CompletableFuture.supplyAsync(() -> cache.localMedia(ID));
    assertThat(readDone.await(10, TimeUnit.SECONDS)).isTrue();
    cache.setQuarantined(ID, true); // after the racing read saw the old row, before it is cached
    proceed.countDown();
    assertThat(racing.get(10, TimeUnit.SECONDS).orElseThrow().quarantined())
        .as("the racing read saw the old row")
        .isFalse();
    assertThat(cache.localMedia(ID).orElseThrow().quarantined()).isTrue();
  }

  @Test
  void flushedAccessTimesDropTheirEntries() {
    CachingMediaStore cache = cachedWithOneRecord();
    cache.localMedia(ID);
    Instant later = NOW.plusSeconds(60);
    cache.recordAccess(Map.of(ID, later));
    assertThat(cache.localMedia(ID).orElseThrow().lastAccessedAt()).isEqualTo(later);
  }

  @Test
  void theCachesAreBounded() {
    CachingMediaStore cache =
        new CachingMediaStore(counting(inner), Duration.ofSeconds(5), 10, ticker);
    inner.reserveBlob(BLOB);
    for (int i = 0; i < 100; i++) {
      inner.reserveBlob(BLOB);
      inner.insertLocalMedia(record(MediaId.of("m" + i)));
      cache.localMedia(MediaId.of("m" + i));
    }
    assertThat(cache.localEntries()).isLessThanOrEqualTo(10);
  }
}
