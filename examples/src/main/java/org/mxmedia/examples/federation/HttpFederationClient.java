package org.mxmedia.examples.federation;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.mxmedia.ServerName;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationResponse;

/**
 * A {@link FederationClient} over {@code java.net.http}: finds the destination
 * ({@link ServerDiscovery}), signs the request with this server's key ({@code X-Matrix}) and
 * returns the response as a stream. Redirect targets are fetched unsigned.
 */
public final class HttpFederationClient implements FederationClient {
  private final ServerName origin;
  private final SigningKey key;
  private final ServerDiscovery discovery;
  private final HttpClient http;

  HttpFederationClient(ServerName origin, SigningKey key, ServerDiscovery discovery, HttpClient http) {
    this.origin = origin;
    this.key = key;
    this.discovery = discovery;
    this.http = http;
  }

  @Override
  public FederationResponse get(ServerName destination, String path, Map<String, String> query, Duration timeout) throws IOException {
    String q = query.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
    String target = path + (q.isEmpty() ? "" : "?" + q);
    String sig = key.sign(XMatrix.signedJson("GET", target, origin.value(), destination.value()));
    String auth = new XMatrix(origin.value(), java.util.Optional.of(destination.value()), key.keyId, sig).header();
    URI base = discovery.baseFor(destination);
    return send(HttpRequest.newBuilder(base.resolve(target)).timeout(timeout).header("Authorization", auth).build());
  }

  @Override
  public FederationResponse get(URI uri, Duration timeout) throws IOException {
    return send(HttpRequest.newBuilder(uri).timeout(timeout).build());
  }

  private FederationResponse send(HttpRequest request) throws IOException {
    try {
      HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      return new FederationResponse(r.statusCode(), r.headers().map(), r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
