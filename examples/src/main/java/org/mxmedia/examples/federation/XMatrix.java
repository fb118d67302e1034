package org.mxmedia.examples.federation;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The {@code Authorization: X-Matrix ...} header of a signed server-to-server request. */
record XMatrix(String origin, Optional<String> destination, String key, String sig) {

  /** The JSON a request's signature covers (no body: media requests are GETs). */
  static ObjectNode signedJson(String method, String uri, String origin, String destination) {
    ObjectNode json = CanonicalJson.MAPPER.createObjectNode();
    json.put("method", method);
    json.put("uri", uri);
    json.put("origin", origin);
    json.put("destination", destination);
    return json;
  }

  String header() {
    return "X-Matrix origin=\""
        + origin
        + "\",destination=\""
        + destination.orElse("")
        + "\",key=\""
        + key
        + "\",sig=\""
        + sig
        + "\"";
  }

  /** Parses a header value; empty when it is not a well-formed X-Matrix header. */
  static Optional<XMatrix> parse(String header) {
    if (!header.regionMatches(true, 0, "X-Matrix ", 0, 9)) {
      return Optional.empty();
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (String part : header.substring(9).split(",")) {
      int eq = part.indexOf('=');
      if (eq < 1) {
        return Optional.empty();
      }
      String name = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
      String value = part.substring(eq + 1).strip();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      params.putIfAbsent(name, value);
    }
    String origin = params.get("origin");
    String key = params.get("key");
    String sig = params.get("sig");
    if (origin == null || key == null || sig == null) {
      return Optional.empty();
    }
    return Optional.of(
        new XMatrix(origin, Optional.ofNullable(params.get("destination")), key, sig));
  }
}
