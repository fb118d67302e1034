package org.mxmedia.testkit;

import org.mxmedia.spi.PrimaryStorage;

class InMemoryStorageTest extends PrimaryStorageContract {
  @Override
  protected PrimaryStorage newPrimaryStorage() {
    return PrimaryStorage.inMemory();
  }
}
