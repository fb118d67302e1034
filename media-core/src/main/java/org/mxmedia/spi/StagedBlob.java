package org.mxmedia.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A blob being written that is invisible to readers until {@link #commit}. Closing an uncommitted
 * staged blob discards it, so an interrupted upload leaves nothing behind.
 */
public interface StagedBlob extends Closeable {

  /** Where the bytes go; the caller writes and need not close it ({@link #commit} and {@link #close} do). */
  OutputStream outputStream();

  /**
   * Makes the bytes written so far the blob {@code key}, durably and atomically. When the blob
   * already exists (same content) the staged bytes are discarded instead.
   *
   * @throws IllegalStateException if already committed or closed
   */
  void commit(BlobKey key) throws IOException;

  /**
   * Reads back the bytes written so far, before {@link #commit} (for a {@link SpamChecker}). The
   * caller closes the stream. The default throws, so a storage that cannot read its staged bytes
   * fails the uploads a spam checker looks at (500, nothing kept) rather than skipping the check.
   *
   * @throws IOException when the bytes cannot be read (always, by default)
   * @throws IllegalStateException if already committed or closed
   */
  default InputStream openStaged() throws IOException {
    throw new IOException(getClass().getName() + " cannot read staged bytes back");
  }

  /** Discards the staged bytes unless they were committed. Idempotent. */
  @Override
  void close() throws IOException;
}
