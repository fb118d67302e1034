package org.mxmedia.benchmarks;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.jsoup.Jsoup;
import org.mxmedia.MxcUri;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.UrlPreviews;
import org.mxmedia.spi.UrlPreviewer.ImageStore;
import org.mxmedia.spi.UrlPreviewer.StoredImage;

/**
 * N previews of M MiB pages at once against a web server on loopback, and the heap they take:
 * {@code java -Xmx256m -cp benchmarks.jar org.mxmedia.benchmarks.ConcurrentPreviews [previews=50]
 * [MiB=10] [preview|jsoup]}. It prints the heap in use after a full GC before the previews (the
 * server's page and the JVM's own), the peak in use while they run (sampled every 5 ms: live data
 * plus garbage not yet collected), and the heap in use after a full GC right after they all started
 * reading (what they hold). {@code jsoup} fetches the pages and runs {@code Jsoup.parse} on each
 * instead, for comparison. Exits 0 when every preview succeeded.
 */
public final class ConcurrentPreviews {
  /**
   * The server writes in pieces this size: the JDK server holds a copy of whatever one write is
   * given.
   */
  private static final int CHUNK = 64 * 1024;

  private ConcurrentPreviews() {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int mib = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    boolean jsoup = args.length > 2 && args[2].equals("jsoup");
    byte[] page = BenchmarkPages.realistic(mib << 20);
    AtomicLong served = new AtomicLong();
    CountDownLatch reading = new CountDownLatch(count);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 128);
    server.setExecutor(Executors.newFixedThreadPool(count));
    server.createContext(
        "/",
        exchange -> {
          exchange.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          exchange.sendResponseHeaders(200, page.length);
          boolean counted = false;
          try (OutputStream out = exchange.getResponseBody()) {
            for (int off = 0; off < page.length; off += CHUNK) {
              out.write(page, off, Math.min(CHUNK, page.length - off));
              if (!counted && off >= page.length / 2) {
                reading.countDown();
                counted = true;
              }
            }
            served.addAndGet(page.length);
          } catch (IOException e) {
            if (!counted) {
              reading.countDown();
            }
          }
          exchange.close();
        });
    server.start();
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/page");
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    memory.gc();
    long baseline = memory.getHeapMemoryUsage().getUsed();

    OutboundPolicy loopback = OutboundPolicy.builder().whitelist(List.of("127.0.0.1/32")).build();
    ImageStore noImages =
        (body, type, length) -> {
          try (InputStream in = body) {
            in.transferTo(OutputStream.nullOutputStream());
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
          return new StoredImage(
              MxcUri.of("bench.example", "img"), type, 0, OptionalInt.empty(), OptionalInt.empty());
        };
    HttpClient plain = HttpClient.newHttpClient();
    ExecutorService pool = Executors.newFixedThreadPool(count);
    long start = System.nanoTime();
    try (UrlPreviews previews =
        UrlPreviews.builder()
            .outboundPolicy(loopback)
            .maxSpiderSize(64L << 20)
            .maxConnections(count * 4)
            .pageDeadline(Duration.ofMinutes(5))
            .build()) {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        results.add(
            pool.submit(
                () ->
                    jsoup
                        ? Jsoup.parse(
                                plain
                                    .send(
                                        HttpRequest.newBuilder(url).build(),
                                        HttpResponse.BodyHandlers.ofInputStream())
                                    .body(),
                                "UTF-8",
                                url.toString())
                            .title()
                        : (String) previews.preview(url, noImages).properties().get("og:title")));
      }
      long peak = 0;
      boolean measuredHeld = false;
      long held = -1;
      while (!results.stream().allMatch(Future::isDone)) {
        peak = Math.max(peak, memory.getHeapMemoryUsage().getUsed());
        if (!measuredHeld && reading.getCount() == 0) {
          memory.gc();
          held = memory.getHeapMemoryUsage().getUsed();
          measuredHeld = true;
        }
        Thread.sleep(5);
      }
      int ok = 0;
      for (Future<String> r : results) {
        if (r.get() != null) {
          ok++;
        }
      }
      System.out.printf(
          "%s: %d previews of %d MiB pages in %d ms, %d succeeded; max heap %d MiB; "
              + "before %d MiB, peak in use %d MiB, held mid-way (after GC) %s MiB%n",
          jsoup ? "jsoup" : "preview",
          count,
          mib,
          (System.nanoTime() - start) / 1_000_000,
          ok,
          Runtime.getRuntime().maxMemory() >> 20,
          baseline >> 20,
          peak >> 20,
          held < 0 ? "n/a" : String.valueOf(held >> 20));
      pool.shutdown();
      server.stop(0);
      System.exit(ok == count ? 0 : 1);
    }
  }
}
