package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaException;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;

/**
 * Invariant 1 under load: uploads and deletions of the same content race, and nothing is lost or
 * left over.
 */
class ConcurrencyTest {

  @TempDir Path dir;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void sixteenThreadsUploadingAndDeletingTheSameContentEndConsistent() throws Exception {
    List<byte[]> contents =
        List.of(
            "alpha".getBytes(StandardCharsets.UTF_8),
            "beta".getBytes(StandardCharsets.UTF_8),
            "x".repeat(100_000).getBytes(StandardCharsets.UTF_8));
    try (Fixture f = new Fixture(dir)) {
      ConcurrentHashMap<MxcUri, byte[]> live = new ConcurrentHashMap<>();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
      ExecutorService pool = Executors.newFixedThreadPool(16);
      List<Future<Integer>> workers = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        workers.add(
            pool.submit(
                () -> {
                  int ops = 0;
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  while (System.nanoTime() < until) {
                    if (random.nextInt(3) > 0 || live.isEmpty()) {
                      byte[] bytes = contents.get(random.nextInt(contents.size()));
                      MxcUri uri =
                          f.repo.upload(
                              Fixture.ALICE,
                              UploadRequest.empty(),
                              new ByteArrayInputStream(bytes));
                      // read back before other threads may delete it: a concurrent deletion of
                      // another
                      // record with the same bytes must not take ours
                      assertThat(f.download(uri)).isEqualTo(bytes);
                      live.put(uri, bytes);
                    } else {
                      MxcUri victim =
                          live.keySet().stream()
                              .skip(random.nextInt(Math.max(1, live.size())))
                              .findFirst()
                              .orElse(null);
                      if (victim != null && live.remove(victim) != null) {
                        f.repo.admin().delete(victim);
                      }
                    }
                    ops++;
                  }
                  return ops;
                }));
      }
      int total = 0;
      for (Future<Integer> w : workers) {
        total += w.get();
      }
      pool.shutdown();
      assertThat(total).isGreaterThan(100);

      for (var e : live.entrySet()) {
        assertThat(f.download(e.getKey())).isEqualTo(e.getValue());
      }
      Map<BlobKey, Long> recordsPerBlob = new HashMap<>();
      live.keySet()
          .forEach(
              uri ->
                  recordsPerBlob.merge(
                      BlobKey.of(f.repo.admin().describe(uri).sha256()), 1L, Long::sum));
      Set<String> onDisk = new HashSet<>();
      try (Stream<Path> s = Files.walk(dir.resolve("blobs"))) {
        s.filter(Files::isRegularFile).forEach(p -> onDisk.add(p.getFileName().toString()));
      }
      Set<String> expected = new HashSet<>();
      recordsPerBlob.keySet().forEach(k -> expected.add(k.sha256()));
      assertThat(onDisk)
          .as("blobs on disk are exactly those referenced: no orphan, none missing")
          .isEqualTo(expected);
      recordsPerBlob.forEach(
          (k, records) -> assertThat(f.store.blobReferences(k)).as(k.sha256()).isEqualTo(records));
      assertThat(f.stagingFiles()).isEmpty();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void deletingWhileTheSameBytesAreBeingUploadedNeverLosesThem() throws Exception {
    byte[] bytes = "contended".getBytes(StandardCharsets.UTF_8);
    try (Fixture f = new Fixture(dir)) {
      for (int round = 0; round < 200; round++) {
        MxcUri old =
            f.repo.upload(Fixture.ALICE, UploadRequest.empty(), new ByteArrayInputStream(bytes));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Future<MxcUri> upload =
            pool.submit(
                () ->
                    f.repo.upload(
                        Fixture.ALICE, UploadRequest.empty(), new ByteArrayInputStream(bytes)));
        Future<?> delete =
            pool.submit(
                () -> {
                  f.repo.admin().delete(old);
                  return null;
                });
        delete.get();
        MxcUri fresh = upload.get();
        pool.shutdown();
        assertThat(f.download(fresh)).isEqualTo(bytes);
        f.repo.admin().delete(fresh);
      }
      assertThat(f.files()).isEmpty();
    } catch (MediaException e) {
      throw new AssertionError("unexpected " + e, e);
    }
  }
}
