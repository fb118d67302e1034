package org.mxmedia.examples.federation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.mxmedia.ErrorCode;
import org.mxmedia.MediaException;
import org.mxmedia.ServerName;
import org.mxmedia.http.FederationAuthenticator;
import org.mxmedia.spi.FederationClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example server's federation: its signing key, the published {@code /_matrix/key/v2/server},
 * a signing {@link FederationClient} for outgoing requests, and a {@link FederationAuthenticator}
 * that verifies incoming {@code X-Matrix} signatures against the origin's published key (fetched
 * and cached until its {@code valid_until_ts}, at most a day).
 */
public final class Federation {
  private static final Logger log = LoggerFactory.getLogger(Federation.class);
  private static final Duration KEY_VALIDITY = Duration.ofDays(7);
  private static final Duration MAX_KEY_CACHE = Duration.ofDays(1);

  private final ServerName serverName;
  private final SigningKey key;
  private final ServerDiscovery discovery;
  private final HttpClient http;
  private final ConcurrentHashMap<String, CachedKey> keys = new ConcurrentHashMap<>();

  private record CachedKey(PublicKey key, Instant until) {}

  private Federation(ServerName serverName, SigningKey key, ServerDiscovery discovery, HttpClient http) {
    this.serverName = serverName;
    this.key = key;
    this.discovery = discovery;
    this.http = http;
  }

  /**
   * Federation for {@code serverName}, with its key at {@code keyFile} (created if missing) and
   * {@code peers} overriding discovery (a peer may be on loopback, over plain HTTP).
   */
  public static Federation create(ServerName serverName, Path keyFile, Map<ServerName, URI> peers) throws IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
    return new Federation(serverName, SigningKey.loadOrCreate(keyFile), new ServerDiscovery(peers, http), http);
  }

  public FederationClient client() {
    return new HttpFederationClient(serverName, key, discovery, http);
  }

  /** The key id this server signs with, {@code ed25519:...}. */
  public String keyId() {
    return key.keyId;
  }

  /** This server's signed key response. */
  ObjectNode keyResponse() {
    ObjectNode json = CanonicalJson.MAPPER.createObjectNode();
    json.put("server_name", serverName.value());
    json.put("valid_until_ts", Instant.now().plus(KEY_VALIDITY).toEpochMilli());
    json.putObject("verify_keys").putObject(key.keyId).put("key", SigningKey.B64.encodeToString(SigningKey.raw(key.publicKey)));
    json.putObject("old_verify_keys");
    key.signInPlace(json, serverName.value());
    return json;
  }

  /** Serves {@code GET /_matrix/key/v2/server}. */
  public void serveKeys(HttpExchange exchange) throws IOException {
    byte[] body = CanonicalJson.encode(keyResponse());
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
    exchange.close();
  }

  /** Verifies incoming requests: a valid {@code X-Matrix} signature, for this server, by the origin's key. */
  public FederationAuthenticator authenticator() {
    return request -> {
      for (String header : request.authorization()) {
        Optional<XMatrix> parsed = XMatrix.parse(header);
        if (parsed.isEmpty()) {
          continue;
        }
        XMatrix x = parsed.get();
        if (!ServerName.isValid(x.origin())) {
          throw unauthorized("Invalid origin in X-Matrix");
        }
        if (x.destination().isPresent() && !x.destination().get().equals(serverName.value())) {
          throw unauthorized("The request is addressed to another server");
        }
        PublicKey originKey = keyOf(ServerName.of(x.origin()), x.key())
            .orElseThrow(() -> unauthorized("Cannot find the signing key " + x.key() + " of " + x.origin()));
        JsonNode signed = XMatrix.signedJson(request.method(), request.uri(), x.origin(), serverName.value());
        if (!SigningKey.verify(originKey, signed, x.sig())) {
          throw unauthorized("Invalid X-Matrix signature");
        }
        return ServerName.of(x.origin());
      }
      throw unauthorized("Missing X-Matrix authorization");
    };
  }

  private static MediaException unauthorized(String message) {
    return new MediaException(ErrorCode.M_UNAUTHORIZED, 401, message);
  }

  /** The origin's verify key {@code keyId}, fetched from its key endpoint and checked against its self-signature. */
  private Optional<PublicKey> keyOf(ServerName origin, String keyId) {
    String cacheKey = origin.value() + " " + keyId;
    CachedKey cached = keys.get(cacheKey);
    if (cached != null && Instant.now().isBefore(cached.until())) {
      return Optional.of(cached.key());
    }
    try {
      URI uri = discovery.baseFor(origin).resolve("/_matrix/key/v2/server");
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200 || r.body().length > 64 * 1024) {
        return Optional.empty();
      }
      JsonNode json = CanonicalJson.MAPPER.readTree(r.body());
      if (!origin.value().equals(json.path("server_name").textValue())) {
        return Optional.empty();
      }
      JsonNode verifyKeys = json.path("verify_keys");
      Iterator<String> ids = verifyKeys.fieldNames();
      PublicKey wanted = null;
      while (ids.hasNext()) {
        String id = ids.next();
        PublicKey k = SigningKey.publicKey(SigningKey.decode(verifyKeys.path(id).path("key").asText("")));
        ObjectNode unsigned = ((ObjectNode) json).deepCopy();
        unsigned.remove("signatures");
        unsigned.remove("unsigned");
        String selfSig = json.path("signatures").path(origin.value()).path(id).asText("");
        if (!SigningKey.verify(k, unsigned, selfSig)) {
          log.warn("The key response of {} is not signed by its key {}", origin, id);
          return Optional.empty();
        }
        if (id.equals(keyId)) {
          wanted = k;
        }
      }
      if (wanted == null) {
        return Optional.empty();
      }
      Instant validUntil = Instant.ofEpochMilli(json.path("valid_until_ts").asLong(0));
      Instant until = validUntil.isBefore(Instant.now().plus(MAX_KEY_CACHE)) ? validUntil : Instant.now().plus(MAX_KEY_CACHE);
      keys.put(cacheKey, new CachedKey(wanted, until));
      return Optional.of(wanted);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      log.info("Could not fetch the keys of {}: {}", origin, e.toString());
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
