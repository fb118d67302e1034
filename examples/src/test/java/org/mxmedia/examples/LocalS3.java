package org.mxmedia.examples;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real S3 implementation in this process: s3proxy over an in-memory blob store on a loopback
 * port, checking request signatures, and an SDK client to look at its buckets from outside.
 */
final class LocalS3 implements AutoCloseable {
  static final String ACCESS_KEY = "example-test";
  static final String SECRET_KEY = "example-test-secret";
  private static final AtomicInteger buckets = new AtomicInteger();

  private final S3Proxy proxy;
  final S3Client client;

  LocalS3() throws Exception {
    proxy =
        S3Proxy.builder()
            .blobStore(new TransientNio2BlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    if (!"STARTED".equals(proxy.getState())) {
      throw new IllegalStateException("s3proxy did not start: " + proxy.getState());
    }
    client =
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
  }

  URI endpoint() {
    return URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** Creates a new, empty bucket and returns its name. */
  String newBucket() {
    String name = "cluster-" + buckets.incrementAndGet();
    client.createBucket(b -> b.bucket(name));
    return name;
  }

  /** The example server's options for {@code bucket} here, under {@code prefix}. */
  List<String> options(String bucket, String prefix) {
    return new ArrayList<>(
        List.of(
            "--s3-endpoint",
            endpoint().toString(),
            "--s3-bucket",
            bucket,
            "--s3-path-style",
            "--s3-access-key",
            ACCESS_KEY,
            "--s3-secret-key",
            SECRET_KEY,
            "--s3-prefix",
            prefix));
  }

  /** The keys of every object in {@code bucket}. */
  List<String> keys(String bucket) {
    return client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream()
        .map(S3Object::key)
        .toList();
  }

  @Override
  public void close() throws Exception {
    client.close();
    proxy.stop();
  }
}
