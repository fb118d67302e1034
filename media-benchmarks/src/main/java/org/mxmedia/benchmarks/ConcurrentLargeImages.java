package org.mxmedia.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * Thumbnails every JPEG in a directory at once, one thread each, with the five spec sizes, and
 * prints the peak heap used. Run it with {@code -Xmx128m} on three 30 MP JPEGs: it exits 0 only if
 * all finished without running out of memory.
 */
public final class ConcurrentLargeImages {
  private ConcurrentLargeImages() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    List<Path> jpegs;
    try (var files = Files.list(dir)) {
      jpegs =
          files.filter(p -> p.getFileName().toString().matches("large.*\\.jpg")).sorted().toList();
    }
    ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
    ExecutorService pool = Executors.newFixedThreadPool(jpegs.size());
    long start = System.nanoTime();
    List<Future<Integer>> results = new ArrayList<>();
    for (Path jpeg : jpegs) {
      results.add(
          pool.submit(
              () -> {
                ImageInfo info = thumbnailer.probe(jpeg, "image/jpeg").orElseThrow();
                List<ThumbnailSpec> specs =
                    BenchmarkImages.specTargets(info.width(), info.height());
                Path out = Files.createTempDirectory("large-out");
                return thumbnailer.generate(jpeg, info, specs, 64_000_000L, out).size();
              }));
    }
    long peak = 0;
    while (!results.stream().allMatch(Future::isDone)) {
      Runtime rt = Runtime.getRuntime();
      peak = Math.max(peak, rt.totalMemory() - rt.freeMemory());
      Thread.sleep(5);
    }
    int made = 0;
    for (Future<Integer> r : results) {
      made += r.get();
    }
    pool.shutdown();
    System.out.printf(
        "%d images, %d thumbnails in %d ms; max heap %d MiB; peak used %d MiB%n",
        jpegs.size(),
        made,
        (System.nanoTime() - start) / 1_000_000,
        Runtime.getRuntime().maxMemory() >> 20,
        peak >> 20);
  }
}
