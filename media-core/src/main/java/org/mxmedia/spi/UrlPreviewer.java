package org.mxmedia.spi;

import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.mxmedia.MediaException;
import org.mxmedia.MxcUri;

/**
 * Builds the preview of a web page for {@code preview_url}: fetches the page (through the host's
 * outbound policy), reads its OpenGraph, Twitter-card or oEmbed data, and hands the image it shows
 * to the repository. The repository validates the URL, authenticates and rate-limits the caller,
 * caches answers and runs one preview per URL at a time; an implementation ({@code UrlPreviews} in
 * {@code media-preview}) does the fetching and parsing.
 */
@FunctionalInterface
public interface UrlPreviewer {

  /**
   * The preview of {@code url}.
   *
   * @param url an absolute {@code http} or {@code https} URL
   * @param images where to store the preview's image (at most one call per preview)
   * @return the preview's properties and how long it may be cached
   * @throws MediaException 403 {@code M_FORBIDDEN} for a URL or address the policy refuses; 502
   *     {@code M_UNKNOWN} when the page cannot be fetched or is not usable; 504 {@code M_UNKNOWN}
   *     when the page does not arrive within the deadline
   */
  UrlPreview preview(URI url, ImageStore images);

  /**
   * A preview: its properties as the spec's {@code preview_url} answer has them (OpenGraph names
   * such as {@code og:title}; string or number values), and how long it may be cached.
   *
   * @param properties the answer's keys and values; {@code og:image} already an {@code mxc://} URI
   * @param maxAge how long the answer may be served from the cache (the repository clamps it)
   */
  record UrlPreview(Map<String, Object> properties, Duration maxAge) {
    public UrlPreview {
      properties = Map.copyOf(properties);
      Objects.requireNonNull(maxAge, "maxAge");
    }
  }

  /** Stores an image of a preview as local media of the repository. */
  @FunctionalInterface
  interface ImageStore {
    /**
     * Streams {@code body} into the repository (hashed, limited, whole or nothing, as an upload).
     *
     * @param contentType the image's content type as the web server declared it
     * @param declaredLength its declared length, if any
     * @throws MediaException 502 {@code M_TOO_LARGE} past the configured limit, 502 when the body
     *     fails; nothing is kept when it throws
     */
    StoredImage store(InputStream body, String contentType, OptionalLong declaredLength);
  }

  /**
   * An image stored for a preview.
   *
   * @param uri its content URI
   * @param contentType its content type as stored
   * @param size its length in bytes
   * @param width its width in pixels, when the image could be probed
   * @param height its height in pixels, when the image could be probed
   */
  record StoredImage(
      MxcUri uri, String contentType, long size, OptionalInt width, OptionalInt height) {
    public StoredImage {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(width, "width");
      Objects.requireNonNull(height, "height");
    }
  }
}
