package org.mxmedia;

import java.util.regex.Pattern;

/**
 * The media id of an {@code mxc://} URI: 1 to 255 characters from {@code [A-Za-z0-9_-]}.
 *
 * <p>Checked by allow-list, so a media id can never hold a path separator, a dot, a percent
 * escape, a NUL or any non-ASCII character, and is safe as a file name component.
 *
 * @param value the media id
 */
public record MediaId(String value) {

  /** The longest media id accepted, in characters. */
  public static final int MAX_LENGTH = 255;

  private static final Pattern GRAMMAR = Pattern.compile("[A-Za-z0-9_-]{1,255}");

  public MediaId {
    if (!isValid(value)) {
      throw new IllegalArgumentException("not a valid media id: " + Strings.quoteForMessage(value));
    }
  }

  public static MediaId of(String value) {
    return new MediaId(value);
  }

  /** Whether {@code candidate} is a media id this library accepts. */
  public static boolean isValid(String candidate) {
    return candidate.length() <= MAX_LENGTH && GRAMMAR.matcher(candidate).matches();
  }

  @Override
  public String toString() {
    return value;
  }
}
