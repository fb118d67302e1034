package org.mxmedia.examples;

import com.google.common.io.CountingInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.mxmedia.MediaAdmin;
import org.mxmedia.MediaAdmin.MediaImport;
import org.mxmedia.MediaException;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;
import org.mxmedia.UserId;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/**
 * Imports a Synapse media repository: the files of its {@code media_store_path} and the rows of its
 * {@code local_media_repository} and {@code remote_media_cache} tables (SQLite or PostgreSQL),
 * keeping media ids, uploaders, times, names, quarantine and protection.
 *
 * <p>Each file goes through {@link MediaAdmin#importMedia}: its length is checked against {@code
 * media_length} and its hash against {@code sha256} where Synapse recorded one, and a file that
 * fails is reported and skipped, never half kept. Only regular files whose directory really is
 * inside the store are read: a symbolic link (to {@code /etc/shadow}, say), a link out of the store
 * on the way, or a special file is reported and skipped. Rows are read in pages ordered by id, so
 * memory does not grow with the repository; media already imported is skipped, so a run that was
 * interrupted (or stopped by {@code --limit}) resumes where it left off without duplicates.
 *
 * <p>Not imported: URL-preview media ({@code url_cache} rows, which Synapse itself expires) and
 * Synapse's thumbnails (this repository makes its own on first request, with its own sizes and
 * animation rules, rather than mixing two thumbnailers' outputs).
 */
final class SynapseImport {
  private static final int PAGE = 500;
  private static final int FAILURES_SHOWN = 20;
  private static final Duration PROGRESS_EVERY = Duration.ofSeconds(2);

  /**
   * Where Synapse's media is.
   *
   * @param mediaStore Synapse's {@code media_store_path}
   * @param jdbcUrl its database: {@code jdbc:sqlite:/path/homeserver.db} or {@code
   *     jdbc:postgresql://...}
   * @param user the database user, or empty
   * @param password the database password, or empty
   * @param limit import at most this many media in this run (the rest on the next), or 0 for all
   */
  record Source(Path mediaStore, String jdbcUrl, String user, String password, long limit) {}

  /** What a run did: media imported now, already here, and those that failed (with why). */
  record Result(
      long imported,
      long alreadyHere,
      long bytes,
      List<String> failures,
      long failed,
      boolean complete) {}

  private final Source source;
  private final ServerName serverName;
  private final MediaAdmin admin;
  private final PrintStream progress;
  private final Clock clock;

  private long imported;
  private long alreadyHere;
  private long bytes;
  private long failed;
  private final List<String> failures = new ArrayList<>();
  private long seen;
  private long total;
  private Instant lastReport = Instant.EPOCH;
  private @Nullable Path realStore;

  SynapseImport(
      Source source, ServerName serverName, MediaAdmin admin, PrintStream progress, Clock clock) {
    this.source = source;
    this.serverName = serverName;
    this.admin = admin;
    this.progress = progress;
    this.clock = clock;
  }

  /**
   * The command line of {@code import-synapse}; the options it does not name are the server's own.
   */
  @Command(
      name = "java -jar mxmedia-example.jar import-synapse",
      separator = " ",
      sortOptions = false,
      usageHelpWidth = 100,
      customSynopsis =
          "Usage: java -jar mxmedia-example.jar import-synapse --media-store DIR --synapse-db JDBC_URL "
              + "--server-name NAME [options]",
      description =
          "Imports a Synapse media store. Media already imported is skipped, so an interrupted import "
              + "is resumed by running it again.",
      footer = {
        "",
        "The server's own options (--server-name, required: Synapse's server_name; --data-dir, --jdbc-url, "
            + "--config, ...) name where the media goes."
      })
  static final class Flags {
    @Option(names = "--media-store", paramLabel = "DIR", description = "Synapse's media_store_path")
    @Nullable Path mediaStore;

    @Option(
        names = "--synapse-db",
        paramLabel = "JDBC_URL",
        description =
            "Synapse's database: jdbc:sqlite:/path/homeserver.db or jdbc:postgresql://host/synapse")
    @Nullable String jdbcUrl;

    @Option(
        names = "--synapse-db-user",
        paramLabel = "USER",
        description = "the user for --synapse-db")
    String user = "";

    @Option(
        names = "--synapse-db-password",
        paramLabel = "PASSWORD",
        description = "the password for --synapse-db")
    String password = "";

    @Option(
        names = "--limit",
        paramLabel = "N",
        description = "import at most N media in this run (run again for the rest)")
    @Nullable Long limit;

    @Option(names = "--help", usageHelp = true, description = "this text")
    boolean help;

    @Unmatched List<String> serverArgs = new ArrayList<>();
  }

  static final String USAGE =
      new CommandLine(new Flags()).getUsageMessage(CommandLine.Help.Ansi.OFF);

  /**
   * {@code import-synapse ARGS}: returns the exit status (0 all imported, 1 some failed, 2 bad
   * arguments, 3 the target could not be opened).
   */
  static int cli(String[] args, PrintStream out, PrintStream err) throws IOException {
    if (List.of(args).contains("--help")) {
      out.println(USAGE);
      return 0;
    }
    Flags flags = new Flags();
    try {
      try {
        new CommandLine(flags).setUnmatchedOptionsArePositionalParams(false).parseArgs(args);
      } catch (CommandLine.ParameterException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      Path mediaStore = flags.mediaStore;
      String jdbcUrl = flags.jdbcUrl;
      long limit = flags.limit == null ? 0 : flags.limit;
      if (flags.limit != null && limit < 1) {
        throw new IllegalArgumentException("--limit must be a positive number: " + limit);
      }
      if (mediaStore == null || jdbcUrl == null) {
        throw new IllegalArgumentException("--media-store and --synapse-db are required");
      }
      if (!jdbcUrl.startsWith("jdbc:sqlite:") && !jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException(
            "--synapse-db must be jdbc:sqlite:... or jdbc:postgresql:...: " + jdbcUrl);
      }
      ServerSettings settings = ServerSettings.parse(flags.serverArgs.toArray(String[]::new));
      if (settings.serverName == null) {
        throw new IllegalArgumentException("--server-name is required: Synapse's server_name");
      }
      settings.bind = "127.0.0.1";
      settings.port = 0;
      settings.metricsPort =
          null; // the running server may hold that port; an import serves no metrics
      Source source =
          new Source(mediaStore.toAbsolutePath(), jdbcUrl, flags.user, flags.password, limit);
      MediaServer started;
      try {
        started = MediaServer.start(settings);
      } catch (IOException | RuntimeException e) {
        err.println(
            "mxmedia-example import-synapse: cannot open the target repository: " + e.getMessage());
        return 3;
      }
      try (MediaServer target = started) {
        Result result =
            new SynapseImport(
                    source,
                    target.serverName(),
                    target.repository().admin(),
                    out,
                    Clock.systemUTC())
                .run();
        result.failures().forEach(f -> err.println("failed: " + f));
        if (result.failed() > result.failures().size()) {
          err.println("... and " + (result.failed() - result.failures().size()) + " more");
        }
        if (!result.complete()) {
          out.println("Stopped after --limit " + limit + "; run again to import the rest.");
        }
        return result.failed() == 0 ? 0 : 1;
      } catch (SQLException e) {
        err.println(
            "mxmedia-example import-synapse: cannot read Synapse's database: " + e.getMessage());
        return 1;
      }
    } catch (IllegalArgumentException e) {
      err.println("mxmedia-example import-synapse: " + e.getMessage() + "\n" + USAGE);
      return 2;
    }
  }

  /** Runs the import; throws {@link SQLException} when Synapse's database cannot be read. */
  Result run() throws SQLException {
    if (!Files.isDirectory(source.mediaStore())) {
      throw new IllegalArgumentException(
          "--media-store is not a directory: " + source.mediaStore());
    }
    try (Connection db = openReadOnly()) {
      Set<String> localColumns = columns(db, "local_media_repository");
      Set<String> remoteColumns = columns(db, "remote_media_cache");
      String localFilter = localColumns.contains("url_cache") ? " WHERE url_cache IS NULL" : "";
      total =
          count(db, "SELECT COUNT(*) FROM local_media_repository" + localFilter)
              + count(db, "SELECT COUNT(*) FROM remote_media_cache");
      boolean complete =
          importLocal(db, localColumns, localFilter) && importRemote(db, remoteColumns);
      report(true);
      return new Result(imported, alreadyHere, bytes, List.copyOf(failures), failed, complete);
    }
  }

  /** Synapse's database, opened so that nothing here can write to it. */
  private Connection openReadOnly() throws SQLException {
    Properties properties = new Properties();
    if (!source.user().isEmpty()) {
      properties.setProperty("user", source.user());
      properties.setProperty("password", source.password());
    }
    if (source.jdbcUrl().startsWith("jdbc:sqlite:")) {
      properties.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
      return DriverManager.getConnection(source.jdbcUrl(), properties);
    }
    Connection db = DriverManager.getConnection(source.jdbcUrl(), properties);
    db.setReadOnly(true);
    return db;
  }

  private boolean importLocal(Connection db, Set<String> columns, String filter)
      throws SQLException {
    String sql =
        "SELECT media_id, media_type, media_length, created_ts, upload_name, user_id, quarantined_by, "
            + optional(columns, "last_access_ts")
            + ", "
            + optional(columns, "safe_from_quarantine")
            + ", "
            + optional(columns, "sha256")
            + " FROM local_media_repository"
            + (filter.isEmpty() ? " WHERE" : filter + " AND")
            + " media_id > ? ORDER BY media_id LIMIT "
            + PAGE;
    String after = "";
    while (true) {
      int rows = 0;
      try (PreparedStatement page = db.prepareStatement(sql)) {
        page.setString(1, after);
        try (ResultSet r = page.executeQuery()) {
          while (r.next()) {
            rows++;
            after = r.getString("media_id");
            if (limitReached()) {
              return false;
            }
            seen++;
            importLocalRow(r, after);
          }
        }
      }
      if (rows < PAGE) {
        return true;
      }
    }
  }

  private void importLocalRow(ResultSet r, String mediaId) throws SQLException {
    String label = "local " + mediaId;
    String user = r.getString("user_id");
    if (!MediaId.isValid(mediaId) || mediaId.length() < 5) {
      fail(label, "not a media id this server can serve");
      return;
    }
    if (user == null || !UserId.isValid(user)) {
      fail(label, "no valid uploader (user_id " + user + ")");
      return;
    }
    Instant created = instant(r, "created_ts").orElse(Instant.EPOCH);
    MediaImport media =
        new MediaImport(
            MxcUri.of(serverName, MediaId.of(mediaId)),
            Optional.ofNullable(r.getString("media_type")),
            Optional.ofNullable(r.getString("upload_name")),
            Optional.of(UserId.of(user)),
            length(r),
            sha256(r),
            created,
            instant(r, "last_access_ts").orElse(created),
            r.getString("quarantined_by") != null,
            r.getBoolean("safe_from_quarantine"));
    importFile(label, media, shardedPath("local_content", mediaId));
  }

  private boolean importRemote(Connection db, Set<String> columns) throws SQLException {
    String sql =
        "SELECT media_origin, media_id, media_type, media_length, created_ts, upload_name, filesystem_id, "
            + "quarantined_by, "
            + optional(columns, "last_access_ts")
            + ", "
            + optional(columns, "sha256")
            + " FROM remote_media_cache WHERE media_origin > ? OR (media_origin = ? AND media_id > ?)"
            + " ORDER BY media_origin, media_id LIMIT "
            + PAGE;
    String origin = "";
    String id = "";
    while (true) {
      int rows = 0;
      try (PreparedStatement page = db.prepareStatement(sql)) {
        page.setString(1, origin);
        page.setString(2, origin);
        page.setString(3, id);
        try (ResultSet r = page.executeQuery()) {
          while (r.next()) {
            rows++;
            origin = r.getString("media_origin");
            id = r.getString("media_id");
            if (limitReached()) {
              return false;
            }
            seen++;
            importRemoteRow(r, origin, id);
          }
        }
      }
      if (rows < PAGE) {
        return true;
      }
    }
  }

  private void importRemoteRow(ResultSet r, String origin, String mediaId) throws SQLException {
    String label = "remote " + origin + "/" + mediaId;
    String filesystemId = r.getString("filesystem_id");
    if (!ServerName.isValid(origin) || !MediaId.isValid(mediaId)) {
      fail(label, "not a media URI this server can serve");
      return;
    }
    if (filesystemId == null || !MediaId.isValid(filesystemId) || filesystemId.length() < 5) {
      fail(label, "no usable filesystem_id (" + filesystemId + ")");
      return;
    }
    Instant created = instant(r, "created_ts").orElse(Instant.EPOCH);
    MediaImport media =
        new MediaImport(
            MxcUri.of(ServerName.of(origin), MediaId.of(mediaId)),
            Optional.ofNullable(r.getString("media_type")),
            Optional.ofNullable(r.getString("upload_name")),
            Optional.empty(),
            length(r),
            sha256(r),
            created,
            instant(r, "last_access_ts").orElse(created),
            r.getString("quarantined_by") != null,
            false);
    importFile(label, media, shardedPath("remote_content/" + origin, filesystemId));
  }

  private void importFile(String label, MediaImport media, Path file) {
    if (!file.normalize().startsWith(source.mediaStore().normalize())) {
      fail(label, "its path leaves the media store");
      return;
    }
    try {
      // a symbolic link (to /etc/shadow, another store, ...), a FIFO or a device is never media:
      // only a regular file whose directory really is inside the store is read, and not through a
      // link
      BasicFileAttributes attributes =
          Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        fail(
            label,
            "not a regular file ("
                + (attributes.isSymbolicLink() ? "a symbolic link" : "a directory or special file")
                + ") at "
                + source.mediaStore().relativize(file));
        return;
      }
      Path parent = file.getParent();
      if (parent == null || !parent.toRealPath().startsWith(realStore())) {
        fail(
            label,
            "its directory is a link out of the media store: "
                + source.mediaStore().relativize(file));
        return;
      }
    } catch (NoSuchFileException e) {
      fail(label, "no file at " + source.mediaStore().relativize(file));
      return;
    } catch (IOException e) {
      fail(label, "cannot read " + file + ": " + e.getMessage());
      return;
    }
    try (CountingInputStream in =
        new CountingInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS))) {
      if (admin.importMedia(media, in)) {
        imported++;
        bytes += in.getCount();
      } else {
        alreadyHere++;
      }
    } catch (NoSuchFileException e) {
      fail(label, "no file at " + source.mediaStore().relativize(file));
    } catch (IOException e) {
      fail(label, "cannot read " + file + ": " + e.getMessage());
    } catch (MediaException e) {
      fail(label, e.getMessage());
    }
    report(false);
  }

  /**
   * The media store's real path (the store itself may be reached through a link), resolved once.
   */
  private Path realStore() throws IOException {
    Path real = realStore;
    if (real == null) {
      real = source.mediaStore().toRealPath();
      realStore = real;
    }
    return real;
  }

  /** Synapse's layout: {@code <dir>/aa/bb/cccc...} for an id {@code aabbcccc...}. */
  private Path shardedPath(String dir, String id) {
    return source
        .mediaStore()
        .resolve(dir)
        .resolve(id.substring(0, 2))
        .resolve(id.substring(2, 4))
        .resolve(id.substring(4));
  }

  /**
   * Whether this run has done its {@code --limit} of work: media already here is skipped, not
   * counted.
   */
  private boolean limitReached() {
    return source.limit() > 0 && imported + failed >= source.limit();
  }

  private void fail(String label, String why) {
    failed++;
    report(false);
    if (failures.size() < FAILURES_SHOWN) {
      failures.add(label + ": " + why);
    }
  }

  private void report(boolean last) {
    Instant now = clock.instant();
    if (!last && Duration.between(lastReport, now).compareTo(PROGRESS_EVERY) < 0) {
      return;
    }
    lastReport = now;
    progress.printf(
        Locale.ROOT,
        "%d/%d media: %d imported (%.1f MiB), %d already here, %d failed%n",
        seen,
        total,
        imported,
        bytes / (1024.0 * 1024),
        alreadyHere,
        failed);
  }

  /** The column names of {@code table}, lower case. */
  private static Set<String> columns(Connection db, String table) throws SQLException {
    try (PreparedStatement s = db.prepareStatement("SELECT * FROM " + table + " WHERE 1 = 0");
        ResultSet r = s.executeQuery()) {
      ResultSetMetaData meta = r.getMetaData();
      Set<String> names = new HashSet<>();
      for (int i = 1; i <= meta.getColumnCount(); i++) {
        names.add(meta.getColumnName(i).toLowerCase(Locale.ROOT));
      }
      return names;
    }
  }

  /** The column if Synapse's schema has it (older ones lack some), else NULL under its name. */
  private static String optional(Set<String> columns, String column) {
    return columns.contains(column) ? column : "NULL AS " + column;
  }

  private static long count(Connection db, String sql) throws SQLException {
    try (PreparedStatement s = db.prepareStatement(sql);
        ResultSet r = s.executeQuery()) {
      r.next();
      return r.getLong(1);
    }
  }

  private static Optional<Instant> instant(ResultSet r, String column) throws SQLException {
    long ms = r.getLong(column);
    return r.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(ms));
  }

  private static OptionalLong length(ResultSet r) throws SQLException {
    long length = r.getLong("media_length");
    return r.wasNull() || length < 0 ? OptionalLong.empty() : OptionalLong.of(length);
  }

  private static Optional<String> sha256(ResultSet r) throws SQLException {
    String sha = r.getString("sha256");
    return sha != null && sha.matches("[0-9a-fA-F]{64}")
        ? Optional.of(sha.toLowerCase(Locale.ROOT))
        : Optional.empty();
  }
}
