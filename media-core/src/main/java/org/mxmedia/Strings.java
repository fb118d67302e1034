package org.mxmedia;

/** Helpers for putting untrusted strings into messages. */
final class Strings {
  private static final int MAX_QUOTED = 80;

  private Strings() {}

  /**
   * Quotes a possibly hostile string for an exception message: control characters escaped, long
   * input cut.
   */
  static String quoteForMessage(String s) {
    StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_QUOTED) + 8).append('"');
    int n = Math.min(s.length(), MAX_QUOTED);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    if (s.length() > MAX_QUOTED) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }
}
