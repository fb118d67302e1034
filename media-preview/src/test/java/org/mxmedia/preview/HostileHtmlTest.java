package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HostileHtmlTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private PageServer server;
  private UrlPreviews previews;

  @BeforeEach
  void start() throws Exception {
    server = new PageServer();
    previews = Previews.builder().build();
  }

  @AfterEach
  void stop() {
    previews.close();
    server.close();
  }

  private Map<String, Object> timedPreview(String path) {
    long start = System.nanoTime();
    Map<String, Object> og =
        previews.preview(server.url(path), new MemoryImageStore()).properties();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BOUND);
    assertThat(og.size()).isLessThanOrEqualTo(50);
    assertThat(og.values())
        .allSatisfy(v -> assertThat(v.toString().length()).isLessThanOrEqualTo(1000));
    return og;
  }

  @Test
  void deeplyNestedElements() {
    server.html(
        "/divs",
        "<title>Deep</title><body>"
            + "<div>".repeat(500_000)
            + "bottom text"
            + "</div>".repeat(1000));
    server.html(
        "/mixed",
        "<body>" + "<span><b><i><a href=x><table><tr><td>".repeat(50_000) + "cell</body>");
    server.html(
        "/formatting", "<body>" + "<b><i><u><s>".repeat(100_000) + "<p>text</p>".repeat(1000));

    assertThat(timedPreview("/divs"))
        .containsEntry("og:title", "Deep")
        .containsEntry("og:description", "bottom text");
    assertThat(timedPreview("/mixed")).containsKey("og:description");
    assertThat(timedPreview("/formatting")).containsKey("og:description");
  }

  @Test
  void hugeAttributesAndText() {
    String huge = "x".repeat(5_000_000);
    server.html(
        "/attr",
        "<meta property=og:title content='"
            + huge
            + "'><meta property=og:image content='/"
            + huge
            + "'><img src='/"
            + huge
            + "' width=100 height=100><div class='"
            + huge
            + "' "
            + "a=b ".repeat(100_000)
            + ">text</div>");
    server.html(
        "/text",
        "<title>" + "word ".repeat(1_000_000) + "</title><body>" + "text ".repeat(1_000_000));

    Map<String, Object> attr = timedPreview("/attr");
    Map<String, Object> text = timedPreview("/text");

    assertThat((String) attr.get("og:title")).hasSize(1000).endsWith("…");
    assertThat(attr).doesNotContainKey("og:image");
    assertThat((String) text.get("og:title")).endsWith("…");
    assertThat((String) text.get("og:description")).hasSizeLessThanOrEqualTo(500);
  }

  @Test
  void thousandsOfMetaTags() {
    StringBuilder page = new StringBuilder("<head><meta property=og:title content=First>");
    for (int i = 0; i < 50_000; i++) {
      page.append("<meta property=og:k")
          .append(i)
          .append(" content=v")
          .append(i)
          .append(">")
          .append("<meta property=og:title content=Later")
          .append(i)
          .append(">")
          .append("<meta name=twitter:t")
          .append(i)
          .append(" content=x>");
    }
    server.html("/metas", page.toString());

    assertThat(timedPreview("/metas"))
        .hasSize(50)
        .containsEntry("og:title", "First")
        .containsEntry("og:k0", "v0");
  }

  @Test
  void unclosedCommentsScriptsAndAttributes() {
    server.html("/comment", "<title>T</title><body><!--" + "a".repeat(3_000_000));
    server.html("/script", "<title>T</title><body><script>" + "a<b>".repeat(500_000));
    server.html("/attribute", "<title>T</title><body><div title=\"" + "a".repeat(3_000_000));

    assertThat(timedPreview("/comment")).containsEntry("og:title", "T");
    assertThat(timedPreview("/script"))
        .containsEntry("og:title", "T")
        .doesNotContainKey("og:description");
    assertThat(timedPreview("/attribute")).containsEntry("og:title", "T");
  }
}
