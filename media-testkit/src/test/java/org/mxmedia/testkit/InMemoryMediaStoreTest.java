package org.mxmedia.testkit;

import org.mxmedia.spi.MediaStore;

class InMemoryMediaStoreTest extends MediaStoreContract {
  @Override
  protected MediaStore newStore() {
    return MediaStore.inMemory();
  }
}
