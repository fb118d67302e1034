package org.mxmedia;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.mxmedia.internal.IpRange;

/**
 * Which addresses this process may connect to on behalf of remote input: federation discovery
 * results, {@code Location} and redirect targets, signing-key fetches and URL previews. The
 * defaults are Synapse's {@code ip_range_blacklist} (private, loopback, link-local, CGNAT,
 * multicast, reserved and documentation ranges); {@link Builder#whitelist} carves exceptions out of
 * it, as Synapse's {@code ip_range_whitelist} does.
 *
 * <p>Every form of an address is checked: an IPv6 address that embeds an IPv4 one (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4, Teredo) is blocked when the embedded address is. The unspecified
 * addresses ({@code 0.0.0.0/8}, {@code ::}) are always blocked, whatever the lists say.
 *
 * <p>To be safe against DNS rebinding a transport must connect only to the addresses that {@link
 * #resolve} returned, in the same call that checked them: give {@link #resolve} to the HTTP client
 * as its DNS resolver (Apache HttpClient's {@code DnsResolver}, Jetty's {@code
 * SocketAddressResolver}, OkHttp's {@code Dns}). A name is refused when <em>any</em> of its
 * addresses is blocked. Addresses an operator names explicitly (a configured peer) are the host's
 * to trust; this policy is for everything a remote party chooses.
 *
 * <p>Immutable and thread-safe.
 */
public final class OutboundPolicy {

  /**
   * Synapse's default {@code ip_range_blacklist}, plus the reserved {@code 240.0.0.0/4} and
   * discard-only {@code 100::/64}.
   */
  public static final List<String> DEFAULT_BLACKLIST =
      List.of(
          "127.0.0.0/8",
          "10.0.0.0/8",
          "172.16.0.0/12",
          "192.168.0.0/16",
          "100.64.0.0/10",
          "192.0.0.0/24",
          "169.254.0.0/16",
          "192.88.99.0/24",
          "198.18.0.0/15",
          "192.0.2.0/24",
          "198.51.100.0/24",
          "203.0.113.0/24",
          "224.0.0.0/4",
          "240.0.0.0/4",
          "::1/128",
          "fe80::/10",
          "fc00::/7",
          "2001:db8::/32",
          "ff00::/8",
          "fec0::/10",
          "100::/64");

  private static final List<IpRange> ALWAYS_BLOCKED =
      List.of(IpRange.parse("0.0.0.0/8"), IpRange.parse("::/128"));

  private static final OutboundPolicy DEFAULTS = new Builder().build();
  private static final OutboundPolicy PERMIT_ALL = new Builder().blacklist(List.of()).build();

  private final List<IpRange> blacklist;
  private final List<IpRange> whitelist;
  private final HostResolver resolver;

  private OutboundPolicy(Builder b) {
    this.blacklist = b.blacklist;
    this.whitelist = b.whitelist;
    this.resolver = b.resolver;
  }

  /** Looks up the addresses of a host name (or parses an IP literal). */
  @FunctionalInterface
  public interface HostResolver {
    /**
     * The addresses of {@code host}; never empty.
     *
     * @throws UnknownHostException when the name has no address
     */
    InetAddress[] resolve(String host) throws UnknownHostException;

    /** The JVM's resolver ({@link InetAddress#getAllByName}). */
    static HostResolver system() {
      return InetAddress::getAllByName;
    }
  }

  /**
   * A host refused by the policy. It extends {@link UnknownHostException} so it passes through HTTP
   * clients whose DNS hook may only throw that; callers tell it apart with {@code instanceof}. The
   * message names the host, never the address it resolved to.
   */
  public static final class BlockedAddressException extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    public BlockedAddressException(String host) {
      super(host + " resolves to an address this server does not connect to");
    }
  }

  /** {@link #DEFAULT_BLACKLIST}, no whitelist, the system resolver. */
  public static OutboundPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * Only the unspecified addresses blocked: for hosts whose network is isolated by other means, and
   * for tests on loopback.
   */
  public static OutboundPolicy permitAll() {
    return PERMIT_ALL;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this policy's settings. */
  public Builder rebuild() {
    return new Builder(this);
  }

  /** Whether a connection to {@code address} is allowed. */
  public boolean permits(InetAddress address) {
    for (InetAddress form : IpRange.forms(address)) {
      if (matches(ALWAYS_BLOCKED, form)
          || (matches(blacklist, form) && !matches(whitelist, form))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Resolves {@code host} and returns its addresses if every one of them is permitted. An IP
   * literal (IPv6 with or without brackets) is checked as it is.
   *
   * @throws BlockedAddressException when any address is blocked
   * @throws UnknownHostException when the name does not resolve
   */
  public InetAddress[] resolve(String host) throws UnknownHostException {
    String name =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    InetAddress[] addresses = resolver.resolve(name);
    if (addresses == null || addresses.length == 0) {
      throw new UnknownHostException(host);
    }
    for (InetAddress a : addresses) {
      if (!permits(a)) {
        throw new BlockedAddressException(host);
      }
    }
    return addresses;
  }

  /**
   * Checks that {@code uri} is an absolute {@code http} or {@code https} URL whose host resolves
   * only to permitted addresses, and returns those addresses.
   *
   * @throws BlockedAddressException when any address of its host is blocked, or the URL is not
   *     http(s) with a host
   * @throws UnknownHostException when its host does not resolve
   */
  public InetAddress[] check(URI uri) throws UnknownHostException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")
        || uri.getHost() == null
        || uri.getRawUserInfo() != null) {
      throw new BlockedAddressException("a URL that is not plain http(s)");
    }
    return resolve(uri.getHost());
  }

  /** The ranges refused, as given. */
  public List<String> blacklist() {
    return blacklist.stream().map(IpRange::toString).toList();
  }

  /** The ranges allowed despite the blacklist, as given. */
  public List<String> whitelist() {
    return whitelist.stream().map(IpRange::toString).toList();
  }

  private static boolean matches(List<IpRange> ranges, InetAddress address) {
    for (IpRange r : ranges) {
      if (r.contains(address)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "OutboundPolicy{blacklist=" + blacklist + ", whitelist=" + whitelist + "}";
  }

  /** Builds an {@link OutboundPolicy}; every setter validates at once. */
  public static final class Builder {
    private List<IpRange> blacklist = parse(DEFAULT_BLACKLIST);
    private List<IpRange> whitelist = List.of();
    private HostResolver resolver = HostResolver.system();

    private Builder() {}

    private Builder(OutboundPolicy p) {
      blacklist = p.blacklist;
      whitelist = p.whitelist;
      resolver = p.resolver;
    }

    /**
     * Replaces the blocked ranges (Synapse's {@code ip_range_blacklist}).
     *
     * @throws IllegalArgumentException naming the first entry that is not a CIDR range
     */
    public Builder blacklist(Collection<String> cidrs) {
      this.blacklist = parse(cidrs);
      return this;
    }

    /**
     * Ranges allowed even though the blacklist covers them (Synapse's {@code ip_range_whitelist}).
     *
     * @throws IllegalArgumentException naming the first entry that is not a CIDR range
     */
    public Builder whitelist(Collection<String> cidrs) {
      this.whitelist = parse(cidrs);
      return this;
    }

    /** How host names are resolved. Default: {@link HostResolver#system()}. */
    public Builder resolver(HostResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    public OutboundPolicy build() {
      return new OutboundPolicy(this);
    }

    private static List<IpRange> parse(Collection<String> cidrs) {
      return cidrs.stream().map(IpRange::parse).toList();
    }
  }
}
