package org.mxmedia.examples;

import com.sun.management.UnixOperatingSystemMXBean;
import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpPrincipal;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.mxmedia.http.MediaHttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example server's NIO front end: Jetty 12 behind the JDK's {@code HttpServer} interface, so
 * {@link MediaServer} registers its contexts the same way on either server. The media context
 * ({@link #createMediaContext}) is served natively and asynchronously by {@link JettyMediaHandler}
 * (a slow client costs a socket, not a thread); the other contexts (versions, signing keys, ...)
 * are plain JDK {@link HttpHandler}s run on Jetty's threads through a small {@link HttpExchange}
 * bridge, with blocking I/O.
 *
 * <p>As the JDK server does, it binds when created and picks the context with the longest path
 * prefix. The connector disconnects a client that makes no progress for the idle timeout (reading
 * the request, its body, or the response), which replaces the JDK server's {@link
 * StalledClientGuard} for media requests. {@link #setExecutor} is ignored: requests run on Jetty's
 * own bounded pool ({@link #MAX_THREADS}).
 */
final class JettyHttpServer extends HttpServer {
  private static final Logger log = LoggerFactory.getLogger(JettyHttpServer.class);

  /** Request threads at most: blocking work (uploads, remote fetches, thumbnails) runs on them. */
  static final int MAX_THREADS = 128;

  /** The idle timeout of open connections while the connection limit is reached. */
  static final Duration CROWDED_IDLE_TIMEOUT = Duration.ofSeconds(5);

  /** File descriptors kept for everything but client connections: blobs, the database, logs. */
  private static final long RESERVED_DESCRIPTORS = 1024;

  /**
   * Connections at once by default: three quarters of the process's file descriptors past {@link
   * #RESERVED_DESCRIPTORS} (or past a quarter of them, when that is less), so idle connections
   * opened by the thousand cannot take the descriptors that opening blobs and the database needs
   * (at least 64; 10 000 when the limit cannot be read).
   */
  static int defaultMaxConnections() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
      long max = unix.getMaxFileDescriptorCount();
      long usable = (max - Math.min(RESERVED_DESCRIPTORS, max / 4)) * 3 / 4;
      return (int) Math.max(64, Math.min(usable, Integer.MAX_VALUE));
    }
    return 10_000;
  }

  private final Server server;
  private final ServerConnector connector;
  private final List<Context> contexts = new CopyOnWriteArrayList<>();
  private final AtomicInteger active = new AtomicInteger();
  private Executor executor;

  private JettyHttpServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  /**
   * A Jetty server bound to {@code address} (port 0 picks one), not yet started.
   *
   * @param idle how long a connection may make no progress before it is closed
   */
  static JettyHttpServer create(InetSocketAddress address, int backlog, Duration idle)
      throws IOException {
    return create(address, backlog, idle, defaultMaxConnections());
  }

  /**
   * As {@link #create(InetSocketAddress, int, Duration)}, accepting at most {@code maxConnections}
   * connections at once: past it, new connections wait in the kernel's accept queue until one
   * closes, and the connections already open get the shorter idle timeout {@link
   * #CROWDED_IDLE_TIMEOUT}.
   */
  static JettyHttpServer create(
      InetSocketAddress address, int backlog, Duration idle, int maxConnections)
      throws IOException {
    QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 8);
    threads.setName("http");
    threads.setDaemon(true);
    Server server = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    config.setSendServerVersion(false);
    config.setSendXPoweredBy(false);
    // the handler sees the raw path and answers bad escapes and odd segments with JSON errors
    // itself
    config.setUriCompliance(UriCompliance.UNSAFE);
    ServerConnector connector =
        new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setAcceptQueueSize(backlog);
    connector.setIdleTimeout(idle.toMillis());
    server.addConnector(connector);
    NetworkConnectionLimit limit = new NetworkConnectionLimit(maxConnections, connector);
    limit.setEndPointIdleTimeout(Math.min(idle.toMillis(), CROWDED_IDLE_TIMEOUT.toMillis()));
    server.addBean(limit);
    server.setErrorHandler(JettyHttpServer::jsonError);
    server.setStopTimeout(1000);
    JettyHttpServer http = new JettyHttpServer(server, connector);
    server.setHandler(http.new Root());
    connector.open();
    return http;
  }

  /** Serves {@code media} natively (asynchronous responses) under {@code path}. */
  HttpContext createMediaContext(String path, MediaHttpHandler media) {
    Context context = new Context(path, null, new JettyMediaHandler(media));
    contexts.add(context);
    return context;
  }

  /** Requests being handled or written now. */
  int activeRequests() {
    return active.get();
  }

  /** Throws as the JDK server does when bound twice: this server was bound when created. */
  @Override
  public void bind(InetSocketAddress addr, int backlog) throws IOException {
    throw new BindException("already bound to " + getAddress());
  }

  @Override
  public void start() {
    try {
      server.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start Jetty: " + e.getMessage(), e);
    }
  }

  @Override
  public void setExecutor(Executor executor) {
    this.executor = executor;
  }

  @Override
  public Executor getExecutor() {
    return executor;
  }

  @Override
  public void stop(int delaySeconds) {
    server.setStopTimeout(Math.max(0, delaySeconds) * 1000L);
    try {
      server.stop();
    } catch (TimeoutException e) {
      log.info("Jetty stopped with connections still open after {} s", delaySeconds);
    } catch (Exception e) {
      log.warn("Jetty did not stop cleanly: {}", e.toString());
    }
  }

  @Override
  public HttpContext createContext(String path, HttpHandler handler) {
    Context context = new Context(path, handler, null);
    contexts.add(context);
    return context;
  }

  @Override
  public HttpContext createContext(String path) {
    return createContext(path, null);
  }

  @Override
  public void removeContext(String path) {
    if (!contexts.removeIf(c -> c.path.equals(path))) {
      throw new IllegalArgumentException("no context " + path);
    }
  }

  @Override
  public void removeContext(HttpContext context) {
    contexts.remove(context);
  }

  @Override
  public InetSocketAddress getAddress() {
    return new InetSocketAddress(connector.getHost(), connector.getLocalPort());
  }

  /** The context whose path is the longest prefix of {@code path}, as the JDK server chooses. */
  private Context match(String path) {
    Context best = null;
    for (Context c : contexts) {
      if (path.startsWith(c.path) && (best == null || c.path.length() > best.path.length())) {
        best = c;
      }
    }
    return best;
  }

  /** Jetty's own errors (a malformed request line, headers too large) as Matrix JSON. */
  private static boolean jsonError(Request request, Response response, Callback callback) {
    Object status = request.getAttribute(ErrorHandler.ERROR_STATUS);
    int code = status instanceof Integer i ? i : 500;
    String errcode =
        code == 404 ? "M_UNRECOGNIZED" : code == 413 || code == 431 ? "M_TOO_LARGE" : "M_UNKNOWN";
    byte[] body =
        ("{\"errcode\":\"" + errcode + "\",\"error\":\"HTTP " + code + "\"}")
            .getBytes(StandardCharsets.UTF_8);
    response.setStatus(code);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put("Access-Control-Allow-Origin", "*");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }

  /** Routes every request to its context, counting it as active until its response is done. */
  private final class Root extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = request.getHttpURI().getPath();
      Context context = match(path == null ? "/" : path);
      if (context == null || (context.handler == null && context.media == null)) {
        return false; // Jetty's 404, through the JSON error handler
      }
      active.incrementAndGet();
      Callback counted = Callback.from(callback, active::decrementAndGet);
      try {
        if (context.media != null && context.filters.isEmpty() && context.authenticator == null) {
          context.media.handle(request, response, counted);
        } else {
          bridge(context, request, response, counted);
        }
      } catch (RuntimeException | Error e) {
        counted.failed(e);
      }
      return true;
    }

    /**
     * Runs a context as the JDK server does: its filters, then its authenticator, then its handler,
     * on a blocking {@link HttpExchange}. A media context with filters or an authenticator hands
     * the request to the native handler at the end of the chain, which then completes it.
     */
    private void bridge(Context context, Request request, Response response, Callback callback) {
      ExchangeBridge exchange;
      try {
        exchange = new ExchangeBridge(context, request, response);
      } catch (URISyntaxException e) {
        jsonError(request, response, callback);
        return;
      }
      boolean[] handedOff = {false};
      Filter.Chain chain =
          new Filter.Chain(
              context.filters,
              new HttpHandler() {
                @Override
                public void handle(HttpExchange e) throws IOException {
                  if (!authenticated(context, exchange)) {
                    return;
                  }
                  if (context.media != null) {
                    // the filters' headers, which the media answer's replace as the JDK server's
                    // set does
                    exchange
                        .getResponseHeaders()
                        .forEach(
                            (name, values) ->
                                values.forEach(v -> response.getHeaders().add(name, v)));
                    handedOff[0] = true;
                    context.media.handle(request, response, callback);
                  } else {
                    context.handler.handle(e);
                  }
                }
              });
      try {
        chain.doFilter(exchange);
        if (!handedOff[0]) {
          exchange.close();
          callback.succeeded();
        }
      } catch (IOException | RuntimeException e) {
        if (handedOff[0]) {
          // the media handler owns the callback now and completes it; a filter failing after it
          // must not complete it twice
          log.warn("A filter failed after the media answer was handed off", e);
          return;
        }
        exchange.closeQuietly();
        callback.failed(e);
      }
    }

    /** Applies the context's authenticator; a refusal is answered here with its status. */
    private boolean authenticated(Context context, ExchangeBridge exchange) throws IOException {
      Authenticator authenticator = context.authenticator;
      if (authenticator == null) {
        return true;
      }
      Authenticator.Result result = authenticator.authenticate(exchange);
      if (result instanceof Authenticator.Success success) {
        exchange.principal = success.getPrincipal();
        return true;
      }
      int status =
          result instanceof Authenticator.Failure failure
              ? failure.getResponseCode()
              : ((Authenticator.Retry) result).getResponseCode();
      exchange.sendResponseHeaders(status, -1);
      return false;
    }
  }

  /** A context: a JDK handler, or the native media handler. */
  private final class Context extends HttpContext {
    final String path;
    volatile HttpHandler handler;
    final JettyMediaHandler media;
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();
    final List<Filter> filters = new CopyOnWriteArrayList<>();
    volatile Authenticator authenticator;

    Context(String path, HttpHandler handler, JettyMediaHandler media) {
      this.path = path;
      this.handler = handler;
      this.media = media;
    }

    @Override
    public HttpHandler getHandler() {
      return handler;
    }

    @Override
    public void setHandler(HttpHandler handler) {
      this.handler = handler;
    }

    @Override
    public String getPath() {
      return path;
    }

    @Override
    public HttpServer getServer() {
      return JettyHttpServer.this;
    }

    @Override
    public Map<String, Object> getAttributes() {
      return attributes;
    }

    @Override
    public List<Filter> getFilters() {
      return filters;
    }

    @Override
    public Authenticator setAuthenticator(Authenticator auth) {
      Authenticator previous = authenticator;
      authenticator = auth;
      return previous;
    }

    @Override
    public Authenticator getAuthenticator() {
      return authenticator;
    }
  }

  /** A JDK {@link HttpExchange} over a Jetty request and response, with blocking streams. */
  private static final class ExchangeBridge extends HttpExchange {
    private final Context context;
    private final Request request;
    private final Response response;
    private final Headers requestHeaders = new Headers();
    private final Headers responseHeaders = new Headers();
    private final URI uri;
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();
    private InputStream in;
    private OutputStream out;
    private int code = -1;
    private boolean noBody;
    volatile HttpPrincipal principal;

    ExchangeBridge(Context context, Request request, Response response) throws URISyntaxException {
      this.context = context;
      this.request = request;
      this.response = response;
      for (HttpField field : request.getHeaders()) {
        requestHeaders.add(field.getName(), field.getValue());
      }
      this.uri = new URI(request.getHttpURI().getPathQuery());
      this.in = Content.Source.asInputStream(request);
    }

    @Override
    public Headers getRequestHeaders() {
      return requestHeaders;
    }

    @Override
    public Headers getResponseHeaders() {
      return responseHeaders;
    }

    @Override
    public URI getRequestURI() {
      return uri;
    }

    @Override
    public String getRequestMethod() {
      return request.getMethod();
    }

    @Override
    public HttpContext getHttpContext() {
      return context;
    }

    @Override
    public void close() {
      try {
        if (code < 0) {
          sendResponseHeaders(500, -1);
        }
        getResponseBody().close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    void closeQuietly() {
      try {
        close();
      } catch (RuntimeException e) {
        log.debug("Could not finish an exchange", e);
      }
    }

    @Override
    public InputStream getRequestBody() {
      return in;
    }

    @Override
    public OutputStream getResponseBody() {
      if (out == null) {
        OutputStream sink = Content.Sink.asOutputStream(response);
        out = noBody ? new NoBody(sink) : sink;
      }
      return out;
    }

    @Override
    public void sendResponseHeaders(int status, long length) throws IOException {
      if (code >= 0) {
        throw new IOException("headers already sent");
      }
      code = status;
      response.setStatus(status);
      responseHeaders.forEach(
          (name, values) -> values.forEach(v -> response.getHeaders().add(name, v)));
      boolean head = request.getMethod().equals("HEAD");
      if (length > 0) {
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, length);
      } else if (length < 0 && status != 204 && status != 304 && !head) {
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0L);
      }
      noBody = length < 0 || head;
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
      SocketAddress a = request.getConnectionMetaData().getRemoteSocketAddress();
      return a instanceof InetSocketAddress i ? i : new InetSocketAddress(0);
    }

    @Override
    public int getResponseCode() {
      return code;
    }

    @Override
    public InetSocketAddress getLocalAddress() {
      SocketAddress a = request.getConnectionMetaData().getLocalSocketAddress();
      return a instanceof InetSocketAddress i ? i : new InetSocketAddress(0);
    }

    @Override
    public String getProtocol() {
      return request.getConnectionMetaData().getProtocol();
    }

    @Override
    public Object getAttribute(String name) {
      return attributes.get(name);
    }

    @Override
    public void setAttribute(String name, Object value) {
      if (value == null) {
        attributes.remove(name);
      } else {
        attributes.put(name, value);
      }
    }

    @Override
    public void setStreams(InputStream i, OutputStream o) {
      if (i != null) {
        in = i;
      }
      if (o != null) {
        out = o;
      }
    }

    @Override
    public HttpPrincipal getPrincipal() {
      return principal;
    }
  }

  /** The body of a response sent without one: writes are refused, close ends the response. */
  private static final class NoBody extends OutputStream {
    private final OutputStream sink;

    NoBody(OutputStream sink) {
      this.sink = sink;
    }

    @Override
    public void write(int b) throws IOException {
      throw new IOException("this response has no body");
    }

    @Override
    public void close() throws IOException {
      sink.close();
    }
  }
}
