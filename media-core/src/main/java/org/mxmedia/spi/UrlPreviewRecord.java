package org.mxmedia.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaId;

/**
 * One cached preview of a URL, shared by the repositories that use the store. A URL may have
 * several (fetched at different times); the pair of {@code url} and {@code fetchedAt} names one.
 *
 * @param url the URL as requested (an absolute {@code http} or {@code https} URL, at most
 *     {@link #MAX_URL_LENGTH} characters)
 * @param fetchedAt when the page was fetched (milliseconds)
 * @param expiresAt when it stops being served and may be deleted with its image, after {@code fetchedAt}
 * @param properties the preview's keys and values, each a {@link String}, {@link Long} or
 *     {@link Double}, in the order given (stores keep the order)
 * @param image the local media holding the preview's image, if it has one: deleted with the entry
 */
public record UrlPreviewRecord(String url, Instant fetchedAt, Instant expiresAt, Map<String, Object> properties,
    Optional<MediaId> image) {

  /** The longest URL previewed, in characters. */
  public static final int MAX_URL_LENGTH = 4096;

  /**
   * @throws IllegalArgumentException for an empty or too long URL, {@code expiresAt} not after
   *     {@code fetchedAt}, a value of another type, or a key or string value holding U+0000 (which
   *     SQL text cannot)
   */
  public UrlPreviewRecord {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(fetchedAt, "fetchedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(image, "image");
    if (url.isEmpty() || url.length() > MAX_URL_LENGTH || url.indexOf(0) >= 0) {
      throw new IllegalArgumentException("a URL has 1 to " + MAX_URL_LENGTH + " characters");
    }
    if (!expiresAt.isAfter(fetchedAt)) {
      throw new IllegalArgumentException("expiresAt must be after fetchedAt");
    }
    Map<String, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : properties.entrySet()) {
      Object v = Objects.requireNonNull(e.getValue(), e.getKey());
      if (!(v instanceof String || v instanceof Long || v instanceof Double)) {
        throw new IllegalArgumentException("the value of " + e.getKey() + " is not a String, Long or Double");
      }
      if (e.getKey().indexOf(0) >= 0 || (v instanceof String str && str.indexOf(0) >= 0)) {
        throw new IllegalArgumentException("a key or value holds U+0000");
      }
      copy.put(Objects.requireNonNull(e.getKey(), "key"), v);
    }
    properties = Collections.unmodifiableMap(copy);
  }

  /** Whether it may still be served at {@code at}. */
  public boolean isFreshAt(Instant at) {
    return expiresAt.isAfter(at);
  }
}
