package org.mxmedia.examples.federation;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Hashtable;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;
import org.mxmedia.ServerName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a server name is reached (the spec's server discovery): a configured peer URL first;
 * then an IP literal or explicit port as given; then {@code /.well-known/matrix/server}; then
 * the {@code _matrix-fed._tcp} (and legacy {@code _matrix._tcp}) SRV record; then port 8448.
 * Results are cached for an hour.
 */
final class ServerDiscovery {
  private static final Logger log = LoggerFactory.getLogger(ServerDiscovery.class);
  private static final Duration CACHE = Duration.ofHours(1);

  private final Map<ServerName, URI> peers;
  private final HttpClient http;
  private final ConcurrentHashMap<ServerName, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(URI base, Instant until) {}

  ServerDiscovery(Map<ServerName, URI> peers, HttpClient http) {
    this.peers = Map.copyOf(peers);
    this.http = http;
  }

  /** The base URL (scheme, host, port) to reach {@code server}'s federation API. */
  URI baseFor(ServerName server) {
    URI peer = peers.get(server);
    if (peer != null) {
      return peer;
    }
    Cached cached = cache.get(server);
    if (cached != null && Instant.now().isBefore(cached.until())) {
      return cached.base();
    }
    URI base = discover(server);
    cache.put(server, new Cached(base, Instant.now().plus(CACHE)));
    return base;
  }

  private URI discover(ServerName server) {
    if (server.isIpLiteral() || server.port().isPresent()) {
      return https(server.host(), server.port().orElse(8448));
    }
    Optional<String> delegated = wellKnown(server.host());
    if (delegated.isPresent() && ServerName.isValid(delegated.get())) {
      ServerName d = ServerName.of(delegated.get());
      if (d.isIpLiteral() || d.port().isPresent()) {
        return https(d.host(), d.port().orElse(8448));
      }
      return srv(d.host()).orElse(https(d.host(), 8448));
    }
    return srv(server.host()).orElse(https(server.host(), 8448));
  }

  private Optional<String> wellKnown(String host) {
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("https://" + host + "/.well-known/matrix/server"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200 || r.body().length > 64 * 1024) {
        return Optional.empty();
      }
      JsonNode json = CanonicalJson.MAPPER.readTree(r.body());
      return Optional.ofNullable(json.path("m.server").textValue());
    } catch (IOException | RuntimeException e) {
      log.debug("No .well-known for {}: {}", host, e.toString());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static Optional<URI> srv(String host) {
    for (String service : new String[] {"_matrix-fed._tcp.", "_matrix._tcp."}) {
      try {
        Hashtable<String, String> env = new Hashtable<>();
        env.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
        Attribute records = new InitialDirContext(env).getAttributes(service + host, new String[] {"SRV"}).get("SRV");
        if (records != null && records.size() > 0) {
          String[] parts = records.get(0).toString().split(" "); // priority weight port target
          String target = parts[3].endsWith(".") ? parts[3].substring(0, parts[3].length() - 1) : parts[3];
          return Optional.of(https(target, Integer.parseInt(parts[2])));
        }
      } catch (Exception e) {
        log.debug("No SRV {}{}: {}", service, host, e.toString());
      }
    }
    return Optional.empty();
  }

  private static URI https(String host, int port) {
    return URI.create("https://" + host + ":" + port);
  }
}
