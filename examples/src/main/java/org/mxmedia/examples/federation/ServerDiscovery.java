package org.mxmedia.examples.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.util.concurrent.UncheckedExecutionException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.net.URIAuthority;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a server name is reached (the spec's server discovery): a configured peer URL first
 * (trusted: the operator named it); then an IP literal or explicit port as given; then {@code
 * /.well-known/matrix/server}; then the {@code _matrix-fed._tcp} (and legacy {@code _matrix._tcp})
 * SRV record; then port 8448.
 *
 * <p>For an SRV result the connection goes to the SRV target's address, checked by the outbound
 * policy when the request is made, while TLS is verified against, and {@code Host} names, the
 * server name (or the delegated name after a {@code .well-known} delegation), as the spec requires.
 * The {@code .well-known} fetch goes through the policy too, follows at most three redirects (each
 * checked), reads at most 64 KiB and has the key-fetch deadline.
 *
 * <p>Results, including "nothing published" ones, are cached for an hour in a bounded cache ({@link
 * #MAX_ENTRIES} server names); concurrent look-ups of one name share one discovery.
 */
final class ServerDiscovery {
  private static final Logger log = LoggerFactory.getLogger(ServerDiscovery.class);

  /** Server names whose discovery result is remembered; the least recently used go first. */
  static final int MAX_ENTRIES = 1000;

  private static final Duration CACHE = Duration.ofHours(1);
  private static final int MAX_WELL_KNOWN = 64 * 1024;
  private static final int MAX_WELL_KNOWN_REDIRECTS = 3;

  private final Map<ServerName, URI> peers;
  private final OutboundHttp http;
  private final OutboundPolicy policy;
  private final SrvLookup srv;
  private final Duration wellKnownDeadline;
  private final Cache<ServerName, Endpoint> cache =
      CacheBuilder.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(CACHE).build();

  /** Looks up SRV records; empty when there are none. */
  @FunctionalInterface
  interface SrvLookup {
    List<SrvRecord> lookup(String name) throws IOException;
  }

  /** One SRV record: {@code priority weight port target}. */
  record SrvRecord(int priority, int weight, int port, String target) {}

  /**
   * How to reach a server.
   *
   * @param scheme {@code https}, or whatever a configured peer's URL says
   * @param connectHost the name (or IP literal) whose address is connected to
   * @param port the port
   * @param tlsName when present, TLS is verified against this name and {@code Host} carries it,
   *     while the connection goes to {@code connectHost}'s address (an SRV result)
   * @param trusted a configured peer, reached without the outbound policy
   */
  record Endpoint(
      String scheme, String connectHost, int port, Optional<String> tlsName, boolean trusted) {}

  ServerDiscovery(
      Map<ServerName, URI> peers,
      OutboundHttp http,
      OutboundPolicy policy,
      Duration wellKnownDeadline) {
    this(peers, http, policy, wellKnownDeadline, ServerDiscovery::dnsSrv);
  }

  ServerDiscovery(
      Map<ServerName, URI> peers,
      OutboundHttp http,
      OutboundPolicy policy,
      Duration wellKnownDeadline,
      SrvLookup srv) {
    this.peers = Map.copyOf(peers);
    this.http = http;
    this.policy = policy;
    this.wellKnownDeadline = wellKnownDeadline;
    this.srv = srv;
  }

  /** Server names currently remembered (bounded by {@link #MAX_ENTRIES}). */
  long cachedEntries() {
    cache.cleanUp();
    return cache.size();
  }

  /** How {@code server} is reached: a configured peer, or a discovery result (cached). */
  Endpoint endpointFor(ServerName server) throws IOException {
    URI peer = peers.get(server);
    if (peer != null) {
      String scheme = peer.getScheme();
      int port = peer.getPort() >= 0 ? peer.getPort() : scheme.equals("https") ? 443 : 80;
      return new Endpoint(scheme, peer.getHost(), port, Optional.empty(), true);
    }
    try {
      return cache.get(server, () -> discover(server));
    } catch (ExecutionException | UncheckedExecutionException e) {
      throw new IOException("cannot discover " + server + ": " + e.getCause(), e.getCause());
    }
  }

  /**
   * Where a request to {@code server} goes now. For an SRV result the target's address is looked up
   * (and checked by the policy) here, so the connection goes exactly where was checked.
   *
   * @throws OutboundPolicy.BlockedAddressException when an SRV target resolves to a refused address
   */
  OutboundHttp.Target targetFor(ServerName server) throws IOException {
    Endpoint e = endpointFor(server);
    if (e.tlsName().isPresent()) {
      InetAddress address = policy.resolve(e.connectHost())[0];
      HttpHost host = new HttpHost(e.scheme(), address, e.tlsName().get(), e.port());
      return new OutboundHttp.Target(host, Optional.of(new URIAuthority(e.tlsName().get())), false);
    }
    return new OutboundHttp.Target(
        new HttpHost(e.scheme(), unbracketed(e.connectHost()), e.port()),
        Optional.empty(),
        e.trusted());
  }

  private Endpoint discover(ServerName server) {
    if (server.isIpLiteral() || server.port().isPresent()) {
      return https(server.host(), server.port().orElse(8448));
    }
    Optional<ServerName> delegated = wellKnown(server.host());
    if (delegated.isPresent()) {
      ServerName d = delegated.get();
      if (d.isIpLiteral() || d.port().isPresent()) {
        return https(d.host(), d.port().orElse(8448));
      }
      return srvEndpoint(d.host()).orElse(https(d.host(), 8448));
    }
    return srvEndpoint(server.host()).orElse(https(server.host(), 8448));
  }

  private static Endpoint https(String host, int port) {
    return new Endpoint("https", host, port, Optional.empty(), false);
  }

  /**
   * The delegated server name published at {@code https://host/.well-known/matrix/server}, if any.
   */
  private Optional<ServerName> wellKnown(String host) {
    URI uri = URI.create("https://" + host + "/.well-known/matrix/server");
    long deadline = System.nanoTime() + wellKnownDeadline.toNanos();
    try {
      for (int hop = 0; hop <= MAX_WELL_KNOWN_REDIRECTS; hop++) {
        Duration left = Duration.ofNanos(deadline - System.nanoTime());
        if (left.isNegative() || left.isZero()) {
          return Optional.empty();
        }
        OutboundHttp.Response r = http.get(uri, left, left);
        int status = r.status();
        if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
          Optional<String> location = r.header("Location");
          r.close();
          if (location.isEmpty()) {
            return Optional.empty();
          }
          uri = uri.resolve(location.get().strip());
          if (!"https".equalsIgnoreCase(uri.getScheme())) {
            return Optional.empty();
          }
          continue;
        }
        if (status != 200) {
          r.close();
          return Optional.empty();
        }
        JsonNode json = CanonicalJson.MAPPER.readTree(r.readAtMost(MAX_WELL_KNOWN));
        String name = json.path("m.server").textValue();
        if (name == null || !ServerName.isValid(name)) {
          log.debug("{} publishes no valid m.server", host);
          return Optional.empty();
        }
        return Optional.of(ServerName.of(name));
      }
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      log.debug("No .well-known for {}: {}", host, e.toString());
      return Optional.empty();
    }
  }

  /** The SRV endpoint of {@code host}: connect to the target, verify TLS against {@code host}. */
  private Optional<Endpoint> srvEndpoint(String host) {
    for (String service : new String[] {"_matrix-fed._tcp.", "_matrix._tcp."}) {
      try {
        Optional<SrvRecord> best =
            srv.lookup(service + host).stream()
                .filter(r -> !r.target().isEmpty() && !r.target().equals(".") && r.port() > 0)
                .min(
                    Comparator.comparingInt(SrvRecord::priority)
                        .thenComparing(Comparator.comparingInt(SrvRecord::weight).reversed()));
        if (best.isPresent()) {
          String target =
              best.get().target().endsWith(".")
                  ? best.get().target().substring(0, best.get().target().length() - 1)
                  : best.get().target();
          return Optional.of(
              new Endpoint("https", target, best.get().port(), Optional.of(host), false));
        }
      } catch (IOException | RuntimeException e) {
        log.debug("No SRV {}{}: {}", service, host, e.toString());
      }
    }
    return Optional.empty();
  }

  /**
   * SRV records through the JDK's DNS client, with a bounded wait (2 s, one retry). The context is
   * the DNS provider only, whose attributes are strings from DNS answers: nothing is looked up by
   * URL and nothing is deserialised, which is what Error Prone's BanJNDI guards against.
   */
  @SuppressWarnings("BanJNDI")
  private static List<SrvRecord> dnsSrv(String name) throws IOException {
    Hashtable<String, String> env = new Hashtable<>();
    env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
    env.put("com.sun.jndi.dns.timeout.initial", "2000");
    env.put("com.sun.jndi.dns.timeout.retries", "1");
    List<SrvRecord> records = new ArrayList<>();
    try {
      Attribute attribute =
          new InitialDirContext(env).getAttributes(name, new String[] {"SRV"}).get("SRV");
      if (attribute == null) {
        return records;
      }
      NamingEnumeration<?> values = attribute.getAll();
      while (values.hasMore() && records.size() < 32) {
        String[] parts = values.next().toString().strip().split("\\s+");
        if (parts.length == 4) {
          records.add(
              new SrvRecord(
                  Integer.parseInt(parts[0]),
                  Integer.parseInt(parts[1]),
                  Integer.parseInt(parts[2]),
                  parts[3]));
        }
      }
      return records;
    } catch (NamingException | NumberFormatException e) {
      throw new IOException(e.toString(), e);
    }
  }

  private static String unbracketed(String host) {
    return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
  }
}
