package org.mxmedia.examples.federation;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.CloseableHttpResponse;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.ManagedHttpClientConnectionFactory;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.net.URIAuthority;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.mxmedia.OutboundPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example's one outbound HTTP stack (Apache HttpClient 5, classic), shared by the signed
 * federation client, server discovery and signing-key fetches.
 *
 * <p>Two connection pools: a <em>policed</em> one whose DNS resolver is {@link
 * OutboundPolicy#resolve}, so every address is checked in the same call that connects to it (a name
 * that re-binds to a private address between a check and the connection is still refused), for
 * everything a remote party chooses; and a <em>trusted</em> one with the system resolver, only for
 * the peers the operator configured. Redirects are never followed (callers follow them, checking
 * each target), nothing is retried, pools and waits for a pooled connection are bounded, and every
 * call has a deadline enforced by cancelling the request, which closes its socket: no connect, TLS
 * handshake, slow header or stalled body holds a thread past it.
 */
final class OutboundHttp implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(OutboundHttp.class);
  private static final int MAX_CONNECTIONS = 64;
  private static final int MAX_CONNECTIONS_PER_ROUTE = 8;

  /**
   * Bounds on a response's head (and a chunked body's framing): its lines, and how many headers.
   */
  private static final int MAX_HEADER_LINE = 8 * 1024;

  private static final int MAX_HEADERS = 100;

  private final CloseableHttpClient policed;
  private final CloseableHttpClient trusted;
  private final ScheduledExecutorService deadlines;

  /**
   * The timeouts of every call; each call also brings its own overall deadline.
   *
   * @param connect for the TCP connect, the TLS handshake and a free pooled connection
   * @param read the longest a single read may wait for a byte
   */
  record Limits(Duration connect, Duration read) {
    Limits {
      for (Duration d : List.of(connect, read)) {
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("timeouts must be positive: " + d);
        }
      }
    }
  }

  /**
   * Where a request goes.
   *
   * @param host the scheme, port and host to connect to; when it carries an address, that address
   *     is connected to without a DNS look-up and the host name is used for TLS only
   * @param authority the {@code Host} header when it differs from {@code host}'s
   * @param trusted whether the operator named this destination (a configured peer): then the
   *     outbound policy does not apply
   */
  record Target(HttpHost host, Optional<URIAuthority> authority, boolean trusted) {
    static Target policed(HttpHost host) {
      return new Target(host, Optional.empty(), false);
    }
  }

  private OutboundHttp(OutboundPolicy policy, Limits limits, SSLContext tls) {
    this.policed = client(new PolicyResolver(policy), limits, tls);
    this.trusted = client(SystemDefaultDnsResolver.INSTANCE, limits, tls);
    this.deadlines =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "outbound-http-deadlines");
              t.setDaemon(true);
              return t;
            });
  }

  /** A stack trusting the JVM's default certificate authorities. */
  static OutboundHttp create(OutboundPolicy policy, Limits limits) {
    try {
      return new OutboundHttp(policy, limits, SSLContext.getDefault());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }

  /** A stack trusting the certificates {@code tls} trusts. */
  static OutboundHttp create(OutboundPolicy policy, Limits limits, SSLContext tls) {
    return new OutboundHttp(policy, limits, tls);
  }

  private static CloseableHttpClient client(DnsResolver resolver, Limits limits, SSLContext tls) {
    Timeout connect = Timeout.of(limits.connect());
    Timeout read = Timeout.of(limits.read());
    return HttpClients.custom()
        .setConnectionManager(
            PoolingHttpClientConnectionManagerBuilder.create()
                .setConnectionFactory(
                    ManagedHttpClientConnectionFactory.builder()
                        .http1Config(
                            Http1Config.custom()
                                .setMaxLineLength(MAX_HEADER_LINE)
                                .setMaxHeaderCount(MAX_HEADERS)
                                .build())
                        .build())
                .setDnsResolver(resolver)
                .setTlsSocketStrategy(new DefaultClientTlsStrategy(tls))
                .setMaxConnTotal(MAX_CONNECTIONS)
                .setMaxConnPerRoute(MAX_CONNECTIONS_PER_ROUTE)
                .setDefaultSocketConfig(
                    SocketConfig.custom().setSoTimeout(read).setTcpNoDelay(true).build())
                .setDefaultConnectionConfig(
                    ConnectionConfig.custom()
                        .setConnectTimeout(connect)
                        .setSocketTimeout(read)
                        .setTimeToLive(TimeValue.ofMinutes(5))
                        .build())
                .setDefaultTlsConfig(TlsConfig.custom().setHandshakeTimeout(connect).build())
                .build())
        .setDefaultRequestConfig(
            RequestConfig.custom()
                .setConnectionRequestTimeout(connect)
                .setResponseTimeout(read)
                .setRedirectsEnabled(false)
                .build())
        .disableRedirectHandling()
        .disableAutomaticRetries()
        .disableCookieManagement()
        .disableAuthCaching()
        .disableContentCompression()
        .evictExpiredConnections()
        .evictIdleConnections(TimeValue.ofSeconds(30))
        .setUserAgent("mxmedia-example")
        .build();
  }

  /**
   * {@code GET} of {@code pathAndQuery} at {@code target}.
   *
   * @param headerTimeout the longest until the response's headers have arrived
   * @param deadline the longest the whole call may last, body included: past it the connection is
   *     closed and a blocked read fails
   * @throws OutboundPolicy.BlockedAddressException when the host resolves to an address the policy
   *     refuses (no connection was made)
   * @throws IOException when the exchange fails or a deadline passes
   */
  Response get(
      Target target,
      String pathAndQuery,
      Map<String, String> headers,
      Duration headerTimeout,
      Duration deadline)
      throws IOException {
    HttpGet request = new HttpGet(pathAndQuery);
    target.authority().ifPresent(request::setAuthority);
    headers.forEach(request::addHeader);
    Duration untilHeaders = headerTimeout.compareTo(deadline) < 0 ? headerTimeout : deadline;
    ScheduledFuture<?> total =
        deadlines.schedule(
            request::cancel, Math.max(1, deadline.toMillis()), TimeUnit.MILLISECONDS);
    ScheduledFuture<?> headersDue =
        deadlines.schedule(
            request::cancel, Math.max(1, untilHeaders.toMillis()), TimeUnit.MILLISECONDS);
    ClassicHttpResponse response;
    try {
      response = (target.trusted() ? trusted : policed).executeOpen(target.host(), request, null);
    } catch (IOException | RuntimeException e) {
      total.cancel(false);
      headersDue.cancel(false);
      if (request.isCancelled()) {
        throw new InterruptedIOException(
            "no answer from "
                + target.host().toHostString()
                + " within "
                + untilHeaders.toMillis()
                + " ms");
      }
      throw e;
    }
    headersDue.cancel(false);
    if (request.isCancelled()) {
      abort(request, response);
      total.cancel(false);
      throw new InterruptedIOException(
          "no answer from "
              + target.host().toHostString()
              + " within "
              + untilHeaders.toMillis()
              + " ms");
    }
    return new Response(request, response, total);
  }

  /**
   * A plain {@code GET} of an absolute {@code http} or {@code https} URL, always through the policy
   * (the URL came from a remote party). Timeouts as for the other {@code get}.
   */
  Response get(URI uri, Duration headerTimeout, Duration deadline) throws IOException {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")
        || uri.getHost() == null
        || uri.getRawUserInfo() != null) {
      throw new OutboundPolicy.BlockedAddressException("a URL that is not plain http(s)");
    }
    String name =
        uri.getHost().startsWith("[") && uri.getHost().endsWith("]")
            ? uri.getHost().substring(1, uri.getHost().length() - 1)
            : uri.getHost();
    HttpHost host =
        new HttpHost(
            scheme, name, uri.getPort() < 0 ? (scheme.equals("https") ? 443 : 80) : uri.getPort());
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return get(
        Target.policed(host),
        path + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
        Map.of(),
        headerTimeout,
        deadline);
  }

  @Override
  public void close() {
    deadlines.shutdownNow();
    policed.close(CloseMode.IMMEDIATE);
    trusted.close(CloseMode.IMMEDIATE);
  }

  private static void abort(HttpGet request, ClassicHttpResponse response) {
    request.cancel();
    try {
      if (response instanceof CloseableHttpResponse c) {
        c.close(CloseMode.IMMEDIATE);
      }
    } catch (RuntimeException e) {
      log.debug("closing an abandoned response failed", e);
    }
  }

  /**
   * A response whose body is read at most once. Closing it before the body's end abandons the
   * connection (nothing left is read, unlike closing HttpClient's own stream, which drains it).
   */
  static final class Response implements Closeable {
    private final HttpGet request;
    private final ClassicHttpResponse response;
    private final ScheduledFuture<?> deadline;
    private final Map<String, List<String>> headers;
    private final Body body;

    private Response(HttpGet request, ClassicHttpResponse response, ScheduledFuture<?> deadline)
        throws IOException {
      this.request = request;
      this.response = response;
      this.deadline = deadline;
      Map<String, List<String>> h = new LinkedHashMap<>();
      for (Header header : response.getHeaders()) {
        h.computeIfAbsent(header.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(header.getValue());
      }
      this.headers = h;
      HttpEntity entity = response.getEntity();
      this.body = new Body(entity == null ? InputStream.nullInputStream() : entity.getContent());
    }

    int status() {
      return response.getCode();
    }

    Map<String, List<String>> headers() {
      return headers;
    }

    Optional<String> header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The body; closing it ends the exchange. */
    InputStream body() {
      return body;
    }

    /**
     * The whole body if it is at most {@code max} bytes; otherwise the connection is abandoned (a
     * declared {@code Content-Length} over the limit before reading anything, an undeclared one
     * after {@code max + 1} bytes) and {@link TooLargeException} thrown. Closes the response.
     */
    byte[] readAtMost(int max) throws IOException {
      try (this) {
        OptionalLong declared = contentLength();
        if (declared.isPresent() && declared.getAsLong() > max) {
          throw new TooLargeException(max);
        }
        byte[] bytes = body.readNBytes(max + 1);
        if (bytes.length > max) {
          throw new TooLargeException(max);
        }
        return bytes;
      }
    }

    private OptionalLong contentLength() {
      Optional<String> v = header("Content-Length");
      if (v.isEmpty()) {
        return OptionalLong.empty();
      }
      try {
        return OptionalLong.of(Long.parseLong(v.get().strip()));
      } catch (NumberFormatException e) {
        return OptionalLong.of(Long.MAX_VALUE);
      }
    }

    @Override
    public void close() {
      body.close();
    }

    private final class Body extends InputStream {
      private final InputStream in;
      private volatile boolean eof;
      private boolean closed;

      Body(InputStream in) {
        this.in = in;
      }

      @Override
      public int read() throws IOException {
        int b = in.read();
        eof |= b < 0;
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        eof |= n < 0;
        return n;
      }

      @Override
      public int available() throws IOException {
        return in.available();
      }

      @Override
      public void close() {
        synchronized (this) {
          if (closed) {
            return;
          }
          closed = true;
        }
        deadline.cancel(false);
        if (eof) {
          try {
            response.close();
            return;
          } catch (IOException e) {
            log.debug("closing a finished response failed", e);
          }
        }
        abort(request, response);
      }
    }
  }

  /** A response body over the caller's limit; the connection was abandoned unread. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(int max) {
      super("the response is larger than " + max + " bytes");
    }
  }

  /** HttpClient's DNS hook: every address checked by the policy in the call that connects to it. */
  private record PolicyResolver(OutboundPolicy policy) implements DnsResolver {
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
      return policy.resolve(host);
    }

    @Override
    public String resolveCanonicalHostname(String host) {
      return host;
    }
  }
}
