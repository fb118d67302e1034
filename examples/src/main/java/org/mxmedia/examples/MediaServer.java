package org.mxmedia.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import org.mxmedia.examples.federation.Federation;
import org.mxmedia.http.Authenticator;
import org.mxmedia.http.JdkHttpServerAdapter;
import org.mxmedia.http.MediaHttpHandler;
import org.mxmedia.preview.Identicons;
import org.mxmedia.preview.UrlPreviews;
import org.mxmedia.spi.Authorizer;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.storage.s3.S3Storage;
import org.mxmedia.store.jdbc.JdbcMediaStore;
import org.mxmedia.thumbnail.ImageIoThumbnailer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runnable Matrix media server: mxmedia on Jetty ({@link JettyHttpServer}, the default) or the
 * JDK's HTTP server ({@code --http-server jdk}), with its data under one directory. {@code java
 * -jar examples/target/mxmedia-example.jar --help} lists the options.
 */
public final class MediaServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MediaServer.class);
  static final List<String> SPEC_VERSIONS =
      List.of(
          "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10", "v1.11",
          "v1.12", "v1.13", "v1.14", "v1.15", "v1.16", "v1.17", "v1.18", "v1.19");
  private static final String TOKEN_FILE = "example-access-token";

  /**
   * How long the JDK server may spend reading one request, headers and body (seconds), unless
   * {@code -Dsun.net.httpserver.maxReqTime} says otherwise: the backstop for clients that trickle
   * their headers or body, which {@link StalledClientGuard} (no progress at all) does not catch.
   */
  private static final String MAX_REQUEST_SECONDS = "600";

  /**
   * How many bytes of S3 objects (thumbnail sources) the local cache keeps with {@code
   * --s3-bucket}.
   */
  static final DataSize S3_CACHE = DataSize.gibibytes(1);

  private final HttpServer http;
  private final ExecutorService executor;
  private final MediaRepository repository;
  private final ServerName serverName;
  private final Map<String, UserId> tokens;
  private final Federation federation;
  private final JdbcMediaStore metadata;
  private final S3Storage s3;

  /** The opened {@code media_storage_providers}, closed after the repository. */
  private final List<AutoCloseable> providers;

  private final StalledClientGuard guard;
  private final HealthCheck health;
  private final @Nullable MetricsEndpoint metrics;

  /** The URL previewer, when previews are on; closed after the repository. */
  private final Optional<UrlPreviews> previews;

  private final CountDownLatch stopped = new CountDownLatch(1);

  /** How long {@code GET /health} waits for the store and the storage. */
  static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(5);

  private MediaServer(
      HttpServer http,
      ExecutorService executor,
      MediaRepository repository,
      ServerName serverName,
      Map<String, UserId> tokens,
      Federation federation,
      JdbcMediaStore metadata,
      S3Storage s3,
      StalledClientGuard guard,
      HealthCheck health,
      @Nullable MetricsEndpoint metrics,
      Optional<UrlPreviews> previews,
      List<AutoCloseable> providers) {
    this.providers = providers;
    this.health = health;
    this.metrics = metrics;
    this.previews = previews;
    this.federation = federation;
    this.s3 = s3;
    this.guard = guard;
    this.metadata = metadata;
    this.http = http;
    this.executor = executor;
    this.repository = repository;
    this.serverName = serverName;
    this.tokens = tokens;
  }

  /** Starts a server with {@code settings}; the caller closes it. */
  public static MediaServer start(ServerSettings settings) throws IOException {
    // without TCP_NODELAY a small response waits ~40 ms for a delayed ACK between headers and body
    System.setProperty(
        "sun.net.httpserver.nodelay", System.getProperty("sun.net.httpserver.nodelay", "true"));
    // read once per JVM, when the first HttpServer is made
    System.setProperty(
        "sun.net.httpserver.maxReqTime",
        System.getProperty("sun.net.httpserver.maxReqTime", MAX_REQUEST_SECONDS));
    Path dataDir = Path.of(settings.dataDir).toAbsolutePath();
    Files.createDirectories(dataDir);
    JdbcMediaStore metadata =
        settings.jdbcUrl == null
            ? JdbcMediaStore.sqlite(dataDir.resolve("media.db"))
            : JdbcMediaStore.postgres(
                settings.jdbcUrl,
                settings.jdbcUser == null ? "" : settings.jdbcUser,
                settings.jdbcPassword == null ? "" : settings.jdbcPassword);
    HttpServer http;
    try {
      InetSocketAddress address = new InetSocketAddress(settings.bind, settings.port);
      http =
          settings.jdkHttpServer()
              ? HttpServer.create(address, 1024)
              : JettyHttpServer.create(address, 1024, settings.clientIdleTimeout());
    } catch (IOException e) {
      metadata.close();
      throw new IOException(
          "cannot listen on " + settings.bind + ":" + settings.port + ": " + e.getMessage(), e);
    }
    int port = http.getAddress().getPort();
    ServerName serverName = settings.serverName(port);

    MediaConfig.Builder config =
        MediaConfig.defaults()
            .rebuild()
            .dynamicThumbnails(settings.dynamicThumbnails)
            .remoteDeadline(settings.remoteDeadline())
            .remoteIdleTimeout(settings.remoteIdleTimeout());
    if (settings.maxUploadSize != null) {
      config.maxUploadSize(DataSize.bytes(settings.maxUploadSize));
    }
    if (settings.maxImagePixels != null) {
      config.maxImagePixels(settings.maxImagePixels);
    }
    if (settings.thumbnailSizes != null) {
      config.thumbnailSizes(settings.thumbnailSizes);
    }
    if (settings.federationDomainWhitelist != null) {
      config.federationDomainWhitelist(settings.federationDomainWhitelist);
    }
    config.preventMediaDownloadsFrom(settings.preventMediaDownloadsFrom);
    Map<ServerName, URI> peers = new LinkedHashMap<>();
    settings.peers.forEach((name, url) -> peers.put(ServerName.of(name), URI.create(url)));
    OutboundPolicy policy = settings.outboundPolicy();
    Federation federation = null;
    S3Storage s3 = null;
    List<AutoCloseable> providers = List.of();
    MetricsEndpoint metrics = null;
    PrimaryStorage storage;
    UrlPreviews previews = null;
    MediaRepository repository;
    Map<String, UserId> tokens = new LinkedHashMap<>();
    // with --jdbc-url, what the nodes of a cluster must share lives in the database too
    ClusterSecrets secrets =
        settings.jdbcUrl == null
            ? null
            : new ClusterSecrets(
                settings.jdbcUrl,
                settings.jdbcUser == null ? "" : settings.jdbcUser,
                settings.jdbcPassword == null ? "" : settings.jdbcPassword,
                serverName);
    try {
      Federation.Timeouts timeouts =
          new Federation.Timeouts(
              settings.keyFetchTimeout(), settings.remoteDeadline(), settings.remoteIdleTimeout());
      federation =
          secrets == null
              ? Federation.create(
                  serverName, dataDir.resolve("signing.key"), peers, policy, timeouts)
              : Federation.create(serverName, secrets.signingKey(), peers, policy, timeouts);
      if (settings.metricsPort != null) {
        metrics = MetricsEndpoint.start(settings.metricsBind, settings.metricsPort);
      }
      MediaRepository.Builder builder = settings.lifecycle(MediaRepository.builder());
      if (metrics != null) {
        builder.events(metrics.metrics());
      }
      if (settings.urlPreviews.enabled) {
        previews = settings.urlPreviews.previewer();
        builder.urlPreviews(previews);
      }
      builder
          .serverName(serverName)
          .federationClient(federation.client())
          .outboundPolicy(policy)
          .config(config.build())
          .mediaStore(metadata)
          .thumbnailer(new ImageIoThumbnailer())
          .authorizer(
              Authorizer.admins(
                  settings.admins.stream().map(UserId::of).collect(Collectors.toSet())));
      if (settings.s3.bucket == null) {
        storage = FileSystemStorage.at(settings.mediaStore(dataDir));
        builder.storage(storage);
      } else {
        // uploads are staged on this disk; thumbnail sources are fetched into a bounded cache
        s3 = settings.s3.open(dataDir.resolve("s3-staging"));
        storage = s3;
        builder.storage(s3).localCache(dataDir.resolve("s3-cache"), S3_CACHE);
      }
      providers = StorageProviderSettings.open(settings.storageProviders, dataDir, builder);
      repository = builder.build();
      settings.tokens.forEach((token, user) -> tokens.put(token, UserId.of(user)));
      if (tokens.isEmpty()) {
        tokens.putAll(generatedToken(dataDir, serverName, secrets));
      }
    } catch (IOException | RuntimeException e) {
      if (federation != null) {
        federation.close();
      }
      if (previews != null) {
        previews.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      if (s3 != null) {
        s3.close();
      }
      providers.forEach(StorageProviderSettings::closeQuietly);
      http.stop(0);
      metadata.close();
      throw e;
    }
    MediaHttpHandler.Builder handler =
        MediaHttpHandler.builder(repository)
            .authenticator(Authenticator.tokens(tokens))
            .federationAuthenticator(federation.authenticator())
            .identicons(Identicons::png);
    if (!settings.enableAuthenticatedMedia) {
      handler.withoutLegacyMediaFreeze();
    }
    MediaHttpHandler media = handler.build();

    AtomicInteger threads = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            64,
            r -> {
              Thread t = new Thread(r, "http-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    StalledClientGuard guard = new StalledClientGuard(settings.clientIdleTimeout());
    http.setExecutor(executor);
    http.createContext("/_matrix/client/versions", guard.guard(MediaServer::versions));
    http.createContext("/_matrix/key/v2/server", guard.guard(federation::serveKeys));
    HealthCheck health = new HealthCheck(metadata, storage, HEALTH_TIMEOUT);
    http.createContext("/health", guard.guard(health::handle));
    if (http instanceof JettyHttpServer jetty) {
      jetty.createMediaContext(
          "/", media); // asynchronous writes; Jetty's idle timeout cuts stalled clients
    } else {
      http.createContext("/", guard.guard(new JdkHttpServerAdapter(media)));
    }
    http.start();
    if (metrics != null) {
      log.info("Metrics at http://{}:{}/metrics", settings.metricsBind, metrics.port());
    }
    return new MediaServer(
        http,
        executor,
        repository,
        serverName,
        tokens,
        federation,
        metadata,
        s3,
        guard,
        health,
        metrics,
        Optional.ofNullable(previews),
        providers);
  }

  /**
   * One token for {@code @admin:<server>}, generated once and kept in the data directory in a file
   * only its owner may read ({@link PrivateFiles}), or with {@code --jdbc-url} in the database, so
   * every node of a cluster takes the same token.
   */
  private static Map<String, UserId> generatedToken(
      Path dataDir, ServerName serverName, ClusterSecrets secrets) throws IOException {
    UserId admin = UserId.of("@admin:" + serverName.value());
    if (secrets != null) {
      return Map.of(secrets.getOrKeep("access_token", newToken()), admin);
    }
    Path file = dataDir.resolve(TOKEN_FILE);
    if (Files.isRegularFile(file)) {
      PrivateFiles.restrict(file);
      String[] saved = Files.readString(file, StandardCharsets.UTF_8).strip().split(" ", 2);
      if (saved.length == 2 && saved[1].equals(admin.value())) {
        return Map.of(saved[0], admin);
      }
    }
    String token = newToken();
    PrivateFiles.write(file, token + " " + admin.value() + "\n");
    return Map.of(token, admin);
  }

  private static String newToken() {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    return "mxm_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  /** {@code GET /_matrix/client/versions}, so clients can discover the server. */
  private static void versions(HttpExchange exchange) throws IOException {
    StringBuilder json = new StringBuilder("{\"versions\":[");
    for (int i = 0; i < SPEC_VERSIONS.size(); i++) {
      json.append(i == 0 ? "" : ",").append('"').append(SPEC_VERSIONS.get(i)).append('"');
    }
    byte[] body =
        json.append("],\"unstable_features\":{}}").toString().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
    exchange
        .getResponseHeaders()
        .set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, DELETE, OPTIONS");
    exchange
        .getResponseHeaders()
        .set("Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization");
    boolean get = exchange.getRequestMethod().equals("GET");
    exchange.sendResponseHeaders(get ? 200 : 204, get ? body.length : -1);
    if (get) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    exchange.close();
    LoggerFactory.getLogger("org.mxmedia.http.access")
        .info(
            "{} {} {} {}",
            exchange.getRequestMethod(),
            exchange.getRequestURI().getRawPath(),
            get ? 200 : 204,
            get ? body.length : 0);
  }

  public int port() {
    return http.getAddress().getPort();
  }

  public ServerName serverName() {
    return serverName;
  }

  public String baseUrl() {
    return "http://" + http.getAddress().getHostString() + ":" + port();
  }

  public Map<String, UserId> tokens() {
    return tokens;
  }

  /** The key id this server signs federation requests with. */
  public String federationKeyId() {
    return federation.keyId();
  }

  public MediaRepository repository() {
    return repository;
  }

  /** The port of the metrics listener; empty without {@code --metrics-port}. */
  OptionalInt metricsPort() {
    return metrics == null ? OptionalInt.empty() : OptionalInt.of(metrics.port());
  }

  /** The metadata store (tests make it fail to see {@code /health} answer 503). */
  JdbcMediaStore metadataStore() {
    return metadata;
  }

  /** The sizes of the federation's bounded caches. */
  Federation.CacheSizes federationCacheSizes() {
    return federation.cacheSizes();
  }

  /** Requests being handled now. */
  int activeExchanges() {
    return guard.activeExchanges()
        + (http instanceof JettyHttpServer jetty ? jetty.activeRequests() : 0);
  }

  /** Stops accepting requests, lets running ones finish (up to 1 s), and closes the repository. */
  @Override
  public void close() {
    if (stopped.getCount() == 0) {
      return;
    }
    http.stop(1);
    executor.shutdownNow();
    guard.close();
    health.close();
    repository.close();
    if (metrics != null) {
      metrics.close();
    }
    previews.ifPresent(UrlPreviews::close);
    federation.close();
    if (s3 != null) {
      s3.close();
    }
    providers.forEach(StorageProviderSettings::closeQuietly);
    metadata.close();
    stopped.countDown();
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("import-synapse")) {
      System.exit(
          SynapseImport.cli(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
      return;
    }
    if (List.of(args).contains("--help")) {
      System.out.println(ServerSettings.USAGE);
      return;
    }
    ServerSettings settings;
    MediaServer server;
    try {
      settings = ServerSettings.parse(args);
      server = start(settings);
    } catch (IllegalArgumentException
        | IllegalStateException
        | UncheckedIOException
        | IOException e) {
      System.err.println("mxmedia-example: " + e.getMessage());
      System.exit(2);
      return;
    }
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("Shutting down");
                  server.close();
                  log.info("Stopped");
                },
                "shutdown"));
    Map.Entry<String, UserId> first = server.tokens.entrySet().iterator().next();
    System.out.println();
    System.out.println(
        "mxmedia example server for "
            + server.serverName
            + " on "
            + server.baseUrl()
            + " (data in "
            + Path.of(settings.dataDir).toAbsolutePath()
            + "; metadata in "
            + server.metadata
            + (server.s3 == null ? "" : "; media in " + server.s3.name())
            + ")");
    System.out.println("Access token for " + first.getValue() + ": " + first.getKey());
    System.out.println("Upload a file:");
    System.out.println(
        "  curl -H 'Authorization: Bearer " + first.getKey() + "' -H 'Content-Type: image/png' \\");
    System.out.println(
        "       --data-binary @cat.png '"
            + server.baseUrl()
            + "/_matrix/media/v3/upload?filename=cat.png'");
    System.out.println(
        "Download it: curl -H 'Authorization: Bearer "
            + first.getKey()
            + "' "
            + server.baseUrl()
            + "/_matrix/client/v1/media/download/"
            + server.serverName
            + "/<media id>");
    System.out.println();
    server.stopped.await();
  }
}
