package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;

/**
 * Synapse's {@code media_retention} run by the background sweep with an injected clock, and the
 * remote cache's space bound: what goes, what stays (protected, quarantined, recently accessed),
 * and that bytes shared with live records or uploaded meanwhile are never lost.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RetentionTest {
  static final Duration DAY = Duration.ofDays(1);

  @TempDir Path dir;
  FakeOrigin origin;
  Fixture f;

  @BeforeEach
  void startOrigin() throws Exception {
    origin = new FakeOrigin();
    // each remote media id answers its own 10 bytes: "remote-" and the id's last three characters
    origin.federation =
        ex -> {
          String path = ex.getRequestURI().getPath();
          String id = path.substring(path.lastIndexOf('/') + 1);
          FakeOrigin.multipartAnswer(remoteBytes(id), "application/octet-stream", "attachment")
              .answer(ex);
        };
  }

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
    origin.close();
  }

  static byte[] remoteBytes(String id) {
    return ("remote-" + id.substring(id.length() - 3)).getBytes(StandardCharsets.UTF_8);
  }

  private Fixture fixture(UnaryOperator<MediaRepository.Builder> customize) {
    return new Fixture(
        dir,
        MediaStore.inMemory(),
        b ->
            customize.apply(
                b.federationClient(origin.client())
                    .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY)));
  }

  private byte[] fetch(MxcUri uri) throws Exception {
    try (MediaResponse r =
            f.repo.download(uri, DownloadOptions.defaults().withTimeout(Duration.ofSeconds(10)));
        InputStream in = r.content().openStream()) {
      return in.readAllBytes();
    }
  }

  private void assertGone(MxcUri uri) {
    assertThatThrownBy(() -> f.download(uri))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_NOT_FOUND));
  }

  private String sha(MxcUri uri) {
    return f.repo.admin().describe(uri).sha256();
  }

  private boolean blobOnDisk(String sha256) throws Exception {
    return f.files().stream().anyMatch(p -> p.endsWith(sha256));
  }

  /** Runs the background work now (access-time flush, maintenance, retention, the space bound). */
  private void sweep() {
    f.scheduler.runPeriodicTasks();
  }

  @Test
  void localAndRemoteLifetimesGoByLastAccessAndKeepProtectedAndQuarantinedMedia() throws Exception {
    f =
        fixture(
            b -> b.localMediaLifetime(Duration.ofDays(30)).remoteMediaLifetime(Duration.ofDays(7)));
    MxcUri old = f.upload("never downloaded");
    MxcUri avatar = f.upload("protected avatar");
    MxcUri bad = f.upload("quarantined");
    MxcUri used = f.upload("downloaded now and then");
    MxcUri r1 = MxcUri.of("origin.test", "remoteAAA");
    MxcUri r2 = MxcUri.of("origin.test", "remoteBBB");
    assertThat(fetch(r1)).isEqualTo(remoteBytes("AAA"));
    assertThat(fetch(r2)).isEqualTo(remoteBytes("BBB"));
    f.repo.admin().protect(avatar);
    assertThat(f.repo.admin().quarantine(bad)).isTrue();
    f.repo.admin().quarantine(r2);
    String oldSha = sha(old);
    String r1Sha = sha(r1);

    f.clock.advance(Duration.ofDays(6));
    assertThat(fetch(r1)).hasSize(10);
    assertThat(f.download(used)).isNotEmpty();
    f.clock.advance(Duration.ofDays(2)); // day 8: r1 was served two days ago
    sweep();
    assertThat(f.store.remoteMedia(r1)).isPresent();

    f.clock.advance(Duration.ofDays(6)); // day 14: r1 idle for 8 days, r2 quarantined
    sweep();
    assertThat(f.store.remoteMedia(r1)).isEmpty();
    assertThat(blobOnDisk(r1Sha)).isFalse();
    assertThat(f.store.remoteMedia(r2)).as("quarantined remote media is kept").isPresent();
    assertThat(f.store.localMedia(old.mediaId())).as("local lifetime not reached").isPresent();
    int fetchesBefore = origin.federationRequests.get();
    assertThat(fetch(r1)).as("deleted remote media is fetched again").isEqualTo(remoteBytes("AAA"));
    assertThat(origin.federationRequests.get()).isEqualTo(fetchesBefore + 1);

    f.clock.advance(Duration.ofDays(17)); // day 31
    sweep();
    assertGone(old);
    assertThat(blobOnDisk(oldSha)).isFalse();
    assertThat(f.download(avatar)).as("protected media is kept").isNotEmpty();
    assertThat(f.store.localMedia(bad.mediaId())).as("quarantined local media is kept").isPresent();
    assertThat(f.store.localMedia(used.mediaId())).as("downloaded on day 6").isPresent();

    // a download served just before the sweep, still in memory, keeps its media
    f.clock.advance(Duration.ofDays(5)); // day 36: used idle for 30 days
    assertThat(f.download(used)).isNotEmpty();
    f.clock.advance(Duration.ofHours(1));
    sweep();
    assertThat(f.store.localMedia(used.mediaId())).isPresent();
    f.clock.advance(Duration.ofDays(31));
    sweep();
    assertGone(used);
    assertThat(f.download(avatar)).isNotEmpty();
    assertThat(f.store.localMedia(bad.mediaId())).isPresent();
    assertThat(f.stagingFiles()).isEmpty();
  }

  @Test
  void retentionKeepsBytesSharedWithMediaThatStays() throws Exception {
    f = fixture(b -> b.localMediaLifetime(Duration.ofDays(30)));
    MxcUri first = f.upload("same bytes");
    f.clock.advance(Duration.ofDays(20));
    MxcUri second = f.upload("same bytes");
    f.clock.advance(Duration.ofDays(11));
    sweep();
    assertGone(first);
    assertThat(f.download(second)).isEqualTo("same bytes".getBytes(StandardCharsets.UTF_8));
    assertThat(f.store.blobReferences(BlobKey.of(sha(second)))).isEqualTo(1);
  }

  @Test
  void withoutLifetimesNothingIsDeleted() throws Exception {
    f = fixture(b -> b);
    MxcUri uri = f.upload("kept forever");
    f.clock.advance(Duration.ofDays(3650));
    sweep();
    assertThat(f.download(uri)).isNotEmpty();
  }

  @Test
  void pastTheBoundTheLeastRecentlyAccessedRemoteMediaIsEvictedFirstAndQuarantinedMediaStays()
      throws Exception {
    f = fixture(b -> b.remoteCacheMaxSize(DataSize.bytes(25)));
    MxcUri a = MxcUri.of("origin.test", "mediaAAA");
    MxcUri b = MxcUri.of("origin.test", "mediaBBB");
    MxcUri c = MxcUri.of("origin.test", "mediaCCC");
    fetch(a);
    f.clock.advance(Duration.ofMinutes(1));
    fetch(b);
    f.clock.advance(Duration.ofMinutes(1));
    fetch(c);
    f.clock.advance(Duration.ofMinutes(1));
    fetch(a); // a is now the most recently accessed: b, c, a
    String bSha = sha(b);
    assertThat(f.store.remoteMediaBytes()).isEqualTo(30);
    sweep();
    assertThat(f.store.remoteMedia(b)).as("least recently accessed").isEmpty();
    assertThat(blobOnDisk(bSha)).isFalse();
    assertThat(f.store.remoteMedia(c)).isPresent();
    assertThat(f.store.remoteMedia(a)).isPresent();
    assertThat(f.store.remoteMediaBytes()).as("one record was enough").isEqualTo(20);

    f.repo.admin().quarantine(c); // c is now the least recently accessed, but quarantined
    f.clock.advance(Duration.ofMinutes(1));
    MxcUri d = MxcUri.of("origin.test", "mediaDDD");
    fetch(d);
    sweep();
    assertThat(f.store.remoteMedia(c)).as("quarantined media is never evicted").isPresent();
    assertThat(f.store.remoteMedia(a)).isEmpty();
    assertThat(f.store.remoteMedia(d)).isPresent();
    assertThat(f.store.remoteMediaBytes()).isEqualTo(20);
    sweep();
    assertThat(f.store.remoteMediaBytes()).as("within the bound, nothing more goes").isEqualTo(20);
  }

  /**
   * Retention deletes while threads upload and download the same bytes: every upload succeeds, a
   * download gets either the whole bytes or 404 (deleted by retention), and at the end the blobs on
   * disk are exactly those the remaining records refer to, each counted once per record.
   */
  @Test
  void retentionRacingUploadsAndDownloadsOfTheSameBytesLosesNothingAndLeavesNoOrphan()
      throws Exception {
    f = fixture(b -> b.localMediaLifetime(DAY));
    List<byte[]> contents =
        List.of(
            "alpha".getBytes(StandardCharsets.UTF_8),
            "beta".getBytes(StandardCharsets.UTF_8),
            "x".repeat(100_000).getBytes(StandardCharsets.UTF_8));
    ConcurrentHashMap<MxcUri, byte[]> uploaded = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger downloadsServed = new AtomicInteger();
    AtomicInteger downloadsGone = new AtomicInteger();
    Semaphore uploadsDone =
        new Semaphore(0); // one permit per upload, so each round waits for fresh uploads
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      workers.add(
          pool.submit(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (running.get()) {
                  byte[] bytes = contents.get(random.nextInt(contents.size()));
                  MxcUri uri =
                      f.repo.upload(
                          Fixture.ALICE, UploadRequest.empty(), new ByteArrayInputStream(bytes));
                  uploaded.put(uri, bytes);
                  uploadsDone.release();
                  List<MxcUri> known = new ArrayList<>(uploaded.keySet());
                  MxcUri any = known.get(random.nextInt(known.size()));
                  try {
                    assertThat(f.download(any)).isEqualTo(uploaded.get(any));
                    downloadsServed.incrementAndGet();
                  } catch (MediaException e) {
                    assertThat(e.errorCode()).as(e.getMessage()).isEqualTo(ErrorCode.M_NOT_FOUND);
                    downloadsGone.incrementAndGet();
                  }
                }
                return null;
              }));
    }
    int deletedBefore;
    try {
      for (int round = 0; round < 40; round++) {
        assertThat(uploadsDone.tryAcquire(8, 30, TimeUnit.SECONDS))
            .as("the workers keep uploading")
            .isTrue();
        f.clock.advance(
            Duration.ofHours(13)); // every upload is idle past the lifetime after two rounds
        sweep();
      }
    } finally {
      running.set(false);
      for (Future<?> w : workers) {
        w.get();
      }
      pool.shutdown();
    }
    Set<MxcUri> live = new HashSet<>();
    for (MxcUri uri : uploaded.keySet()) {
      if (f.store.localMedia(uri.mediaId()).isPresent()) {
        live.add(uri);
      }
    }
    deletedBefore = uploaded.size() - live.size();
    assertThat(deletedBefore).as("retention deleted media while the threads ran").isPositive();
    assertThat(downloadsServed.get()).isPositive();

    for (MxcUri uri : live) {
      assertThat(f.download(uri)).isEqualTo(uploaded.get(uri));
    }
    Map<String, Long> recordsPerBlob = new HashMap<>();
    live.forEach(uri -> recordsPerBlob.merge(sha(uri), 1L, Long::sum));
    Set<String> onDisk = new HashSet<>();
    try (Stream<Path> s = Files.walk(dir.resolve("blobs"))) {
      s.filter(Files::isRegularFile).forEach(p -> onDisk.add(p.getFileName().toString()));
    }
    assertThat(onDisk)
        .as("blobs on disk are exactly those referenced: no orphan, none missing")
        .isEqualTo(recordsPerBlob.keySet());
    recordsPerBlob.forEach(
        (k, n) -> assertThat(f.store.blobReferences(BlobKey.of(k))).as(k).isEqualTo(n));
    assertThat(f.stagingFiles()).isEmpty();

    // and once everything is idle, the last sweep leaves nothing at all
    f.clock.advance(Duration.ofDays(2));
    sweep();
    assertThat(f.files()).isEmpty();
  }
}
