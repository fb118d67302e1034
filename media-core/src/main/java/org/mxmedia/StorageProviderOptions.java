package org.mxmedia;

/**
 * How an extra {@link org.mxmedia.spi.StorageProvider} is used, as Synapse's storage provider
 * options.
 *
 * @param storeLocal whether local uploads are copied to it
 * @param storeRemote whether cached remote media and thumbnails of it are copied to it
 * @param synchronous whether an upload waits for the copy (and fails if it fails); otherwise the
 *     copy happens in the background and a failed copy is logged and retried with backoff
 */
public record StorageProviderOptions(boolean storeLocal, boolean storeRemote, boolean synchronous) {

  /** Synapse's defaults: local media only, copied in the background. */
  public static StorageProviderOptions defaults() {
    return new StorageProviderOptions(true, false, false);
  }

  /** Every blob copied before the operation that made it completes: a synchronous backup. */
  public static StorageProviderOptions backup() {
    return new StorageProviderOptions(true, true, true);
  }

  /** Only read from, never written to (for example a legacy store being migrated away from). */
  public static StorageProviderOptions readOnly() {
    return new StorageProviderOptions(false, false, false);
  }
}
