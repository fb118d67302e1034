package org.mxmedia.http.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** Writes the small JSON objects the media endpoints answer with. */
public final class Json {
  private static final JsonFactory FACTORY = new JsonFactory();

  private Json() {}

  /** Serialises a flat object whose values are strings, numbers ({@code Long}, {@code Integer}, finite {@code Double}) or booleans. */
  public static byte[] object(Map<String, ?> fields) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, ?> e : fields.entrySet()) {
        Object v = e.getValue();
        if (v instanceof String s) {
          g.writeStringField(e.getKey(), s);
        } else if (v instanceof Long || v instanceof Integer) {
          g.writeNumberField(e.getKey(), ((Number) v).longValue());
        } else if (v instanceof Double d) {
          g.writeNumberField(e.getKey(), d);
        } else if (v instanceof Boolean bool) {
          g.writeBooleanField(e.getKey(), bool);
        } else if (v instanceof java.util.List<?> list) {
          g.writeArrayFieldStart(e.getKey());
          for (Object item : list) {
            g.writeString(String.valueOf(item));
          }
          g.writeEndArray();
        } else {
          throw new IllegalArgumentException("unsupported JSON value for " + e.getKey());
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
