package org.mxmedia.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A response from another server: status, headers and a body stream the engine reads and closes.
 *
 * @param status the HTTP status
 * @param headers the response headers (names compared case-insensitively by {@link #header})
 * @param body the body, read at most once
 */
public record FederationResponse(int status, Map<String, List<String>> headers, InputStream body) implements Closeable {

  public FederationResponse {
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(body, "body");
    TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.forEach((k, v) -> copy.put(k.toLowerCase(Locale.ROOT), List.copyOf(v)));
    headers = java.util.Collections.unmodifiableMap(copy);
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
