package org.mxmedia.preview.internal;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/** Turns what a page says into the preview's properties, and bounds them. */
final class OpenGraph {
  /** Longer keys are dropped (Synapse's {@code OG_TAG_NAME_MAXLEN}). */
  static final int MAX_KEY_LENGTH = 50;

  /**
   * Longer values are shortened, or dropped when they are URLs (Synapse's {@code
   * OG_TAG_VALUE_MAXLEN}).
   */
  static final int MAX_VALUE_LENGTH = 1000;

  /** At most this many properties in one preview. */
  static final int MAX_KEYS = 50;

  static final String IMAGE = "og:image";
  static final String TITLE = "og:title";
  static final String DESCRIPTION = "og:description";

  /** Kept first when a page offers more than {@link #MAX_KEYS} properties. */
  private static final List<String> FIRST =
      List.of(
          IMAGE,
          "og:image:width",
          "og:image:height",
          "og:image:type",
          "matrix:image:size",
          TITLE,
          DESCRIPTION,
          "og:url",
          "og:site_name",
          "og:type");

  private OpenGraph() {}

  /**
   * Synapse's {@code parse_html_to_open_graph}: the page's {@code og:}, {@code article:} and {@code
   * profile:} tags (the first of each key wins, as OpenGraph's first {@code og:image} is the main
   * one), then its {@code twitter:} tags where they add a key; then fallbacks for the title ({@code
   * <title>}, else the first {@code h1}, {@code h2}, {@code h3}), the image ({@code
   * itemprop="image"}, else the largest image declared over 10 by 10 pixels, else the first image
   * not declared tiny, else the icon) and the description (the meta description, else the first
   * text of the body). Descriptions are summarized to 500 characters.
   */
  static Map<String, Object> fromPage(HtmlScanner.Page page) {
    Map<String, Object> og = new LinkedHashMap<>(page.openGraph);
    page.twitter.forEach(
        (key, value) -> {
          String mapped = twitterToOpenGraph(key);
          if (mapped != null && !has(og, mapped)) {
            og.put(mapped, value);
          }
        });
    if (!has(og, TITLE)) {
      putFirstPresent(og, TITLE, page.title, page.headings[0], page.headings[1], page.headings[2]);
    }
    if (!has(og, IMAGE)) {
      putFirstPresent(
          og, IMAGE, page.itempropImage, page.largestImage, page.firstImage, page.favicon);
    }
    if (has(og, DESCRIPTION)) {
      og.put(DESCRIPTION, Text.summarize(Text.clean(String.valueOf(og.get(DESCRIPTION)))));
    } else {
      String description = page.metaDescription == null ? "" : Text.clean(page.metaDescription);
      if (description.isEmpty()) {
        description = page.bodyText.collapsed();
      }
      if (!description.isEmpty()) {
        og.put(DESCRIPTION, Text.summarize(description));
      }
    }
    return og;
  }

  /**
   * Synapse's mapping: {@code twitter:card} and {@code twitter:creator} dropped, {@code
   * twitter:site} is the site name.
   */
  static @Nullable String twitterToOpenGraph(String key) {
    switch (key) {
      case "twitter:card":
      case "twitter:creator":
        return null;
      case "twitter:site":
        return "og:site_name";
      case "twitter:image:src":
        return IMAGE;
      default:
        return "og" + key.substring("twitter".length());
    }
  }

  static boolean has(Map<String, Object> og, String key) {
    Object v = og.get(key);
    return v != null && !(v instanceof String && ((String) v).isBlank());
  }

  private static void putFirstPresent(
      Map<String, Object> og, String key, @Nullable String... candidates) {
    Stream.of(candidates)
        .filter(Objects::nonNull)
        .filter(s -> !s.isBlank())
        .findFirst()
        .ifPresent(v -> og.put(key, v));
  }

  /**
   * The answer: keys longer than {@link #MAX_KEY_LENGTH} dropped; string values cleaned (markup
   * removed, white space collapsed, control characters dropped), empty ones dropped, those over
   * {@link #MAX_VALUE_LENGTH} shortened at a word boundary with "…", or dropped when they are URLs
   * (a cut URL is a wrong one); at most {@link #MAX_KEYS} entries, the image, title, description,
   * URL, site name and type first, then the rest in page order.
   */
  static Map<String, Object> finish(Map<String, Object> og) {
    Map<String, Object> out = new LinkedHashMap<>();
    Stream.concat(FIRST.stream().filter(og::containsKey), og.keySet().stream())
        .distinct()
        .forEach(
            key -> {
              if (out.size() >= MAX_KEYS || key.isBlank() || key.length() > MAX_KEY_LENGTH) {
                return;
              }
              Object value = bound(key, og.get(key));
              if (value != null) {
                out.put(key, value);
              }
            });
    return out;
  }

  private static @Nullable Object bound(String key, @Nullable Object value) {
    if (value instanceof Number) {
      return value;
    }
    if (!(value instanceof String)) {
      return null;
    }
    boolean url = isUrlKey(key);
    String v = url ? Text.collapse(Text.clean((String) value)) : Text.clean((String) value);
    if (v.isEmpty() || (url && v.length() > MAX_VALUE_LENGTH)) {
      return null;
    }
    return v.length() > MAX_VALUE_LENGTH ? Text.shorten(v, MAX_VALUE_LENGTH) : v;
  }

  private static boolean isUrlKey(String key) {
    return key.equals("og:url")
        || key.equals(IMAGE)
        || key.equals("og:video")
        || key.equals("og:audio")
        || key.endsWith(":url")
        || key.endsWith(":secure_url");
  }
}
