package org.mxmedia.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.mxmedia.MediaException;
import org.mxmedia.MxcUri;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.spi.FederationClient;
import org.mxmedia.spi.FederationClient.FederationResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The federation media download protocol (spec v1.11+ with the legacy fallback), up to the body:
 * the authenticated {@code /_matrix/federation/v1/media/download} first, its {@code
 * multipart/mixed} answer read as a stream (part 1 a JSON object of at most 64 KiB, part 2 the
 * bytes or a {@code Location}); the legacy {@code /_matrix/media/v3/download} with {@code
 * allow_remote=false} when the origin does not know the new endpoint; at most {@value
 * #MAX_REDIRECTS} redirects, every target checked by the {@link OutboundPolicy} before the
 * transport is asked. Every response goes through the fetch's {@link Exchange}.
 */
final class FederationDownload {
  private static final Logger log = LoggerFactory.getLogger(FederationDownload.class);
  private static final int MAX_JSON_PART = 64 * 1024;
  static final int MAX_REDIRECTS = 3;

  /**
   * The media's bytes and the headers that describe them.
   *
   * @param body the bytes (a part of a response of the exchange, which closes it)
   * @param length the declared length, if any
   */
  record Body(
      InputStream body,
      Optional<String> contentType,
      Optional<String> disposition,
      OptionalLong length) {}

  private final FederationClient client;
  private final OutboundPolicy policy;

  FederationDownload(FederationClient client, OutboundPolicy policy) {
    this.client = client;
    this.policy = policy;
  }

  /**
   * Asks the origin of {@code uri} for it and returns the body to read.
   *
   * @param headerTimeout how long the remote may take to answer each request
   * @throws MediaException 404 when the origin has no such media
   * @throws RemoteFault when the origin fails or misbehaves
   */
  Body open(Exchange exchange, Duration headerTimeout) {
    MxcUri uri = exchange.uri();
    ServerName origin = uri.serverName();
    String id = uri.mediaId().value();
    String timeoutMs = Long.toString(headerTimeout.toMillis());
    FederationResponse response =
        exchange.call(
            origin.toString(),
            t ->
                client.get(
                    origin,
                    "/_matrix/federation/v1/media/download/" + id,
                    Map.of("timeout_ms", timeoutMs),
                    t),
            headerTimeout);
    if (response.status() == 200) {
      return fromMultipart(exchange, response, headerTimeout);
    }
    if (!isUnrecognized(response)) {
      throw failure(origin, response.status());
    }
    log.debug(
        "{} does not know the federation media endpoint; using the legacy one for {}", origin, uri);
    FederationResponse legacy =
        exchange.call(
            origin.toString(),
            t ->
                client.get(
                    origin,
                    "/_matrix/media/v3/download/" + origin.value() + "/" + id,
                    Map.of(
                        "allow_remote", "false", "timeout_ms", timeoutMs, "allow_redirect", "true"),
                    t),
            headerTimeout);
    FederationResponse answer = followRedirects(exchange, legacy, headerTimeout);
    if (answer.status() != 200) {
      throw failure(origin, answer.status());
    }
    return bodyOf(answer);
  }

  private static Body bodyOf(FederationResponse r) {
    return new Body(
        r.body(),
        r.header("Content-Type"),
        r.header("Content-Disposition"),
        length(r.header("Content-Length")));
  }

  /** Follows up to {@link #MAX_REDIRECTS} redirects, each target checked by the outbound policy. */
  private FederationResponse followRedirects(
      Exchange exchange, FederationResponse response, Duration headerTimeout) {
    FederationResponse current = response;
    for (int hop = 0; isRedirect(current.status()); hop++) {
      if (hop == MAX_REDIRECTS) {
        throw new RemoteFault("The remote server redirected more than " + MAX_REDIRECTS + " times");
      }
      current = fetchLocation(exchange, location(current), headerTimeout);
    }
    return current;
  }

  private FederationResponse fetchLocation(Exchange exchange, URI target, Duration headerTimeout) {
    try {
      policy.check(target);
    } catch (OutboundPolicy.BlockedAddressException e) {
      log.warn("Refused to follow {} to {}: {}", exchange.uri(), target.getHost(), e.getMessage());
      throw new RemoteFault(
          "The remote server sent the media to an address this server does not connect to");
    } catch (UnknownHostException e) {
      throw new RemoteFault("The remote server sent the media to a host that does not resolve");
    }
    return exchange.call("a redirect target", t -> client.get(target, t), headerTimeout);
  }

  private Body fromMultipart(
      Exchange exchange, FederationResponse response, Duration headerTimeout) {
    String type = response.header("Content-Type").orElse("");
    String boundary =
        MultipartReader.boundaryOf(type)
            .orElseThrow(
                () ->
                    new RemoteFault(
                        "The remote server answered "
                            + ContentHeaders.essence(type)
                            + " with no valid boundary, not multipart/mixed"));
    try {
      MultipartReader reader = new MultipartReader(response.body(), boundary);
      MultipartReader.Part json =
          reader
              .next()
              .orElseThrow(
                  () -> new RemoteFault("The remote server sent an empty multipart answer"));
      if (!json.header("Content-Type")
          .map(t -> ContentHeaders.essence(t).equals("application/json"))
          .orElse(false)) {
        throw new RemoteFault("The remote server's first part is not JSON");
      }
      byte[] metadata = json.body().readNBytes(MAX_JSON_PART + 1);
      if (metadata.length > MAX_JSON_PART
          || metadata.length == 0
          || metadata[firstNonSpace(metadata)] != '{') {
        throw new RemoteFault("The remote server's first part is not a JSON object");
      }
      MultipartReader.Part media =
          reader.next().orElseThrow(() -> new RemoteFault("The remote server sent no media part"));
      Optional<String> location = media.header("Location");
      if (location.isPresent()) {
        FederationResponse redirected =
            followRedirects(
                exchange,
                fetchLocation(exchange, parseUri(location.get()), headerTimeout),
                headerTimeout);
        if (redirected.status() != 200) {
          throw new RemoteFault("The media's location answered " + redirected.status());
        }
        return bodyOf(redirected);
      }
      return new Body(
          media.body(),
          media.header("Content-Type"),
          media.header("Content-Disposition"),
          length(media.header("Content-Length")));
    } catch (IOException e) {
      throw exchange.fault("The remote server sent a malformed multipart answer");
    }
  }

  private static int firstNonSpace(byte[] b) {
    int i = 0;
    while (i < b.length - 1 && (b[i] == ' ' || b[i] == '\r' || b[i] == '\n' || b[i] == '\t')) {
      i++;
    }
    return i;
  }

  /**
   * The spec's sign that a server does not know an endpoint: 404/405/400 with {@code
   * M_UNRECOGNIZED}, or a 404 that is not JSON.
   */
  private static boolean isUnrecognized(FederationResponse response) {
    int status = response.status();
    if (status != 404 && status != 405 && status != 400) {
      return false;
    }
    String type = response.header("Content-Type").orElse("");
    if (!ContentHeaders.essence(type).equals("application/json")) {
      return status == 404 || status == 405;
    }
    try {
      String body = new String(response.body().readNBytes(MAX_JSON_PART), StandardCharsets.UTF_8);
      return body.contains("\"M_UNRECOGNIZED\"");
    } catch (IOException e) {
      return false;
    }
  }

  /** 404 for the remote's 404 (remembered, not a fault); a fault for anything else. */
  private static RuntimeException failure(ServerName origin, int status) {
    if (status == 404) {
      return MediaException.notFound("Not found on " + origin);
    }
    return new RemoteFault(origin + " answered " + status);
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private static URI location(FederationResponse response) {
    return parseUri(
        response
            .header("Location")
            .orElseThrow(() -> new RemoteFault("A redirect without a Location")));
  }

  private static URI parseUri(String location) {
    try {
      return URI.create(location.strip());
    } catch (IllegalArgumentException e) {
      throw new RemoteFault("The remote server redirected to a malformed location");
    }
  }

  private static OptionalLong length(Optional<String> header) {
    if (header.isEmpty()) {
      return OptionalLong.empty();
    }
    String v = header.get().strip();
    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new RemoteFault("The remote server sent a malformed Content-Length");
    }
    return OptionalLong.of(Long.parseLong(v));
  }
}
