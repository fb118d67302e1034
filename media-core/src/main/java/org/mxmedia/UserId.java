package org.mxmedia;

/**
 * A Matrix user id, {@code @localpart:server.name}.
 *
 * <p>The localpart is accepted in its historical grammar (any printable ASCII except {@code :}),
 * since older accounts exist with such ids; the whole id is at most 255 characters.
 *
 * @param value the user id
 */
public record UserId(String value) {

  public static final int MAX_LENGTH = 255;

  public UserId {
    if (!isValid(value)) {
      throw new IllegalArgumentException("not a valid user id: " + Strings.quoteForMessage(value));
    }
  }

  public static UserId of(String value) {
    return new UserId(value);
  }

  public static boolean isValid(String candidate) {
    if (candidate.length() < 4 || candidate.length() > MAX_LENGTH || candidate.charAt(0) != '@') {
      return false;
    }
    int colon = candidate.indexOf(':');
    if (colon < 2) {
      return false;
    }
    for (int i = 1; i < colon; i++) {
      char c = candidate.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return ServerName.isValid(candidate.substring(colon + 1));
  }

  /** The part between {@code @} and the first {@code :}. */
  public String localpart() {
    return value.substring(1, value.indexOf(':'));
  }

  /** The server the user belongs to. */
  public ServerName serverName() {
    return new ServerName(value.substring(value.indexOf(':') + 1));
  }

  @Override
  public String toString() {
    return value;
  }
}
