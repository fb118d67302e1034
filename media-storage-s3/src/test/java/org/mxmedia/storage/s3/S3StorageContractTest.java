package org.mxmedia.storage.s3;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.testkit.PrimaryStorageContract;

/** The testkit's promises of a primary storage (and so of a storage provider), against s3proxy. */
class S3StorageContractTest extends PrimaryStorageContract {
  private static final LocalS3 s3 = new LocalS3();
  private @Nullable S3Storage storage;

  @Override
  protected PrimaryStorage newPrimaryStorage() {
    storage = s3.storage(s3.newBucket()).stagingDirectory(scratch.resolve("staging")).build();
    return storage;
  }

  @AfterEach
  void closeStorage() {
    if (storage != null) {
      storage.close();
    }
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }
}
