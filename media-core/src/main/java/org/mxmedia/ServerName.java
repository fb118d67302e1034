package org.mxmedia;

import com.google.common.net.InetAddresses;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Matrix server name as defined in the specification's appendix: a DNS name, an IPv4 address or a
 * bracketed IPv6 address, optionally followed by {@code :port}.
 *
 * <p>Validation is by allow-list and slightly stricter than the appendix grammar: DNS labels may
 * not be empty (so no name consists of dots alone), IP literals must be real addresses, and the
 * port is 1 to 65535. Names are kept as given; comparison is exact (the spec says server names are
 * case-sensitive).
 *
 * @param value the server name, e.g. {@code example.org:8448}
 */
public record ServerName(String value) {

  /** The longest server name accepted, in characters (the spec bounds the host part by 255). */
  public static final int MAX_LENGTH = 255 + 6;

  private static final Pattern SHAPE =
      Pattern.compile("(\\[[0-9A-Fa-f:.]{2,45}]|[A-Za-z0-9.-]{1,255})(?::([0-9]{1,5}))?");
  private static final Pattern IPV4_SHAPE = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern DNS_LABEL = Pattern.compile("[A-Za-z0-9-]{1,63}");

  public ServerName {
    if (!isValid(value)) {
      throw new IllegalArgumentException(
          "not a valid server name: " + Strings.quoteForMessage(value));
    }
  }

  /**
   * Parses {@code value}, throwing {@link IllegalArgumentException} when it is not a server name.
   */
  public static ServerName of(String value) {
    return new ServerName(value);
  }

  /** Whether {@code candidate} is a server name this library accepts. */
  public static boolean isValid(String candidate) {
    if (candidate.isEmpty() || candidate.length() > MAX_LENGTH) {
      return false;
    }
    Matcher m = SHAPE.matcher(candidate);
    if (!m.matches()) {
      return false;
    }
    String host = m.group(1);
    String port = m.group(2);
    if (port != null) {
      int p = Integer.parseInt(port);
      if (p < 1 || p > 65535) {
        return false;
      }
    }
    if (host.startsWith("[")) {
      String literal = host.substring(1, host.length() - 1);
      return literal.indexOf(':') >= 0 && InetAddresses.isInetAddress(literal);
    }
    if (IPV4_SHAPE.matcher(host).matches()) {
      return InetAddresses.isInetAddress(host);
    }
    for (String label : host.split("\\.", -1)) {
      if (!DNS_LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  /** The host part: a DNS name, an IPv4 address, or a bracketed IPv6 address. */
  public String host() {
    Matcher m = SHAPE.matcher(value);
    m.matches();
    return m.group(1);
  }

  /** The explicit port, if the name has one. */
  public OptionalInt port() {
    Matcher m = SHAPE.matcher(value);
    m.matches();
    return m.group(2) == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(m.group(2)));
  }

  /** Whether this name is an IP literal (v4 or v6) rather than a DNS name. */
  public boolean isIpLiteral() {
    String host = host();
    return host.startsWith("[") || IPV4_SHAPE.matcher(host).matches();
  }

  @Override
  public String toString() {
    return value;
  }
}
