package org.mxmedia.preview.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;

/**
 * Decodes UTF-8, and every byte that does not begin a well-formed UTF-8 sequence as windows-1252
 * (as browsers decode the undeclared Latin text that most such bytes are). Never throws on bad
 * input: overlong forms, surrogates, stray continuation bytes and truncated sequences each fall
 * back byte by byte. Returns what it has decoded rather than block for more.
 */
final class LenientUtf8Reader extends Reader {

  /**
   * windows-1252 for 0x80 to 0x9F; the five unassigned bytes map to the C1 control of the same
   * value.
   */
  private static final char[] CP1252_HIGH = {
    '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
    '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
    '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
    '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178'
  };

  private final InputStream in;
  private final byte[] buf = new byte[8192];
  private int pos;
  private int limit;
  private boolean eof;
  private int pendingLow = -1;

  LenientUtf8Reader(InputStream in) {
    this.in = in;
  }

  static char windows1252(int b) {
    return b >= 0x80 && b < 0xA0 ? CP1252_HIGH[b - 0x80] : (char) b;
  }

  @Override
  public int read(char[] cbuf, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    int n = 0;
    if (pendingLow >= 0) {
      cbuf[off + n++] = (char) pendingLow;
      pendingLow = -1;
    }
    while (n < len) {
      if (pos == limit) {
        if (eof || n > 0) {
          break;
        }
        fill();
        continue;
      }
      int b0 = buf[pos] & 0xFF;
      if (b0 < 0x80) {
        cbuf[off + n++] = (char) b0;
        pos++;
        continue;
      }
      int need =
          b0 >= 0xC2 && b0 <= 0xDF
              ? 2
              : b0 >= 0xE0 && b0 <= 0xEF ? 3 : b0 >= 0xF0 && b0 <= 0xF4 ? 4 : 0;
      if (need > 0 && limit - pos < need && !eof) {
        if (n > 0) {
          break;
        }
        fill();
        continue;
      }
      int cp = need == 0 || limit - pos < need ? -1 : decode(b0, need);
      if (cp < 0) {
        cbuf[off + n++] = windows1252(b0);
        pos++;
      } else if (cp > 0xFFFF) {
        cbuf[off + n++] = Character.highSurrogate(cp);
        char low = Character.lowSurrogate(cp);
        if (n < len) {
          cbuf[off + n++] = low;
        } else {
          pendingLow = low;
        }
        pos += need;
      } else {
        cbuf[off + n++] = (char) cp;
        pos += need;
      }
    }
    return n == 0 && eof && pos == limit ? -1 : n;
  }

  /**
   * The code point of the {@code need}-byte sequence at {@code pos}, or -1 when it is malformed.
   */
  private int decode(int b0, int need) {
    int b1 = buf[pos + 1] & 0xFF;
    int lo = b0 == 0xE0 ? 0xA0 : b0 == 0xF0 ? 0x90 : 0x80;
    int hi = b0 == 0xED ? 0x9F : b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi) {
      return -1;
    }
    int cp = (b0 & (0xFF >> (need + 1))) << 6 | (b1 & 0x3F);
    for (int i = 2; i < need; i++) {
      int b = buf[pos + i] & 0xFF;
      if ((b & 0xC0) != 0x80) {
        return -1;
      }
      cp = cp << 6 | (b & 0x3F);
    }
    return cp;
  }

  private void fill() throws IOException {
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      pos = 0;
    }
    int r = in.read(buf, limit, buf.length - limit);
    if (r < 0) {
      eof = true;
    } else {
      limit += r;
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
