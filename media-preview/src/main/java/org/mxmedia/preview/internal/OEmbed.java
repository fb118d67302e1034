package org.mxmedia.preview.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.parser.Parser;
import org.jspecify.annotations.Nullable;

/**
 * Reads an oEmbed answer into OpenGraph properties, as Synapse's {@code parse_oembed_response}
 * does.
 */
final class OEmbed {
  /** An oEmbed answer larger than this (or than the spider size, if smaller) is not read. */
  static final long MAX_BODY = 1 << 20;

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxNestingDepth(32)
                  .maxNumberLength(64)
                  .maxStringLength((int) MAX_BODY)
                  .build())
          .build();

  /** A value of a type no field uses: an object, an array, null or a huge integer. */
  private static final Object OTHER = new Object();

  /**
   * An oEmbed answer as OpenGraph.
   *
   * @param openGraph the properties; empty when the answer is not usable oEmbed
   * @param authorName the author, used as the title when there is no other
   * @param cacheAge how long the provider says it may be cached
   */
  record Result(
      Map<String, Object> openGraph, Optional<String> authorName, Optional<Duration> cacheAge) {
    static final Result NONE = new Result(Map.of(), Optional.empty(), Optional.empty());

    boolean usable() {
      return !openGraph.isEmpty();
    }
  }

  private OEmbed() {}

  /**
   * Parses an answer.
   *
   * @param body the JSON, UTF-8
   * @param url the URL being previewed (the answer's {@code og:url})
   */
  static Result parse(byte[] body, URI url) {
    Map<String, Object> fields = fields(body);
    if (fields.isEmpty() || !versionOk(fields.get("version"))) {
      return Result.NONE;
    }
    Map<String, Object> og = new LinkedHashMap<>();
    og.put("og:url", url.toString());
    string(fields, "title")
        .ifPresent(t -> og.put(OpenGraph.TITLE, Parser.unescapeEntities(t, false)));
    string(fields, "provider_name").ifPresent(p -> og.put("og:site_name", p));
    string(fields, "thumbnail_url").ifPresent(t -> og.put(OpenGraph.IMAGE, t));
    Object type = fields.get("type");
    if ("rich".equals(type)) {
      string(fields, "html").ifPresent(html -> describe(og, html));
    } else if ("photo".equals(type)) {
      string(fields, "url").ifPresent(u -> og.put(OpenGraph.IMAGE, u));
    } else if ("video".equals(type)) {
      og.put("og:type", "video.other");
      string(fields, "html").ifPresent(html -> describe(og, html));
      for (String size : new String[] {"width", "height"}) {
        Object v = fields.get(size);
        if (v instanceof Long && (Long) v >= 0 && (Long) v <= Integer.MAX_VALUE) {
          og.put("og:video:" + size, ((Long) v).intValue());
        }
      }
    } else if ("link".equals(type)) {
      og.put("og:type", "website");
    }
    Optional<String> author =
        fields.get("author_name") instanceof String
            ? Optional.of((String) fields.get("author_name"))
            : Optional.empty();
    return new Result(og, author, cacheAge(fields.get("cache_age")));
  }

  private static Map<String, Object> fields(byte[] body) {
    Map<String, Object> fields = new HashMap<>();
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return Map.of();
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken t = p.nextToken();
        if (t == JsonToken.VALUE_STRING) {
          fields.put(name, p.getText());
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
          fields.put(
              name,
              p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? OTHER : p.getLongValue());
        } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
          fields.put(name, p.getDoubleValue());
        } else if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
          p.skipChildren();
          fields.put(name, OTHER);
        } else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
          fields.put(name, t == JsonToken.VALUE_TRUE);
        } else {
          fields.put(name, OTHER);
        }
      }
      return fields;
    } catch (IOException e) {
      return Map.of();
    }
  }

  /** A version "1.0", 1 or 1.0, or none (Synapse is lenient in the same way). */
  private static boolean versionOk(@Nullable Object version) {
    return version == null
        || "1.0".equals(version)
        || Long.valueOf(1).equals(version)
        || Double.valueOf(1.0).equals(version);
  }

  private static Optional<Duration> cacheAge(@Nullable Object value) {
    long seconds;
    if (value instanceof Long) {
      seconds = (Long) value;
    } else if (value instanceof Double && Double.isFinite((Double) value)) {
      seconds = (long) (double) (Double) value;
    } else if (value instanceof String) {
      try {
        seconds = Long.parseLong(((String) value).trim());
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    } else {
      return Optional.empty();
    }
    return Optional.of(
        Duration.ofSeconds(Math.max(0, Math.min(seconds, Duration.ofDays(365).toSeconds()))));
  }

  private static Optional<String> string(Map<String, Object> fields, String name) {
    Object v = fields.get(name);
    return v instanceof String && !((String) v).isEmpty()
        ? Optional.of((String) v)
        : Optional.empty();
  }

  /** Synapse's {@code calc_description_and_urls}: the first image, video or embed, and the text. */
  private static void describe(Map<String, Object> og, String html) {
    Document doc = Jsoup.parseBodyFragment(html);
    if (!og.containsKey(OpenGraph.IMAGE)) {
      Element img = doc.selectFirst("img[src]");
      if (img != null) {
        og.put(OpenGraph.IMAGE, img.attr("src"));
      }
    }
    Element video = doc.selectFirst("video[src]");
    if (video == null) {
      video = doc.selectFirst("embed[src]");
    }
    if (video != null) {
      og.put("og:video", video.attr("src"));
    }
    String text = HtmlScanner.bodyText(doc);
    if (!text.isEmpty()) {
      og.put(OpenGraph.DESCRIPTION, Text.summarize(text));
    }
  }
}
