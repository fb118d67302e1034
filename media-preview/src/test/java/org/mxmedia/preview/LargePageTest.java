package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LargePageTest {
  private static final long MIB = 1 << 20;

  @Test
  void aThirtyMegabytePageIsReadOnlyUpToTheSpiderSizeAndPreviewedFromItsStart() throws Exception {
    AtomicLong written = new AtomicLong();
    CountDownLatch ended = new CountDownLatch(1);
    try (PageServer server = new PageServer();
        UrlPreviews previews = Previews.builder().build()) {
      LargePages.serve(server, "/large", 30 * MIB, written, ended);

      Map<String, Object> og =
          previews.preview(server.url("/large"), new MemoryImageStore()).properties();
      assertThat(ended.await(10, TimeUnit.SECONDS))
          .as("the page's response ended: the preview closed the connection")
          .isTrue();

      assertThat(og)
          .containsEntry("og:title", LargePages.TITLE)
          .containsEntry("og:description", "Head description");
      assertThat(written.get()).isLessThan(UrlPreviews.DEFAULT_MAX_SPIDER_SIZE + 8 * MIB);
    }
  }

  @Test
  void fourThirtyMegabytePagesParsedWholeAtOnceFitIn256MiBOfHeap() throws Exception {
    List<String> output = fork("4", "30", "64");

    assertThat(output)
        .filteredOn(l -> l.startsWith("title="))
        .containsOnly("title=" + LargePages.TITLE)
        .hasSize(4);
  }

  @Test
  void thirtyMegabytePagesAtTheDefaultSpiderSizeFitIn256MiBOfHeap() throws Exception {
    List<String> output = fork("8", "30", "10");

    assertThat(output)
        .filteredOn(l -> l.startsWith("title="))
        .containsOnly("title=" + LargePages.TITLE)
        .hasSize(8);
  }

  /** Runs {@link LargePageMain} with {@code -Xmx256m}; fails when it does not exit 0. */
  private static List<String> fork(String... args) throws IOException, InterruptedException {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "-Xmx256m",
                "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp",
                System.getProperty("java.class.path"),
                LargePageMain.class.getName()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    boolean done = p.waitFor(Duration.ofMinutes(3).toSeconds(), TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(done).as("finished: " + out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    System.out.println(
        "forked "
            + String.join(" ", args)
            + ": "
            + out.lines().filter(l -> l.startsWith("peak")).findFirst().orElse(""));
    return out.lines().toList();
  }
}
