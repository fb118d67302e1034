package org.mxmedia.http.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Writes the small JSON objects the media endpoints answer with. */
public final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();

  private Json() {}

  /**
   * Serialises an object whose values are strings, numbers ({@code Long}, {@code Integer}, finite
   * {@code Double}), booleans, {@code null}, lists of such values or nested objects ({@link Map}s
   * with string keys, written in their iteration order).
   */
  public static byte[] object(Map<String, ?> fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      write(g, fields, "the answer");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator g, @Nullable Object v, String name) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Long || v instanceof Integer) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Double d && Double.isFinite(d)) {
      g.writeNumber(d);
    } else if (v instanceof Boolean bool) {
      g.writeBoolean(bool);
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        write(g, item, name);
      }
      g.writeEndArray();
    } else if (v instanceof Map<?, ?> map) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        write(g, e.getValue(), String.valueOf(e.getKey()));
      }
      g.writeEndObject();
    } else {
      throw new IllegalArgumentException("unsupported JSON value for " + name);
    }
  }
}
