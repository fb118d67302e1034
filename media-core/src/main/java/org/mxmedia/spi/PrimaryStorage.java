package org.mxmedia.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The local storage that every blob passes through: uploads are staged in it (in the same file
 * system as the committed blobs, so making one visible is an atomic rename), and the engine
 * reads committed blobs from it as plain files (to thumbnail them, or to copy them to other
 * providers).
 */
public interface PrimaryStorage extends StorageProvider {

  /** Creates a new, empty staging file for an upload in progress. */
  StagedBlob stage() throws IOException;

  /**
   * Where the blob {@code key} lives (or would live), always under this storage's root. The file
   * exists only while the blob is stored.
   */
  Path pathOf(BlobKey key);
}
