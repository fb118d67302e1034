package org.mxmedia.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse.Body;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse.FileRegion;
import org.mxmedia.http.internal.ByteRange;
import org.mxmedia.http.internal.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answer for media bytes (downloads and thumbnails): the spec's headers (content type and
 * disposition, sandboxing CSP, CORP, nosniff, no referrer, immutable caching), a strong ETag with
 * 304, a single {@code Range} with 206 or 416, and {@code HEAD}.
 */
final class MediaResponses {
  private static final Logger log = LoggerFactory.getLogger(MediaResponses.class);

  /** The {@code Content-Security-Policy} every media response carries. */
  static final String MEDIA_CSP =
      "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; "
          + "style-src 'unsafe-inline'; object-src 'self';";

  private static final String IMMUTABLE = "max-age=31536000, immutable";

  private static final LinkedHashMap<String, String> PRIVATE_TEMPLATE = template(true);
  private static final LinkedHashMap<String, String> PUBLIC_TEMPLATE = template(false);

  private MediaResponses() {}

  /**
   * The response for {@code media}, which it then owns (closed with the response, or now if no body
   * is sent).
   */
  static MediaHttpResponse of(
      MediaHttpRequest request, MediaResponse media, boolean authenticated) {
    try {
      return answer(request, media, authenticated);
    } catch (RuntimeException | Error e) {
      closeQuietly(media);
      throw e;
    }
  }

  private static MediaHttpResponse answer(
      MediaHttpRequest request, MediaResponse media, boolean authenticated) {
    LinkedHashMap<String, String> headers =
        new LinkedHashMap<>(authenticated ? PRIVATE_TEMPLATE : PUBLIC_TEMPLATE);
    put(headers, "Content-Type", media.contentTypeHeader());
    put(headers, "Content-Disposition", media.contentDispositionHeader());
    put(headers, "ETag", media.etag());
    boolean head = request.method().equals("HEAD");

    if (matchesIfNoneMatch(request.headers("If-None-Match"), media.sha256())) {
      closeQuietly(media);
      headers.remove("Content-Type");
      headers.remove("Content-Disposition");
      return MediaHttpResponse.ofCheckedHeaders(304, headers, Responses.emptyBody(), false);
    }
    long length = media.contentLength();
    ByteRange.Result range = ByteRange.parse(request.header("Range"), length);
    Optional<String> ifRange = request.header("If-Range");
    if (ifRange.isPresent() && !ifRange.get().strip().equals(media.etag())) {
      range = new ByteRange.Full();
    }
    if (range instanceof ByteRange.Unsatisfiable) {
      closeQuietly(media);
      headers.put("Content-Range", "bytes */" + length);
      headers.remove("Content-Disposition");
      headers.put("Content-Type", "application/json");
      byte[] body =
          Json.object(Map.of("errcode", "M_UNKNOWN", "error", "Requested range not satisfiable"));
      return MediaHttpResponse.ofCheckedHeaders(416, headers, Responses.bytesBody(body), head);
    }
    if (range instanceof ByteRange.Partial partial) {
      ByteRange r = partial.range();
      headers.put("Content-Range", r.contentRange(length));
      return MediaHttpResponse.ofCheckedHeaders(
          206, headers, new MediaBody(media, r.first(), r.length()), head);
    }
    return MediaHttpResponse.ofCheckedHeaders(200, headers, new MediaBody(media, 0, length), head);
  }

  private static void put(LinkedHashMap<String, String> headers, String name, String value) {
    MediaHttpResponse.checkHeader(name, value);
    headers.put(name, value);
  }

  /**
   * The headers every media answer starts from, in order, checked once here; the varying ones
   * (type, disposition, ETag) take their places when put.
   */
  private static LinkedHashMap<String, String> template(boolean authenticated) {
    LinkedHashMap<String, String> headers = new LinkedHashMap<>(Responses.corsHeaders());
    headers.put("Content-Type", "");
    headers.put("Content-Disposition", "");
    headers.put("Content-Security-Policy", MEDIA_CSP);
    headers.put("Cross-Origin-Resource-Policy", "cross-origin");
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("Referrer-Policy", "no-referrer");
    headers.put("Cache-Control", (authenticated ? "private, " : "public, ") + IMMUTABLE);
    headers.put("ETag", "");
    headers.put("Accept-Ranges", "bytes");
    headers.forEach(MediaHttpResponse::checkHeader);
    return headers;
  }

  private static boolean matchesIfNoneMatch(List<String> headers, String sha256) {
    for (String header : headers) {
      for (String tag : header.split(",")) {
        String t = tag.strip();
        if (t.startsWith("W/")) {
          t = t.substring(2); // If-None-Match uses the weak comparison
        }
        if (t.equals("*") || t.equals("\"" + sha256 + "\"")) {
          return true;
        }
      }
    }
    return false;
  }

  static void closeQuietly(MediaResponse media) {
    try {
      media.close();
    } catch (IOException e) {
      log.debug("Could not close media content", e);
    }
  }

  /** Some bytes of a media response. */
  private static final class MediaBody implements Body {
    private final MediaResponse media;
    private final long offset;
    private final long length;

    MediaBody(MediaResponse media, long offset, long length) {
      this.media = media;
      this.offset = offset;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      if (offset == 0 && length == media.contentLength()) {
        media.content().transferTo(out);
        return;
      }
      try (InputStream in = media.content().openStream(offset)) {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
          int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
          if (n < 0) {
            throw new IOException("media ended early");
          }
          out.write(buffer, 0, n);
          left -= n;
        }
      }
    }

    @Override
    public Optional<FileRegion> fileRegion() {
      return media.content().localPath().map(p -> new FileRegion(p, offset, length));
    }

    @Override
    public void close() throws IOException {
      media.close();
    }
  }
}
