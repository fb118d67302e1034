package org.mxmedia.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.mxmedia.ServerName;

/**
 * The host's server-to-server transport: it resolves a server name, signs the request ({@code
 * X-Matrix}) and returns the raw response. The Matrix logic on top (which endpoint, multipart
 * parsing, legacy fallback, limits, retries) lives in the engine.
 */
public interface FederationClient {

  /**
   * Sends a signed {@code GET} to {@code destination}.
   *
   * @param path the absolute, already-encoded path, e.g. {@code
   *     /_matrix/federation/v1/media/download/abc}
   * @param query query parameters, unencoded
   * @param timeout the longest the whole exchange may take before the body starts
   * @throws IOException when the server cannot be reached or the exchange fails; the engine answers
   *     502 and may back off from the server
   */
  FederationResponse get(
      ServerName destination, String path, Map<String, String> query, Duration timeout)
      throws IOException;

  /**
   * Sends a plain, unsigned {@code GET} to an absolute URI: used to follow a {@code Location} a
   * server redirected a media download to.
   */
  FederationResponse get(URI uri, Duration timeout) throws IOException;

  /**
   * A response from another server: status, headers and a body stream the engine reads and closes.
   *
   * @param status the HTTP status
   * @param headers the response headers (names compared case-insensitively by {@link #header})
   * @param body the body, read at most once
   */
  record FederationResponse(int status, Map<String, List<String>> headers, InputStream body)
      implements Closeable {

    public FederationResponse {
      Objects.requireNonNull(headers, "headers");
      Objects.requireNonNull(body, "body");
      TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
      headers.forEach((k, v) -> copy.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
      headers = Collections.unmodifiableMap(copy);
    }

    /** The first value of a header, by case-insensitive name. */
    public Optional<String> header(String name) {
      List<String> values = headers.get(name);
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    @Override
    public void close() throws IOException {
      body.close();
    }
  }
}
