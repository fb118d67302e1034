package org.mxmedia.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * A file being written that is invisible to readers until {@link #commit}. Closing an uncommitted
 * staged blob deletes it, so an interrupted upload leaves nothing behind.
 */
public interface StagedBlob extends Closeable {

  /** Where the bytes go; the caller writes and need not close it ({@link #commit} and {@link #close} do). */
  OutputStream outputStream();

  /** The staging file, for readers that need the bytes before commit (such as an image probe). */
  Path path();

  /**
   * Flushes the bytes to stable storage and makes them the blob {@code key}, atomically. When the
   * blob already exists (same content) the staging file is discarded instead.
   *
   * @throws IllegalStateException if already committed or closed
   */
  void commit(BlobKey key) throws IOException;

  /** Deletes the staging file unless it was committed. Idempotent. */
  @Override
  void close() throws IOException;
}
