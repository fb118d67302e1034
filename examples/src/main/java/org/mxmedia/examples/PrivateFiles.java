package org.mxmedia.examples;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files only their owner may read: the example server's access-token file and signing key.
 *
 * <p>On a POSIX file system a new file is created with mode {@code 0600} from its first byte (a
 * temporary file in the same directory, created with that mode, written, synced, then renamed into
 * place atomically), so there is no moment when another user could read it, and a reader never sees
 * it half-written. An existing file that others may read is narrowed to {@code 0600} when it is
 * loaded. Elsewhere (Windows, some network shares) the file gets what the directory gives new
 * files, on Windows the access list inherited from the data directory; keep the data directory
 * private there.
 */
public final class PrivateFiles {
  private static final Logger log = LoggerFactory.getLogger(PrivateFiles.class);
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private PrivateFiles() {}

  /** Writes {@code content} (UTF-8) to {@code file}, replacing it, readable by the owner only. */
  public static void write(Path file, String content) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null;
    FileAttribute<?>[] attributes =
        posix
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
            : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", attributes);
    try {
      try (FileChannel channel =
              FileChannel.open(
                  temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream out = Channels.newOutputStream(channel)) {
        out.write(content.getBytes(StandardCharsets.UTF_8));
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Narrows an existing file to owner-only on a POSIX file system, saying so when it was wider. */
  public static void restrict(Path file) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    Set<PosixFilePermission> current = view.readAttributes().permissions();
    if (!OWNER_ONLY.containsAll(current)) {
      view.setPermissions(OWNER_ONLY);
      log.warn(
          "{} was readable by others ({}); it is now readable by its owner only",
          file,
          PosixFilePermissions.toString(current));
    }
  }
}
