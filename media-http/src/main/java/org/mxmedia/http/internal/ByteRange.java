package org.mxmedia.http.internal;

import java.util.Optional;

/**
 * A single satisfiable byte range of a representation of known length (RFC 9110 section 14).
 *
 * @param first the first byte offset
 * @param last the last byte offset, inclusive
 */
public record ByteRange(long first, long last) {

  /** The outcome of reading a {@code Range} header. */
  public sealed interface Result permits Full, Partial, Unsatisfiable {}

  /** Serve the whole representation (no range, a malformed one, or several). */
  public record Full() implements Result {}

  /** Serve one range with 206. */
  public record Partial(ByteRange range) implements Result {}

  /** Answer 416. */
  public record Unsatisfiable() implements Result {}

  public long length() {
    return last - first + 1;
  }

  /** {@code bytes first-last/total}, for {@code Content-Range}. */
  public String contentRange(long total) {
    return "bytes " + first + "-" + last + "/" + total;
  }

  /**
   * Reads a {@code Range} header against a representation of {@code length} bytes. Only one range
   * is honoured; a header the server does not understand is ignored (the whole representation is
   * served), as RFC 9110 allows.
   */
  public static Result parse(Optional<String> header, long length) {
    if (header.isEmpty()) {
      return new Full();
    }
    String h = header.get().strip();
    if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
      return new Full();
    }
    String spec = h.substring(6).strip();
    if (spec.contains(",")) {
      return new Full();
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Full();
    }
    String a = spec.substring(0, dash).strip();
    String b = spec.substring(dash + 1).strip();
    if (!digits(a) || !digits(b) || (a.isEmpty() && b.isEmpty())) {
      return new Full();
    }
    if (a.isEmpty()) {
      long suffix = Long.parseLong(b);
      if (suffix == 0) {
        return new Unsatisfiable();
      }
      if (length == 0) {
        return new Full(); // satisfiable (RFC 9110 14.1.1), but no 206 can describe no bytes
      }
      return new Partial(new ByteRange(Math.max(0, length - suffix), length - 1));
    }
    long first = Long.parseLong(a);
    if (first >= length) {
      return new Unsatisfiable();
    }
    long last = b.isEmpty() ? length - 1 : Math.min(Long.parseLong(b), length - 1);
    if (last < first) {
      return new Full(); // an invalid range-spec is ignored
    }
    return new Partial(new ByteRange(first, last));
  }

  private static boolean digits(String s) {
    return s.length() <= 18 && s.chars().allMatch(c -> c >= '0' && c <= '9');
  }
}
