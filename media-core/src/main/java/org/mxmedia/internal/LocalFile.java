package org.mxmedia.internal;

import java.nio.file.Path;

/** A local file holding a blob's bytes, there until closed. */
interface LocalFile extends AutoCloseable {

  Path path();

  @Override
  void close();

  /** A file that needs no release (the primary storage's own). */
  static LocalFile of(Path path) {
    return new LocalFile() {
      @Override
      public Path path() {
        return path;
      }

      @Override
      public void close() {}
    };
  }
}
