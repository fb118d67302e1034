package org.mxmedia.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;
import org.mxmedia.internal.InMemoryStorage;

/**
 * The storage every blob passes through. Uploads are staged in it ({@link #stage}) and become
 * visible whole or not at all ({@link StagedBlob#commit}). It may keep blobs as local files ({@code
 * FileSystemStorage}) or elsewhere (object storage, memory): when it has no local file of a blob
 * the engine fetches the bytes into its own bounded local cache whenever it needs a file (to
 * thumbnail, or to copy to a provider). Implementations pass {@code
 * org.mxmedia.testkit.PrimaryStorageContract}.
 */
public interface PrimaryStorage extends StorageProvider {

  /**
   * A new, empty storage holding blobs in memory, for tests and harnesses (see {@link
   * MediaStore#inMemory()}). Every blob is a byte array, so memory grows with what is stored: not
   * for production. It passes {@code org.mxmedia.testkit.PrimaryStorageContract}.
   */
  static PrimaryStorage inMemory() {
    return new InMemoryStorage();
  }

  /** Starts staging a new blob; the caller writes its bytes and commits or closes it. */
  StagedBlob stage() throws IOException;

  /**
   * The local file holding the committed blob {@code key}, for storages that keep blobs as local
   * files; empty when this storage keeps its blobs elsewhere or does not hold {@code key}. The file
   * must not be modified; it lasts while the blob is stored.
   */
  Optional<Path> localFile(BlobKey key) throws IOException;

  /**
   * A blob being written that is invisible to readers until {@link #commit}. Closing an uncommitted
   * staged blob discards it, so an interrupted upload leaves nothing behind.
   */
  interface StagedBlob extends Closeable {

    /**
     * Where the bytes go; the caller writes and need not close it ({@link #commit} and {@link
     * #close} do).
     */
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
}
