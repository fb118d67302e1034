package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HtmlPreviewTest {
  private PageServer server;
  private UrlPreviews previews;
  private MemoryImageStore images;

  @BeforeEach
  void start() throws Exception {
    server = new PageServer();
    previews = Previews.builder().build();
    images = new MemoryImageStore();
  }

  @AfterEach
  void stop() {
    previews.close();
    server.close();
  }

  private Map<String, Object> preview(String path) {
    return previews.preview(server.url(path), images).properties();
  }

  @Test
  void openGraphTagsWithARelativeImageAreResolvedAgainstThePageAndStored() {
    server.html(
        "/articles/page",
        """
        <html><head>
        <meta property="og:title" content="The &amp; Title">
        <meta property="og:description" content="  A   description
           over lines ">
        <meta property="og:image" content="../img/cover.png">
        <meta property="og:site_name" content="Site">
        <meta property="og:type" content="article">
        <meta property="article:author" content="Someone">
        <title>Not this</title>
        </head><body><p>Body text</p></body></html>""");
    server.bytes("/img/cover.png", "image/png", MemoryImageStore.png(200, 100));

    Map<String, Object> og = preview("/articles/page");

    assertThat(og)
        .containsEntry("og:title", "The & Title")
        .containsEntry("og:description", "A description over lines")
        .containsEntry("og:site_name", "Site")
        .containsEntry("og:type", "article")
        .containsEntry("article:author", "Someone")
        .containsEntry("og:image", "mxc://test.example/img1")
        .containsEntry("og:image:width", 200)
        .containsEntry("og:image:height", 100)
        .containsEntry("og:image:type", "image/png")
        .containsEntry("matrix:image:size", (long) images.stored.get(0).bytes().length);
    assertThat(server.hits("/img/cover.png")).isEqualTo(1);
    assertThat(images.stored).hasSize(1);
  }

  @Test
  void twitterCardTagsFillWhatOpenGraphLacksButNeverOverrideIt() {
    server.html(
        "/t",
        """
        <meta property="og:title" content="OG title">
        <meta name="twitter:title" content="Twitter title">
        <meta name="twitter:description" content="Twitter description">
        <meta name="twitter:site" content="@site">
        <meta name="twitter:card" content="summary">
        <meta name="twitter:creator" content="@me">
        <meta name="twitter:image" content="/pic.png">""");
    server.bytes("/pic.png", "image/png", MemoryImageStore.png(20, 20));

    Map<String, Object> og = preview("/t");

    assertThat(og)
        .containsEntry("og:title", "OG title")
        .containsEntry("og:description", "Twitter description")
        .containsEntry("og:site_name", "@site")
        .containsEntry("og:image", "mxc://test.example/img1")
        .doesNotContainKeys("og:card", "og:creator", "twitter:title");
  }

  @Test
  void withoutOpenGraphTheTitleComesFromTheTitleElement() {
    server.html(
        "/p",
        "<html><head><title>  Page\n title </title></head><body><h1>Heading</h1></body></html>");

    assertThat(preview("/p")).containsEntry("og:title", "Page title");
  }

  @Test
  void withoutATitleElementTheTitleIsTheFirstHeadingWithItsNestedText() {
    server.html(
        "/p",
        "<body><div><h2>Second</h2><h1>First <a href=/x>linked <b>part</b></a> end</h1><h1>Other</h1></div></body>");

    assertThat(preview("/p")).containsEntry("og:title", "First linked part end");
  }

  @Test
  void theDescriptionIsTheMetaDescriptionWhenThereIsNoOpenGraphOne() {
    server.html(
        "/p", "<meta name=Description content='Meta description'><body><p>Body text</p></body>");

    assertThat(preview("/p")).containsEntry("og:description", "Meta description");
  }

  @Test
  void withoutAnyDescriptionTheFirstMeaningfulTextOfTheBodyIsUsedInDocumentOrder() {
    server.html(
        "/p",
        """
        <html><head><title>T</title><style>body { color: red }</style></head>
        <body>
          <header>Site header</header>
          <nav><a href=/>Home</a></nav>
          <script>var ignored = 1;</script>
          <div role="menu">Menu item</div>
          <main>Lead-in <p>First   paragraph <em>with</em> emphasis.</p> between <p>Second paragraph.</p></main>
          <footer>Footer text</footer>
        </body></html>""");

    assertThat(preview("/p"))
        .containsEntry(
            "og:description", "Lead-in First paragraph with emphasis. between Second paragraph.");
  }

  @Test
  void aLongBodyTextIsSummarizedAtAWordBoundary() {
    String words = "word ".repeat(400);
    server.html("/p", "<body><p>" + words + "</p></body>");

    String description = (String) preview("/p").get("og:description");

    assertThat(description).hasSizeLessThanOrEqualTo(500).endsWith("…").doesNotContain("wor…");
  }

  @Test
  void withoutAnOpenGraphImageTheLargestDeclaredImageIsUsedAndTinyOnesAreSkipped() {
    server.html(
        "/p",
        """
        <body>
        <img src="/pixel.gif" width="1" height="1">
        <img src="data:image/png;base64,AAAA" width="500" height="500">
        <img src="/small.png" width="50" height="50">
        <img src="/large.png" width="300" height="200">
        <img src="/undeclared.png">
        </body>""");
    server.bytes("/large.png", "image/png", MemoryImageStore.png(300, 200));

    Map<String, Object> og = preview("/p");

    assertThat(og)
        .containsEntry("og:image", "mxc://test.example/img1")
        .containsEntry("og:image:width", 300);
    assertThat(server.hits("/large.png")).isEqualTo(1);
    assertThat(
            server.hits("/pixel.gif") + server.hits("/small.png") + server.hits("/undeclared.png"))
        .isZero();
  }

  @Test
  void withoutDeclaredSizesTheFirstImageNotDeclaredTinyIsUsed() {
    server.html(
        "/p",
        "<body><img src='/tracker.gif' width=1><img src='/photo.png'><img src='/other.png'></body>");
    server.bytes("/photo.png", "image/png", MemoryImageStore.png(40, 30));

    assertThat(preview("/p")).containsEntry("og:image:height", 30);
    assertThat(server.hits("/tracker.gif")).isZero();
  }

  @Test
  void imageUrlsAreReadAsBrowsersReadThem() {
    server.html("/p", "<meta property=og:image content=' /img/my photo|ü.png '>");
    server.bytes("/img/my photo|ü.png", "image/png", MemoryImageStore.png(12, 12));

    assertThat(preview("/p")).containsEntry("og:image:width", 12);
  }

  @Test
  void anImageThatCannotBeFetchedLeavesThePreviewWithoutAnImage() {
    server.html(
        "/p", "<meta property=og:title content=T><meta property=og:image content=/missing.png>");

    Map<String, Object> og = preview("/p");

    assertThat(og).containsEntry("og:title", "T").doesNotContainKeys("og:image", "og:image:type");
    assertThat(images.stored).isEmpty();
  }

  @Test
  void anImageThatIsNotAnImageIsNotStored() {
    server.html(
        "/p", "<meta property=og:title content=T><meta property=og:image content=/page.html>");
    server.html("/page.html", "<p>not an image</p>");

    assertThat(preview("/p")).doesNotContainKey("og:image");
    assertThat(images.stored).isEmpty();
  }

  @Test
  void aUrlThatIsAnImageAnswersWithThatImageAndItsFileName() {
    byte[] png = MemoryImageStore.png(64, 48);
    server.bytes(
        "/photo.png", "image/png", png, "Content-Disposition", "inline; filename=\"holiday.png\"");

    Map<String, Object> og = preview("/photo.png");

    assertThat(og)
        .containsEntry("og:image", "mxc://test.example/img1")
        .containsEntry("og:image:width", 64)
        .containsEntry("og:image:height", 48)
        .containsEntry("og:image:type", "image/png")
        .containsEntry("matrix:image:size", (long) png.length)
        .containsEntry("og:description", "holiday.png");
    assertThat(images.stored.get(0).bytes()).isEqualTo(png);
    assertThat(images.stored.get(0).declaredLength()).hasValue(png.length);
  }

  @Test
  void otherContentAnswersATitleFromItsFileNameWithoutReadingIt() {
    server.bytes("/docs/annual report.pdf", "application/pdf", new byte[1000]);
    server.bytes(
        "/download",
        "application/octet-stream",
        new byte[10],
        "Content-Disposition",
        "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt");
    server.bytes("/dir/", "application/zip", new byte[10]);

    assertThat(preview("/docs/annual%20report.pdf"))
        .containsExactly(Map.entry("og:title", "annual report.pdf"));
    assertThat(preview("/download")).containsExactly(Map.entry("og:title", "résumé.txt"));
    assertThat(preview("/dir/")).isEmpty();
    assertThat(images.stored).isEmpty();
  }

  @Test
  void anEmptyPageAnswersNothing() {
    server.bytes("/empty", "text/html", new byte[0]);

    assertThat(preview("/empty")).isEmpty();
  }

  @Test
  void keysValuesAndTheirNumberAreCapped() {
    StringBuilder page = new StringBuilder("<head>");
    page.append("<meta property=\"og:title\" content=\"").append("long ".repeat(600)).append("\">");
    page.append("<meta property=\"og:url\" content=\"https://example.org/")
        .append("a".repeat(1200))
        .append("\">");
    page.append("<meta property=\"og:").append("k".repeat(60)).append("\" content=\"v\">");
    for (int i = 0; i < 80; i++) {
      page.append("<meta property=\"og:extra")
          .append(i)
          .append("\" content=\"value <b>")
          .append(i)
          .append("</b>\">");
    }
    server.html("/p", page.toString());

    Map<String, Object> og = preview("/p");

    assertThat(og).hasSize(50).doesNotContainKey("og:url");
    assertThat(og.keySet()).allSatisfy(k -> assertThat(k.length()).isLessThanOrEqualTo(50));
    assertThat(og.values())
        .allSatisfy(v -> assertThat(v.toString().length()).isLessThanOrEqualTo(1000));
    assertThat((String) og.get("og:title"))
        .hasSizeLessThanOrEqualTo(1000)
        .startsWith("long long")
        .endsWith("…");
    assertThat(og).containsEntry("og:extra0", "value 0");
  }

  @Test
  void theCacheAgeIsThePagesMaxAgeWithinTheBounds() {
    server.bytes(
        "/day",
        "text/html",
        "<title>a</title>".getBytes(),
        "Cache-Control",
        "public, max-age=7200");
    server.bytes(
        "/week", "text/html", "<title>a</title>".getBytes(), "Cache-Control", "max-age=604800");
    server.bytes(
        "/nostore", "text/html", "<title>a</title>".getBytes(), "Cache-Control", "no-store");
    server.bytes("/none", "text/html", "<title>a</title>".getBytes());

    assertThat(previews.preview(server.url("/day"), images).maxAge())
        .isEqualTo(Duration.ofHours(2));
    assertThat(previews.preview(server.url("/week"), images).maxAge())
        .isEqualTo(Duration.ofDays(1));
    assertThat(previews.preview(server.url("/nostore"), images).maxAge())
        .isEqualTo(Duration.ofHours(1));
    assertThat(previews.preview(server.url("/none"), images).maxAge())
        .isEqualTo(Duration.ofHours(1));
  }

  @Test
  void expiresIsReadAgainstTheDateHeader() {
    String inThreeHours =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusHours(3));
    server.bytes("/e", "text/html", "<title>a</title>".getBytes(), "Expires", inThreeHours);

    assertThat(previews.preview(server.url("/e"), images).maxAge())
        .isBetween(Duration.ofHours(3).minusSeconds(5), Duration.ofHours(3).plusSeconds(5));
  }

  @Test
  void theRequestNamesTheProductAndTheConfiguredLanguages() {
    String[] seen = new String[2];
    server.route(
        "/p",
        exchange -> {
          seen[0] = exchange.getRequestHeaders().getFirst("User-Agent");
          seen[1] = exchange.getRequestHeaders().getFirst("Accept-Language");
          exchange.sendResponseHeaders(200, -1);
        });
    try (UrlPreviews french =
        Previews.builder().acceptLanguage(List.of("fr", "en;q=0.5")).build()) {
      french.preview(server.url("/p"), images);
    }

    assertThat(seen[0]).startsWith("mxmedia/").contains("URL preview").doesNotContain("${");
    assertThat(seen[1]).isEqualTo("fr, en;q=0.5");
  }
}
