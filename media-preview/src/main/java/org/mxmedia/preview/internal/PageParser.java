package org.mxmedia.preview.internal;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;

/**
 * An HTML page's bytes to its preview properties (before its image is fetched): the charset chosen
 * ({@link Charsets}), the page scanned as it streams ({@link HtmlScanner}), and the properties
 * built ({@link OpenGraph#fromPage}). Public for the benchmarks only.
 */
public final class PageParser {

  /**
   * A parsed page.
   *
   * @param openGraph the properties, values raw (the answer bounds them later)
   * @param oEmbedHref the page's oEmbed discovery link, as written
   */
  public record Parsed(Map<String, Object> openGraph, Optional<String> oEmbedHref) {}

  private PageParser() {}

  /**
   * Parses a page read from {@code body} to its end.
   *
   * @param headerCharset the {@code charset} of the page's {@code Content-Type}, if any
   * @param baseUri the page's URL
   * @throws IOException when {@code body} fails
   */
  public static Parsed parse(InputStream body, Optional<String> headerCharset, String baseUri)
      throws IOException {
    BufferedInputStream in = new BufferedInputStream(body, 16 * 1024);
    in.mark(Charsets.PRESCAN);
    byte[] prefix = in.readNBytes(Charsets.PRESCAN);
    in.reset();
    Charsets.Choice charset = Charsets.choose(prefix, prefix.length, headerCharset);
    in.skipNBytes(charset.bomLength());
    HtmlScanner.Page page = HtmlScanner.scan(charset.reader(in), baseUri);
    return new Parsed(OpenGraph.fromPage(page), Optional.ofNullable(page.oEmbedHref));
  }
}
