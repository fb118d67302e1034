package org.mxmedia.preview.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaException;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.preview.UrlPreviews.UrlPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GETs for previews on Apache HttpClient 5. Every address is checked by the outbound policy at
 * connect time (the policy is the client's DNS resolver, so the address checked is the address
 * connected to); redirects are followed here, at most {@link #MAX_REDIRECTS}, each target checked
 * for its scheme and against the URL pattern list before it is requested; retries, cookies, proxies
 * from system properties and content decoding are off; every request is aborted when its deadline
 * passes, wherever it is.
 */
final class Fetcher implements Closeable {
  static final int MAX_REDIRECTS = 5;

  private static final Logger log = LoggerFactory.getLogger(Fetcher.class);
  private static final Pattern CHARSET =
      Pattern.compile(";\\s*charset\\s*=\\s*\"?([^\";\\s]+)", Pattern.CASE_INSENSITIVE);

  private final CloseableHttpClient client;
  private final ScheduledExecutorService alarms;
  private final List<UrlPattern> urlBlacklist;
  private final String acceptLanguage;
  private final Duration connectTimeout;
  private final Duration readTimeout;

  Fetcher(
      OutboundPolicy policy,
      List<UrlPattern> urlBlacklist,
      String userAgent,
      List<String> acceptLanguage,
      Duration connectTimeout,
      Duration readTimeout,
      int maxConnections) {
    this.urlBlacklist = List.copyOf(urlBlacklist);
    this.acceptLanguage = String.join(", ", acceptLanguage);
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
    DnsResolver dns =
        new DnsResolver() {
          @Override
          public InetAddress[] resolve(String host) throws UnknownHostException {
            return policy.resolve(host);
          }

          @Override
          public String resolveCanonicalHostname(String host) {
            return host;
          }
        };
    PoolingHttpClientConnectionManager connections =
        PoolingHttpClientConnectionManagerBuilder.create()
            .setDnsResolver(dns)
            .setMaxConnTotal(maxConnections)
            .setMaxConnPerRoute(Math.max(1, maxConnections / 4))
            .setDefaultSocketConfig(
                SocketConfig.custom().setSoTimeout(Timeout.of(readTimeout)).build())
            .setDefaultConnectionConfig(
                ConnectionConfig.custom()
                    .setConnectTimeout(Timeout.of(connectTimeout))
                    .setSocketTimeout(Timeout.of(readTimeout))
                    .setTimeToLive(TimeValue.ofMinutes(1))
                    .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                    .build())
            .build();
    this.client =
        HttpClients.custom()
            .setConnectionManager(connections)
            .setUserAgent(userAgent)
            .disableRedirectHandling()
            .disableAutomaticRetries()
            .disableCookieManagement()
            .disableAuthCaching()
            .disableContentCompression()
            .evictExpiredConnections()
            .evictIdleConnections(TimeValue.ofSeconds(30))
            .build();
    ScheduledThreadPoolExecutor timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "mxmedia-preview-deadlines");
              t.setDaemon(true);
              return t;
            });
    timer.setRemoveOnCancelPolicy(true);
    this.alarms = timer;
  }

  /** Whether the URL pattern list refuses {@code url}. */
  boolean blacklisted(URI url) {
    for (UrlPattern p : urlBlacklist) {
      if (p.matches(url)) {
        return true;
      }
    }
    return false;
  }

  /**
   * GETs {@code url}, following redirects, and returns the 2xx response with its body unread.
   *
   * @param accept the {@code Accept} header
   * @throws MediaException 403 {@code M_FORBIDDEN} when a URL is on the pattern list or an address
   *     is refused; 502 {@code M_UNKNOWN} for a redirect to a URL that is not http(s), too many
   *     redirects, a failed connection or a status other than 2xx; 504 {@code M_UNKNOWN} when the
   *     deadline passes
   */
  Response get(URI url, Deadline deadline, String accept) {
    URI current = url;
    for (int hop = 0; ; hop++) {
      checkTarget(current);
      if (deadline.passed()) {
        throw Failures.timedOut();
      }
      HttpGet get = new HttpGet(current);
      get.setHeader("Accept", accept);
      get.setHeader("Accept-Language", acceptLanguage);
      get.setConfig(config(deadline.remaining()));
      ScheduledFuture<?> alarm;
      try {
        alarm = alarms.schedule(get::cancel, deadline.remaining().toNanos(), TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        throw MediaException.internal("URL previews are shut down", e);
      }
      ClassicHttpResponse response;
      try {
        response = client.executeOpen(null, get, null);
      } catch (IOException | RuntimeException e) {
        alarm.cancel(false);
        throw failure(e, deadline, current);
      }
      int status = response.getCode();
      if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
        Header location = response.getFirstHeader("Location");
        discard(get, response, alarm);
        if (location == null) {
          throw Failures.unavailable("The page redirected without a location");
        }
        if (hop == MAX_REDIRECTS) {
          throw Failures.unavailable("The page redirected more than " + MAX_REDIRECTS + " times");
        }
        current = resolve(current, location.getValue());
        continue;
      }
      if (status < 200 || status > 299) {
        discard(get, response, alarm);
        throw Failures.unavailable("The page answered with HTTP status " + status);
      }
      return new Response(current, get, response, alarm, deadline);
    }
  }

  @SuppressWarnings("deprecation")
  private RequestConfig config(Duration remaining) {
    return RequestConfig.custom()
        .setConnectionRequestTimeout(Timeout.of(positive(remaining)))
        .setConnectTimeout(Timeout.of(positive(min(connectTimeout, remaining))))
        .setResponseTimeout(Timeout.of(positive(min(readTimeout, remaining))))
        .setRedirectsEnabled(false)
        .build();
  }

  private void checkTarget(URI url) {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https"))
        || url.getHost() == null
        || url.getRawUserInfo() != null) {
      throw Failures.unavailable("The page redirected to a URL that is not plain http(s)");
    }
    if (blacklisted(url)) {
      log.info("URL preview of {} refused by the URL pattern list", url.getHost());
      throw Failures.forbidden("The URL is blocked by this server's URL preview patterns");
    }
  }

  private static URI resolve(URI base, String location) {
    return Urls.resolve(base, location)
        .orElseThrow(() -> Failures.unavailable("The page redirected to an invalid URL"));
  }

  private static MediaException failure(Exception e, Deadline deadline, URI url) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OutboundPolicy.BlockedAddressException) {
        log.info("URL preview of {} refused by the outbound policy", url.getHost());
        return Failures.forbidden("The URL points to an address this server does not preview");
      }
    }
    if (deadline.passed()) {
      return Failures.timedOut();
    }
    log.debug("URL preview fetch of {} failed: {}", url.getHost(), e.toString());
    if (e instanceof UnknownHostException) {
      return Failures.unavailable("The host of the URL could not be resolved");
    }
    return Failures.unavailable("The page could not be fetched");
  }

  private static void discard(HttpGet get, ClassicHttpResponse response, ScheduledFuture<?> alarm) {
    alarm.cancel(false);
    get.cancel();
    try {
      response.close();
    } catch (IOException e) {
      log.trace("closing a discarded response", e);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration positive(Duration d) {
    return d.isZero() || d.isNegative() ? Duration.ofMillis(1) : d;
  }

  @Override
  public void close() {
    alarms.shutdownNow();
    try {
      client.close();
    } catch (IOException e) {
      log.debug("closing the URL preview HTTP client", e);
    }
  }

  /**
   * A 2xx response whose body is not yet read. Closing it without reading to the end drops the
   * connection.
   */
  static final class Response implements Closeable {
    private final URI uri;
    private final HttpGet request;
    private final ClassicHttpResponse response;
    private final ScheduledFuture<?> alarm;
    private final Deadline deadline;
    private final String mediaType;
    private final Optional<String> charset;
    private @Nullable Body body;

    Response(
        URI uri,
        HttpGet request,
        ClassicHttpResponse response,
        ScheduledFuture<?> alarm,
        Deadline deadline) {
      this.uri = uri;
      this.request = request;
      this.response = response;
      this.alarm = alarm;
      this.deadline = deadline;
      String type = header("Content-Type").orElse("application/octet-stream");
      int semi = type.indexOf(';');
      this.mediaType = (semi < 0 ? type : type.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
      Matcher m = CHARSET.matcher(type);
      this.charset = m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The URL answered, after redirects. */
    URI uri() {
      return uri;
    }

    /**
     * The media type, lower case, without parameters; {@code application/octet-stream} when absent.
     */
    String mediaType() {
      return mediaType;
    }

    /** The {@code charset} parameter of {@code Content-Type}, as sent. */
    Optional<String> charset() {
      return charset;
    }

    OptionalLong contentLength() {
      HttpEntity entity = response.getEntity();
      return entity == null || entity.getContentLength() < 0
          ? OptionalLong.empty()
          : OptionalLong.of(entity.getContentLength());
    }

    Optional<String> header(String name) {
      Header h = response.getFirstHeader(name);
      return h == null ? Optional.empty() : Optional.of(h.getValue());
    }

    /**
     * The body, counted, checked against the deadline on every read and aborted when the deadline
     * passes. Past {@code limit} bytes it ends ({@code truncate}) or fails.
     */
    Body body(long limit, boolean truncate) throws IOException {
      HttpEntity entity = response.getEntity();
      InputStream in = entity == null ? InputStream.nullInputStream() : entity.getContent();
      body = new Body(in, limit, truncate, deadline);
      return body;
    }

    @Override
    public void close() {
      alarm.cancel(false);
      if (body == null || !body.ended) {
        request.cancel();
      }
      try {
        response.close();
      } catch (IOException e) {
        log.trace("closing a response", e);
      }
    }
  }

  /** A response body bounded in bytes and in time. */
  static final class Body extends InputStream {
    private final InputStream in;
    private final long limit;
    private final boolean truncate;
    private final Deadline deadline;
    private long count;
    private boolean ended;
    private boolean truncated;

    Body(InputStream in, long limit, boolean truncate, Deadline deadline) {
      this.in = in;
      this.limit = limit;
      this.truncate = truncate;
      this.deadline = deadline;
    }

    /** Whether the body was longer than the limit. */
    boolean truncated() {
      return truncated;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (deadline.passed()) {
        throw new DeadlineException();
      }
      if (truncated) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      long room = limit - count;
      int n = in.read(b, off, (int) Math.min(len, room + 1));
      if (n < 0) {
        ended = true;
        return -1;
      }
      if (n > room) {
        truncated = true;
        if (!truncate) {
          throw new TooLargeException();
        }
        n = (int) room;
        if (n == 0) {
          return -1;
        }
      }
      count += n;
      return n;
    }

    @Override
    public void close() {
      // the response owns the stream: closing it here would drain the rest of the body
    }
  }

  /** The deadline passed while the body was being read. */
  static final class DeadlineException extends IOException {
    private static final long serialVersionUID = 1L;

    DeadlineException() {
      super("deadline passed");
    }
  }

  /** The body is longer than allowed. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException() {
      super("body too large");
    }
  }
}
