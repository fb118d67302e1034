package org.mxmedia.preview.internal;

import org.jsoup.Jsoup;

/** Cleaning of the strings a preview answers with. */
final class Text {
  /** Synapse's {@code summarize_paragraphs}: gather at least this much text... */
  static final int SUMMARY_MIN = 200;

  /** ...and cut at a word boundary past this, adding an ellipsis. */
  static final int SUMMARY_MAX = 500;

  /** A raw value longer than this is cut before it is cleaned, so cleaning is bounded. */
  static final int RAW_MAX = 4096;

  private Text() {}

  /**
   * {@code raw} with markup removed, control characters dropped, every run of white space made one
   * space, and trimmed; {@code raw} is first cut to {@link #RAW_MAX} characters.
   */
  static String clean(String raw) {
    String s = raw.length() > RAW_MAX ? cut(raw, RAW_MAX) : raw;
    if (s.indexOf('<') >= 0) {
      s = Jsoup.parseBodyFragment(s).text();
    }
    return collapse(s);
  }

  /** White space runs made one space, control characters dropped, trimmed. */
  static String collapse(CharSequence s) {
    StringBuilder out = new StringBuilder(Math.min(s.length(), RAW_MAX * 2));
    boolean space = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        space = out.length() > 0;
      } else if (!Character.isISOControl(c)) {
        if (space) {
          out.append(' ');
          space = false;
        }
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Synapse's summary: at most {@link #SUMMARY_MAX} characters, cut at a word boundary with "…".
   */
  static String summarize(String collapsed) {
    if (collapsed.length() <= SUMMARY_MAX) {
      return collapsed;
    }
    return shorten(collapsed, SUMMARY_MAX);
  }

  /**
   * {@code s} in at most {@code max} characters: cut at the last space that keeps at least half of
   * it (else mid-word), never inside a surrogate pair, ending with "…".
   */
  static String shorten(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int end = max - 1;
    int space = s.lastIndexOf(' ', end);
    if (space >= max / 2) {
      end = space;
    }
    return cut(s, end).stripTrailing() + "…";
  }

  private static String cut(String s, int end) {
    int e = end;
    if (e > 0
        && e < s.length()
        && Character.isHighSurrogate(s.charAt(e - 1))
        && Character.isLowSurrogate(s.charAt(e))) {
      e--;
    }
    return s.substring(0, e);
  }

  /** Gathers text in document order until it has enough for a summary; bounded. */
  static final class Collector {
    private final StringBuilder text = new StringBuilder();
    private final int enough;

    Collector(int enough) {
      this.enough = enough;
    }

    boolean full() {
      return text.length() >= enough;
    }

    void accept(String s) {
      if (full() || s.isBlank()) {
        return;
      }
      int room = enough + SUMMARY_MAX - text.length();
      text.append(s.length() > room ? s.substring(0, room) : s).append(' ');
    }

    boolean isEmpty() {
      return text.length() == 0;
    }

    String collapsed() {
      return collapse(text);
    }
  }
}
