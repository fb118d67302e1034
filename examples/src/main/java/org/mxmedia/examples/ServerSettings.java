package org.mxmedia.examples;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;

/**
 * The example server's settings: from a YAML or JSON file ({@code --config}), then overridden by
 * command-line options. Every value is validated here, so a typo fails at start with a message
 * naming the setting.
 *
 * <p>File keys: {@code port}, {@code bind}, {@code serverName}, {@code dataDir},
 * {@code maxUploadSize} (bytes), {@code dynamicThumbnails}, {@code tokens} (token to user id),
 * {@code peers} (server name to base URL), {@code jdbcUrl}, {@code jdbcUser}, {@code jdbcPassword},
 * {@code ip_range_whitelist} and {@code ip_range_blacklist} (lists of CIDR ranges, Synapse's
 * names), and the timeouts {@code remoteDeadlineMs}, {@code remoteIdleTimeoutMs},
 * {@code keyFetchTimeoutMs} and {@code clientIdleTimeoutMs} (milliseconds; see {@link #USAGE}), and
 * {@code httpServer} ({@code jetty} or {@code jdk}).
 */
final class ServerSettings {
  int port = 8008;
  String bind = "127.0.0.1";
  String serverName;
  String dataDir = "mxmedia-data";
  Long maxUploadSize;
  boolean dynamicThumbnails;
  Map<String, String> tokens = new LinkedHashMap<>();
  Map<String, String> peers = new LinkedHashMap<>();
  String jdbcUrl;
  String jdbcUser;
  String jdbcPassword;
  /** Replaces {@link OutboundPolicy#DEFAULT_BLACKLIST} when set. */
  List<String> ipRangeBlacklist;
  List<String> ipRangeWhitelist = new ArrayList<>();
  Long remoteDeadlineMs;
  Long remoteIdleTimeoutMs;
  Long keyFetchTimeoutMs;
  Long clientIdleTimeoutMs;
  /** {@code jetty} (default) or {@code jdk}. */
  String httpServer = "jetty";

  static final String USAGE = String.join("\n",
      "Usage: java -jar mxmedia-example.jar [options]",
      "  --port N                    port to listen on (default 8008; 0 picks a free one)",
      "  --bind ADDRESS              address to listen on (default 127.0.0.1)",
      "  --server-name NAME          the Matrix server name (default localhost:<port>)",
      "  --data-dir DIR              where media is kept (default ./mxmedia-data)",
      "  --token TOKEN=@user:server  an access token and its user (repeatable; default: one generated)",
      "  --max-upload-size BYTES     the largest upload (default 52428800)",
      "  --dynamic-thumbnails        generate thumbnails of any requested size",
      "  --peer SERVER_NAME=BASE_URL reach that server at this URL instead of discovering it (repeatable)",
      "  --jdbc-url URL              keep metadata in PostgreSQL (jdbc:postgresql://host/db) instead of",
      "                              SQLite in the data directory",
      "  --jdbc-user USER, --jdbc-password PASSWORD   credentials for --jdbc-url",
      "  --ip-range-blacklist CIDR   never connect to these addresses on a remote's say-so (discovery results,",
      "                              redirect targets, key servers); repeatable; replaces the default list",
      "                              (loopback, private, link-local, CGNAT, multicast and reserved ranges)",
      "  --ip-range-whitelist CIDR   allow these addresses despite the blacklist (repeatable)",
      "                              (--peer URLs are always reached: the operator named them)",
      "  --config FILE               the same settings as YAML or JSON (options given here win); the file",
      "                              also takes ip_range_blacklist / ip_range_whitelist (lists) and, in",
      "                              milliseconds: remoteDeadlineMs (one remote media fetch in all, default",
      "                              300000), remoteIdleTimeoutMs (a remote sending nothing, 30000),",
      "                              keyFetchTimeoutMs (finding and fetching a server's signing keys, 10000),",
      "                              clientIdleTimeoutMs (a client's upload or download making no progress,",
      "                              30000)",
      "  --http-server jetty|jdk     the HTTP server: jetty (default; asynchronous, a slow client costs a socket,",
      "                              not a thread) or jdk (the JDK's HttpServer, one thread per request);",
      "                              file key httpServer",
      "  --help                      this text");

  /** Parses command-line options (and the file they name); throws {@link IllegalArgumentException} with a clear message. */
  static ServerSettings parse(String[] args) throws IOException {
    ServerSettings settings = new ServerSettings();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config")) {
        settings = fromFile(Path.of(value(args, ++i, "--config")));
      }
    }
    boolean blacklistGiven = false;
    boolean whitelistGiven = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--config" -> i++;
        case "--port" -> settings.port = parsePort(value(args, ++i, arg));
        case "--bind" -> settings.bind = value(args, ++i, arg);
        case "--server-name" -> settings.serverName = value(args, ++i, arg);
        case "--data-dir" -> settings.dataDir = value(args, ++i, arg);
        case "--max-upload-size" -> settings.maxUploadSize = parseSize(value(args, ++i, arg));
        case "--dynamic-thumbnails" -> settings.dynamicThumbnails = true;
        case "--token" -> {
          String[] kv = pair(value(args, ++i, arg), arg);
          settings.tokens.put(kv[0], kv[1]);
        }
        case "--jdbc-url" -> settings.jdbcUrl = value(args, ++i, arg);
        case "--http-server" -> settings.httpServer = value(args, ++i, arg);
        case "--jdbc-user" -> settings.jdbcUser = value(args, ++i, arg);
        case "--jdbc-password" -> settings.jdbcPassword = value(args, ++i, arg);
        case "--peer" -> {
          String[] kv = pair(value(args, ++i, arg), arg);
          settings.peers.put(kv[0], kv[1]);
        }
        case "--ip-range-blacklist" -> {
          if (!blacklistGiven) {
            settings.ipRangeBlacklist = new ArrayList<>();
            blacklistGiven = true;
          }
          settings.ipRangeBlacklist.add(value(args, ++i, arg));
        }
        case "--ip-range-whitelist" -> {
          if (!whitelistGiven) {
            settings.ipRangeWhitelist = new ArrayList<>();
            whitelistGiven = true;
          }
          settings.ipRangeWhitelist.add(value(args, ++i, arg));
        }
        default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
      }
    }
    settings.validate();
    return settings;
  }

  static ServerSettings fromFile(Path file) throws IOException {
    boolean yaml = file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.ya?ml");
    ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    try {
      FileSettings f = mapper.readValue(file.toFile(), FileSettings.class);
      ServerSettings s = new ServerSettings();
      if (f.port != null) {
        s.port = f.port;
      }
      if (f.bind != null) {
        s.bind = f.bind;
      }
      s.serverName = f.serverName;
      if (f.dataDir != null) {
        s.dataDir = f.dataDir;
      }
      s.maxUploadSize = f.maxUploadSize;
      s.dynamicThumbnails = f.dynamicThumbnails != null && f.dynamicThumbnails;
      if (f.tokens != null) {
        s.tokens.putAll(f.tokens);
      }
      if (f.peers != null) {
        s.peers.putAll(f.peers);
      }
      s.jdbcUrl = f.jdbcUrl;
      s.jdbcUser = f.jdbcUser;
      s.jdbcPassword = f.jdbcPassword;
      if (f.ipRangeBlacklist != null) {
        s.ipRangeBlacklist = new ArrayList<>(f.ipRangeBlacklist);
      }
      if (f.ipRangeWhitelist != null) {
        s.ipRangeWhitelist = new ArrayList<>(f.ipRangeWhitelist);
      }
      s.remoteDeadlineMs = f.remoteDeadlineMs;
      s.remoteIdleTimeoutMs = f.remoteIdleTimeoutMs;
      s.keyFetchTimeoutMs = f.keyFetchTimeoutMs;
      s.clientIdleTimeoutMs = f.clientIdleTimeoutMs;
      if (f.httpServer != null) {
        s.httpServer = f.httpServer;
      }
      return s;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getOriginalMessage());
    }
  }

  /** The shape of the settings file. */
  @JsonIgnoreProperties(ignoreUnknown = false)
  record FileSettings(
      Integer port, String bind, String serverName, String dataDir, Long maxUploadSize, Boolean dynamicThumbnails,
      Map<String, String> tokens, Map<String, String> peers, String jdbcUrl, String jdbcUser, String jdbcPassword,
      @JsonProperty("ip_range_blacklist") List<String> ipRangeBlacklist,
      @JsonProperty("ip_range_whitelist") List<String> ipRangeWhitelist,
      Long remoteDeadlineMs, Long remoteIdleTimeoutMs, Long keyFetchTimeoutMs, Long clientIdleTimeoutMs,
      String httpServer) {}

  void validate() {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535: " + port);
    }
    if (serverName != null && !ServerName.isValid(serverName)) {
      throw new IllegalArgumentException("not a valid server name: " + serverName);
    }
    if (maxUploadSize != null && maxUploadSize < 1) {
      throw new IllegalArgumentException("max upload size must be at least 1 byte: " + maxUploadSize);
    }
    tokens.forEach((token, user) -> {
      if (token.isBlank()) {
        throw new IllegalArgumentException("an access token cannot be empty");
      }
      if (!UserId.isValid(user)) {
        throw new IllegalArgumentException("not a valid user id for token " + token.substring(0, Math.min(4, token.length())) + "...: " + user);
      }
    });
    if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("--jdbc-url must be a PostgreSQL JDBC URL (jdbc:postgresql://...): " + jdbcUrl);
    }
    peers.forEach((name, url) -> {
      if (!ServerName.isValid(name)) {
        throw new IllegalArgumentException("not a valid peer server name: " + name);
      }
      URI uri = URI.create(url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException("a peer's base URL must be http or https: " + url);
      }
    });
    outboundPolicy();
    positiveMillis(remoteDeadlineMs, "remoteDeadlineMs");
    positiveMillis(remoteIdleTimeoutMs, "remoteIdleTimeoutMs");
    positiveMillis(keyFetchTimeoutMs, "keyFetchTimeoutMs");
    positiveMillis(clientIdleTimeoutMs, "clientIdleTimeoutMs");
    if (!httpServer.equals("jetty") && !httpServer.equals("jdk")) {
      throw new IllegalArgumentException("--http-server / httpServer must be jetty or jdk: " + httpServer);
    }
    if (remoteIdleTimeout().compareTo(remoteDeadline()) > 0) {
      throw new IllegalArgumentException("remoteIdleTimeoutMs " + remoteIdleTimeout().toMillis()
          + " exceeds remoteDeadlineMs " + remoteDeadline().toMillis());
    }
  }

  /**
   * Where the server may connect on a remote's say-so: the blacklist (default
   * {@link OutboundPolicy#DEFAULT_BLACKLIST}) less the whitelist.
   *
   * @throws IllegalArgumentException naming the first entry that is not a CIDR range
   */
  OutboundPolicy outboundPolicy() {
    OutboundPolicy.Builder policy = OutboundPolicy.builder();
    if (ipRangeBlacklist != null) {
      policy.blacklist(cidrs(ipRangeBlacklist, "--ip-range-blacklist / ip_range_blacklist"));
    }
    return policy.whitelist(cidrs(ipRangeWhitelist, "--ip-range-whitelist / ip_range_whitelist")).build();
  }

  private static List<String> cidrs(List<String> ranges, String setting) {
    for (String range : ranges) {
      try {
        OutboundPolicy.builder().blacklist(List.of(range));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("not a CIDR range in " + setting + ": " + range + " (" + e.getMessage() + ")");
      }
    }
    return ranges;
  }

  /** Whether to serve on the JDK's {@code HttpServer} rather than Jetty. */
  boolean jdkHttpServer() {
    return httpServer.equals("jdk");
  }

  /** One remote media fetch in all (default 5 minutes). */
  Duration remoteDeadline() {
    return remoteDeadlineMs == null ? Duration.ofMinutes(5) : Duration.ofMillis(remoteDeadlineMs);
  }

  /** A remote answer sending nothing (default 30 s). */
  Duration remoteIdleTimeout() {
    return remoteIdleTimeoutMs == null ? Duration.ofSeconds(30) : Duration.ofMillis(remoteIdleTimeoutMs);
  }

  /** Finding and fetching an origin's signing keys (default 10 s). */
  Duration keyFetchTimeout() {
    return keyFetchTimeoutMs == null ? Duration.ofSeconds(10) : Duration.ofMillis(keyFetchTimeoutMs);
  }

  /** A client's upload or download making no progress (default 30 s). */
  Duration clientIdleTimeout() {
    return clientIdleTimeoutMs == null ? Duration.ofSeconds(30) : Duration.ofMillis(clientIdleTimeoutMs);
  }

  private static void positiveMillis(Long value, String key) {
    if (value != null && value < 1) {
      throw new IllegalArgumentException(key + " must be at least 1 millisecond: " + value);
    }
  }

  /** The server name, defaulting to {@code localhost:<port>} with the port actually bound. */
  ServerName serverName(int boundPort) {
    return ServerName.of(Optional.ofNullable(serverName).orElse("localhost:" + boundPort));
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
    }
    return args[i];
  }

  private static String[] pair(String v, String option) {
    int eq = v.indexOf('=');
    if (eq < 1 || eq == v.length() - 1) {
      throw new IllegalArgumentException(option + " takes KEY=VALUE: " + v);
    }
    return new String[] {v.substring(0, eq), v.substring(eq + 1)};
  }

  private static int parsePort(String v) {
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("port must be a number: " + v);
    }
  }

  private static long parseSize(String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("max upload size must be a number of bytes: " + v);
    }
  }
}
