package org.mxmedia.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.mxmedia.DataSize;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Blobs as objects in one S3 bucket (AWS S3 or any S3-compatible store: MinIO, Ceph RGW, Backblaze
 * B2, Garage, s3proxy...), addressed by content under {@code <prefix>ab/cd/abcd...} (the SHA-256,
 * sharded by its first two bytes as {@code FileSystemStorage} shards its {@code blobs/} directory,
 * so a file system store migrates with a plain {@code sync} of that directory to the prefix).
 *
 * <p>As the primary storage ({@code MediaRepository.builder().storage(s3)}) uploads are staged in a
 * local file while the engine hashes them, then uploaded under their hash by {@link
 * StagedBlob#commit}: in one PUT up to the multipart threshold, above it as a multipart upload
 * whose parts are read from the file one at a time (never the whole object in memory), aborted if
 * any part fails, so a failed upload leaves nothing visible. A key that exists already is not
 * uploaded again (content addressing makes that idempotent across nodes; concurrent uploads of one
 * key write the same bytes). S3 keeps no local files: {@link #localFile} is always empty and the
 * engine fetches into its own bounded local cache when it needs a file. As a storage provider
 * ({@code .storageProvider(s3, options)}) the same rules apply to {@link #store(BlobKey, Path)}.
 *
 * <p>Faults: every call is bounded by the builder's timeouts (connect, read, each attempt, the
 * whole call) and retried at most twice more, so an unreachable or stalled store fails the call
 * with an {@link IOException} rather than hanging it. The credentials need {@code s3:GetObject},
 * {@code s3:PutObject}, {@code s3:DeleteObject}, {@code s3:AbortMultipartUpload} and {@code
 * s3:ListBucket} (without the last, S3 answers 403 instead of 404 for a missing key, which this
 * storage reports as a fault).
 *
 * <p>Thread-safe. Close it when the repository is closed: that closes the HTTP connections and
 * deletes the default staging directory.
 *
 * <pre>{@code
 * S3Storage s3 = S3Storage.builder()
 *     .endpoint(URI.create("https://minio.example.org")).pathStyle(true)
 *     .bucket("media").credentials(accessKey, secretKey)
 *     .build();
 * MediaRepository repo = MediaRepository.builder()...storage(s3).build();
 * }</pre>
 */
public final class S3Storage implements PrimaryStorage, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(S3Storage.class);

  static final String STAGING_PREFIX = "upload-";
  static final String STAGING_SUFFIX = ".part";
  private static final Duration STALE_STAGING_AGE = Duration.ofHours(1);
  private static final String CONTENT_TYPE = "application/octet-stream";
  private static final long MAX_PARTS = 10_000;

  private final S3Client client;
  private final String bucket;
  private final String prefix;
  private final @Nullable String storageClass;
  private final long multipartThreshold;
  private final long partSize;
  private final Path staging;
  private final boolean ownsStaging;
  private final @Nullable SdkAutoCloseable credentials;
  private final String description;
  private final AtomicBoolean closed = new AtomicBoolean();

  private S3Storage(
      Builder b,
      S3Client client,
      AwsCredentialsProvider credentials,
      Path staging,
      boolean ownsStaging,
      String description) {
    this.client = client;
    this.credentials = credentials instanceof SdkAutoCloseable c ? c : null;
    this.bucket = Objects.requireNonNull(b.bucket);
    this.prefix = b.prefix == null ? "" : b.prefix;
    this.storageClass = b.storageClass;
    this.multipartThreshold = b.multipartThreshold().bytes();
    this.partSize = b.partSize().bytes();
    this.staging = staging;
    this.ownsStaging = ownsStaging;
    this.description = description;
  }

  /** A new builder; {@link Builder#bucket} is the one setting without a default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The object key of {@code key} in the bucket: the prefix, then {@code ab/cd/} and the 64 hex
   * characters of the hash.
   */
  public String keyOf(BlobKey key) {
    String h = key.sha256();
    return prefix + h.substring(0, 2) + '/' + h.substring(2, 4) + '/' + h;
  }

  /**
   * Starts staging a new blob in a local file of the staging directory; {@link StagedBlob#commit}
   * uploads it (or finds the key present) and deletes the file, {@link StagedBlob#close} deletes it
   * uncommitted.
   *
   * @throws IOException when the staging file cannot be created
   * @throws IllegalStateException when this storage is closed
   */
  @Override
  public StagedBlob stage() throws IOException {
    ensureOpen();
    Path file = Files.createTempFile(staging, STAGING_PREFIX, STAGING_SUFFIX);
    try {
      return new S3StagedBlob(this, file, FileChannel.open(file, StandardOpenOption.WRITE));
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
  }

  /** Always empty: S3 keeps no local files. */
  @Override
  public Optional<Path> localFile(BlobKey key) {
    return Optional.empty();
  }

  /**
   * Uploads {@code source} (which is left in place) under {@code key}, unless the key exists
   * already: one PUT up to the multipart threshold, a multipart upload above it.
   *
   * @throws IOException when the file cannot be read or S3 fails (a failed multipart upload is
   *     aborted first), including the timeouts
   * @throws IllegalStateException when this storage is closed
   */
  @Override
  public void store(BlobKey key, Path source) throws IOException {
    ensureOpen();
    upload(key, source);
  }

  /**
   * Opens the object of {@code key} with one GET: the content's length comes from its response, its
   * first {@link MediaContent#openStream()} streams that response, later ones and {@link
   * MediaContent#openStream(long)} send new GETs (the latter with a {@code Range}). A stream closed
   * before its end drops its connection rather than reading the rest. Close the content to release
   * a response that was never read.
   *
   * @return empty when the bucket holds no such object
   * @throws IOException when S3 fails or does not answer in time
   * @throws IllegalStateException when this storage is closed
   */
  @Override
  public Optional<MediaContent> fetch(BlobKey key) throws IOException {
    ensureOpen();
    String objectKey = keyOf(key);
    Optional<ResponseInputStream<GetObjectResponse>> response = get(objectKey, null);
    if (response.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(S3Content.of(this, objectKey, response.get()));
  }

  /**
   * Deletes the object of {@code key}.
   *
   * @return whether it existed (asked with a HEAD first: S3's DELETE answers the same either way)
   * @throws IOException when S3 fails or does not answer in time
   * @throws IllegalStateException when this storage is closed
   */
  @Override
  public boolean delete(BlobKey key) throws IOException {
    ensureOpen();
    String objectKey = keyOf(key);
    if (!exists(objectKey)) {
      return false;
    }
    try {
      client.deleteObject(b -> b.bucket(bucket).key(objectKey));
      return true;
    } catch (SdkException e) {
      throw failure("DELETE", objectKey, e);
    }
  }

  /**
   * Whether the bucket holds the object of {@code key} (a HEAD request).
   *
   * @throws IOException when S3 fails or does not answer in time
   * @throws IllegalStateException when this storage is closed
   */
  @Override
  public boolean exists(BlobKey key) throws IOException {
    ensureOpen();
    return exists(keyOf(key));
  }

  /** {@code S3Storage(s3://<bucket>/<prefix> at <endpoint>)}, for logs. */
  @Override
  public String name() {
    return description;
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * Closes the S3 client, its connections and the SDK's default credentials chain (when that is in
   * use), and deletes the staging directory when it is the default one (with any staging files left
   * in it). Idempotent; every other method then throws {@link IllegalStateException}.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    client.close();
    if (credentials != null) {
      credentials.close();
    }
    if (ownsStaging) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(staging)) {
        for (Path file : files) {
          Files.deleteIfExists(file);
        }
        Files.deleteIfExists(staging);
      } catch (IOException e) {
        log.warn("Could not delete the S3 staging directory {}", staging, e);
      }
    }
  }

  /** How many staging files exist now (uploads in progress or leaked). */
  int stagingFiles() throws IOException {
    int n = 0;
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(staging, STAGING_PREFIX + "*" + STAGING_SUFFIX)) {
      for (Path ignored : files) {
        n++;
      }
    }
    return n;
  }

  Path stagingDirectory() {
    return staging;
  }

  void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException(description + " is closed");
    }
  }

  /** Uploads {@code file} under {@code key} unless the key is present. */
  void upload(BlobKey key, Path file) throws IOException {
    String objectKey = keyOf(key);
    if (exists(objectKey)) {
      log.debug("Blob {} is already in {}; not uploading it again", key, description);
      return;
    }
    long size = Files.size(file);
    long start = System.nanoTime();
    if (size > multipartThreshold) {
      uploadMultipart(objectKey, file, size);
    } else {
      putObject(objectKey, file, size);
    }
    log.debug(
        "Uploaded blob {} ({} bytes) to {} in {} ms",
        key,
        size,
        description,
        (System.nanoTime() - start) / 1_000_000);
  }

  private void putObject(String objectKey, Path file, long size) throws IOException {
    try (FileSlice body = new FileSlice(file, 0, size)) {
      client.putObject(
          b ->
              b.bucket(bucket)
                  .key(objectKey)
                  .contentLength(size)
                  .contentType(CONTENT_TYPE)
                  .storageClass(storageClass),
          RequestBody.fromContentProvider(body, size, CONTENT_TYPE));
    } catch (SdkException e) {
      throw failure("PUT", objectKey, e);
    }
  }

  private void uploadMultipart(String objectKey, Path file, long size) throws IOException {
    long part = Math.max(partSize, (size + MAX_PARTS - 1) / MAX_PARTS);
    String uploadId;
    try {
      uploadId =
          client
              .createMultipartUpload(
                  b ->
                      b.bucket(bucket)
                          .key(objectKey)
                          .contentType(CONTENT_TYPE)
                          .storageClass(storageClass))
              .uploadId();
    } catch (SdkException e) {
      throw failure("CreateMultipartUpload", objectKey, e);
    }
    boolean completed = false;
    try {
      List<CompletedPart> parts = new ArrayList<>();
      int number = 1;
      for (long offset = 0; offset < size; offset += part, number++) {
        long length = Math.min(part, size - offset);
        int partNumber = number;
        String eTag;
        try (FileSlice body = new FileSlice(file, offset, length)) {
          eTag =
              client
                  .uploadPart(
                      b ->
                          b.bucket(bucket)
                              .key(objectKey)
                              .uploadId(uploadId)
                              .partNumber(partNumber)
                              .contentLength(length),
                      RequestBody.fromContentProvider(body, length, CONTENT_TYPE))
                  .eTag();
        } catch (SdkException e) {
          throw failure("UploadPart " + partNumber + " of", objectKey, e);
        }
        parts.add(CompletedPart.builder().partNumber(partNumber).eTag(eTag).build());
      }
      try {
        client.completeMultipartUpload(
            b ->
                b.bucket(bucket)
                    .key(objectKey)
                    .uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)));
      } catch (SdkException e) {
        throw failure("CompleteMultipartUpload", objectKey, e);
      }
      completed = true;
      log.debug(
          "Multipart upload of {} finished: {} parts of {} bytes", objectKey, parts.size(), part);
    } finally {
      if (!completed) {
        abortMultipart(objectKey, uploadId);
      }
    }
  }

  private void abortMultipart(String objectKey, String uploadId) {
    boolean interrupted = Thread.interrupted();
    try {
      client.abortMultipartUpload(b -> b.bucket(bucket).key(objectKey).uploadId(uploadId));
      log.debug("Aborted the multipart upload {} of {}", uploadId, objectKey);
    } catch (SdkException e) {
      log.warn(
          "Could not abort the multipart upload {} of s3://{}/{} (its parts stay billed until a lifecycle rule"
              + " with AbortIncompleteMultipartUpload removes them): {}",
          uploadId,
          bucket,
          objectKey,
          e.getMessage());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private boolean exists(String objectKey) throws IOException {
    try {
      client.headObject(b -> b.bucket(bucket).key(objectKey));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw failure("HEAD", objectKey, e);
    } catch (SdkException e) {
      throw failure("HEAD", objectKey, e);
    }
  }

  /**
   * A GET of {@code objectKey}, from {@code range} ({@code bytes=N-}) when given.
   *
   * @return empty when there is no such object
   */
  Optional<ResponseInputStream<GetObjectResponse>> get(String objectKey, @Nullable String range)
      throws IOException {
    ensureOpen();
    try {
      return Optional.of(client.getObject(b -> b.bucket(bucket).key(objectKey).range(range)));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw failure("GET", objectKey, e);
    }
  }

  /** Like {@link #get} for an object that must exist. */
  ResponseInputStream<GetObjectResponse> getExisting(String objectKey, @Nullable String range)
      throws IOException {
    return get(objectKey, range)
        .orElseThrow(
            () ->
                new NoSuchFileException(
                    "s3://" + bucket + "/" + objectKey, null, "deleted since it was fetched"));
  }

  /**
   * An {@link IOException} for a failed request, naming the operation and the object, never the
   * credentials.
   */
  IOException failure(String operation, String objectKey, SdkException e) {
    String message =
        "S3 "
            + operation
            + " s3://"
            + bucket
            + "/"
            + objectKey
            + " failed: "
            + S3Failures.describe(e);
    if (e instanceof AbortedException || Thread.currentThread().isInterrupted()) {
      InterruptedIOException interrupted = new InterruptedIOException(message);
      interrupted.initCause(e);
      return interrupted;
    }
    return new IOException(message, e);
  }

  /** Deletes staging files in {@code dir} last modified more than an hour ago (left by a crash). */
  private static void sweepStaging(Path dir) throws IOException {
    Instant cutoff = Instant.now().minus(STALE_STAGING_AGE);
    int deleted = 0;
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(dir, STAGING_PREFIX + "*" + STAGING_SUFFIX)) {
      for (Path file : files) {
        try {
          if (!Files.getLastModifiedTime(file).toInstant().isAfter(cutoff)
              && Files.deleteIfExists(file)) {
            deleted++;
          }
        } catch (NoSuchFileException e) {
          // removed concurrently
        }
      }
    }
    if (deleted > 0) {
      log.info("Deleted {} stale S3 staging files under {}", deleted, dir);
    }
  }

  /**
   * Configures an {@link S3Storage}. Every setter checks its argument at once (a {@code null}
   * throws {@link NullPointerException}, a value out of range {@link IllegalArgumentException}) and
   * may be called once ({@link IllegalStateException} the second time). Not thread-safe.
   */
  public static final class Builder {
    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,254}");
    private static final Pattern REGION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9!_.*'()/-]{1,512}");
    private static final Pattern STORAGE_CLASS = Pattern.compile("[A-Za-z0-9_]{1,64}");
    private static final DataSize MIN_PART = DataSize.mebibytes(5);
    private static final DataSize MAX_PART = DataSize.gibibytes(5);
    private static final Duration MAX_TIMEOUT = Duration.ofDays(1);

    private @Nullable URI endpoint;
    private @Nullable String bucket;
    private @Nullable String region;
    private @Nullable Boolean pathStyle;
    private @Nullable String accessKeyId;
    private @Nullable String secretAccessKey;
    private @Nullable String prefix;
    private @Nullable String storageClass;
    private @Nullable DataSize multipartThreshold;
    private @Nullable DataSize partSize;
    private @Nullable Path stagingDirectory;
    private @Nullable Duration connectTimeout;
    private @Nullable Duration readTimeout;
    private @Nullable Duration attemptTimeout;
    private @Nullable Duration callTimeout;
    private @Nullable Integer maxConnections;

    private Builder() {}

    /**
     * The store's endpoint, {@code http} or {@code https} with a host and optional port (no path,
     * query or user info): for MinIO, Ceph, B2 and the like. Default: AWS S3's endpoint for the
     * region.
     */
    public Builder endpoint(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      String scheme = endpoint.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
        throw new IllegalArgumentException(
            "the S3 endpoint must be an http or https URL: " + endpoint);
      }
      if (endpoint.getHost() == null
          || endpoint.getRawUserInfo() != null
          || endpoint.getRawQuery() != null
          || endpoint.getRawFragment() != null
          || !(endpoint.getRawPath() == null
              || endpoint.getRawPath().isEmpty()
              || endpoint.getRawPath().equals("/"))) {
        throw new IllegalArgumentException(
            "the S3 endpoint must be scheme://host[:port] alone: " + endpoint);
      }
      this.endpoint = once(this.endpoint, endpoint, "endpoint");
      return this;
    }

    /**
     * The bucket, which must exist: 3 to 255 letters, digits, {@code .}, {@code _} or {@code -}.
     * Required.
     */
    public Builder bucket(String bucket) {
      Objects.requireNonNull(bucket, "bucket");
      if (!BUCKET.matcher(bucket).matches() || bucket.length() < 3) {
        throw new IllegalArgumentException("not a valid bucket name: '" + bucket + "'");
      }
      this.bucket = once(this.bucket, bucket, "bucket");
      return this;
    }

    /**
     * The region to sign requests for (and, without an endpoint, to send them to). Default {@code
     * us-east-1}.
     */
    public Builder region(String region) {
      Objects.requireNonNull(region, "region");
      if (!REGION.matcher(region).matches()) {
        throw new IllegalArgumentException("not a valid region: '" + region + "'");
      }
      this.region = once(this.region, region, "region");
      return this;
    }

    /**
     * Whether the bucket goes in the path ({@code https://host/bucket/key}) rather than the host
     * name ({@code https://bucket.host/key}); most self-hosted stores need {@code true}. Default
     * {@code false}.
     */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = once(this.pathStyle, pathStyle, "pathStyle");
      return this;
    }

    /**
     * Static credentials. Default: the AWS SDK's default chain (the {@code AWS_ACCESS_KEY_ID} and
     * {@code AWS_SECRET_ACCESS_KEY} environment variables, system properties, the {@code ~/.aws}
     * profile, web identity, container and instance roles). Neither is ever logged or put in a
     * message.
     *
     * @throws IllegalArgumentException if either is blank
     */
    public Builder credentials(String accessKeyId, String secretAccessKey) {
      Objects.requireNonNull(accessKeyId, "accessKeyId");
      Objects.requireNonNull(secretAccessKey, "secretAccessKey");
      if (accessKeyId.isBlank() || secretAccessKey.isBlank()) {
        throw new IllegalArgumentException(
            "the access key id and the secret access key cannot be blank");
      }
      if (this.accessKeyId != null) {
        throw new IllegalStateException("credentials were already set");
      }
      this.accessKeyId = accessKeyId;
      this.secretAccessKey = secretAccessKey;
      return this;
    }

    /**
     * A key prefix to keep the blobs under, e.g. {@code media/} (a missing trailing {@code /} is
     * added): up to 512 letters, digits and {@code !_.*'()/-}, not starting with {@code /}, with no
     * empty, {@code .} or {@code ..} segment. Default: none (blobs at the bucket's root).
     */
    public Builder prefix(String prefix) {
      Objects.requireNonNull(prefix, "prefix");
      String p = prefix.endsWith("/") ? prefix : prefix + "/";
      if (!PREFIX.matcher(prefix).matches()
          || p.startsWith("/")
          || p.contains("//")
          || p.startsWith("./")
          || p.startsWith("../")
          || p.contains("/./")
          || p.contains("/../")) {
        throw new IllegalArgumentException("not a valid key prefix: '" + prefix + "'");
      }
      this.prefix = once(this.prefix, p, "prefix");
      return this;
    }

    /**
     * The storage class of new objects, as the store names it ({@code STANDARD}, {@code
     * STANDARD_IA}, {@code INTELLIGENT_TIERING}...). Default: the bucket's default.
     */
    public Builder storageClass(String storageClass) {
      Objects.requireNonNull(storageClass, "storageClass");
      if (!STORAGE_CLASS.matcher(storageClass).matches()) {
        throw new IllegalArgumentException("not a valid storage class: '" + storageClass + "'");
      }
      this.storageClass = once(this.storageClass, storageClass, "storageClass");
      return this;
    }

    /**
     * Blobs larger than this are uploaded in parts (multipart upload), smaller ones in one PUT: 5
     * MiB to 5 GiB. Default 16 MiB.
     */
    public Builder multipartThreshold(DataSize threshold) {
      this.multipartThreshold =
          once(
              this.multipartThreshold,
              checkPart(threshold, "multipartThreshold"),
              "multipartThreshold");
      return this;
    }

    /**
     * The size of each part of a multipart upload (the last may be smaller), each read from the
     * staged file as it is sent: 5 MiB to 5 GiB; raised for blobs that would otherwise need more
     * than 10 000 parts. Default 16 MiB.
     */
    public Builder partSize(DataSize partSize) {
      this.partSize = once(this.partSize, checkPart(partSize, "partSize"), "partSize");
      return this;
    }

    /**
     * Where uploads are staged while the engine hashes them (created if missing; staging files
     * older than an hour are deleted at {@link #build}, as left by a crash). Default: a new private
     * temporary directory, deleted by {@link S3Storage#close()}.
     */
    public Builder stagingDirectory(Path directory) {
      this.stagingDirectory =
          once(
              this.stagingDirectory,
              Objects.requireNonNull(directory, "directory"),
              "stagingDirectory");
      return this;
    }

    /**
     * How long to wait for a TCP (and TLS) connection, and for a free pooled connection. Positive,
     * at most a day. Default 5 s.
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout =
          once(this.connectTimeout, checkTimeout(timeout, "connectTimeout"), "connectTimeout");
      return this;
    }

    /**
     * How long a read may wait for the next bytes, including while a fetched object is streamed (a
     * stalled download fails after it). Positive, at most a day. Default 30 s.
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout =
          once(this.readTimeout, checkTimeout(timeout, "readTimeout"), "readTimeout");
      return this;
    }

    /**
     * How long one attempt of a request may take, up to its response's headers: a PUT or part
     * upload must be sent within it, so raise it with the part size or threshold on a slow link.
     * Positive, at most the call timeout. Default 60 s.
     */
    public Builder attemptTimeout(Duration timeout) {
      this.attemptTimeout =
          once(this.attemptTimeout, checkTimeout(timeout, "attemptTimeout"), "attemptTimeout");
      return this;
    }

    /**
     * How long one request may take with its retries (3 attempts at most, with backoff), up to its
     * response's headers. Positive, at most a day. Default 3 min.
     */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout =
          once(this.callTimeout, checkTimeout(timeout, "callTimeout"), "callTimeout");
      return this;
    }

    /**
     * The most HTTP connections open to the store at once; each download being streamed holds one.
     * At least 1. Default 64.
     */
    public Builder maxConnections(int maxConnections) {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
      }
      this.maxConnections = once(this.maxConnections, maxConnections, "maxConnections");
      return this;
    }

    /**
     * Creates the storage and checks the bucket with a HEAD request, so a wrong endpoint, region,
     * bucket or credentials fail here rather than on the first upload.
     *
     * @throws IllegalStateException if no bucket was set, or the attempt timeout exceeds the call
     *     timeout
     * @throws UncheckedIOException if the bucket does not exist, refuses these credentials, or does
     *     not answer within the timeouts, with a message naming the bucket, the endpoint and the
     *     cause (never the credentials); or if the staging directory cannot be created
     */
    public S3Storage build() {
      String b = bucket;
      if (b == null) {
        throw new IllegalStateException("the bucket is required");
      }
      if (attemptTimeout().compareTo(callTimeout()) > 0) {
        throw new IllegalStateException(
            "the attempt timeout ("
                + attemptTimeout()
                + ") cannot exceed the call timeout ("
                + callTimeout()
                + ")");
      }
      String region = region();
      String where = endpoint == null ? "AWS S3 (" + region + ")" : endpoint.toString();
      String description =
          "S3Storage(s3://" + b + "/" + (prefix == null ? "" : prefix) + " at " + where + ")";
      Path dir;
      boolean ownsDir = stagingDirectory == null;
      try {
        if (stagingDirectory == null) {
          dir = Files.createTempDirectory("mxmedia-s3-staging-");
        } else {
          dir = Files.createDirectories(stagingDirectory).toRealPath();
          sweepStaging(dir);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot create the S3 staging directory "
                + (stagingDirectory == null ? "" : stagingDirectory)
                + ": "
                + e.getMessage(),
            e);
      }
      AwsCredentialsProvider credentials =
          accessKeyId != null && secretAccessKey != null
              ? StaticCredentialsProvider.create(
                  AwsBasicCredentials.create(accessKeyId, secretAccessKey))
              : DefaultCredentialsProvider.builder().build();
      S3Client client = client(region, credentials);
      try {
        client.headBucket(r -> r.bucket(b));
      } catch (SdkException e) {
        client.close();
        if (credentials instanceof SdkAutoCloseable c) {
          c.close();
        }
        if (ownsDir) {
          try {
            Files.deleteIfExists(dir);
          } catch (IOException ignored) {
            // a temporary directory; the system cleans it
          }
        }
        String message =
            "cannot use S3 bucket '"
                + b
                + "' at "
                + where
                + ": "
                + S3Failures.bucketProblem(e, this);
        throw new UncheckedIOException(message, new IOException(message, e));
      }
      log.info(
          "S3 storage ready: bucket {} at {}{}, staging in {}",
          b,
          where,
          prefix == null ? "" : " under prefix " + prefix,
          dir);
      return new S3Storage(this, client, credentials, dir, ownsDir, description);
    }

    private S3Client client(String region, AwsCredentialsProvider credentials) {
      S3ClientBuilder s3 =
          S3Client.builder()
              .httpClientBuilder(
                  Apache5HttpClient.builder()
                      .connectionTimeout(connectTimeout())
                      .connectionAcquisitionTimeout(connectTimeout())
                      .socketTimeout(readTimeout())
                      .maxConnections(maxConnections == null ? 64 : maxConnections)
                      .tcpKeepAlive(true))
              .region(Region.of(region))
              .credentialsProvider(credentials)
              .forcePathStyle(Boolean.TRUE.equals(pathStyle))
              // checksums only where S3 requires them: the SDK's default (CRC32 trailers in
              // aws-chunked
              // bodies, checksum mode on GETs) is refused by many S3-compatible stores
              .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
              .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
              .overrideConfiguration(
                  o ->
                      o.apiCallTimeout(callTimeout())
                          .apiCallAttemptTimeout(attemptTimeout())
                          .retryStrategy(
                              AwsRetryStrategy.standardRetryStrategy().toBuilder()
                                  .maxAttempts(3)
                                  .build()));
      if (endpoint != null) {
        s3.endpointOverride(endpoint);
      }
      return s3.build();
    }

    String region() {
      return region == null ? "us-east-1" : region;
    }

    DataSize multipartThreshold() {
      return multipartThreshold == null ? DataSize.mebibytes(16) : multipartThreshold;
    }

    DataSize partSize() {
      return partSize == null ? DataSize.mebibytes(16) : partSize;
    }

    Duration connectTimeout() {
      return connectTimeout == null ? Duration.ofSeconds(5) : connectTimeout;
    }

    Duration readTimeout() {
      return readTimeout == null ? Duration.ofSeconds(30) : readTimeout;
    }

    Duration attemptTimeout() {
      return attemptTimeout == null ? Duration.ofSeconds(60) : attemptTimeout;
    }

    Duration callTimeout() {
      return callTimeout == null ? Duration.ofMinutes(3) : callTimeout;
    }

    private static DataSize checkPart(DataSize size, String name) {
      Objects.requireNonNull(size, name);
      if (size.compareTo(MIN_PART) < 0 || size.compareTo(MAX_PART) > 0) {
        throw new IllegalArgumentException(
            name + " must be 5 MiB to 5 GiB (S3's part sizes): " + size);
      }
      return size;
    }

    private static Duration checkTimeout(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(
            name + " must be positive and at most a day: " + timeout);
      }
      return timeout;
    }

    private static <T> T once(@Nullable T current, T value, String name) {
      if (current != null) {
        throw new IllegalStateException(name + " was already set to " + current);
      }
      return value;
    }
  }
}
