package org.mxmedia.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse.Body;
import org.mxmedia.http.internal.Json;

/** JSON answers, error bodies and the headers every response carries. */
final class Responses {
  private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);
  private static final Body EMPTY = bytesBody(new byte[0]);

  private Responses() {}

  /** The CORS headers every response carries (a new, mutable map). */
  static Map<String, String> corsHeaders() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Access-Control-Allow-Origin", "*");
    h.put("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    h.put("Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization");
    return h;
  }

  /** A JSON object answer; {@code HEAD} gets its headers and length only. */
  static MediaHttpResponse json(int status, Map<String, ?> fields, String method) {
    Map<String, String> headers = corsHeaders();
    headers.put("Content-Type", "application/json");
    headers.put("Cache-Control", "no-store");
    byte[] body = fields.isEmpty() ? EMPTY_JSON : Json.object(fields);
    return new MediaHttpResponse(status, headers, bytesBody(body), method.equals("HEAD"));
  }

  /**
   * The JSON error answer for {@code e}: {@code Retry-After} and {@code retry_after_ms} on 429,
   * {@code Connection: close} on 413.
   */
  static MediaHttpResponse error(MediaException e) {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("errcode", e.errorCode().name());
    fields.put("error", e.getMessage());
    Map<String, String> headers = corsHeaders();
    headers.put("Content-Type", "application/json");
    headers.put("Cache-Control", "no-store");
    if (e.retryAfter().isPresent()) {
      long ms = e.retryAfter().get().toMillis();
      fields.put("retry_after_ms", ms);
      headers.put("Retry-After", Long.toString(Math.max(1, (ms + 999) / 1000)));
    }
    if (e.httpStatus() == 413) {
      headers.put("Connection", "close"); // the rest of the body is not read
    }
    return new MediaHttpResponse(e.httpStatus(), headers, bytesBody(Json.object(fields)), false);
  }

  /** 405 with the methods the path accepts in {@code Allow}. */
  static MediaHttpResponse methodNotAllowed(String allow) {
    MediaHttpResponse base =
        error(new MediaException(ErrorCode.M_UNRECOGNIZED, 405, "Method not allowed"));
    Map<String, String> headers = new LinkedHashMap<>(base.headers());
    headers.put("Allow", allow);
    return new MediaHttpResponse(405, headers, base.body(), false);
  }

  /** 404 {@code M_UNRECOGNIZED}, the spec's answer for an unknown endpoint. */
  static MediaException unrecognized() {
    return new MediaException(ErrorCode.M_UNRECOGNIZED, 404, "Unrecognized request");
  }

  static Body bytesBody(byte[] bytes) {
    return new Body() {
      @Override
      public long length() {
        return bytes.length;
      }

      @Override
      public void writeTo(OutputStream out) throws IOException {
        out.write(bytes);
      }
    };
  }

  static Body emptyBody() {
    return EMPTY;
  }
}
