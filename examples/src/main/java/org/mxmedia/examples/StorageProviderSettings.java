package org.mxmedia.examples;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.StorageProviderOptions;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.storage.s3.S3Storage;

/**
 * Synapse's {@code media_storage_providers}, as its operators write them: a list of entries with
 * {@code module}, {@code store_local}, {@code store_remote}, {@code store_synchronous} and {@code
 * config}. Two modules are understood: synapse-s3-storage-provider's {@code
 * s3_storage_provider.S3StorageProviderBackend} (config {@code bucket}, {@code region_name}, {@code
 * endpoint_url}, {@code access_key_id}, {@code secret_access_key}, {@code prefix}, {@code
 * storage_class}) and Synapse's file backend ({@code
 * synapse.media.storage_provider.FileStorageProviderBackend}, also under its older {@code
 * synapse.rest.media.v1.storage_provider} name; config {@code directory}). Anything else, an
 * unknown config key included, fails at start naming it, rather than storing media nowhere.
 */
final class StorageProviderSettings {
  static final String S3_MODULE = "s3_storage_provider.S3StorageProviderBackend";
  static final Set<String> FILE_MODULES =
      Set.of(
          "synapse.media.storage_provider.FileStorageProviderBackend",
          "synapse.rest.media.v1.storage_provider.FileStorageProviderBackend");
  private static final Set<String> ENTRY_KEYS =
      Set.of("module", "store_local", "store_remote", "store_synchronous", "config");
  private static final Set<String> S3_KEYS =
      Set.of(
          "bucket",
          "region_name",
          "endpoint_url",
          "access_key_id",
          "secret_access_key",
          "prefix",
          "storage_class");

  /** One provider: an S3 bucket or a directory, and Synapse's three options for it. */
  record Provider(StorageProviderOptions options, S3Storage.Builder s3, Path directory) {}

  private StorageProviderSettings() {}

  /** Reads the list, checking every key and value; the providers are opened by {@link #open}. */
  static List<Provider> parse(List<Map<String, Object>> entries) {
    List<Provider> providers = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      String at = "media_storage_providers[" + i + "]";
      Map<String, Object> entry = entries.get(i);
      if (entry == null) {
        throw new IllegalArgumentException(at + " is empty");
      }
      for (String key : entry.keySet()) {
        if (!ENTRY_KEYS.contains(key)) {
          throw new IllegalArgumentException(
              at + " has no key " + key + " (it takes " + String.join(", ", ENTRY_KEYS) + ")");
        }
      }
      StorageProviderOptions options =
          new StorageProviderOptions(
              flag(entry, "store_local", true, at),
              flag(entry, "store_remote", false, at),
              flag(entry, "store_synchronous", false, at));
      Object module = entry.get("module");
      Map<String, Object> config = map(entry.get("config"), at + ".config");
      if (S3_MODULE.equals(module)) {
        providers.add(new Provider(options, s3(config, at + ".config"), null));
      } else if (module instanceof String m && FILE_MODULES.contains(m)) {
        Object directory = config.get("directory");
        if (!(directory instanceof String d) || d.isBlank() || config.size() != 1) {
          throw new IllegalArgumentException(at + ".config takes one key, directory (a path)");
        }
        providers.add(new Provider(options, null, Path.of(d)));
      } else {
        throw new IllegalArgumentException(
            at
                + ".module must be "
                + S3_MODULE
                + " or "
                + FILE_MODULES.iterator().next()
                + ": "
                + module);
      }
    }
    return providers;
  }

  private static S3Storage.Builder s3(Map<String, Object> config, String at) {
    for (String key : config.keySet()) {
      if (!S3_KEYS.contains(key)) {
        throw new IllegalArgumentException(
            at + "." + key + " is not supported (known: " + String.join(", ", S3_KEYS) + ")");
      }
    }
    S3Storage.Builder b = S3Storage.builder();
    try {
      b.bucket(text(config, "bucket", at));
      b.region(config.containsKey("region_name") ? text(config, "region_name", at) : "us-east-1");
      if (config.containsKey("endpoint_url")) {
        b.endpoint(new URI(text(config, "endpoint_url", at))).pathStyle(true);
      }
      if (config.containsKey("access_key_id") || config.containsKey("secret_access_key")) {
        b.credentials(text(config, "access_key_id", at), text(config, "secret_access_key", at));
      }
      if (config.containsKey("prefix")) {
        b.prefix(text(config, "prefix", at));
      }
      if (config.containsKey("storage_class")) {
        b.storageClass(text(config, "storage_class", at));
      }
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException(at + ": " + e.getMessage());
    }
    return b;
  }

  /**
   * Opens every provider and adds it to {@code builder}; the caller closes what is returned.
   *
   * @throws IllegalStateException when a bucket cannot be used, naming the entry
   */
  static List<AutoCloseable> open(
      List<Provider> providers, Path dataDir, MediaRepository.Builder builder) {
    List<AutoCloseable> opened = new ArrayList<>();
    for (int i = 0; i < providers.size(); i++) {
      Provider p = providers.get(i);
      if (p.s3() != null) {
        S3Storage s3;
        try {
          s3 = p.s3().stagingDirectory(dataDir.resolve("s3-provider-staging-" + i)).build();
        } catch (RuntimeException e) {
          opened.forEach(StorageProviderSettings::closeQuietly);
          throw new IllegalStateException(
              "media_storage_providers["
                  + i
                  + "]: the bucket failed its check at start: "
                  + e.getMessage(),
              e);
        }
        opened.add(s3);
        builder.storageProvider(s3, p.options());
      } else {
        builder.storageProvider(FileSystemStorage.at(dataDir.resolve(p.directory())), p.options());
      }
    }
    return opened;
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing on the way out: the first failure is the one reported
    }
  }

  private static boolean flag(Map<String, Object> entry, String key, boolean absent, String at) {
    Object v = entry.get(key);
    if (v == null) {
      return absent;
    }
    if (!(v instanceof Boolean b)) {
      throw new IllegalArgumentException(at + "." + key + " must be true or false: " + v);
    }
    return b;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object v, String at) {
    if (!(v instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(at + " must be a mapping");
    }
    return (Map<String, Object>) m;
  }

  private static String text(Map<String, Object> config, String key, String at) {
    Object v = config.get(key);
    if (!(v instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(
          at + "." + key + " must be text" + (key.equals("secret_access_key") ? "" : ": " + v));
    }
    return s;
  }
}
