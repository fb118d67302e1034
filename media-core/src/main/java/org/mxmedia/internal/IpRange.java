package org.mxmedia.internal;

import com.google.common.net.InetAddresses;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A CIDR range of IPv4 or IPv6 addresses ({@code 10.0.0.0/8}, {@code fe80::/10}, or a single
 * address), and the IPv4 addresses an IPv6 address carries inside it.
 */
public final class IpRange {
  private final byte[] network;
  private final int prefixLength;
  private final String text;

  private IpRange(byte[] network, int prefixLength, String text) {
    this.network = network;
    this.prefixLength = prefixLength;
    this.text = text;
  }

  /**
   * Parses {@code a.b.c.d/n}, {@code v6/n} or a single address.
   *
   * @throws IllegalArgumentException naming the text when it is not a CIDR range; host bits set
   *     below the prefix are refused, so a typo never widens or narrows a range silently
   */
  public static IpRange parse(String cidr) {
    String text = cidr.strip();
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    if (!InetAddresses.isInetAddress(address)) {
      throw new IllegalArgumentException("not an IP address range (CIDR): " + cidr);
    }
    byte[] bytes = InetAddresses.forString(address).getAddress();
    int prefix = bytes.length * 8;
    if (slash >= 0) {
      String p = text.substring(slash + 1);
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IllegalArgumentException("not an IP address range (CIDR): " + cidr);
      }
      prefix = Integer.parseInt(p);
      if (prefix > bytes.length * 8) {
        throw new IllegalArgumentException("prefix longer than the address in " + cidr);
      }
    }
    for (int bit = prefix; bit < bytes.length * 8; bit++) {
      if ((bytes[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
        throw new IllegalArgumentException(
            "host bits set in " + cidr + " (did you mean a /" + prefix + " network?)");
      }
    }
    return new IpRange(bytes, prefix, text);
  }

  /** Whether {@code address} (of the same family) lies in this range. */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    if (a.length != network.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    if (rest == 0) {
      return true;
    }
    int mask = (0xFF << (8 - rest)) & 0xFF;
    return (a[full] & mask) == (network[full] & mask);
  }

  /**
   * The address itself and every IPv4 address it embeds: IPv4-mapped ({@code ::ffff:a.b.c.d}),
   * IPv4-compatible ({@code ::a.b.c.d}), NAT64 ({@code 64:ff9b::/96}), 6to4 ({@code 2002::/16}) and
   * Teredo ({@code 2001:0::/32}, the client address). A connection to any of those forms may reach
   * the embedded IPv4 address, so a policy checks them all.
   */
  public static List<InetAddress> forms(InetAddress address) {
    List<InetAddress> forms = new ArrayList<>(2);
    forms.add(address);
    if (!(address instanceof Inet6Address)) {
      return forms;
    }
    byte[] b = address.getAddress();
    boolean zeroPrefix96 = allZero(b, 0, 10);
    if (zeroPrefix96 && (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF) {
      forms.add(v4(b, 12, false));
    } else if (zeroPrefix96 && b[10] == 0 && b[11] == 0 && !allZero(b, 12, 16)) {
      forms.add(v4(b, 12, false)); // IPv4-compatible (deprecated), and ::1 is checked as itself too
    } else if (b[0] == 0x00
        && (b[1] & 0xFF) == 0x64
        && (b[2] & 0xFF) == 0xFF
        && (b[3] & 0xFF) == 0x9B
        && allZero(b, 4, 12)) {
      forms.add(v4(b, 12, false));
    } else if ((b[0] & 0xFF) == 0x20 && (b[1] & 0xFF) == 0x02) {
      forms.add(v4(b, 2, false));
    } else if ((b[0] & 0xFF) == 0x20 && (b[1] & 0xFF) == 0x01 && b[2] == 0 && b[3] == 0) {
      forms.add(v4(b, 12, true));
    }
    return forms;
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress v4(byte[] b, int offset, boolean inverted) {
    byte[] v4 = Arrays.copyOfRange(b, offset, offset + 4);
    if (inverted) {
      for (int i = 0; i < 4; i++) {
        v4[i] = (byte) ~v4[i];
      }
    }
    try {
      return Inet4Address.getByAddress(v4);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("four bytes are always an IPv4 address", e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpRange r
        && prefixLength == r.prefixLength
        && Arrays.equals(network, r.network);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(network) + prefixLength;
  }

  @Override
  public String toString() {
    return text;
  }
}
