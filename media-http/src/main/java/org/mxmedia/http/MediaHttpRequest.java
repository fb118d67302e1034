package org.mxmedia.http;

import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/** An HTTP request as the binding sees it; adapters implement it over their server's request type. */
public interface MediaHttpRequest {

  /** The method in upper case. */
  String method();

  /** The request path, still percent-encoded, without the query. */
  String rawPath();

  /** The query string, still percent-encoded, if there is one. */
  Optional<String> rawQuery();

  /** Every value of a header, by case-insensitive name. */
  List<String> headers(String name);

  /** The first value of a header. */
  default Optional<String> header(String name) {
    List<String> values = headers(name);
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** The request body, streamed from the connection. */
  InputStream body();
}
