package org.mxmedia;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to {@code preview_url}: the page's OpenGraph properties, as the spec's response body
 * has them, and when they were fetched.
 *
 * @param properties the answer's keys (such as {@code og:title}, {@code og:image},
 *     {@code matrix:image:size}) and values, each a {@link String}, a {@link Long} or a
 *     {@link Double}; {@code og:image}, when present, is an {@code mxc://} URI of this server.
 *     Empty when nothing could be read from the page. Iterates in the previewer's order.
 * @param fetchedAt when the page was fetched (the answer may come from the cache)
 * @param expiresAt when the cached answer stops being served, after {@code fetchedAt}
 */
public record UrlPreviewResponse(Map<String, Object> properties, Instant fetchedAt, Instant expiresAt) {
  /**
   * @throws IllegalArgumentException when a value is not a {@code String}, {@code Long} or
   *     {@code Double}, or {@code expiresAt} is not after {@code fetchedAt}
   */
  public UrlPreviewResponse {
    Objects.requireNonNull(fetchedAt, "fetchedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    if (!expiresAt.isAfter(fetchedAt)) {
      throw new IllegalArgumentException("expiresAt must be after fetchedAt");
    }
    Map<String, Object> copy = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : properties.entrySet()) {
      Object v = Objects.requireNonNull(e.getValue(), e.getKey());
      if (!(v instanceof String || v instanceof Long || v instanceof Double)) {
        throw new IllegalArgumentException("the value of " + e.getKey() + " is not a String, Long or Double");
      }
      copy.put(Objects.requireNonNull(e.getKey(), "key"), v);
    }
    properties = Collections.unmodifiableMap(copy);
  }
}
