package org.mxmedia.store.jdbc;

import org.junit.jupiter.api.AfterEach;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.testkit.MediaStoreContract;

/** The contract on a real PostgreSQL server, started by the build (never skipped). */
class PostgresMediaStoreTest extends MediaStoreContract {
  private JdbcMediaStore store;

  @Override
  protected MediaStore newStore() {
    store = Postgres.newStore();
    return store;
  }

  @AfterEach
  void close() {
    store.close();
  }
}
