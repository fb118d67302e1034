package org.mxmedia.spi;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.mxmedia.ServerName;

/**
 * The host's server-to-server transport: it resolves a server name, signs the request
 * ({@code X-Matrix}) and returns the raw response. The Matrix logic on top (which endpoint,
 * multipart parsing, legacy fallback, limits, retries) lives in the engine.
 */
public interface FederationClient {

  /**
   * Sends a signed {@code GET} to {@code destination}.
   *
   * @param path the absolute, already-encoded path, e.g. {@code /_matrix/federation/v1/media/download/abc}
   * @param query query parameters, unencoded
   * @param timeout the longest the whole exchange may take before the body starts
   * @throws IOException when the server cannot be reached or the exchange fails; the engine
   *     answers 502 and may back off from the server
   */
  FederationResponse get(ServerName destination, String path, Map<String, String> query, Duration timeout)
      throws IOException;

  /**
   * Sends a plain, unsigned {@code GET} to an absolute URI: used to follow a {@code Location} a
   * server redirected a media download to.
   */
  FederationResponse get(URI uri, Duration timeout) throws IOException;
}
