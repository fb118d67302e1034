package org.mxmedia.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The response policy every host shares: how a stored content type and file name become the {@code
 * Content-Type} and {@code Content-Disposition} of a media response, and how a remote server's
 * {@code Content-Disposition} is read back (RFC 6266 and RFC 5987).
 */
public final class ContentHeaders {

  /** The media types the spec (v1.12+) lets a server serve {@code inline}. */
  static final Set<String> INLINE_SAFE =
      Set.of(
          "text/css",
          "text/plain",
          "text/csv",
          "application/json",
          "application/ld+json",
          "image/jpeg",
          "image/gif",
          "image/png",
          "image/apng",
          "image/webp",
          "image/avif",
          "video/mp4",
          "video/webm",
          "video/ogg",
          "video/quicktime",
          "audio/mp4",
          "audio/webm",
          "audio/aac",
          "audio/mpeg",
          "audio/ogg",
          "audio/wave",
          "audio/wav",
          "audio/x-wav",
          "audio/x-pn-wav",
          "audio/flac",
          "audio/x-flac");

  /** Types that are text although their top-level type is not {@code text/}. */
  private static final Set<String> TEXTUAL_APPLICATION_TYPES =
      Set.of(
          "application/json",
          "application/ld+json",
          "application/javascript",
          "application/xml",
          "application/rtf",
          "image/svg+xml");

  public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

  /** RFC 7230 token characters. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private static final Pattern MEDIA_TYPE =
      Pattern.compile(
          "[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+"
              + "( *; *[!#$%&'*+.^_`|~0-9A-Za-z-]+=([!#$%&'*+.^_`|~0-9A-Za-z-]+|\"[ !#-\\[\\]-~]*\"))*");
  private static final int MAX_CONTENT_TYPE_LENGTH = 255;

  private ContentHeaders() {}

  /**
   * The content type to store for an upload: the client's value when it is a well-formed media type
   * (RFC 7231 grammar in visible ASCII only, at most 255 characters), otherwise {@value
   * #DEFAULT_CONTENT_TYPE}, which is always safe to serve.
   */
  public static String normalizeContentType(Optional<String> raw) {
    if (raw.isEmpty()) {
      return DEFAULT_CONTENT_TYPE;
    }
    String v = raw.get().strip();
    if (v.isEmpty() || v.length() > MAX_CONTENT_TYPE_LENGTH || !MEDIA_TYPE.matcher(v).matches()) {
      return DEFAULT_CONTENT_TYPE;
    }
    return v;
  }

  /** The type and subtype in lower case, without parameters. */
  public static String essence(String contentType) {
    int semi = contentType.indexOf(';');
    String base = semi < 0 ? contentType : contentType.substring(0, semi);
    return base.strip().toLowerCase(Locale.ROOT);
  }

  /**
   * The {@code Content-Type} header: the stored type, with {@code charset=utf-8} added to text
   * without a charset.
   */
  public static String contentTypeHeader(String contentType) {
    String essence = essence(contentType);
    boolean textual = essence.startsWith("text/") || TEXTUAL_APPLICATION_TYPES.contains(essence);
    if (textual && !contentType.toLowerCase(Locale.ROOT).contains("charset=")) {
      return contentType + "; charset=utf-8";
    }
    return contentType;
  }

  /** Whether the spec allows this type to be served {@code inline}. */
  public static boolean isInlineSafe(String contentType) {
    return INLINE_SAFE.contains(essence(contentType));
  }

  /**
   * The {@code Content-Disposition} header: {@code inline} or {@code attachment}, and the file name
   * as {@code filename=} when it is a plain ASCII token, otherwise as RFC 5987 {@code
   * filename*=utf-8''...}.
   */
  public static String contentDisposition(boolean inline, Optional<String> fileName) {
    String type = inline ? "inline" : "attachment";
    if (fileName.isEmpty() || fileName.get().isEmpty()) {
      return type;
    }
    String name = fileName.get();
    if (TOKEN.matcher(name).matches()) {
      return type + "; filename=" + name;
    }
    return type + "; filename*=utf-8''" + percentEncodeAttrChars(name);
  }

  /** RFC 5987 {@code attr-char} encoding of the UTF-8 bytes of {@code value}. */
  static String percentEncodeAttrChars(String value) {
    StringBuilder sb = new StringBuilder(value.length() * 3);
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      boolean attrChar =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$&+-.^_`|~".indexOf(c) >= 0;
      if (attrChar) {
        sb.append((char) c);
      } else {
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  /**
   * The file name in a {@code Content-Disposition} header (RFC 6266): {@code filename*} (RFC 5987,
   * UTF-8 or ISO-8859-1) when present and decodable, else {@code filename} (token or quoted
   * string). Empty when there is none or the header is malformed. Path components are never
   * interpreted; the result is checked by {@link #isAcceptableFileName(String)}.
   */
  public static Optional<String> parseFileName(String header) {
    String plain = null;
    String extended = null;
    int i = header.indexOf(';');
    if (i < 0) {
      return Optional.empty();
    }
    while (i >= 0 && i < header.length()) {
      i++; // past ';'
      while (i < header.length() && isSpace(header.charAt(i))) {
        i++;
      }
      int eq = header.indexOf('=', i);
      if (eq < 0) {
        break;
      }
      String name = header.substring(i, eq).strip().toLowerCase(Locale.ROOT);
      int j = eq + 1;
      while (j < header.length() && isSpace(header.charAt(j))) {
        j++;
      }
      String value;
      if (j < header.length() && header.charAt(j) == '"') {
        StringBuilder sb = new StringBuilder();
        int k = j + 1;
        boolean closed = false;
        while (k < header.length()) {
          char c = header.charAt(k);
          if (c == '\\' && k + 1 < header.length()) {
            sb.append(header.charAt(k + 1));
            k += 2;
          } else if (c == '"') {
            closed = true;
            k++;
            break;
          } else {
            sb.append(c);
            k++;
          }
        }
        if (!closed) {
          return Optional.empty();
        }
        value = sb.toString();
        i = header.indexOf(';', k);
      } else {
        int end = header.indexOf(';', j);
        value = (end < 0 ? header.substring(j) : header.substring(j, end)).strip();
        i = end;
      }
      if (name.equals("filename*")) {
        extended = decodeExtValue(value).orElse(null);
      } else if (name.equals("filename")) {
        plain = value;
      }
      if (i < 0) {
        break;
      }
    }
    String chosen = extended != null ? extended : plain;
    if (chosen == null || !isAcceptableFileName(chosen)) {
      return Optional.empty();
    }
    return Optional.of(chosen);
  }

  /** RFC 5987 ext-value: {@code charset'lang'pct-encoded}. */
  private static Optional<String> decodeExtValue(String value) {
    int first = value.indexOf('\'');
    int second = first < 0 ? -1 : value.indexOf('\'', first + 1);
    if (second < 0) {
      return Optional.empty();
    }
    Charset charset;
    try {
      charset = Charset.forName(value.substring(0, first).strip());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!charset.equals(StandardCharsets.UTF_8) && !charset.equals(StandardCharsets.ISO_8859_1)) {
      return Optional.empty();
    }
    String encoded = value.substring(second + 1);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
    for (int k = 0; k < encoded.length(); k++) {
      char c = encoded.charAt(k);
      if (c == '%') {
        if (k + 2 >= encoded.length()) {
          return Optional.empty();
        }
        int hi = Character.digit(encoded.charAt(k + 1), 16);
        int lo = Character.digit(encoded.charAt(k + 2), 16);
        if (hi < 0 || lo < 0) {
          return Optional.empty();
        }
        bytes.write(hi << 4 | lo);
        k += 2;
      } else if (c < 0x80) {
        bytes.write(c);
      } else {
        return Optional.empty();
      }
    }
    try {
      return Optional.of(
          charset
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }

  /**
   * Whether a file name may be stored and served: 1 to 255 characters, no control characters (C0,
   * DEL, C1), no unpaired surrogates.
   */
  public static boolean isAcceptableFileName(String name) {
    if (name.isEmpty() || name.codePointCount(0, name.length()) > 255) {
      return false;
    }
    for (int k = 0; k < name.length(); k++) {
      char c = name.charAt(k);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        return false;
      }
      if (Character.isHighSurrogate(c)) {
        if (k + 1 >= name.length() || !Character.isLowSurrogate(name.charAt(k + 1))) {
          return false;
        }
        k++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }
}
