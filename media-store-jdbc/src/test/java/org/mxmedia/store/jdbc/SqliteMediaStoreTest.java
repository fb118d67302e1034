package org.mxmedia.store.jdbc;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.testkit.MediaStoreContract;

class SqliteMediaStoreTest extends MediaStoreContract {
  @TempDir Path dir;
  private JdbcMediaStore store;

  @Override
  protected MediaStore newStore() {
    store = JdbcMediaStore.sqlite(dir.resolve("media.db"));
    return store;
  }

  @AfterEach
  void close() {
    store.close();
  }
}
