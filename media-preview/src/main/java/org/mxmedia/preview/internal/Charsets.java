package org.mxmedia.preview.internal;

import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Chooses how to decode an HTML page: a byte order mark, then the HTTP {@code Content-Type}
 * charset, then the first {@code <meta charset>} in the first 1024 bytes, then the first {@code
 * <meta http-equiv="Content-Type" content="...; charset=...">} there, then an XML declaration's
 * encoding, then UTF-8. The BOM comes first, as in the HTML standard and every browser: a page that
 * starts with one is in that encoding whatever its server says. Labels the JVM does not know are
 * skipped. UTF-8 is decoded leniently (bytes that are not UTF-8 are read as windows-1252); every
 * other charset replaces what it cannot decode. Labels are mapped as the WHATWG Encoding standard
 * does for the common cases: ISO-8859-1 and ASCII are read as windows-1252, Shift_JIS as
 * windows-31j, GB2312 and GBK as GB18030, EUC-KR as windows-949, and a UTF-16 label found by the
 * byte scan as UTF-8 (a page the scan could read as ASCII is not UTF-16).
 */
final class Charsets {
  /** How much of the page is scanned for a declaration. */
  static final int PRESCAN = 1024;

  private static final Pattern META =
      Pattern.compile("<meta(?=[\\s/])([^>]*)>?", Pattern.CASE_INSENSITIVE);
  private static final Pattern ATTRIBUTE =
      Pattern.compile("([^\\s=/>\"']+)(?:\\s*=\\s*(?:\"([^\"]*)\"?|'([^']*)'?|([^\\s>]*)))?");
  private static final Pattern CHARSET_PARAM =
      Pattern.compile("charset\\s*=\\s*[\"']?\\s*([A-Za-z0-9._:\\-]+)", Pattern.CASE_INSENSITIVE);
  private static final Pattern XML_DECLARATION =
      Pattern.compile(
          "^\\s*<\\?xml[^>]*?encoding\\s*=\\s*[\"']([A-Za-z0-9._\\-]+)[\"']",
          Pattern.CASE_INSENSITIVE);

  private static final Map<String, String> ALIASES =
      Map.ofEntries(
          Map.entry("iso-8859-1", "windows-1252"),
          Map.entry("iso8859-1", "windows-1252"),
          Map.entry("iso_8859-1", "windows-1252"),
          Map.entry("latin1", "windows-1252"),
          Map.entry("l1", "windows-1252"),
          Map.entry("us-ascii", "windows-1252"),
          Map.entry("ascii", "windows-1252"),
          Map.entry("cp1252", "windows-1252"),
          Map.entry("cp819", "windows-1252"),
          Map.entry("ibm819", "windows-1252"),
          Map.entry("shift_jis", "windows-31j"),
          Map.entry("shift-jis", "windows-31j"),
          Map.entry("sjis", "windows-31j"),
          Map.entry("x-sjis", "windows-31j"),
          Map.entry("ms932", "windows-31j"),
          Map.entry("ms_kanji", "windows-31j"),
          Map.entry("csshiftjis", "windows-31j"),
          Map.entry("gb2312", "GB18030"),
          Map.entry("gbk", "GB18030"),
          Map.entry("x-gbk", "GB18030"),
          Map.entry("cp936", "GB18030"),
          Map.entry("euc-kr", "x-windows-949"),
          Map.entry("cseuckr", "x-windows-949"));

  private Charsets() {}

  /**
   * The decoding of a page.
   *
   * @param charset the charset, or empty for lenient UTF-8
   * @param bomLength bytes of byte order mark to skip
   */
  record Choice(Optional<Charset> charset, int bomLength) {
    Reader reader(InputStream in) {
      return charset
          .<Reader>map(
              c ->
                  new InputStreamReader(
                      in,
                      c.newDecoder()
                          .onMalformedInput(CodingErrorAction.REPLACE)
                          .onUnmappableCharacter(CodingErrorAction.REPLACE)))
          .orElseGet(() -> new LenientUtf8Reader(in));
    }

    /** The charset's name, for tests and logs. */
    String name() {
      return charset.map(Charset::name).orElse("UTF-8");
    }
  }

  private static final Choice UTF8 = new Choice(Optional.empty(), 0);

  /**
   * Chooses the decoding from the start of the body and the header's {@code charset} parameter.
   *
   * @param prefix the first bytes of the body (at most {@link #PRESCAN} are looked at)
   * @param length how many bytes of {@code prefix} are valid
   */
  static Choice choose(byte[] prefix, int length, Optional<String> headerCharset) {
    int n = Math.min(length, PRESCAN);
    if (n >= 3
        && (prefix[0] & 0xFF) == 0xEF
        && (prefix[1] & 0xFF) == 0xBB
        && (prefix[2] & 0xFF) == 0xBF) {
      return new Choice(Optional.empty(), 3);
    }
    if (n >= 2 && (prefix[0] & 0xFF) == 0xFE && (prefix[1] & 0xFF) == 0xFF) {
      return new Choice(Optional.of(StandardCharsets.UTF_16BE), 2);
    }
    if (n >= 2 && (prefix[0] & 0xFF) == 0xFF && (prefix[1] & 0xFF) == 0xFE) {
      return new Choice(Optional.of(StandardCharsets.UTF_16LE), 2);
    }
    Optional<Choice> header = headerCharset.flatMap(label -> lookup(label, false));
    if (header.isPresent()) {
      return header.get();
    }
    String head = new String(prefix, 0, n, StandardCharsets.ISO_8859_1);
    return declared(head).or(() -> xmlDeclared(head)).orElse(UTF8);
  }

  private static Optional<Choice> declared(String head) {
    Optional<Choice> httpEquiv = Optional.empty();
    Matcher meta = META.matcher(head);
    while (meta.find()) {
      String charset = null;
      String httpEquivValue = null;
      String content = null;
      Matcher a = ATTRIBUTE.matcher(meta.group(1));
      while (a.find()) {
        String name = a.group(1).toLowerCase(Locale.ROOT);
        String value =
            a.group(2) != null
                ? a.group(2)
                : a.group(3) != null ? a.group(3) : a.group(4) != null ? a.group(4) : "";
        if (name.equals("charset") && charset == null) {
          charset = value;
        } else if (name.equals("http-equiv") && httpEquivValue == null) {
          httpEquivValue = value;
        } else if (name.equals("content") && content == null) {
          content = value;
        }
      }
      if (charset != null) {
        Optional<Choice> c = lookup(charset, true);
        if (c.isPresent()) {
          return c;
        }
      }
      if (httpEquiv.isEmpty()
          && content != null
          && httpEquivValue != null
          && httpEquivValue.trim().equalsIgnoreCase("content-type")) {
        Matcher p = CHARSET_PARAM.matcher(content);
        if (p.find()) {
          httpEquiv = lookup(p.group(1), true);
        }
      }
    }
    return httpEquiv;
  }

  private static Optional<Choice> xmlDeclared(String head) {
    Matcher m = XML_DECLARATION.matcher(head);
    return m.find() ? lookup(m.group(1), true) : Optional.empty();
  }

  /**
   * The decoding a charset label names, if the JVM knows it.
   *
   * @param fromScan whether the label was found by scanning the bytes as ASCII (then UTF-16 means
   *     UTF-8)
   */
  static Optional<Choice> lookup(String label, boolean fromScan) {
    String name = label.trim().replace("\"", "").replace("'", "").toLowerCase(Locale.ROOT);
    if (name.isEmpty()) {
      return Optional.empty();
    }
    if (name.equals("utf-8")
        || name.equals("utf8")
        || name.equals("unicode-1-1-utf-8")
        || (fromScan && name.startsWith("utf-16"))) {
      return Optional.of(UTF8);
    }
    String mapped = ALIASES.getOrDefault(name, name);
    try {
      return Optional.of(new Choice(Optional.of(Charset.forName(mapped)), 0));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
