package org.mxmedia.internal;

import java.util.Objects;
import org.mxmedia.MediaRepository.StorageProviderOptions;
import org.mxmedia.spi.StorageProvider;

/**
 * A storage provider and the options it was added with.
 *
 * @param provider the provider (guarded by the engine)
 * @param options Synapse's {@code store_local}, {@code store_remote}, {@code store_synchronous}
 */
public record ProviderEntry(StorageProvider provider, StorageProviderOptions options) {
  public ProviderEntry {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(options, "options");
  }

  /** Whether this provider takes copies of local (or, when false, remote) media. */
  boolean takes(boolean local) {
    return local ? options.storeLocal() : options.storeRemote();
  }

  /**
   * Whether the engine may delete from it: it takes copies of some kind; a read-only one is not
   * ours.
   */
  boolean writable() {
    return options.storeLocal() || options.storeRemote();
  }

  @Override
  public String toString() {
    return provider.name() + " " + options;
  }
}
