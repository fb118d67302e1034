package org.mxmedia.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;

/**
 * An upload staged in a local file; {@link #commit} uploads it to the bucket (or finds its key
 * there) and deletes the file whatever the outcome, {@link #close} deletes it uncommitted.
 */
final class S3StagedBlob implements StagedBlob {
  private final S3Storage storage;
  private final Path file;
  private final FileChannel channel;
  private final OutputStream out;
  private boolean done;

  S3StagedBlob(S3Storage storage, Path file, FileChannel channel) {
    this.storage = storage;
    this.file = file;
    this.channel = channel;
    this.out = Channels.newOutputStream(channel);
  }

  @Override
  public OutputStream outputStream() {
    return out;
  }

  /** The local staging file, read from its start. */
  @Override
  public synchronized InputStream openStaged() throws IOException {
    if (done) {
      throw new IllegalStateException("staged blob already committed or closed");
    }
    return Files.newInputStream(file);
  }

  /**
   * Uploads the staged bytes under {@code key} unless it exists. Either way the staged file is gone
   * afterwards; a failed upload leaves no object (a multipart upload is aborted).
   *
   * @throws IllegalStateException if already committed, closed, or a commit failed
   */
  @Override
  public synchronized void commit(BlobKey key) throws IOException {
    if (done) {
      throw new IllegalStateException("staged blob already committed or closed");
    }
    done = true;
    try {
      channel.close();
      storage.ensureOpen();
      storage.upload(key, file);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (done) {
      return;
    }
    done = true;
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
