package org.mxmedia.preview;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A realistic page of any size, streamed from a small repeated chunk so the server holds none of
 * it.
 */
final class LargePages {
  static final String TITLE = "The large page";

  private LargePages() {}

  /** Serves {@code size} bytes of HTML at {@code path}, adding what it wrote to {@code written}. */
  static void serve(PageServer server, String path, long size, AtomicLong written) {
    serve(server, path, size, written, new CountDownLatch(1));
  }

  /**
   * Serves {@code size} bytes of HTML at {@code path}, adding what it wrote to {@code written}, and
   * counts {@code ended} down when a response ends: written whole, or cut off because the client
   * went away.
   */
  static void serve(
      PageServer server, String path, long size, AtomicLong written, CountDownLatch ended) {
    byte[] head =
        ("<!doctype html><html><head><meta charset=utf-8><title>"
                + TITLE
                + "</title>"
                + "<meta property=\"og:description\" content=\"Head description\"></head><body>")
            .getBytes(StandardCharsets.UTF_8);
    byte[] chunk =
        ("<div class=\"card\"><h2>Section</h2><p>Lorem ipsum dolor sit amet, consectetur adipiscing "
                + "elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. <a href=\"/next\">Next</a></p>"
                + "<img src=\"/i.png\" width=\"5\" height=\"5\"><script>var x = 1;</script></div>\n")
            .repeat(256)
            .getBytes(StandardCharsets.UTF_8);
    server.route(
        path,
        exchange -> {
          try {
            exchange.getResponseHeaders().add("Content-Type", "text/html");
            exchange.sendResponseHeaders(200, size);
            OutputStream out = exchange.getResponseBody();
            out.write(head);
            written.addAndGet(head.length);
            long left = size - head.length;
            while (left > 0) {
              int n = (int) Math.min(chunk.length, left);
              out.write(chunk, 0, n);
              written.addAndGet(n);
              left -= n;
            }
            out.close();
          } finally {
            ended.countDown();
          }
        });
  }
}
