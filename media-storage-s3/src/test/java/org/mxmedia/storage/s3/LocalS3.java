package org.mxmedia.storage.s3;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 implementation in this process: s3proxy over an in-memory blob store (or the one
 * given), on a loopback port, with signature checks on. It can be stopped and started again on the
 * same port with the same blobs.
 */
final class LocalS3 implements AutoCloseable {
  static final String ACCESS_KEY = "mxmedia-test";
  static final String SECRET_KEY = "s3cr3t-never-to-be-shown";
  private static final AtomicInteger buckets = new AtomicInteger();

  final RecordingBlobStore store;
  private @Nullable S3Proxy proxy;
  private int port;
  private @Nullable S3Client client;

  LocalS3() {
    this(new TransientNio2BlobStore());
  }

  LocalS3(BlobStore backing) {
    this.store = new RecordingBlobStore(backing);
    start(0);
  }

  /** Starts s3proxy on {@code port} (0: any free port). */
  synchronized void start(int port) {
    S3Proxy p =
        S3Proxy.builder()
            .blobStore(store)
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    try {
      p.start();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!"STARTED".equals(p.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("s3proxy did not start: " + p.getState());
        }
        Thread.sleep(5);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cannot start s3proxy", e);
    }
    this.proxy = p;
    this.port = p.getPort();
  }

  /** Stops s3proxy; its port refuses connections until {@link #restart()}. */
  synchronized void stop() {
    S3Proxy p = proxy;
    proxy = null;
    if (p != null) {
      try {
        p.stop();
      } catch (Exception e) {
        throw new IllegalStateException("cannot stop s3proxy", e);
      }
    }
  }

  /** Starts s3proxy again on the port it had, with the blobs it had. */
  void restart() {
    start(port);
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + port);
  }

  int port() {
    return port;
  }

  /** Creates a new, empty bucket and returns its name. */
  String newBucket() {
    String name = "bucket-" + buckets.incrementAndGet();
    store.createContainer(name);
    return name;
  }

  /**
   * A builder for an {@link S3Storage} on {@code bucket} here, path-style, with the right
   * credentials.
   */
  S3Storage.Builder storage(String bucket) {
    return S3Storage.builder()
        .endpoint(endpoint())
        .bucket(bucket)
        .pathStyle(true)
        .credentials(ACCESS_KEY, SECRET_KEY);
  }

  /** A plain SDK client of this s3proxy, to look at buckets from outside the storage. */
  synchronized S3Client client() {
    S3Client c = client;
    if (c == null) {
      c =
          S3Client.builder()
              .httpClientBuilder(Apache5HttpClient.builder())
              .endpointOverride(endpoint())
              .region(Region.US_EAST_1)
              .forcePathStyle(true)
              .credentialsProvider(
                  StaticCredentialsProvider.create(
                      AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
              .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
              .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
              .build();
      client = c;
    }
    return c;
  }

  @Override
  public synchronized void close() {
    if (client != null) {
      client.close();
      client = null;
    }
    stop();
  }
}
