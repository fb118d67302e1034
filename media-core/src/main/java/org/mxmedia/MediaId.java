package org.mxmedia;

/**
 * The media id of an {@code mxc://} URI: 1 to 255 characters from {@code [A-Za-z0-9_-]}.
 *
 * <p>Checked by allow-list, so a media id can never hold a path separator, a dot, a percent escape,
 * a NUL or any non-ASCII character, and is safe as a file name component.
 *
 * @param value the media id
 */
public record MediaId(String value) {

  /** The longest media id accepted, in characters. */
  public static final int MAX_LENGTH = 255;

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
    int length = candidate.length();
    if (length == 0 || length > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = candidate.charAt(i);
      if (!((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-')) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return value;
  }
}
