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
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Files;
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
import org.mxmedia.MediaRepository;
import org.mxmedia.OutboundPolicy;
import org.mxmedia.ServerName;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.UserId;
import org.mxmedia.preview.UrlPreviews;
import org.mxmedia.preview.UrlPreviews.OEmbedProvider;
import org.mxmedia.preview.UrlPreviews.UrlPattern;
import org.mxmedia.spi.UploadPolicy;
import org.mxmedia.storage.s3.S3Storage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The example server's settings: from a YAML or JSON file ({@code --config}), then overridden by
 * command-line options (parsed by picocli, which also writes {@code --help}). Every value is
 * validated here, so a wrong value fails at start with a message naming the setting; a key the
 * server does not know is warned about once and ignored, so an operator can paste the media section
 * of a Synapse {@code homeserver.yaml}.
 *
 * <p>File keys: {@code port}, {@code bind}, {@code serverName}, {@code dataDir}, {@code
 * maxUploadSize} (bytes), {@code dynamicThumbnails}, {@code tokens} (token to user id), {@code
 * peers} (server name to base URL), {@code admins} (user ids of server admins), {@code jdbcUrl},
 * {@code jdbcUser}, {@code jdbcPassword}, {@code ip_range_whitelist} and {@code ip_range_blacklist}
 * (lists of CIDR ranges, Synapse's names), and the timeouts {@code remoteDeadlineMs}, {@code
 * remoteIdleTimeoutMs}, {@code keyFetchTimeoutMs} and {@code clientIdleTimeoutMs} (milliseconds;
 * see {@link #USAGE}); and Synapse's media options with its value forms ({@link SynapseUnits}):
 * {@code max_upload_size}, {@code max_image_pixels}, {@code dynamic_thumbnails}, {@code
 * thumbnail_sizes}, {@code media_store_path}, {@code federation_domain_whitelist}, {@code
 * prevent_media_downloads_from}, {@code enable_authenticated_media}; {@code metrics_port} and
 * {@code metrics_bind} (the Prometheus listener); Synapse's {@code media_retention} and {@code
 * media_upload_limits} (see {@link SynapseUnits}); {@code httpServer} ({@code jetty} or {@code
 * jdk}).
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
  SynapseUnits.Retention mediaRetention = SynapseUnits.Retention.NONE;
  List<UploadPolicy.Quota> mediaUploadLimits = List.of();

  /** Synapse's {@code media_storage_providers}: backups of the primary storage. */
  List<StorageProviderSettings.Provider> storageProviders = List.of();

  /** {@code jetty} (default) or {@code jdk}. */
  String httpServer = "jetty";

  /** The Prometheus listener's port; {@code null} serves no metrics. */
  Integer metricsPort;

  String metricsBind = "127.0.0.1";

  /** Keys of the settings file this server does not know (warned about once, then ignored). */
  List<String> ignoredKeys = List.of();

  /** Synapse's {@code max_image_pixels}; the core's default when null. */
  Long maxImagePixels;

  /** Synapse's {@code thumbnail_sizes}; the spec's five when null. */
  List<ThumbnailSpec> thumbnailSizes;

  /**
   * Synapse's {@code media_store_path}: where the media files go (default {@code <dataDir>/media}).
   */
  String mediaStorePath;

  /**
   * Synapse's {@code federation_domain_whitelist}: when set, media is fetched from these servers
   * only.
   */
  Set<String> federationDomainWhitelist;

  /** Synapse's {@code prevent_media_downloads_from}: servers whose media is never fetched. */
  Set<String> preventMediaDownloadsFrom = new LinkedHashSet<>();

  /**
   * Synapse's {@code enable_authenticated_media}: false serves new media on the legacy endpoints
   * too.
   */
  boolean enableAuthenticatedMedia = true;

  /** The command line, in picocli's terms: each option's name, value label and help text. */
  @Command(
      name = "java -jar mxmedia-example.jar",
      separator = " ",
      sortOptions = false,
      usageHelpWidth = 100,
      customSynopsis = "Usage: java -jar mxmedia-example.jar [options]",
      description = "A Matrix media server (mxmedia). Options win over the --config file.",
      footer = {
        "",
        "Import a Synapse media store: java -jar mxmedia-example.jar import-synapse --help"
      })
  static final class Flags {
    @Option(
        names = "--port",
        paramLabel = "N",
        description = "port to listen on (default 8008; 0 picks a free one)")
    @Nullable Integer port;

    @Option(
        names = "--bind",
        paramLabel = "ADDRESS",
        description = "address to listen on (default 127.0.0.1)")
    @Nullable String bind;

    @Option(
        names = "--server-name",
        paramLabel = "NAME",
        description = "the Matrix server name (default localhost:<port>)")
    @Nullable String serverName;

    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description = "where media is kept (default ./mxmedia-data)")
    @Nullable String dataDir;

    @Option(
        names = "--token",
        paramLabel = "TOKEN=@user:server",
        description = "an access token and its user (repeatable; default: one generated)")
    @Nullable Map<String, String> tokens;

    @Option(
        names = "--admin",
        paramLabel = "@user:server",
        description =
            "make that user a server admin, allowed "
                + "the admin API under /_synapse/admin/v1 (repeatable; added to the file's admins list)")
    @Nullable List<String> admins;

    @Option(
        names = "--max-upload-size",
        paramLabel = "BYTES",
        description =
            "the largest upload (default 52428800; Synapse's forms like 50M are taken too)")
    @Nullable String maxUploadSize;

    @Option(
        names = "--dynamic-thumbnails",
        description = "generate thumbnails of any requested size")
    boolean dynamicThumbnails;

    @Option(
        names = "--peer",
        paramLabel = "SERVER_NAME=BASE_URL",
        description = "reach that server at this URL instead of discovering it (repeatable)")
    @Nullable Map<String, String> peers;

    @Option(
        names = "--jdbc-url",
        paramLabel = "URL",
        description =
            "keep metadata in PostgreSQL (jdbc:postgresql://host/db) instead of SQLite in the data "
                + "directory")
    @Nullable String jdbcUrl;

    @Option(names = "--jdbc-user", paramLabel = "USER", description = "the user for --jdbc-url")
    @Nullable String jdbcUser;

    @Option(
        names = "--jdbc-password",
        paramLabel = "PASSWORD",
        description = "the password for --jdbc-url")
    @Nullable String jdbcPassword;

    @Option(
        names = "--ip-range-blacklist",
        paramLabel = "CIDR",
        description =
            "never connect to these addresses on a remote's say-so (discovery results, redirect "
                + "targets, key servers); repeatable; replaces the default list (loopback, private, "
                + "link-local, CGNAT, multicast and reserved ranges)")
    @Nullable List<String> ipRangeBlacklist;

    @Option(
        names = "--ip-range-whitelist",
        paramLabel = "CIDR",
        description =
            "allow these addresses despite the blacklist (repeatable) (--peer URLs are always reached: "
                + "the operator named them)")
    @Nullable List<String> ipRangeWhitelist;

    @Option(
        names = "--http-server",
        paramLabel = "jetty|jdk",
        description =
            "the HTTP server: jetty (default; "
                + "asynchronous, a slow client costs a socket, not a thread) or jdk (the JDK's HttpServer, one thread per "
                + "request); file key httpServer")
    @Nullable String httpServer;

    @Option(
        names = "--metrics-port",
        paramLabel = "N",
        description =
            "serve Prometheus metrics at "
                + "http://<metrics-bind>:N/metrics on a listener of its own (default: no metrics); GET /health on the main "
                + "port answers 200 when the metadata store and the storage answer, else 503")
    @Nullable Integer metricsPort;

    @Option(
        names = "--metrics-bind",
        paramLabel = "ADDRESS",
        description = "address of the metrics listener (default 127.0.0.1)")
    @Nullable String metricsBind;

    @Option(
        names = "--config",
        paramLabel = "FILE",
        description =
            "the same settings as YAML or JSON (options given here win). The file takes the options' "
                + "names in camelCase (port, bind, serverName, dataDir, maxUploadSize, dynamicThumbnails, "
                + "tokens, peers, admins, jdbcUrl, jdbcUser, jdbcPassword), Synapse's media option names and value "
                + "forms (max_upload_size: 50M, max_image_pixels: 32M, dynamic_thumbnails, thumbnail_sizes, "
                + "media_store_path, federation_domain_whitelist, prevent_media_downloads_from, "
                + "enable_authenticated_media, ip_range_blacklist, ip_range_whitelist), and in milliseconds: "
                + "remoteDeadlineMs (one remote media fetch in all, default 300000), remoteIdleTimeoutMs (a "
                + "remote sending nothing, 30000), keyFetchTimeoutMs (finding and fetching a server's signing "
                + "keys, 10000), clientIdleTimeoutMs (a client's upload or download making no progress, "
                + "30000), metrics_port and metrics_bind, media_storage_providers (S3 or file backends), media_retention (local_media_lifetime, remote_media_lifetime: "
                + "90d, 1y, 12h), media_upload_limits (time_period, max_size). Unknown keys are warned about once; a wrong value stops "
                + "the server at start, naming its key.")
    @Nullable Path config;

    @CommandLine.Mixin S3Options s3 = new S3Options();

    @Option(
        names = "--url-previews",
        description =
            "answer preview_url (off by default; the file takes url_preview_enabled "
                + "and the other url_preview_* keys, max_spider_size and oembed)")
    boolean urlPreviews;

    @Option(
        names = "--url-preview-ip-range-whitelist",
        paramLabel = "CIDR",
        description =
            "let previews reach these "
                + "addresses despite the preview blacklist (repeatable; the file's url_preview_ip_range_blacklist replaces that "
                + "list, by default the same ranges as --ip-range-blacklist's default)")
    @Nullable List<String> urlPreviewIpRangeWhitelist;

    @Option(
        names = "--url-preview-url-blacklist",
        paramLabel = "COMPONENT=PATTERN",
        description =
            "never preview URLs "
                + "whose component (scheme, netloc, hostname, port, path, query, fragment, ...) matches the glob or ^regex "
                + "(repeatable)")
    @Nullable List<String> urlPreviewUrlBlacklist;

    @Option(names = "--help", usageHelp = true, description = "this text")
    boolean help;
  }

  /** The generated {@code --help} text. */
  static final String USAGE =
      new CommandLine(new Flags()).getUsageMessage(CommandLine.Help.Ansi.OFF);

  /**
   * Parses command-line options (and the file they name); throws {@link IllegalArgumentException}
   * with a clear message.
   */
  static ServerSettings parse(String[] args) throws IOException {
    Flags flags = new Flags();
    try {
      new CommandLine(flags).parseArgs(args);
    } catch (CommandLine.UnmatchedArgumentException e) {
      throw new IllegalArgumentException(
          "unknown option " + String.join(" ", e.getUnmatched()) + "\n" + USAGE);
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
      settings.maxUploadSize = SynapseUnits.size(flags.maxUploadSize, "--max-upload-size").bytes();
    }
    settings.dynamicThumbnails |= flags.dynamicThumbnails;
    if (flags.metricsPort != null) {
      settings.metricsPort = flags.metricsPort;
    }
    if (flags.httpServer != null) {
      settings.httpServer = flags.httpServer;
    }
    settings.urlPreviews.overrideWith(flags);
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
    settings.s3.overrideWith(flags.s3);
    settings.validate();
    return settings;
  }

  static ServerSettings fromFile(Path file) throws IOException {
    boolean yaml = file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.ya?ml");
    ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    // a flag is true or false, never a number that happens to be read as one
    mapper
        .coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    try {
      JsonNode tree = mapper.readTree(file.toFile());
      if (tree == null || tree.isMissingNode() || tree.isNull()) {
        return new ServerSettings();
      }
      if (!tree.isObject()) {
        throw new IllegalArgumentException(
            "cannot read " + file + ": the settings must be a mapping of keys to values");
      }
      rejectNestedNulls(tree, "");
      ServerSettings s = new ServerSettings();
      s.s3 = S3Options.fromFile((ObjectNode) tree);
      s.urlPreviews = UrlPreviewSettings.take((ObjectNode) tree, file);
      s.ignoredKeys = withoutUnknownKeys((ObjectNode) tree);
      if (!s.ignoredKeys.isEmpty()) {
        log.warn(
            "Ignoring settings this server does not know in {}: {}",
            file,
            String.join(", ", s.ignoredKeys));
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
        s.maxUploadSize = SynapseUnits.bytes(f.synapseMaxUploadSize, "max_upload_size");
      }
      s.dynamicThumbnails =
          Boolean.TRUE.equals(f.dynamicThumbnails)
              || Boolean.TRUE.equals(f.synapseDynamicThumbnails);
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
        s.maxImagePixels = SynapseUnits.bytes(f.maxImagePixels, "max_image_pixels");
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
      if (f.mediaStorageProviders != null) {
        s.storageProviders = StorageProviderSettings.parse(f.mediaStorageProviders);
      }
      if (f.httpServer != null) {
        s.httpServer = f.httpServer;
      }
      s.metricsPort = f.metricsPort;
      if (f.metricsBind != null) {
        s.metricsBind = f.metricsBind;
      }
      if (f.mediaRetention != null) {
        s.mediaRetention = SynapseUnits.retention(f.mediaRetention);
      }
      if (f.mediaUploadLimits != null) {
        s.mediaUploadLimits = SynapseUnits.uploadLimits(f.mediaUploadLimits);
      }
      return s;
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException(
          "cannot read "
              + file
              + ": a wrong value for "
              + keyPath(e)
              + ": "
              + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getOriginalMessage());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Refuses an empty value inside a setting ({@code tokens: {abc: }}, a {@code - } list item),
   * naming where it is; an empty top-level value means the setting is not given.
   */
  private static void rejectNestedNulls(JsonNode node, String path) {
    if (node.isObject()) {
      node.fields()
          .forEachRemaining(
              e -> {
                String at = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                if (e.getValue().isNull() && !path.isEmpty()) {
                  throw new IllegalArgumentException("a wrong value for " + at + ": it is empty");
                }
                rejectNestedNulls(e.getValue(), at);
              });
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        if (node.get(i).isNull()) {
          throw new IllegalArgumentException(
              "a wrong value for " + path + "[" + i + "]: it is empty");
        }
        rejectNestedNulls(node.get(i), path + "[" + i + "]");
      }
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
    tree.fieldNames()
        .forEachRemaining(
            name -> {
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

  /**
   * Synapse's {@code thumbnail_sizes}: width, height and method ({@code crop} or {@code scale}) of
   * each.
   */
  private static List<ThumbnailSpec> thumbnailSizes(List<SynapseThumbnailSize> sizes) {
    List<ThumbnailSpec> specs = new ArrayList<>();
    for (int i = 0; i < sizes.size(); i++) {
      SynapseThumbnailSize size = sizes.get(i);
      String key = "thumbnail_sizes[" + i + "]";
      if (size == null
          || size.width == null
          || size.height == null
          || size.width < 1
          || size.height < 1) {
        throw new IllegalArgumentException(key + " needs a positive width and height");
      }
      String method = size.method == null ? "scale" : size.method;
      specs.add(
          switch (method) {
            case "crop" -> ThumbnailSpec.crop(size.width, size.height);
            case "scale" -> ThumbnailSpec.scale(size.width, size.height);
            default ->
                throw new IllegalArgumentException(
                    key + ".method must be crop or scale: " + method);
          });
    }
    return specs;
  }

  /** One of Synapse's {@code thumbnail_sizes}. */
  record SynapseThumbnailSize(
      @Nullable Integer width, @Nullable Integer height, @Nullable String method) {}

  /** The shape of the settings file: the options' camelCase names, then Synapse's names. */
  @JsonIgnoreProperties(ignoreUnknown = false)
  record FileSettings(
      Integer port,
      String bind,
      String serverName,
      String dataDir,
      Long maxUploadSize,
      Boolean dynamicThumbnails,
      Map<String, String> tokens,
      Map<String, String> peers,
      List<String> admins,
      String jdbcUrl,
      String jdbcUser,
      String jdbcPassword,
      @JsonProperty("ip_range_blacklist") List<String> ipRangeBlacklist,
      @JsonProperty("ip_range_whitelist") List<String> ipRangeWhitelist,
      Long remoteDeadlineMs,
      Long remoteIdleTimeoutMs,
      Long keyFetchTimeoutMs,
      Long clientIdleTimeoutMs,
      @JsonProperty("max_upload_size") JsonNode synapseMaxUploadSize,
      @JsonProperty("max_image_pixels") JsonNode maxImagePixels,
      @JsonProperty("dynamic_thumbnails") Boolean synapseDynamicThumbnails,
      @JsonProperty("thumbnail_sizes") List<SynapseThumbnailSize> thumbnailSizes,
      @JsonProperty("media_store_path") String mediaStorePath,
      @JsonProperty("federation_domain_whitelist") List<String> federationDomainWhitelist,
      @JsonProperty("prevent_media_downloads_from") List<String> preventMediaDownloadsFrom,
      @JsonProperty("enable_authenticated_media") Boolean enableAuthenticatedMedia,
      String httpServer,
      @JsonProperty("media_storage_providers") List<Map<String, Object>> mediaStorageProviders,
      @JsonProperty("metrics_port") Integer metricsPort,
      @JsonProperty("metrics_bind") String metricsBind,
      @JsonProperty("media_retention") Map<String, Object> mediaRetention,
      @JsonProperty("media_upload_limits") List<Map<String, Object>> mediaUploadLimits) {}

  void validate() {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535: " + port);
    }
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new IllegalArgumentException("metrics_port must be 0 to 65535: " + metricsPort);
    }
    if (metricsPort != null && metricsPort != 0 && metricsPort == port) {
      throw new IllegalArgumentException(
          "metrics_port must differ from port: the metrics have a listener of their own ("
              + metricsPort
              + ")");
    }
    if (metricsBind.isBlank()) {
      throw new IllegalArgumentException("metrics_bind cannot be empty");
    }
    if (serverName != null && !ServerName.isValid(serverName)) {
      throw new IllegalArgumentException("not a valid server name: " + serverName);
    }
    if (maxUploadSize != null && maxUploadSize < 1) {
      throw new IllegalArgumentException(
          "max upload size must be at least 1 byte: " + maxUploadSize);
    }
    tokens.forEach(
        (token, user) -> {
          if (token.isBlank()) {
            throw new IllegalArgumentException("an access token cannot be empty");
          }
          if (!UserId.isValid(user)) {
            throw new IllegalArgumentException(
                "not a valid user id for token "
                    + token.substring(0, Math.min(4, token.length()))
                    + "...: "
                    + user);
          }
        });
    for (String admin : admins) {
      if (admin == null || !UserId.isValid(admin)) {
        throw new IllegalArgumentException("not a valid user id in --admin / admins: " + admin);
      }
    }
    if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "--jdbc-url must be a PostgreSQL JDBC URL (jdbc:postgresql://...): " + jdbcUrl);
    }
    peers.forEach(
        (name, url) -> {
          if (!ServerName.isValid(name)) {
            throw new IllegalArgumentException("not a valid peer server name: " + name);
          }
          URI uri = URI.create(url);
          if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException("a peer's base URL must be http or https: " + url);
          }
        });
    outboundPolicy();
    s3.validate();
    if (s3.bucket != null && mediaStorePath != null) {
      throw new IllegalArgumentException(
          "media_store_path and --s3-bucket / s3_bucket both say where media goes: give one");
    }
    if (maxImagePixels != null && maxImagePixels < 1) {
      throw new IllegalArgumentException("max_image_pixels must be at least 1: " + maxImagePixels);
    }
    if (thumbnailSizes != null && thumbnailSizes.isEmpty()) {
      throw new IllegalArgumentException("thumbnail_sizes needs at least one size");
    }
    serverNames(federationDomainWhitelist, "federation_domain_whitelist");
    serverNames(preventMediaDownloadsFrom, "prevent_media_downloads_from");
    urlPreviews.validate();
    positiveMillis(remoteDeadlineMs, "remoteDeadlineMs");
    positiveMillis(remoteIdleTimeoutMs, "remoteIdleTimeoutMs");
    positiveMillis(keyFetchTimeoutMs, "keyFetchTimeoutMs");
    positiveMillis(clientIdleTimeoutMs, "clientIdleTimeoutMs");
    if (!httpServer.equals("jetty") && !httpServer.equals("jdk")) {
      throw new IllegalArgumentException(
          "--http-server / httpServer must be jetty or jdk: " + httpServer);
    }
    if (!httpServer.equals("jetty") && !httpServer.equals("jdk")) {
      throw new IllegalArgumentException(
          "--http-server / httpServer must be jetty or jdk: " + httpServer);
    }
    if (remoteIdleTimeout().compareTo(remoteDeadline()) > 0) {
      throw new IllegalArgumentException(
          "remoteIdleTimeoutMs "
              + remoteIdleTimeout().toMillis()
              + " exceeds remoteDeadlineMs "
              + remoteDeadline().toMillis());
    }
  }

  /**
   * Where the server may connect on a remote's say-so: the blacklist (default {@link
   * OutboundPolicy#DEFAULT_BLACKLIST}) less the whitelist.
   *
   * @throws IllegalArgumentException naming the first entry that is not a CIDR range
   */
  OutboundPolicy outboundPolicy() {
    OutboundPolicy.Builder policy = OutboundPolicy.builder();
    if (ipRangeBlacklist != null) {
      policy.blacklist(cidrs(ipRangeBlacklist, "--ip-range-blacklist / ip_range_blacklist"));
    }
    return policy
        .whitelist(cidrs(ipRangeWhitelist, "--ip-range-whitelist / ip_range_whitelist"))
        .build();
  }

  private static List<String> cidrs(List<String> ranges, String setting) {
    for (String range : ranges) {
      try {
        OutboundPolicy.builder().blacklist(List.of(range));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "not a CIDR range in " + setting + ": " + range + " (" + e.getMessage() + ")");
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

  /**
   * Where the media files go: {@code media_store_path}, else {@code media} in the data directory.
   */
  Path mediaStore(Path dataDir) {
    return mediaStorePath == null
        ? dataDir.resolve("media")
        : Path.of(mediaStorePath).toAbsolutePath();
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
    return remoteIdleTimeoutMs == null
        ? Duration.ofSeconds(30)
        : Duration.ofMillis(remoteIdleTimeoutMs);
  }

  /** Finding and fetching an origin's signing keys (default 10 s). */
  Duration keyFetchTimeout() {
    return keyFetchTimeoutMs == null
        ? Duration.ofSeconds(10)
        : Duration.ofMillis(keyFetchTimeoutMs);
  }

  /** A client's upload or download making no progress (default 30 s). */
  Duration clientIdleTimeout() {
    return clientIdleTimeoutMs == null
        ? Duration.ofSeconds(30)
        : Duration.ofMillis(clientIdleTimeoutMs);
  }

  private static void positiveMillis(Long value, String key) {
    if (value != null && value < 1) {
      throw new IllegalArgumentException(key + " must be at least 1 millisecond: " + value);
    }
  }

  // --- S3: the bucket as the primary storage (options --s3-*, file keys s3_*) ---

  /** The S3 options; without a bucket blobs stay in the data directory. */
  S3Options s3 = new S3Options();

  /**
   * The {@code --s3-*} options (a picocli mixin of {@link Flags}) and their {@code s3_*} file keys.
   * With a bucket, blobs live in it ({@link S3Storage}) instead of under the data directory, so
   * several servers can share them. Credentials not given here come from the AWS SDK's default
   * chain ({@code AWS_ACCESS_KEY_ID} / {@code AWS_SECRET_ACCESS_KEY}, {@code ~/.aws}, instance
   * roles); the secret is never printed.
   */
  static final class S3Options {
    private static final List<String> FILE_KEYS =
        List.of(
            "s3_endpoint",
            "s3_bucket",
            "s3_region",
            "s3_path_style",
            "s3_access_key",
            "s3_secret_key",
            "s3_prefix");

    @Option(
        names = "--s3-bucket",
        paramLabel = "NAME",
        description =
            "keep media in this S3 bucket (which must exist) instead of the data directory")
    @Nullable String bucket;

    @Option(
        names = "--s3-endpoint",
        paramLabel = "URL",
        description = "an S3-compatible store: MinIO, Ceph, Garage, B2... (default AWS S3)")
    @Nullable String endpoint;

    @Option(
        names = "--s3-region",
        paramLabel = "REGION",
        description = "the bucket's region (default us-east-1)")
    @Nullable String region;

    @Option(
        names = "--s3-path-style",
        description =
            "put the bucket in the URL's path, not its host name (most self-hosted stores)")
    boolean pathStyle;

    @Option(
        names = "--s3-access-key",
        paramLabel = "KEY",
        description =
            "the access key id (with --s3-secret-key; "
                + "default: the AWS SDK's chain, e.g. the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables, "
                + "which unlike options are not visible to other users of the machine)")
    @Nullable String accessKey;

    @Option(
        names = "--s3-secret-key",
        paramLabel = "SECRET",
        description = "the secret access key (with --s3-access-key)")
    @Nullable String secretKey;

    @Option(
        names = "--s3-prefix",
        paramLabel = "PREFIX",
        description =
            "keep the objects under this key prefix (e.g. "
                + "media/). File keys: s3_bucket, s3_endpoint, s3_region, s3_path_style, s3_access_key, s3_secret_key, s3_prefix")
    @Nullable String prefix;

    /** Sets every option given on the command line ({@code flags}) over the file's values. */
    void overrideWith(S3Options flags) {
      bucket = flags.bucket != null ? flags.bucket : bucket;
      endpoint = flags.endpoint != null ? flags.endpoint : endpoint;
      region = flags.region != null ? flags.region : region;
      pathStyle |= flags.pathStyle;
      accessKey = flags.accessKey != null ? flags.accessKey : accessKey;
      secretKey = flags.secretKey != null ? flags.secretKey : secretKey;
      prefix = flags.prefix != null ? flags.prefix : prefix;
    }

    /** Takes (and removes) the {@code s3_*} keys of a settings file. */
    static S3Options fromFile(ObjectNode file) {
      S3Options o = new S3Options();
      for (String key : FILE_KEYS) {
        JsonNode v = file.remove(key);
        if (v == null || v.isNull()) {
          continue;
        }
        if (key.equals("s3_path_style")) {
          if (!v.isBoolean()) {
            throw new IllegalArgumentException("s3_path_style must be true or false: " + v);
          }
          o.pathStyle = v.booleanValue();
          continue;
        }
        if (!v.isTextual()) {
          throw new IllegalArgumentException(
              key + " must be a string" + (key.equals("s3_secret_key") ? "" : ": " + v));
        }
        switch (key) {
          case "s3_endpoint" -> o.endpoint = v.textValue();
          case "s3_bucket" -> o.bucket = v.textValue();
          case "s3_region" -> o.region = v.textValue();
          case "s3_access_key" -> o.accessKey = v.textValue();
          case "s3_secret_key" -> o.secretKey = v.textValue();
          default -> o.prefix = v.textValue();
        }
      }
      return o;
    }

    /**
     * Checks every value with {@link S3Storage.Builder}'s own rules, naming the option that is
     * wrong.
     */
    void validate() {
      if (bucket == null) {
        for (String[] given :
            new String[][] {
              {endpoint, "--s3-endpoint"},
              {region, "--s3-region"},
              {accessKey, "--s3-access-key"},
              {secretKey, "--s3-secret-key"},
              {prefix, "--s3-prefix"},
              {pathStyle ? "" : null, "--s3-path-style"}
            }) {
          if (given[0] != null) {
            throw new IllegalArgumentException(
                given[1] + " needs --s3-bucket / s3_bucket (the bucket to keep media in)");
          }
        }
        return;
      }
      builder();
    }

    /** A builder with every option applied (not yet connected). */
    S3Storage.Builder builder() {
      S3Storage.Builder b = S3Storage.builder();
      check("--s3-bucket / s3_bucket", () -> b.bucket(bucket));
      if (endpoint != null) {
        check("--s3-endpoint / s3_endpoint", () -> b.endpoint(new URI(endpoint)));
      }
      check("--s3-region / s3_region", () -> b.region(region == null ? "us-east-1" : region));
      b.pathStyle(pathStyle);
      if ((accessKey == null) != (secretKey == null)) {
        throw new IllegalArgumentException(
            "--s3-access-key and --s3-secret-key (s3_access_key, s3_secret_key) go together: "
                + (accessKey == null ? "the access key" : "the secret key")
                + " is missing");
      }
      if (accessKey != null) {
        check("--s3-access-key / --s3-secret-key", () -> b.credentials(accessKey, secretKey));
      }
      if (prefix != null) {
        check("--s3-prefix / s3_prefix", () -> b.prefix(prefix));
      }
      return b;
    }

    /**
     * Connects to the bucket, staging uploads in {@code staging}.
     *
     * @throws IllegalStateException when the bucket cannot be used (missing, wrong credentials,
     *     unreachable endpoint, wrong region), naming the options and the cause
     */
    S3Storage open(Path staging) {
      try {
        return builder().stagingDirectory(staging).build();
      } catch (UncheckedIOException e) {
        throw new IllegalStateException(
            "the S3 storage (--s3-bucket "
                + bucket
                + (endpoint == null ? "" : ", --s3-endpoint " + endpoint)
                + ", --s3-region "
                + (region == null ? "us-east-1" : region)
                + (pathStyle ? ", --s3-path-style" : "")
                + ", credentials from "
                + (accessKey == null
                    ? "the AWS SDK's default chain"
                    : "--s3-access-key / --s3-secret-key")
                + ") failed its check at start: "
                + e.getMessage(),
            e);
      }
    }

    private interface Setting {
      void apply() throws Exception;
    }

    private static void check(String option, Setting setting) {
      try {
        setting.apply();
      } catch (Exception e) {
        throw new IllegalArgumentException(option + ": " + e.getMessage());
      }
    }
  }

  /** Applies {@code media_retention} and {@code media_upload_limits} to {@code builder}. */
  MediaRepository.Builder lifecycle(MediaRepository.Builder builder) {
    mediaRetention.localMediaLifetime().ifPresent(builder::localMediaLifetime);
    mediaRetention.remoteMediaLifetime().ifPresent(builder::remoteMediaLifetime);
    if (!mediaUploadLimits.isEmpty()) {
      builder.uploadPolicy(UploadPolicy.perUserQuotas(mediaUploadLimits));
    }
    return builder;
  }

  /** The server name, defaulting to {@code localhost:<port>} with the port actually bound. */
  ServerName serverName(int boundPort) {
    return ServerName.of(Optional.ofNullable(serverName).orElse("localhost:" + boundPort));
  }

  // ---- URL previews (#12): everything about them, in this one section

  /** The URL preview settings: off unless {@code --url-previews} or {@code url_preview_enabled}. */
  UrlPreviewSettings urlPreviews = new UrlPreviewSettings();

  /**
   * URL previews, with Synapse's option names: the options {@code --url-previews}, {@code
   * --url-preview-ip-range-whitelist CIDR} and {@code --url-preview-url-blacklist
   * COMPONENT=PATTERN} (both repeatable), and the file keys {@code url_preview_enabled}, {@code
   * url_preview_ip_range_blacklist}, {@code url_preview_ip_range_whitelist} (lists of CIDR ranges),
   * {@code url_preview_url_blacklist} (a list of mappings from URL component to glob or {@code
   * ^regex}), {@code max_spider_size} (bytes, or a size such as {@code 10M}), {@code
   * url_preview_accept_language} (a list) and {@code oembed} ({@code disable_default_providers},
   * {@code additional_providers}: files of oembed.com's form).
   */
  static final class UrlPreviewSettings {
    boolean enabled;

    /** Replaces {@link OutboundPolicy#DEFAULT_BLACKLIST} for previews when set. */
    List<String> ipRangeBlacklist;

    List<String> ipRangeWhitelist = new ArrayList<>();
    List<Map<String, String>> urlBlacklist = new ArrayList<>();
    Long maxSpiderSize;
    List<String> acceptLanguage;
    boolean disableDefaultOEmbedProviders;
    List<Path> oEmbedProviderFiles = new ArrayList<>();

    /** Applies the preview options of the command line over the file's values. */
    void overrideWith(Flags flags) {
      enabled |= flags.urlPreviews;
      if (flags.urlPreviewIpRangeWhitelist != null) {
        ipRangeWhitelist = new ArrayList<>(flags.urlPreviewIpRangeWhitelist);
      }
      if (flags.urlPreviewUrlBlacklist != null) {
        urlBlacklist = new ArrayList<>();
        for (String entry : flags.urlPreviewUrlBlacklist) {
          int eq = entry.indexOf('=');
          if (eq < 1 || eq == entry.length() - 1) {
            throw new IllegalArgumentException(
                "--url-preview-url-blacklist takes COMPONENT=PATTERN: " + entry);
          }
          urlBlacklist.add(Map.of(entry.substring(0, eq), entry.substring(eq + 1)));
        }
      }
    }

    /** Reads and removes the preview keys of a settings file's top-level mapping. */
    static UrlPreviewSettings take(ObjectNode file, Path path) {
      UrlPreviewSettings p = new UrlPreviewSettings();
      JsonNode enabled = file.remove("url_preview_enabled");
      if (enabled != null) {
        if (!enabled.isBoolean()) {
          throw new IllegalArgumentException("url_preview_enabled must be true or false");
        }
        p.enabled = enabled.booleanValue();
      }
      p.ipRangeBlacklist =
          strings(file.remove("url_preview_ip_range_blacklist"), "url_preview_ip_range_blacklist");
      List<String> whitelist =
          strings(file.remove("url_preview_ip_range_whitelist"), "url_preview_ip_range_whitelist");
      if (whitelist != null) {
        p.ipRangeWhitelist = whitelist;
      }
      JsonNode urls = file.remove("url_preview_url_blacklist");
      if (urls != null) {
        if (!urls.isArray()) {
          throw new IllegalArgumentException(
              "url_preview_url_blacklist must be a list of mappings");
        }
        for (JsonNode entry : urls) {
          if (!entry.isObject()) {
            throw new IllegalArgumentException(
                "each url_preview_url_blacklist entry must map URL components to patterns");
          }
          Map<String, String> components = new LinkedHashMap<>();
          entry
              .fields()
              .forEachRemaining(
                  e -> {
                    if (!e.getValue().isTextual()) {
                      throw new IllegalArgumentException(
                          "url_preview_url_blacklist: the pattern of "
                              + e.getKey()
                              + " must be text");
                    }
                    components.put(e.getKey(), e.getValue().textValue());
                  });
          p.urlBlacklist.add(components);
        }
      }
      JsonNode spider = file.remove("max_spider_size");
      if (spider != null) {
        p.maxSpiderSize = SynapseUnits.bytes(spider, "max_spider_size");
      }
      p.acceptLanguage =
          strings(file.remove("url_preview_accept_language"), "url_preview_accept_language");
      JsonNode oembed = file.remove("oembed");
      if (oembed != null) {
        if (!oembed.isObject()) {
          throw new IllegalArgumentException("oembed must be a mapping");
        }
        oembed
            .fieldNames()
            .forEachRemaining(
                k -> {
                  if (!k.equals("disable_default_providers") && !k.equals("additional_providers")) {
                    throw new IllegalArgumentException("unknown key oembed." + k);
                  }
                });
        JsonNode disable = oembed.get("disable_default_providers");
        if (disable != null) {
          if (!disable.isBoolean()) {
            throw new IllegalArgumentException(
                "oembed.disable_default_providers must be true or false");
          }
          p.disableDefaultOEmbedProviders = disable.booleanValue();
        }
        List<String> files =
            strings(oembed.get("additional_providers"), "oembed.additional_providers");
        if (files != null) {
          Path dir = path.toAbsolutePath().getParent();
          files.forEach(f -> p.oEmbedProviderFiles.add(dir == null ? Path.of(f) : dir.resolve(f)));
        }
      }
      return p;
    }

    private static List<String> strings(JsonNode node, String key) {
      if (node == null) {
        return null;
      }
      if (!node.isArray()) {
        throw new IllegalArgumentException(key + " must be a list");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode n : node) {
        if (!n.isTextual()) {
          throw new IllegalArgumentException(key + " must be a list of text");
        }
        out.add(n.textValue());
      }
      return out;
    }

    /** Checks every value, so a typo fails at start. */
    void validate() {
      if (maxSpiderSize != null && maxSpiderSize < 1) {
        throw new IllegalArgumentException(
            "max_spider_size must be at least 1 byte: " + maxSpiderSize);
      }
      previewer().close();
    }

    /**
     * Where previews may connect: their own blacklist (default as federation's) less their
     * whitelist.
     */
    OutboundPolicy outboundPolicy() {
      OutboundPolicy.Builder policy = OutboundPolicy.builder();
      if (ipRangeBlacklist != null) {
        policy.blacklist(cidrs(ipRangeBlacklist, "url_preview_ip_range_blacklist"));
      }
      return policy
          .whitelist(
              cidrs(
                  ipRangeWhitelist,
                  "--url-preview-ip-range-whitelist / url_preview_ip_range_whitelist"))
          .build();
    }

    /**
     * The previewer these settings describe (the caller closes it).
     *
     * @throws IllegalArgumentException naming the setting that is wrong
     */
    UrlPreviews previewer() {
      UrlPreviews.Builder b = UrlPreviews.builder().outboundPolicy(outboundPolicy());
      List<UrlPattern> patterns = new ArrayList<>();
      for (Map<String, String> entry : urlBlacklist) {
        try {
          patterns.add(UrlPattern.of(entry));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "url_preview_url_blacklist entry " + entry + ": " + e.getMessage());
        }
      }
      b.urlBlacklist(patterns);
      if (maxSpiderSize != null) {
        b.maxSpiderSize(maxSpiderSize);
      }
      if (acceptLanguage != null) {
        try {
          b.acceptLanguage(acceptLanguage);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("url_preview_accept_language: " + e.getMessage());
        }
      }
      List<OEmbedProvider> providers =
          new ArrayList<>(disableDefaultOEmbedProviders ? List.of() : OEmbedProvider.builtIn());
      for (Path file : oEmbedProviderFiles) {
        try (InputStream in = Files.newInputStream(file)) {
          providers.addAll(OEmbedProvider.parse(in));
        } catch (IOException | UncheckedIOException e) {
          throw new IllegalArgumentException(
              "cannot read the oEmbed providers in " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("oEmbed providers in " + file + ": " + e.getMessage());
        }
      }
      return b.oEmbedProviders(providers).build();
    }
  }
}
