package org.mxmedia.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.storage.fs.FileSystemStorage;

/**
 * A process dies between reserving a blob and writing its record: the reservation would keep the
 * bytes forever. Another process's maintenance releases it once the dead one's lease expired, and
 * deletes the bytes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CrashedNodeTest {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  @TempDir Path dir;

  /**
   * {@code store}, counting {@code done} down when maintenance has run (purging pending uploads is
   * its last step).
   */
  private static MediaStore signallingMaintenance(MediaStore store, CountDownLatch done) {
    return (MediaStore)
        Proxy.newProxyInstance(
            MediaStore.class.getClassLoader(),
            new Class<?>[] {MediaStore.class},
            (proxy, method, args) -> {
              Object result;
              try {
                result = method.invoke(store, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              if (method.getName().equals("deleteExpiredPending")) {
                done.countDown();
              }
              return result;
            });
  }

  private MediaRepository repository(MediaStore store, FileSystemStorage storage, Instant now) {
    return MediaRepository.builder()
        .serverName("example.org")
        .mediaStore(store)
        .storage(storage)
        .clock(Clock.fixed(now, ZoneOffset.UTC))
        .build();
  }

  @Test
  void aReservationLeftByADeadProcessIsReleasedAfterItsLeaseAndTheBytesDeleted() throws Exception {
    Path db = dir.resolve("media.db");
    FileSystemStorage storage = FileSystemStorage.at(dir.resolve("blobs"));
    byte[] bytes = "uploaded when the process died".getBytes(StandardCharsets.UTF_8);
    BlobKey key;
    try (JdbcMediaStore store = JdbcMediaStore.sqlite(db)) {
      CountDownLatch started = new CountDownLatch(1);
      try (MediaRepository first = repository(signallingMaintenance(store, started), storage, T0)) {
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue(); // its lease is renewed at T0
        MxcUri uri =
            first.upload(
                UserId.of("@alice:example.org"),
                UploadRequest.empty(),
                new ByteArrayInputStream(bytes));
        key = BlobKey.of(first.admin().describe(uri).sha256());
        // the state a death between reserve and record leaves: the bytes are stored, a
        // reservation holds them, no record refers to them
        store.reserveBlob(key);
        store.deleteLocalMedia(uri.mediaId());
      }
    } // the process is gone, its reservation with it
    assertThat(storage.exists(key)).isTrue();

    try (JdbcMediaStore store = JdbcMediaStore.sqlite(db)) {
      CountDownLatch swept = new CountDownLatch(1);
      try (MediaRepository second =
          repository(signallingMaintenance(store, swept), storage, T0.plusSeconds(301))) {
        assertThat(swept.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(store.blobReferences(key))
            .as("the dead process's reservation was released")
            .isZero();
        assertThat(storage.exists(key)).as("and the bytes it held deleted").isFalse();
        assertThat(store.unreferencedBlobs(10)).isEmpty();
      }
    }
  }
}
