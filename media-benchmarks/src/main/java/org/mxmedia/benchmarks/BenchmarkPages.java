package org.mxmedia.benchmarks;

import java.nio.charset.StandardCharsets;
import java.util.Random;

/**
 * Web pages shaped like real ones, of any size: a head with some forty meta tags (OpenGraph,
 * Twitter, verification, preload links), inline styles and scripts; a body of header, navigation,
 * nested layout divs, articles with paragraphs, lists, tables and images, JSON script blobs and a
 * footer. Deterministic for a given size.
 */
public final class BenchmarkPages {
  private static final String[] WORDS =
      ("the of and to in is that for it as was with be by on not he this are or his from at which but have an "
              + "they you were her she there been one all we their has would when if so no what up said out about "
              + "matrix media server preview federation room message client homeserver encryption protocol open "
              + "standard decentralised communication bridge network content repository thumbnail upload download")
          .split(" ");

  private BenchmarkPages() {}

  /** A UTF-8 page of {@code size} bytes, give or take a closing tag. */
  public static byte[] realistic(int size) {
    Random random = new Random(size);
    StringBuilder html = new StringBuilder(size + 4096);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        .append("<title>")
        .append(sentence(random, 8))
        .append(" | Example News</title>");
    String[] og = {
      "title",
      "description",
      "type",
      "url",
      "image",
      "image:width",
      "image:height",
      "site_name",
      "locale"
    };
    for (String p : og) {
      html.append("<meta property=\"og:")
          .append(p)
          .append("\" content=\"")
          .append(sentence(random, 12))
          .append("\">");
    }
    for (String p : new String[] {"card", "site", "creator", "title", "description", "image"}) {
      html.append("<meta name=\"twitter:")
          .append(p)
          .append("\" content=\"")
          .append(sentence(random, 10))
          .append("\">");
    }
    for (int i = 0; i < 20; i++) {
      html.append("<meta name=\"x-app-")
          .append(i)
          .append("\" content=\"")
          .append(Long.toHexString(random.nextLong()))
          .append("\">");
      html.append("<link rel=\"preload\" href=\"/static/chunk-")
          .append(i)
          .append(".js\" as=\"script\">");
    }
    html.append(
            "<link rel=\"icon\" href=\"/favicon.ico\"><link rel=\"alternate\" type=\"application/json+oembed\" ")
        .append("href=\"/oembed?url=x\"><style>")
        .append(".c{margin:0 auto;padding:1em}".repeat(200))
        .append("</style>")
        .append("<script>window.__CONFIG__ = {\"flags\": [")
        .append("1,".repeat(2000))
        .append("0]};</script></head>\n")
        .append("<body class=\"page\"><header class=\"site-header\"><nav><ul>");
    for (int i = 0; i < 30; i++) {
      html.append("<li><a href=\"/section/")
          .append(i)
          .append("\">")
          .append(sentence(random, 2))
          .append("</a></li>");
    }
    html.append("</ul></nav></header><main>");
    int article = 0;
    while (html.length() < size - 2000) {
      html.append("<div class=\"row\"><div class=\"col\"><div class=\"card\"><article id=\"a")
          .append(article++)
          .append("\">")
          .append("<h2>")
          .append(sentence(random, 7))
          .append("</h2>")
          .append("<img src=\"/img/")
          .append(article)
          .append(".jpg\" width=\"640\" height=\"360\" alt=\"")
          .append(sentence(random, 5))
          .append("\">");
      for (int p = 0; p < 4; p++) {
        html.append("<p>")
            .append(sentence(random, 40))
            .append(" <a href=\"/a/")
            .append(random.nextInt(100000))
            .append("\">")
            .append(sentence(random, 3))
            .append("</a> ")
            .append(sentence(random, 25))
            .append("</p>");
      }
      if (article % 3 == 0) {
        html.append("<table><tr><th>Name</th><th>Value</th></tr>");
        for (int r = 0; r < 5; r++) {
          html.append("<tr><td>")
              .append(sentence(random, 2))
              .append("</td><td>")
              .append(random.nextInt(1000))
              .append("</td></tr>");
        }
        html.append("</table>");
      }
      if (article % 5 == 0) {
        html.append(
                "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"")
            .append(sentence(random, 8))
            .append("\"}</script>");
      }
      html.append("<ul class=\"tags\">");
      for (int t = 0; t < 5; t++) {
        html.append("<li><span class=\"tag\">").append(sentence(random, 1)).append("</span></li>");
      }
      html.append("</ul></article></div></div></div>\n");
    }
    html.append("</main><footer><p>")
        .append(sentence(random, 20))
        .append("</p></footer></body></html>");
    return html.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String sentence(Random random, int words) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < words; i++) {
      if (i > 0) {
        s.append(' ');
      }
      s.append(WORDS[random.nextInt(WORDS.length)]);
    }
    return s.toString();
  }
}
