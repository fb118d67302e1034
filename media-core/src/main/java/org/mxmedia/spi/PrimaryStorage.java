package org.mxmedia.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The storage every blob passes through. Uploads are staged in it ({@link #stage}) and become
 * visible whole or not at all ({@link StagedBlob#commit}). It may keep blobs as local files
 * ({@code FileSystemStorage}) or elsewhere (object storage, memory): when it has no local file of
 * a blob the engine fetches the bytes into its own bounded local cache whenever it needs a file
 * (to thumbnail, or to copy to a provider). Implementations pass
 * {@code org.mxmedia.testkit.PrimaryStorageContract}.
 */
public interface PrimaryStorage extends StorageProvider {

  /** Starts staging a new blob; the caller writes its bytes and commits or closes it. */
  StagedBlob stage() throws IOException;

  /**
   * The local file holding the committed blob {@code key}, for storages that keep blobs as local
   * files; empty when this storage keeps its blobs elsewhere or does not hold {@code key}. The
   * file must not be modified; it lasts while the blob is stored.
   */
  Optional<Path> localFile(BlobKey key) throws IOException;
}
