package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads a {@code multipart/mixed} body part by part as streams, without holding a part in memory:
 * each part's body ends at the next {@code CRLF--boundary}. Part headers are limited to 16 KiB and
 * the preamble before the first boundary to 16 KiB, so a peer cannot keep the reader busy with
 * framing; boundaries follow RFC 2046 (1 to 70 characters from its alphabet). Anything that is not
 * well-formed multipart (no opening boundary, headers that never end, a body that ends before its
 * closing boundary) is an {@link IOException}.
 */
final class MultipartReader {
  private static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final int MAX_PREAMBLE_BYTES = 16 * 1024;
  private static final Pattern BOUNDARY =
      Pattern.compile("[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]");
  private static final int BUFFER = 64 * 1024;

  private final InputStream in;
  private final byte[] delimiter; // CRLF--boundary
  private final byte[] buf;
  private int pos;
  private int end;
  private boolean finished;
  private @Nullable PartStream current;

  /** One part: its headers (names lower-cased) and its body. */
  record Part(Map<String, String> headers, InputStream body) {
    Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
    }
  }

  MultipartReader(InputStream in, String boundary) {
    if (!BOUNDARY.matcher(boundary).matches()) {
      throw new IllegalArgumentException("bad multipart boundary");
    }
    this.in = in;
    this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    this.buf = new byte[Math.max(BUFFER, delimiter.length * 4)];
    // the body's first boundary has no CRLF before it: pretend it had one
    this.buf[0] = '\r';
    this.buf[1] = '\n';
    this.end = 2;
  }

  /**
   * The boundary parameter of a {@code multipart/mixed} content type, if it is one with a valid
   * boundary.
   */
  static Optional<String> boundaryOf(String contentType) {
    String lower = contentType.toLowerCase(Locale.ROOT);
    if (!lower.startsWith("multipart/mixed")) {
      return Optional.empty();
    }
    for (String param : contentType.split(";")) {
      String p = param.strip();
      if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = p.substring("boundary=".length()).strip();
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
          b = b.substring(1, b.length() - 1);
        }
        return BOUNDARY.matcher(b).matches() ? Optional.of(b) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The next part, or empty after the closing boundary. The previous part's body is skipped. */
  Optional<Part> next() throws IOException {
    if (current != null) {
      current.skipRest(Long.MAX_VALUE);
      current = null;
    } else if (!finished) {
      // the preamble up to the first boundary is discarded
      if (new PartStream().skipRest(MAX_PREAMBLE_BYTES) > MAX_PREAMBLE_BYTES) {
        throw new IOException("multipart preamble is too long");
      }
    }
    if (finished) {
      return Optional.empty();
    }
    // after a delimiter: "--" closes, CRLF opens a part
    ensure(2);
    if (end - pos < 2) {
      throw new IOException("multipart body ends after a boundary");
    }
    if (buf[pos] == '-' && buf[pos + 1] == '-') {
      finished = true;
      return Optional.empty();
    }
    skipLinearWhitespace();
    ensure(2);
    if (end - pos < 2 || buf[pos] != '\r' || buf[pos + 1] != '\n') {
      throw new IOException("malformed multipart boundary line");
    }
    pos += 2;
    Map<String, String> headers = readHeaders();
    current = new PartStream();
    return Optional.of(new Part(headers, current));
  }

  private void skipLinearWhitespace() throws IOException {
    while (true) {
      ensure(1);
      if (end - pos < 1 || (buf[pos] != ' ' && buf[pos] != '\t')) {
        return;
      }
      pos++;
    }
  }

  private Map<String, String> readHeaders() throws IOException {
    Map<String, String> headers = new TreeMap<>();
    int total = 0;
    StringBuilder line = new StringBuilder();
    while (true) {
      ensure(1);
      if (end - pos < 1) {
        throw new IOException("multipart headers never end");
      }
      char c = (char) (buf[pos++] & 0xFF);
      if (++total > MAX_HEADER_BYTES) {
        throw new IOException("multipart headers are too long");
      }
      if (c == '\n') {
        String l = line.toString();
        if (l.endsWith("\r")) {
          l = l.substring(0, l.length() - 1);
        }
        if (l.isEmpty()) {
          return headers;
        }
        int colon = l.indexOf(':');
        if (colon <= 0) {
          throw new IOException("malformed multipart header");
        }
        headers.put(
            l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
        line.setLength(0);
      } else {
        line.append(c);
      }
    }
  }

  /** Fills the buffer until at least {@code n} bytes are available or the input ends. */
  private void ensure(int n) throws IOException {
    if (end - pos >= n) {
      return;
    }
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, end - pos);
      end -= pos;
      pos = 0;
    }
    while (end - pos < n && end < buf.length) {
      int r = in.read(buf, end, buf.length - end);
      if (r < 0) {
        return;
      }
      end += r;
    }
  }

  /** A part's body: bytes up to the next delimiter, which it consumes. */
  private final class PartStream extends InputStream {
    private boolean done;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] out, int off, int len) throws IOException {
      if (done) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      ensure(delimiter.length);
      int match = indexOfDelimiter();
      if (match == pos) {
        pos += delimiter.length;
        done = true;
        return -1;
      }
      // bytes before a match, or before where a delimiter could still begin at the buffer's tail
      int limit = match >= 0 ? match : end - delimiter.length + 1;
      if (limit <= pos) {
        // fewer bytes than a delimiter are left and the input has ended
        throw new IOException("multipart body ends inside a part");
      }
      int n = Math.min(len, limit - pos);
      System.arraycopy(buf, pos, out, off, n);
      pos += n;
      return n;
    }

    private int indexOfDelimiter() {
      outer:
      for (int i = pos; i <= end - delimiter.length; i++) {
        for (int j = 0; j < delimiter.length; j++) {
          if (buf[i + j] != delimiter[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    /**
     * Skips to the end of this part, or until more than {@code limit} bytes were skipped; returns
     * how many were.
     */
    long skipRest(long limit) throws IOException {
      byte[] scratch = new byte[8192];
      long skipped = 0;
      int n;
      while (skipped <= limit && (n = read(scratch, 0, scratch.length)) >= 0) {
        skipped += n;
      }
      return skipped;
    }
  }
}
