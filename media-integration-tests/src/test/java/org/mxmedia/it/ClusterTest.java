package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.testkit.TestImages;

/**
 * Two repositories sharing one store and one storage root, as two nodes of a cluster: work that
 * must happen once happens once in all, and a node that dies holding a claim holds the others up no
 * longer than the claim lasts.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ClusterTest {
  static final MxcUri REMOTE = MxcUri.of("origin.test", "shared");

  @TempDir Path dir;
  FakeOrigin origin;
  final MediaStore shared = MediaStore.inMemory();
  Fixture a;
  Fixture b;

  @BeforeEach
  void start() throws Exception {
    origin = new FakeOrigin();
    // no pre-generated sizes: every decode is one a request asked for
    MediaConfig config =
        MediaConfig.defaults()
            .rebuild()
            .maxConcurrentRemoteDownloads(64)
            .dynamicThumbnails(true)
            .thumbnailSizes(List.of())
            .build();
    a = node(config);
    b = node(config);
  }

  /** Decodes on both nodes together. */
  final ThumbnailTest.CountingThumbnailer thumbnailer = new ThumbnailTest.CountingThumbnailer();

  private Fixture node(MediaConfig config) {
    return new Fixture(
        dir.resolve("storage"),
        shared,
        builder ->
            builder
                .config(config)
                .federationClient(origin.client())
                .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY)
                .thumbnailer(thumbnailer));
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    origin.close();
  }

  private static byte[] read(Fixture node, MxcUri uri) throws Exception {
    try (MediaResponse r = node.repo.download(uri, DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      return in.readAllBytes();
    }
  }

  @Test
  void twentyRequestsOnEachOfTwoNodesForOneSlowRemoteMediaMakeOneFetch() throws Exception {
    byte[] bytes = RemoteMediaTest.random(300_000);
    CountDownLatch requested = new CountDownLatch(1);
    CountDownLatch allAsked = new CountDownLatch(40);
    origin.federation =
        ex -> {
          requested.countDown();
          allAsked.await(20, TimeUnit.SECONDS); // answer once every caller is waiting
          FakeOrigin.multipartAnswer(bytes, "application/octet-stream", "attachment").answer(ex);
        };
    ExecutorService pool = Executors.newFixedThreadPool(40);
    try {
      List<Future<byte[]>> answers = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        Fixture node = i % 2 == 0 ? a : b;
        answers.add(
            pool.submit(
                () -> {
                  allAsked.countDown();
                  return read(node, REMOTE);
                }));
      }
      for (Future<byte[]> answer : answers) {
        assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo(bytes);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(requested.getCount()).isZero();
    assertThat(origin.federationRequests.get()).as("federation requests in all").isEqualTo(1);
  }

  @Test
  void aMissingThumbnailAskedOnBothNodesIsMadeOnce() throws Exception {
    MxcUri uri =
        a.upload(
            TestImages.encode(TestImages.noisy(900, 700, 4), "png"), UploadRequest.of("image/png"));
    ExecutorService pool = Executors.newFixedThreadPool(20);
    try {
      List<Future<byte[]>> answers = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      for (int i = 0; i < 20; i++) {
        Fixture node = i % 2 == 0 ? a : b;
        answers.add(
            pool.submit(
                () -> {
                  go.await();
                  try (MediaResponse r =
                      node.repo.thumbnail(
                          uri, ThumbnailSpec.scale(250, 250), DownloadOptions.defaults())) {
                    return r.content().openStream().readAllBytes();
                  }
                }));
      }
      go.countDown();
      byte[] first = answers.get(0).get(60, TimeUnit.SECONDS);
      for (Future<byte[]> answer : answers) {
        assertThat(answer.get(60, TimeUnit.SECONDS)).isEqualTo(first);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(thumbnailer.generations.get()).as("decodes on both nodes together").isEqualTo(1);
    assertThat(shared.thumbnails(BlobKey.of(a.repo.admin().describe(uri).sha256()))).hasSize(1);
  }

  @Test
  void aNodeThatFindsAnotherHalfwayThroughPregenerationWaitsForEverySize() throws Exception {
    // node C pre-generates; it stops after storing its first thumbnail record until released
    CountDownLatch firstStored = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    MediaStore pausing =
        StoreHooks.after(
            shared,
            (method, result) -> {
              if (method.equals("insertThumbnail") && firstStored.getCount() > 0) {
                firstStored.countDown();
                try {
                  release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    MediaConfig sizes =
        MediaConfig.defaults()
            .rebuild()
            .thumbnailSizes(
                List.of(
                    ThumbnailSpec.crop(32, 32),
                    ThumbnailSpec.crop(96, 96),
                    ThumbnailSpec.scale(320, 240)))
            .build();
    Fixture c =
        new Fixture(
            dir.resolve("storage"),
            pausing,
            builder -> builder.config(sizes).thumbnailer(thumbnailer));
    CountDownLatch dWaits = new CountDownLatch(1);
    MediaStore watched =
        StoreHooks.after(
            shared,
            (method, result) -> {
              if (method.equals("claimWork") && Boolean.FALSE.equals(result)) {
                dWaits.countDown();
              }
            });
    Fixture d =
        new Fixture(
            dir.resolve("storage"),
            watched,
            builder -> builder.config(sizes).thumbnailer(thumbnailer));
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      MxcUri uri =
          c.upload(
              TestImages.encode(TestImages.noisy(640, 480, 5), "png"),
              UploadRequest.of("image/png"));
      assertThat(firstStored.await(30, TimeUnit.SECONDS)).isTrue();
      BlobKey source = BlobKey.of(c.repo.admin().describe(uri).sha256());
      assertThat(shared.thumbnails(source)).as("C is halfway").hasSize(1);
      Future<byte[]> onD =
          pool.submit(
              () -> {
                try (MediaResponse r =
                    d.repo.thumbnail(uri, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults())) {
                  return r.content().openStream().readAllBytes();
                }
              });
      assertThat(dWaits.await(30, TimeUnit.SECONDS)).as("D waits for C's claim").isTrue();
      release.countDown();
      byte[] thumb = onD.get(30, TimeUnit.SECONDS);
      assertThat(ImageIO.read(new ByteArrayInputStream(thumb)).getWidth())
          .as("the 96x96 crop C made, not the source nor the 32x32 it had stored first")
          .isEqualTo(96);
      assertThat(shared.thumbnails(source)).hasSize(3);
      assertThat(thumbnailer.generations.get()).as("one decode on both nodes").isEqualTo(1);
    } finally {
      release.countDown();
      pool.shutdownNow();
      c.close();
      d.close();
    }
  }

  @Test
  void aNodeThatDiedHoldingTheClaimHoldsTheOthersUpOnlyUntilTheClaimLapses() throws Exception {
    byte[] bytes = RemoteMediaTest.random(10_000);
    CountDownLatch fetched = new CountDownLatch(1);
    origin.federation =
        ex -> {
          fetched.countDown();
          FakeOrigin.multipartAnswer(bytes, "application/octet-stream", "attachment").answer(ex);
        };
    // a third node claimed the fetch and died: its claim lasts 30 s from now
    assertThat(
            shared.claimWork(
                "remote " + REMOTE,
                "dead-node",
                b.clock.instant(),
                b.clock.instant().plusSeconds(30)))
        .isTrue();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<byte[]> waiting = pool.submit(() -> read(b, REMOTE));
      assertThat(fetched.await(500, TimeUnit.MILLISECONDS))
          .as("nobody fetches while the claim lasts")
          .isFalse();
      b.clock.advance(Duration.ofSeconds(31));
      assertThat(waiting.get(20, TimeUnit.SECONDS)).isEqualTo(bytes);
      assertThat(origin.federationRequests.get()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }
}
