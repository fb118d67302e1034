package org.mxmedia.http.internal;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.mxmedia.MediaException;

/**
 * Strict percent-decoding to UTF-8: a malformed escape or invalid UTF-8 is 400, never guessed at.
 */
public final class PercentDecoding {
  private PercentDecoding() {}

  /** Decodes a path segment ({@code +} stays a plus). */
  public static String decodePathSegment(String raw) {
    return decode(raw, false);
  }

  /** Decodes a query key or value ({@code +} is a space). */
  public static String decodeQueryComponent(String raw) {
    return decode(raw, true);
  }

  private static String decode(String raw, boolean plusIsSpace) {
    if (raw.indexOf('%') < 0 && (!plusIsSpace || raw.indexOf('+') < 0)) {
      return raw;
    }
    ByteBuffer bytes = ByteBuffer.allocate(raw.length() * 3);
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw MediaException.invalidParam("Malformed percent-encoding");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw MediaException.invalidParam("Malformed percent-encoding");
        }
        bytes.put((byte) (hi << 4 | lo));
        i += 2;
      } else if (c == '+' && plusIsSpace) {
        bytes.put((byte) ' ');
      } else {
        int cp = raw.codePointAt(i);
        bytes.put(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp) - 1;
      }
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw MediaException.invalidParam("Percent-encoding is not valid UTF-8");
    }
  }
}
