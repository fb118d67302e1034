package org.mxmedia.preview.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** URLs as pages write them. */
final class Urls {
  private static final String HEX = "0123456789ABCDEF";

  private Urls() {}

  /**
   * {@code reference} resolved against {@code base}. A reference that is not a valid URI as written
   * (spaces, non-ASCII characters, {@code |} and the like, which browsers accept) is read with
   * those characters percent-encoded in UTF-8.
   */
  static Optional<URI> resolve(URI base, String reference) {
    String r = reference.trim();
    try {
      return Optional.of(base.resolve(new URI(r)));
    } catch (URISyntaxException | IllegalArgumentException e) {
      try {
        return Optional.of(base.resolve(new URI(encode(r))));
      } catch (URISyntaxException | IllegalArgumentException again) {
        return Optional.empty();
      }
    }
  }

  private static String encode(String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (cp > 0x20 && cp < 0x7F && "\"<>\\^`{|} ".indexOf(cp) < 0) {
        out.append((char) cp);
      } else {
        for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
          out.append('%').append(HEX.charAt((b >> 4) & 0xF)).append(HEX.charAt(b & 0xF));
        }
      }
    }
    return out.toString();
  }
}
