package org.mxmedia.preview;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Run by {@link LargePageTest} in a JVM of its own with a small heap: previews {@code args[0]}
 * pages of {@code args[1]} MiB at once with a spider size of {@code args[2]} MiB, and prints the
 * titles and the peak heap. Exits 0 when every preview succeeded.
 */
public final class LargePageMain {
  private LargePageMain() {}

  public static void main(String[] args) throws Exception {
    int pages = Integer.parseInt(args[0]);
    long size = Long.parseLong(args[1]) << 20;
    long spider = Long.parseLong(args[2]) << 20;
    try (PageServer server = new PageServer();
        UrlPreviews previews =
            Previews.builder()
                .maxSpiderSize(spider)
                .pageDeadline(Duration.ofSeconds(120))
                .build()) {
      LargePages.serve(server, "/large", size, new AtomicLong());
      ExecutorService pool = Executors.newFixedThreadPool(pages);
      List<Future<Map<String, Object>>> results = new ArrayList<>();
      for (int i = 0; i < pages; i++) {
        results.add(
            pool.submit(
                () -> previews.preview(server.url("/large"), new MemoryImageStore()).properties()));
      }
      for (Future<Map<String, Object>> r : results) {
        System.out.println("title=" + r.get().get("og:title"));
      }
      pool.shutdown();
    }
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.println("peakHeapMiB=" + (peak >> 20));
  }
}
