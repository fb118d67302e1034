package org.mxmedia.examples.federation;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.mxmedia.ServerName;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationClient.FederationResponse;

/**
 * A {@link FederationClient} over the example's {@link OutboundHttp}: finds the destination ({@link
 * ServerDiscovery}), signs the request with this server's key ({@code X-Matrix}) and returns the
 * response as a stream. A configured peer is reached at its URL; every other destination, and every
 * redirect target (fetched unsigned), only at addresses the outbound policy permits. Each call ends
 * at the latest after {@code deadline}, body included; closing the body early abandons the
 * connection without reading the rest.
 */
public final class HttpFederationClient implements FederationClient {
  private final ServerName origin;
  private final SigningKey key;
  private final ServerDiscovery discovery;
  private final OutboundHttp http;
  private final Duration deadline;

  HttpFederationClient(
      ServerName origin,
      SigningKey key,
      ServerDiscovery discovery,
      OutboundHttp http,
      Duration deadline) {
    this.origin = origin;
    this.key = key;
    this.discovery = discovery;
    this.http = http;
    this.deadline = deadline;
  }

  @Override
  public FederationResponse get(
      ServerName destination, String path, Map<String, String> query, Duration timeout)
      throws IOException {
    String q =
        query.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    String target = path + (q.isEmpty() ? "" : "?" + q);
    String sig = key.sign(XMatrix.signedJson("GET", target, origin.value(), destination.value()));
    String auth =
        new XMatrix(origin.value(), Optional.of(destination.value()), key.keyId, sig).header();
    OutboundHttp.Response r =
        http.get(
            discovery.targetFor(destination),
            target,
            Map.of("Authorization", auth),
            timeout,
            deadline);
    return new FederationResponse(r.status(), r.headers(), r.body());
  }

  @Override
  public FederationResponse get(URI uri, Duration timeout) throws IOException {
    OutboundHttp.Response r = http.get(uri, timeout, deadline);
    return new FederationResponse(r.status(), r.headers(), r.body());
  }
}
