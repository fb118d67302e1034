package org.mxmedia.examples.federation;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.common.util.concurrent.UncheckedExecutionException;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.http.FederationAuthenticator;
import org.mxmedia.spi.FederationClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example server's federation: its signing key, the published {@code /_matrix/key/v2/server}, a
 * signing {@link FederationClient} for outgoing requests, and a {@link FederationAuthenticator}
 * that verifies incoming {@code X-Matrix} signatures against the origin's published key.
 *
 * <p>Against a hostile world: the whole {@code X-Matrix} header is checked before any network work
 * (origin, key id, signature shape, destination); the origin's keys are fetched once however many
 * requests wait for them, within one deadline, reading at most 64 KiB; a key response must be
 * self-signed by every key it lists and carry a {@code valid_until_ts} in the future; keys are
 * cached until the earlier of that time and a day, and a failed fetch is remembered for a minute,
 * both in bounded caches. Everything outbound goes through {@link OutboundHttp}: configured peers
 * at their URLs, everything else only where the {@link OutboundPolicy} permits.
 */
public final class Federation implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Federation.class);
  private static final Duration KEY_VALIDITY = Duration.ofDays(7);
  private static final Duration MAX_KEY_CACHE = Duration.ofDays(1);
  private static final Duration KEY_RESPONSE_REFRESH = Duration.ofHours(1);

  /** Origins whose keys (or whose failure) are remembered; the least recently used go first. */
  static final int MAX_KEY_ORIGINS = 1000;

  /**
   * How long a failed key fetch is remembered, and how soon a key id missing from a fresh set may
   * be fetched again.
   */
  static final Duration FAILED_FETCH_CACHE = Duration.ofMinutes(1);

  static final int MAX_KEY_RESPONSE = 64 * 1024;
  private static final Pattern KEY_ID = Pattern.compile("ed25519:[A-Za-z0-9_]{1,255}");
  private static final ObjectReader STRICT_JSON =
      CanonicalJson.MAPPER.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);

  private final ServerName serverName;
  private final SigningKey key;
  private final ServerDiscovery discovery;
  private final OutboundHttp http;
  private final Timeouts timeouts;
  private final Clock clock = Clock.systemUTC();
  private final Cache<ServerName, KeySet> keys =
      CacheBuilder.newBuilder()
          .maximumSize(MAX_KEY_ORIGINS)
          .expireAfterWrite(MAX_KEY_CACHE)
          .build();
  private final Cache<ServerName, Boolean> failedFetches =
      CacheBuilder.newBuilder()
          .maximumSize(MAX_KEY_ORIGINS)
          .expireAfterWrite(FAILED_FETCH_CACHE)
          .build();
  private volatile SignedKeyResponse published;

  /** An origin's verified keys and until when they may be used. */
  private record KeySet(Map<String, PublicKey> keys, Instant until, Instant fetched) {}

  private record SignedKeyResponse(byte[] body, Instant made) {}

  /**
   * How long federation work may take.
   *
   * @param keyFetch the longest the discovery and fetch of an origin's keys may take in all (the
   *     {@code .well-known} look-up has the same bound); a request waiting for them is then refused
   *     with 401
   * @param remoteDeadline the longest one outgoing media request may last, body included
   * @param remoteIdle the longest a single read of a remote answer may wait
   */
  public record Timeouts(Duration keyFetch, Duration remoteDeadline, Duration remoteIdle) {
    public Timeouts {
      for (Duration d : new Duration[] {keyFetch, remoteDeadline, remoteIdle}) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("federation timeouts must be positive: " + d);
        }
      }
    }

    /** 10 s for keys; 5 minutes and 30 s for media, as {@code MediaConfig}'s defaults. */
    public static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(30));
    }
  }

  /**
   * How many entries the bounded caches hold, for monitoring and tests.
   *
   * @param discovery server names with a remembered discovery result
   * @param keys origins with cached verified keys
   * @param failedKeyFetches origins whose last key fetch failed within the last minute
   */
  public record CacheSizes(long discovery, long keys, long failedKeyFetches) {}

  private Federation(
      ServerName serverName,
      SigningKey key,
      OutboundHttp http,
      Map<ServerName, URI> peers,
      OutboundPolicy policy,
      Timeouts timeouts) {
    this.serverName = serverName;
    this.key = key;
    this.http = http;
    this.timeouts = timeouts;
    this.discovery = new ServerDiscovery(peers, http, policy, timeouts.keyFetch());
  }

  /**
   * Federation for {@code serverName} with {@link OutboundPolicy#defaults()} and {@link
   * Timeouts#defaults()}; see {@link #create(ServerName, Path, Map, OutboundPolicy, Timeouts)}.
   */
  public static Federation create(ServerName serverName, Path keyFile, Map<ServerName, URI> peers)
      throws IOException {
    return create(serverName, keyFile, peers, OutboundPolicy.defaults(), Timeouts.defaults());
  }

  /**
   * Federation for {@code serverName}, with its key at {@code keyFile} (created, readable by the
   * owner only, if missing) and {@code peers} overriding discovery. A peer is trusted: it may be on
   * loopback or plain HTTP. Every other destination is reached only at addresses {@code policy}
   * permits. Close it to release its connections and threads.
   */
  public static Federation create(
      ServerName serverName,
      Path keyFile,
      Map<ServerName, URI> peers,
      OutboundPolicy policy,
      Timeouts timeouts)
      throws IOException {
    return start(serverName, () -> SigningKey.loadOrCreate(keyFile), peers, policy, timeouts);
  }

  /**
   * Where a cluster keeps its one signing key, so every node signs as the same server and a wiped
   * node comes back with it (the example keeps it in the shared PostgreSQL database).
   */
  @FunctionalInterface
  public interface KeyStorage {
    /**
     * The key kept, after keeping {@code fresh} (a new key in its stored form) if none was kept
     * yet; atomic across nodes, so nodes starting at once all get the same key.
     *
     * @throws IOException when the storage cannot be read or written
     */
    String getOrKeep(String fresh) throws IOException;
  }

  /**
   * Federation for {@code serverName} with its key in {@code keys} (created there if missing);
   * otherwise as {@link #create(ServerName, Path, Map, OutboundPolicy, Timeouts)}.
   */
  public static Federation create(
      ServerName serverName,
      KeyStorage keys,
      Map<ServerName, URI> peers,
      OutboundPolicy policy,
      Timeouts timeouts)
      throws IOException {
    return start(serverName, () -> SigningKey.loadOrCreate(keys), peers, policy, timeouts);
  }

  private interface KeyLoader {
    SigningKey load() throws IOException;
  }

  private static Federation start(
      ServerName serverName,
      KeyLoader key,
      Map<ServerName, URI> peers,
      OutboundPolicy policy,
      Timeouts timeouts)
      throws IOException {
    Duration connect =
        timeouts.keyFetch().compareTo(Duration.ofSeconds(10)) < 0
            ? timeouts.keyFetch()
            : Duration.ofSeconds(10);
    OutboundHttp http =
        OutboundHttp.create(policy, new OutboundHttp.Limits(connect, timeouts.remoteIdle()));
    try {
      return new Federation(serverName, key.load(), http, peers, policy, timeouts);
    } catch (IOException | RuntimeException e) {
      http.close();
      throw e;
    }
  }

  /** The signed transport for the repository ({@code MediaRepository.Builder#federationClient}). */
  public FederationClient client() {
    return new HttpFederationClient(
        serverName, key, discovery, http, timeouts.remoteDeadline().plusSeconds(5));
  }

  /** The key id this server signs with, {@code ed25519:...}. */
  public String keyId() {
    return key.keyId;
  }

  /** The sizes of the bounded caches. */
  public CacheSizes cacheSizes() {
    keys.cleanUp();
    failedFetches.cleanUp();
    return new CacheSizes(discovery.cachedEntries(), keys.size(), failedFetches.size());
  }

  /** This server's signed key response. */
  ObjectNode keyResponse() {
    ObjectNode json = CanonicalJson.MAPPER.createObjectNode();
    json.put("server_name", serverName.value());
    json.put("valid_until_ts", Instant.now().plus(KEY_VALIDITY).toEpochMilli());
    json.putObject("verify_keys")
        .putObject(key.keyId)
        .put("key", SigningKey.B64.encodeToString(SigningKey.raw(key.publicKey)));
    json.putObject("old_verify_keys");
    key.signInPlace(json, serverName.value());
    return json;
  }

  /**
   * Serves {@code GET /_matrix/key/v2/server}; the signed answer is made once an hour, not per
   * request.
   */
  public void serveKeys(HttpExchange exchange) throws IOException {
    SignedKeyResponse current = published;
    Instant now = clock.instant();
    if (current == null || current.made().plus(KEY_RESPONSE_REFRESH).isBefore(now)) {
      current = new SignedKeyResponse(CanonicalJson.encode(keyResponse()), now);
      published = current;
    }
    byte[] body = current.body();
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
    exchange.close();
  }

  /**
   * Verifies incoming requests: a well-formed {@code X-Matrix} header (checked before any network
   * work), addressed to this server when it names a destination, signed by the origin's key.
   */
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
        if (!KEY_ID.matcher(x.key()).matches()) {
          throw unauthorized("Unsupported or malformed key id in X-Matrix");
        }
        if (!isSignatureShaped(x.sig())) {
          throw unauthorized("Malformed signature in X-Matrix");
        }
        if (x.destination().isPresent() && !x.destination().get().equals(serverName.value())) {
          throw unauthorized("The request is addressed to another server");
        }
        ServerName origin = ServerName.of(x.origin());
        PublicKey originKey =
            keyOf(origin, x.key())
                .orElseThrow(
                    () ->
                        unauthorized(
                            "Cannot find the signing key " + x.key() + " of " + x.origin()));
        JsonNode signed =
            XMatrix.signedJson(request.method(), request.uri(), x.origin(), serverName.value());
        if (!SigningKey.verify(originKey, signed, x.sig())) {
          throw unauthorized("Invalid X-Matrix signature");
        }
        return origin;
      }
      throw unauthorized("Missing X-Matrix authorization");
    };
  }

  /** Releases the outbound connections and the deadline thread. */
  @Override
  public void close() {
    http.close();
  }

  private static MediaException unauthorized(String message) {
    return new MediaException(ErrorCode.M_UNAUTHORIZED, 401, message);
  }

  /** Unpadded (or padded) standard base64 of the 64 bytes of an Ed25519 signature. */
  private static boolean isSignatureShaped(String sig) {
    if (sig.length() < 86 || sig.length() > 88) {
      return false;
    }
    try {
      return SigningKey.decode(sig.replace("=", "")).length == 64;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The origin's verify key {@code keyId}: cached, or fetched once for every request waiting for
   * it.
   */
  private Optional<PublicKey> keyOf(ServerName origin, String keyId) {
    if (origin.equals(serverName)) {
      return keyId.equals(key.keyId) ? Optional.of(key.publicKey) : Optional.empty();
    }
    if (failedFetches.getIfPresent(origin) != null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    KeySet set = keys.getIfPresent(origin);
    if (set != null
        && (!now.isBefore(set.until())
            || !set.keys().containsKey(keyId)
                && !now.isBefore(set.fetched().plus(FAILED_FETCH_CACHE)))) {
      keys.asMap().remove(origin, set);
      set = null;
    }
    if (set == null) {
      try {
        set = keys.get(origin, () -> fetchKeys(origin));
      } catch (ExecutionException | UncheckedExecutionException e) {
        failedFetches.put(origin, Boolean.TRUE);
        log.info(
            "Could not fetch the keys of {}: {}",
            origin,
            e.getCause() == null ? e.toString() : e.getCause().toString());
        return Optional.empty();
      }
    }
    return Optional.ofNullable(set.keys().get(keyId));
  }

  private KeySet fetchKeys(ServerName origin) throws IOException, GeneralSecurityException {
    long deadline = System.nanoTime() + timeouts.keyFetch().toNanos();
    OutboundHttp.Target target = discovery.targetFor(origin);
    Duration left = Duration.ofNanos(deadline - System.nanoTime());
    if (left.isNegative() || left.isZero()) {
      throw new IOException("discovery took the whole key-fetch deadline");
    }
    OutboundHttp.Response r = http.get(target, "/_matrix/key/v2/server", Map.of(), left, left);
    if (r.status() != 200) {
      r.close();
      throw new IOException("the key server answered " + r.status());
    }
    JsonNode json = STRICT_JSON.readTree(r.readAtMost(MAX_KEY_RESPONSE));
    if (!(json instanceof ObjectNode object)) {
      throw new IOException("the key response is not a JSON object");
    }
    if (!origin.value().equals(json.path("server_name").textValue())) {
      throw new IOException("the key response names another server");
    }
    JsonNode validUntilTs = json.get("valid_until_ts");
    if (validUntilTs == null
        || !validUntilTs.canConvertToExactIntegral()
        || !validUntilTs.canConvertToLong()) {
      throw new IOException("the key response has no valid_until_ts");
    }
    Instant now = clock.instant();
    Instant validUntil = Instant.ofEpochMilli(validUntilTs.longValue());
    if (!validUntil.isAfter(now)) {
      throw new IOException("the key response expired at " + validUntil);
    }
    JsonNode verifyKeys = json.path("verify_keys");
    if (!verifyKeys.isObject() || verifyKeys.isEmpty()) {
      throw new IOException("the key response lists no verify_keys");
    }
    ObjectNode unsigned = object.deepCopy();
    unsigned.remove("signatures");
    unsigned.remove("unsigned");
    Map<String, PublicKey> verified = new HashMap<>();
    Iterator<String> ids = verifyKeys.fieldNames();
    while (ids.hasNext()) {
      String id = ids.next();
      if (!KEY_ID.matcher(id).matches()) {
        continue;
      }
      PublicKey k =
          SigningKey.publicKey(SigningKey.decode(verifyKeys.path(id).path("key").asText("")));
      String selfSig = json.path("signatures").path(origin.value()).path(id).asText("");
      if (!SigningKey.verify(k, unsigned, selfSig)) {
        throw new IOException("the key response is not signed by its key " + id);
      }
      verified.put(id, k);
    }
    if (verified.isEmpty()) {
      throw new IOException("the key response lists no ed25519 key");
    }
    Instant until =
        validUntil.isBefore(now.plus(MAX_KEY_CACHE)) ? validUntil : now.plus(MAX_KEY_CACHE);
    return new KeySet(Map.copyOf(verified), until, now);
  }
}
