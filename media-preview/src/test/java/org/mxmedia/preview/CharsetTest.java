package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CharsetTest {
  private static final String RUSSIAN = "Привет, мир: заголовок";
  private static final String FRENCH = "Crème brûlée à la française";
  private static final String JAPANESE = "日本語のタイトル「テスト」";
  private static final String MIXED = "Ünïcödé 😀 and 中文";

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

  private static String page(String title, String metaCharset) {
    return "<html><head>"
        + metaCharset
        + "<title>"
        + title
        + "</title></head><body><p>"
        + title
        + "</p></body></html>";
  }

  @Test
  void windows1251DeclaredByAMetaCharset() {
    server.html(
        "/p",
        "text/html",
        page(RUSSIAN, "<meta charset=\"windows-1251\">"),
        Charset.forName("windows-1251"));

    assertThat(preview("/p"))
        .containsEntry("og:title", RUSSIAN)
        .containsEntry("og:description", RUSSIAN);
  }

  @Test
  void iso88591DeclaredByAnHttpEquivMeta() {
    server.html(
        "/p",
        "text/html",
        page(
            FRENCH, "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"),
        StandardCharsets.ISO_8859_1);

    assertThat(preview("/p")).containsEntry("og:title", FRENCH);
  }

  @Test
  void shiftJisDeclaredByTheHeader() {
    server.html(
        "/p", "text/html; charset=Shift_JIS", page(JAPANESE, ""), Charset.forName("Shift_JIS"));

    assertThat(preview("/p")).containsEntry("og:title", JAPANESE);
  }

  @Test
  void shiftJisDeclaredByAnXmlDeclaration() {
    server.html(
        "/p",
        "application/xhtml+xml",
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n" + page(JAPANESE, ""),
        Charset.forName("Shift_JIS"));

    assertThat(preview("/p")).containsEntry("og:title", JAPANESE);
  }

  @Test
  void utf16WithAByteOrderMarkInBothByteOrders() throws Exception {
    for (String order : new String[] {"UTF-16LE", "UTF-16BE"}) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(
          order.endsWith("LE")
              ? new byte[] {(byte) 0xFF, (byte) 0xFE}
              : new byte[] {(byte) 0xFE, (byte) 0xFF});
      body.write(page(MIXED, "").getBytes(Charset.forName(order)));
      server.bytes("/" + order, "text/html", body.toByteArray());

      assertThat(preview("/" + order)).as(order).containsEntry("og:title", MIXED);
    }
  }

  @Test
  void utf8WithAByteOrderMarkAndNoDeclaration() throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    body.write(page(MIXED, "").getBytes(StandardCharsets.UTF_8));
    server.bytes("/p", "text/html", body.toByteArray());

    assertThat(preview("/p")).containsEntry("og:title", MIXED);
  }

  @Test
  void theHeaderCharsetWinsOverTheMetaTag() {
    server.html(
        "/p",
        "text/html; charset=windows-1251",
        page(RUSSIAN, "<meta charset=\"utf-8\">"),
        Charset.forName("windows-1251"));

    assertThat(preview("/p")).containsEntry("og:title", RUSSIAN);
  }

  @Test
  void anUnknownHeaderCharsetFallsThroughToTheMetaTag() {
    server.html(
        "/p",
        "text/html; charset=\"no-such-charset\"",
        page(RUSSIAN, "<meta charset=windows-1251>"),
        Charset.forName("windows-1251"));

    assertThat(preview("/p")).containsEntry("og:title", RUSSIAN);
  }

  @Test
  void aLyingHeaderNeverThrowsAndKeepsTheAsciiText() {
    server.html(
        "/p",
        "text/html; charset=utf-8",
        page("Title " + RUSSIAN, ""),
        Charset.forName("windows-1251"));
    server.html("/q", "text/html; charset=utf-16", page("Title", ""), StandardCharsets.UTF_8);

    assertThat((String) preview("/p").get("og:title"))
        .startsWith("Title ")
        .hasSize(("Title " + RUSSIAN).length());
    assertThat(preview("/q")).isNotNull();
  }

  @Test
  void undeclaredBytesThatAreNotUtf8AreReadAsWindows1252() {
    server.html(
        "/p", "text/html", page("Caf\u00e9 \u2014 \u20ac5", ""), Charset.forName("windows-1252"));
    server.html("/q", "text/html", page(MIXED, ""), StandardCharsets.UTF_8);

    assertThat(preview("/p")).containsEntry("og:title", "Café — €5");
    assertThat(preview("/q")).containsEntry("og:title", MIXED);
  }

  @Test
  void brokenBytesNeverThrow() {
    byte[] garbage = new byte[4096];
    new Random(7).nextBytes(garbage);
    byte[] prefix = "<meta charset=shift_jis><title>".getBytes(StandardCharsets.US_ASCII);
    byte[] body = new byte[prefix.length + garbage.length];
    System.arraycopy(prefix, 0, body, 0, prefix.length);
    System.arraycopy(garbage, 0, body, prefix.length, garbage.length);
    server.bytes("/sjis", "text/html", body);
    server.bytes("/utf8", "text/html; charset=utf-8", body);
    server.bytes("/utf16", "text/html; charset=utf-16le", body);

    for (String path : new String[] {"/sjis", "/utf8", "/utf16"}) {
      assertThat(preview(path)).as(path).isNotNull();
    }
  }
}
