package org.mxmedia.storage.fs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs as files under one root directory, addressed by content: {@code <root>/blobs/ab/cd/abcd...}
 * (the SHA-256, sharded by its first two bytes), with uploads staged in {@code <root>/tmp} on the
 * same file system. A staged file is flushed to disk ({@code fsync}) and then renamed into place
 * atomically, and its directory is flushed too, so a blob is either whole or absent, even across a
 * crash.
 *
 * <p>Paths come from validated blob keys only, and every resolved path is checked to stay under the
 * root. Thread-safe; several instances (or processes) may share one root.
 */
public final class FileSystemStorage implements PrimaryStorage {
  private static final Logger log = LoggerFactory.getLogger(FileSystemStorage.class);

  /** Staging files untouched for this long are taken as left by a crash and deleted at start-up. */
  public static final Duration DEFAULT_STALE_STAGING_AGE = Duration.ofHours(1);

  private static final String STAGING_PREFIX = "upload-";
  private static final String STAGING_SUFFIX = ".part";

  private final Path root;
  private final Path blobs;
  private final Path staging;

  private FileSystemStorage(Path root) throws IOException {
    Files.createDirectories(root);
    this.root = root.toRealPath();
    this.blobs = Files.createDirectories(this.root.resolve("blobs"));
    this.staging = Files.createDirectories(this.root.resolve("tmp"));
    if (!Files.isWritable(blobs) || !Files.isWritable(staging)) {
      throw new IOException("media storage directory is not writable: " + this.root);
    }
  }

  /**
   * Opens (creating if needed) the storage at {@code root} and deletes staging files untouched for
   * {@link #DEFAULT_STALE_STAGING_AGE}.
   *
   * @throws UncheckedIOException when the directory cannot be created or is not writable
   */
  public static FileSystemStorage at(Path root) {
    return at(root, DEFAULT_STALE_STAGING_AGE);
  }

  /**
   * Opens the storage at {@code root}, deleting staging files not modified for {@code
   * staleStagingAge} ({@link Duration#ZERO} deletes them all: right for a storage only this process
   * uses).
   *
   * @throws UncheckedIOException when the directory cannot be created or is not writable
   */
  public static FileSystemStorage at(Path root, Duration staleStagingAge) {
    Objects.requireNonNull(root, "root");
    if (staleStagingAge.isNegative()) {
      throw new IllegalArgumentException("staleStagingAge cannot be negative");
    }
    try {
      FileSystemStorage storage = new FileSystemStorage(root);
      storage.sweepStaging(staleStagingAge);
      return storage;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open media storage at " + root + ": " + e.getMessage(), e);
    }
  }

  /** The root directory (its real path). */
  public Path root() {
    return root;
  }

  /** Deletes staging files last modified more than {@code age} ago; returns how many. */
  public int sweepStaging(Duration age) throws IOException {
    Instant cutoff = Instant.now().minus(age);
    int deleted = 0;
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(staging, STAGING_PREFIX + "*" + STAGING_SUFFIX)) {
      for (Path file : files) {
        try {
          if (!Files.getLastModifiedTime(file).toInstant().isAfter(cutoff)
              && Files.deleteIfExists(file)) {
            deleted++;
          }
        } catch (NoSuchFileException e) {
          // removed concurrently
        }
      }
    }
    if (deleted > 0) {
      log.info("Deleted {} stale staging files under {}", deleted, staging);
    }
    return deleted;
  }

  /** Where the blob {@code key} lives (or would live), always under the root. */
  public Path pathOf(BlobKey key) {
    String h = key.sha256();
    Path path = blobs.resolve(h.substring(0, 2)).resolve(h.substring(2, 4)).resolve(h).normalize();
    return checkUnder(blobs, path);
  }

  @Override
  public Optional<Path> localFile(BlobKey key) {
    Path path = pathOf(key);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  /** How many staging files exist now (uploads in progress, or left by a crash). */
  public int stagingFiles() throws IOException {
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(staging, STAGING_PREFIX + "*" + STAGING_SUFFIX)) {
      int n = 0;
      for (Path ignored : files) {
        n++;
      }
      return n;
    }
  }

  @Override
  public StagedBlob stage() throws IOException {
    Path file = checkUnder(staging, Files.createTempFile(staging, STAGING_PREFIX, STAGING_SUFFIX));
    return new FileStagedBlob(file, FileChannel.open(file, StandardOpenOption.WRITE));
  }

  @Override
  public void store(BlobKey key, Path source) throws IOException {
    if (exists(key)) {
      return;
    }
    try (StagedBlob staged = stage()) {
      Files.copy(source, staged.outputStream());
      staged.commit(key);
    }
  }

  @Override
  public Optional<MediaContent> fetch(BlobKey key) throws IOException {
    try {
      return Optional.of(MediaContent.ofFile(pathOf(key)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean delete(BlobKey key) throws IOException {
    return Files.deleteIfExists(pathOf(key));
  }

  @Override
  public boolean exists(BlobKey key) {
    return Files.isRegularFile(pathOf(key));
  }

  @Override
  public String name() {
    return "FileSystemStorage(" + root + ")";
  }

  @Override
  public String toString() {
    return name();
  }

  private Path checkUnder(Path base, Path path) {
    if (!path.normalize().startsWith(base)) {
      throw new IllegalStateException("resolved path escapes " + base + ": " + path);
    }
    return path;
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      // some file systems cannot flush a directory; the rename itself is still atomic
      log.debug("Could not flush directory {}", dir, e);
    }
  }

  private final class FileStagedBlob implements StagedBlob {
    private final Path file;
    private final FileChannel channel;
    private final OutputStream out;
    private boolean committed;
    private boolean closed;

    FileStagedBlob(Path file, FileChannel channel) {
      this.file = file;
      this.channel = channel;
      this.out = Channels.newOutputStream(channel);
    }

    @Override
    public OutputStream outputStream() {
      return out;
    }

    /**
     * The staging file, read from its start (what the channel wrote is visible without a flush).
     */
    @Override
    public synchronized InputStream openStaged() throws IOException {
      if (committed || closed) {
        throw new IllegalStateException(
            "staged blob already " + (committed ? "committed" : "closed"));
      }
      return Files.newInputStream(file);
    }

    @Override
    public synchronized void commit(BlobKey key) throws IOException {
      if (committed || closed) {
        throw new IllegalStateException(
            "staged blob already " + (committed ? "committed" : "closed"));
      }
      channel.force(true);
      channel.close();
      Path target = pathOf(key);
      if (Files.isRegularFile(target)) {
        Files.deleteIfExists(file);
      } else {
        Path dir = Files.createDirectories(target.getParent());
        try {
          Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
          Files.deleteIfExists(file); // a concurrent commit of the same content won
        }
        fsyncDirectory(dir);
      }
      committed = true;
    }

    @Override
    public synchronized void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      channel.close();
      if (!committed) {
        Files.deleteIfExists(file);
      }
    }
  }
}
