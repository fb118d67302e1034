package org.mxmedia.storage.s3;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.mxmedia.spi.StorageProvider;
import org.mxmedia.testkit.StorageProviderContract;

/**
 * The testkit's promises of a storage provider, against s3proxy, configured as a backup copy would
 * be: under a key prefix in a shared bucket, with a storage class and the default staging
 * directory.
 */
class S3StorageProviderContractTest extends StorageProviderContract {
  private static final LocalS3 s3 = new LocalS3();
  private static final String BUCKET = s3.newBucket();
  private static int tests;
  private @Nullable S3Storage storage;

  @Override
  protected StorageProvider newProvider() {
    storage =
        s3.storage(BUCKET).prefix("backup/test-" + ++tests).storageClass("STANDARD_IA").build();
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
