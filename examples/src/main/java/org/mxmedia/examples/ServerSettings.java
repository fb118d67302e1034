package org.mxmedia.examples;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UserId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The example server's settings: from a YAML or JSON file ({@code --config}), then overridden by
 * command-line options (parsed by picocli, which also writes {@code --help}). Every value is
 * validated here, so a wrong value fails at start with a message naming the setting; a key the
 * server does not know is warned about once and ignored, so an operator can paste the media
 * section of a Synapse {@code homeserver.yaml}.
 *
 * <p>File keys: {@code port}, {@code bind}, {@code serverName}, {@code dataDir},
 * {@code maxUploadSize} (bytes), {@code dynamicThumbnails}, {@code tokens} (token to user id),
 * {@code peers} (server name to base URL), {@code admins} (user ids of server admins),
 * {@code jdbcUrl}, {@code jdbcUser}, {@code jdbcPassword},
 * {@code ip_range_whitelist} and {@code ip_range_blacklist} (lists of CIDR ranges, Synapse's
 * names), and the timeouts {@code remoteDeadlineMs}, {@code remoteIdleTimeoutMs},
 * {@code keyFetchTimeoutMs} and {@code clientIdleTimeoutMs} (milliseconds; see {@link #USAGE}); and
 * Synapse's media options with its value forms ({@link SynapseValues}): {@code max_upload_size},
 * {@code max_image_pixels}, {@code dynamic_thumbnails}, {@code thumbnail_sizes},
 * {@code media_store_path}, {@code federation_domain_whitelist}, {@code prevent_media_downloads_from},
 * {@code enable_authenticated_media}; {@code metrics_port} and {@code metrics_bind} (the Prometheus
 * listener).
 */
final class ServerSettings {
  private static final Logger log = LoggerFactory.getLogger(ServerSettings.class);
  int port = 8008;
  String bind = "127.0.0.1";
  String serverName;
  String dataDir = "mxmedia-data";
  Long maxUploadSize;
  boolean dynamicThumbnails;
  Map<String, String> tokens = new LinkedHashMap<>();
  Map<String, String> peers = new LinkedHashMap<>();
  /** The server admins: user ids allowed the admin API ({@code /_synapse/admin/v1/...}). */
  List<String> admins = new ArrayList<>();
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
  /** The Prometheus listener's port; {@code null} serves no metrics. */
  Integer metricsPort;
  String metricsBind = "127.0.0.1";
  /** Keys of the settings file this server does not know (warned about once, then ignored). */
  List<String> ignoredKeys = List.of();
  /** Synapse's {@code max_image_pixels}; the core's default when null. */
  Long maxImagePixels;
  /** Synapse's {@code thumbnail_sizes}; the spec's five when null. */
  List<ThumbnailSpec> thumbnailSizes;
  /** Synapse's {@code media_store_path}: where the media files go (default {@code <dataDir>/media}). */
  String mediaStorePath;
  /** Synapse's {@code federation_domain_whitelist}: when set, media is fetched from these servers only. */
  Set<String> federationDomainWhitelist;
  /** Synapse's {@code prevent_media_downloads_from}: servers whose media is never fetched. */
  Set<String> preventMediaDownloadsFrom = new LinkedHashSet<>();
  /** Synapse's {@code enable_authenticated_media}: false serves new media on the legacy endpoints too. */
  boolean enableAuthenticatedMedia = true;

  /** The command line, in picocli's terms: each option's name, value label and help text. */
  @Command(name = "java -jar mxmedia-example.jar", separator = " ", sortOptions = false, usageHelpWidth = 100,
      customSynopsis = "Usage: java -jar mxmedia-example.jar [options]",
      description = "A Matrix media server (mxmedia). Options win over the --config file.",
      footer = {"", "Import a Synapse media store: java -jar mxmedia-example.jar import-synapse --help"})
  static final class Flags {
    @Option(names = "--port", paramLabel = "N", description = "port to listen on (default 8008; 0 picks a free one)")
    @Nullable Integer port;

    @Option(names = "--bind", paramLabel = "ADDRESS", description = "address to listen on (default 127.0.0.1)")
    @Nullable String bind;

    @Option(names = "--server-name", paramLabel = "NAME", description = "the Matrix server name (default localhost:<port>)")
    @Nullable String serverName;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "where media is kept (default ./mxmedia-data)")
    @Nullable String dataDir;

    @Option(names = "--token", paramLabel = "TOKEN=@user:server",
        description = "an access token and its user (repeatable; default: one generated)")
    @Nullable Map<String, String> tokens;

    @Option(names = "--admin", paramLabel = "@user:server", description = "make that user a server admin, allowed "
        + "the admin API under /_synapse/admin/v1 (repeatable; added to the file's admins list)")
    @Nullable List<String> admins;

    @Option(names = "--max-upload-size", paramLabel = "BYTES",
        description = "the largest upload (default 52428800; Synapse's forms like 50M are taken too)")
    @Nullable String maxUploadSize;

    @Option(names = "--dynamic-thumbnails", description = "generate thumbnails of any requested size")
    boolean dynamicThumbnails;

    @Option(names = "--peer", paramLabel = "SERVER_NAME=BASE_URL",
        description = "reach that server at this URL instead of discovering it (repeatable)")
    @Nullable Map<String, String> peers;

    @Option(names = "--jdbc-url", paramLabel = "URL",
        description =
        "keep metadata in PostgreSQL (jdbc:postgresql://host/db) instead of SQLite in the data "
        + "directory")
    @Nullable String jdbcUrl;

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "the user for --jdbc-url")
    @Nullable String jdbcUser;

    @Option(names = "--jdbc-password", paramLabel = "PASSWORD", description = "the password for --jdbc-url")
    @Nullable String jdbcPassword;

    @Option(names = "--ip-range-blacklist", paramLabel = "CIDR", description =
        "never connect to these addresses on a remote's say-so (discovery results, redirect "
        + "targets, key servers); repeatable; replaces the default list (loopback, private, "
        + "link-local, CGNAT, multicast and reserved ranges)")
    @Nullable List<String> ipRangeBlacklist;

    @Option(names = "--ip-range-whitelist", paramLabel = "CIDR", description =
        "allow these addresses despite the blacklist (repeatable) (--peer URLs are always reached: "
        + "the operator named them)")
    @Nullable List<String> ipRangeWhitelist;

    @Option(names = "--metrics-port", paramLabel = "N", description = "serve Prometheus metrics at "
        + "http://<metrics-bind>:N/metrics on a listener of its own (default: no metrics); GET /health on the main "
        + "port answers 200 when the metadata store and the storage answer, else 503")
    @Nullable Integer metricsPort;

    @Option(names = "--metrics-bind", paramLabel = "ADDRESS", description = "address of the metrics listener (default 127.0.0.1)")
    @Nullable String metricsBind;

    @Option(names = "--config", paramLabel = "FILE", description =
        "the same settings as YAML or JSON (options given here win). The file takes the options' "
        + "names in camelCase (port, bind, serverName, dataDir, maxUploadSize, dynamicThumbnails, "
        + "tokens, peers, admins, jdbcUrl, jdbcUser, jdbcPassword), Synapse's media option names and value "
        + "forms (max_upload_size: 50M, max_image_pixels: 32M, dynamic_thumbnails, thumbnail_sizes, "
        + "media_store_path, federation_domain_whitelist, prevent_media_downloads_from, "
        + "enable_authenticated_media, ip_range_blacklist, ip_range_whitelist), and in milliseconds: "
        + "remoteDeadlineMs (one remote media fetch in all, default 300000), remoteIdleTimeoutMs (a "
        + "remote sending nothing, 30000), keyFetchTimeoutMs (finding and fetching a server's signing "
        + "keys, 10000), clientIdleTimeoutMs (a client's upload or download making no progress, "
        + "30000), metrics_port and metrics_bind. Unknown keys are warned about once; a wrong value stops "
        + "the server at start, naming its key.")
    @Nullable Path config;

    @Option(names = "--help", usageHelp = true, description = "this text")
    boolean help;
  }

  /** The generated {@code --help} text. */
  static final String USAGE = new CommandLine(new Flags()).getUsageMessage(CommandLine.Help.Ansi.OFF);

  /** Parses command-line options (and the file they name); throws {@link IllegalArgumentException} with a clear message. */
  static ServerSettings parse(String[] args) throws IOException {
    Flags flags = new Flags();
    try {
      new CommandLine(flags).parseArgs(args);
    } catch (CommandLine.UnmatchedArgumentException e) {
      throw new IllegalArgumentException("unknown option " + String.join(" ", e.getUnmatched()) + "\n" + USAGE);
    } catch (CommandLine.ParameterException e) {
      throw new IllegalArgumentException(e.getMessage() + "\n" + USAGE);
    }
    ServerSettings settings = flags.config == null ? new ServerSettings() : fromFile(flags.config);
    if (flags.port != null) {
      settings.port = flags.port;
    }
    if (flags.bind != null) {
      settings.bind = flags.bind;
    }
    if (flags.serverName != null) {
      settings.serverName = flags.serverName;
    }
    if (flags.dataDir != null) {
      settings.dataDir = flags.dataDir;
    }
    if (flags.maxUploadSize != null) {
      settings.maxUploadSize = SynapseValues.size(flags.maxUploadSize, "--max-upload-size");
    }
    settings.dynamicThumbnails |= flags.dynamicThumbnails;
    if (flags.metricsPort != null) {
      settings.metricsPort = flags.metricsPort;
    }
    if (flags.metricsBind != null) {
      settings.metricsBind = flags.metricsBind;
    }
    if (flags.tokens != null) {
      settings.tokens.putAll(flags.tokens);
    }
    if (flags.peers != null) {
      settings.peers.putAll(flags.peers);
    }
    if (flags.admins != null) {
      settings.admins.addAll(flags.admins);
    }
    if (flags.jdbcUrl != null) {
      settings.jdbcUrl = flags.jdbcUrl;
    }
    if (flags.jdbcUser != null) {
      settings.jdbcUser = flags.jdbcUser;
    }
    if (flags.jdbcPassword != null) {
      settings.jdbcPassword = flags.jdbcPassword;
    }
    if (flags.ipRangeBlacklist != null) {
      settings.ipRangeBlacklist = new ArrayList<>(flags.ipRangeBlacklist);
    }
    if (flags.ipRangeWhitelist != null) {
      settings.ipRangeWhitelist = new ArrayList<>(flags.ipRangeWhitelist);
    }
    settings.validate();
    return settings;
  }

  static ServerSettings fromFile(Path file) throws IOException {
    boolean yaml = file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.ya?ml");
    ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    // a flag is true or false, never a number that happens to be read as one
    mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    try {
      JsonNode tree = mapper.readTree(file.toFile());
      if (tree == null || tree.isMissingNode() || tree.isNull()) {
        return new ServerSettings();
      }
      if (!tree.isObject()) {
        throw new IllegalArgumentException("cannot read " + file + ": the settings must be a mapping of keys to values");
      }
      ServerSettings s = new ServerSettings();
      s.ignoredKeys = withoutUnknownKeys((ObjectNode) tree);
      if (!s.ignoredKeys.isEmpty()) {
        log.warn("Ignoring settings this server does not know in {}: {}", file, String.join(", ", s.ignoredKeys));
      }
      FileSettings f = mapper.treeToValue(tree, FileSettings.class);
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
      if (f.synapseMaxUploadSize != null) {
        s.maxUploadSize = SynapseValues.size(f.synapseMaxUploadSize, "max_upload_size");
      }
      s.dynamicThumbnails = Boolean.TRUE.equals(f.dynamicThumbnails) || Boolean.TRUE.equals(f.synapseDynamicThumbnails);
      if (f.tokens != null) {
        s.tokens.putAll(f.tokens);
      }
      if (f.peers != null) {
        s.peers.putAll(f.peers);
      }
      if (f.admins != null) {
        s.admins.addAll(f.admins);
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
      if (f.maxImagePixels != null) {
        s.maxImagePixels = SynapseValues.size(f.maxImagePixels, "max_image_pixels");
      }
      if (f.thumbnailSizes != null) {
        s.thumbnailSizes = thumbnailSizes(f.thumbnailSizes);
      }
      s.mediaStorePath = f.mediaStorePath;
      if (f.federationDomainWhitelist != null) {
        s.federationDomainWhitelist = new LinkedHashSet<>(f.federationDomainWhitelist);
      }
      if (f.preventMediaDownloadsFrom != null) {
        s.preventMediaDownloadsFrom = new LinkedHashSet<>(f.preventMediaDownloadsFrom);
      }
      if (f.enableAuthenticatedMedia != null) {
        s.enableAuthenticatedMedia = f.enableAuthenticatedMedia;
      }
      s.metricsPort = f.metricsPort;
      if (f.metricsBind != null) {
        s.metricsBind = f.metricsBind;
      }
      return s;
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException("cannot read " + file + ": a wrong value for " + keyPath(e) + ": " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Removes the top-level keys {@link FileSettings} does not name, and returns them (sorted). */
  private static List<String> withoutUnknownKeys(ObjectNode tree) {
    Set<String> known = new HashSet<>();
    for (RecordComponent c : FileSettings.class.getRecordComponents()) {
      JsonProperty renamed = c.getAccessor().getAnnotation(JsonProperty.class);
      known.add(renamed != null ? renamed.value() : c.getName());
    }
    List<String> unknown = new ArrayList<>();
    tree.fieldNames().forEachRemaining(name -> {
      if (!known.contains(name)) {
        unknown.add(name);
      }
    });
    unknown.forEach(tree::remove);
    Collections.sort(unknown);
    return unknown;
  }

  private static String keyPath(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(r.getFieldName());
      } else {
        path.append('[').append(r.getIndex()).append(']');
      }
    }
    return path.length() == 0 ? "the file" : path.toString();
  }

  /** Synapse's {@code thumbnail_sizes}: width, height and method ({@code crop} or {@code scale}) of each. */
  private static List<ThumbnailSpec> thumbnailSizes(List<SynapseThumbnailSize> sizes) {
    List<ThumbnailSpec> specs = new ArrayList<>();
    for (int i = 0; i < sizes.size(); i++) {
      SynapseThumbnailSize size = sizes.get(i);
      String key = "thumbnail_sizes[" + i + "]";
      if (size == null || size.width == null || size.height == null || size.width < 1 || size.height < 1) {
        throw new IllegalArgumentException(key + " needs a positive width and height");
      }
      String method = size.method == null ? "scale" : size.method;
      specs.add(switch (method) {
        case "crop" -> ThumbnailSpec.crop(size.width, size.height);
        case "scale" -> ThumbnailSpec.scale(size.width, size.height);
        default -> throw new IllegalArgumentException(key + ".method must be crop or scale: " + method);
      });
    }
    return specs;
  }

  /** One of Synapse's {@code thumbnail_sizes}. */
  record SynapseThumbnailSize(@Nullable Integer width, @Nullable Integer height, @Nullable String method) {}

  /** The shape of the settings file: the options' camelCase names, then Synapse's names. */
  @JsonIgnoreProperties(ignoreUnknown = false)
  record FileSettings(
      Integer port, String bind, String serverName, String dataDir, Long maxUploadSize, Boolean dynamicThumbnails,
      Map<String, String> tokens, Map<String, String> peers, List<String> admins, String jdbcUrl, String jdbcUser, String jdbcPassword,
      @JsonProperty("ip_range_blacklist") List<String> ipRangeBlacklist,
      @JsonProperty("ip_range_whitelist") List<String> ipRangeWhitelist,
      Long remoteDeadlineMs, Long remoteIdleTimeoutMs, Long keyFetchTimeoutMs, Long clientIdleTimeoutMs,
      @JsonProperty("max_upload_size") JsonNode synapseMaxUploadSize,
      @JsonProperty("max_image_pixels") JsonNode maxImagePixels,
      @JsonProperty("dynamic_thumbnails") Boolean synapseDynamicThumbnails,
      @JsonProperty("thumbnail_sizes") List<SynapseThumbnailSize> thumbnailSizes,
      @JsonProperty("media_store_path") String mediaStorePath,
      @JsonProperty("federation_domain_whitelist") List<String> federationDomainWhitelist,
      @JsonProperty("prevent_media_downloads_from") List<String> preventMediaDownloadsFrom,
      @JsonProperty("enable_authenticated_media") Boolean enableAuthenticatedMedia,
      @JsonProperty("metrics_port") Integer metricsPort, @JsonProperty("metrics_bind") String metricsBind) {}

  void validate() {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535: " + port);
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new IllegalArgumentException("metrics_port must be 0 to 65535: " + metricsPort);
    }
    if (metricsPort != null && metricsPort != 0 && metricsPort == port) {
      throw new IllegalArgumentException("metrics_port must differ from port: the metrics have a listener of their own ("
          + metricsPort + ")");
    }
    if (metricsBind.isBlank()) {
      throw new IllegalArgumentException("metrics_bind cannot be empty");
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
    for (String admin : admins) {
      if (admin == null || !UserId.isValid(admin)) {
        throw new IllegalArgumentException("not a valid user id in --admin / admins: " + admin);
      }
    }
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
    if (maxImagePixels != null && maxImagePixels < 1) {
      throw new IllegalArgumentException("max_image_pixels must be at least 1: " + maxImagePixels);
    }
    if (thumbnailSizes != null && thumbnailSizes.isEmpty()) {
      throw new IllegalArgumentException("thumbnail_sizes needs at least one size");
    }
    serverNames(federationDomainWhitelist, "federation_domain_whitelist");
    serverNames(preventMediaDownloadsFrom, "prevent_media_downloads_from");
    positiveMillis(remoteDeadlineMs, "remoteDeadlineMs");
    positiveMillis(remoteIdleTimeoutMs, "remoteIdleTimeoutMs");
    positiveMillis(keyFetchTimeoutMs, "keyFetchTimeoutMs");
    positiveMillis(clientIdleTimeoutMs, "clientIdleTimeoutMs");
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

  private static void serverNames(@Nullable Set<String> names, String setting) {
    if (names == null) {
      return;
    }
    for (String name : names) {
      if (!ServerName.isValid(name)) {
        throw new IllegalArgumentException("not a server name in " + setting + ": " + name);
      }
    }
  }

  /** Where the media files go: {@code media_store_path}, else {@code media} in the data directory. */
  Path mediaStore(Path dataDir) {
    return mediaStorePath == null ? dataDir.resolve("media") : Path.of(mediaStorePath).toAbsolutePath();
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
}
