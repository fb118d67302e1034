package org.mxmedia.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import software.amazon.awssdk.services.s3.model.S3Object;

@Timeout(120)
class S3StorageTest {
  private static final LocalS3 s3 = new LocalS3();
  private static final int MIB = 1024 * 1024;

  @TempDir Path scratch;
  private String bucket = "";
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeEach
  void newBucket() {
    bucket = s3.newBucket();
    s3.store.reset();
  }

  @AfterEach
  void closeAll() throws Exception {
    Collections.reverse(toClose);
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  private S3Storage storage(S3Storage.Builder b) {
    return closing(b.build());
  }

  private S3Storage smallParts() {
    return storage(
        s3.storage(bucket)
            .multipartThreshold(DataSize.mebibytes(5))
            .partSize(DataSize.mebibytes(5))
            .stagingDirectory(scratch.resolve("staging")));
  }

  private record Blob(BlobKey key, Path file, byte[] bytes) {}

  private Blob blob(int size, long seed) throws Exception {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Path file = Files.write(Files.createTempFile(scratch, "blob", ".bin"), bytes);
    return new Blob(
        BlobKey.ofDigest(MessageDigest.getInstance("SHA-256").digest(bytes)), file, bytes);
  }

  private static byte[] read(MediaContent content) throws IOException {
    try (content;
        InputStream in = content.openStream()) {
      return in.readAllBytes();
    }
  }

  private static void stage(S3Storage storage, Blob b) throws IOException {
    try (StagedBlob staged = storage.stage()) {
      for (int off = 0; off < b.bytes().length; off += 64 * 1024) {
        staged.outputStream().write(b.bytes(), off, Math.min(64 * 1024, b.bytes().length - off));
      }
      staged.commit(b.key());
    }
  }

  private boolean existsOutside(String key) {
    return s3.client().listObjectsV2(r -> r.bucket(bucket)).contents().stream()
        .anyMatch(o -> o.key().equals(key));
  }

  @Test
  void aStagedUploadOverTheThresholdGoesInPartsAndReadsBackWhole() throws Exception {
    S3Storage storage = smallParts();
    Blob b = blob(12 * MIB + 123, 1);

    stage(storage, b);

    String key = storage.keyOf(b.key());
    assertThat(s3.store.multipartStarts).containsExactly(key);
    assertThat(s3.store.parts).containsExactly(1, 2, 3);
    assertThat(s3.store.completes).hasValue(1);
    assertThat(s3.store.puts).isEmpty();
    assertThat(storage.stagingFiles()).isZero();
    assertThat(read(storage.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void aStoredFileOverTheThresholdGoesInPartsAndOneAtTheThresholdInOnePut() throws Exception {
    S3Storage storage = smallParts();
    Blob big = blob(10 * MIB + 1, 2);
    Blob exact = blob(5 * MIB, 3);

    storage.store(big.key(), big.file());
    storage.store(exact.key(), exact.file());

    assertThat(s3.store.multipartStarts).containsExactly(storage.keyOf(big.key()));
    assertThat(s3.store.parts).containsExactly(1, 2, 3);
    assertThat(s3.store.puts).containsExactly(storage.keyOf(exact.key()));
    assertThat(read(storage.fetch(big.key()).orElseThrow())).isEqualTo(big.bytes());
    assertThat(read(storage.fetch(exact.key()).orElseThrow())).isEqualTo(exact.bytes());
    assertThat(big.file()).exists();
  }

  @Test
  void aPartThatFailsAbortsTheMultipartUploadAndLeavesNothing() throws Exception {
    S3Storage storage = smallParts();
    Blob b = blob(12 * MIB, 4);
    s3.store.failingPart = 2;

    assertThatThrownBy(() -> stage(storage, b))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("UploadPart 2")
        .hasMessageContaining(storage.keyOf(b.key()));
    assertThatThrownBy(() -> storage.store(b.key(), b.file())).isInstanceOf(IOException.class);

    assertThat(s3.store.parts)
        .as("part 2 tried three times (retries are bounded), part 3 never")
        .containsExactly(1, 2, 2, 2, 1, 2, 2, 2);
    assertThat(s3.store.aborts).hasValue(2);
    assertThat(s3.store.completes).hasValue(0);
    assertThat(s3.client().listMultipartUploads(r -> r.bucket(bucket)).uploads()).isEmpty();
    assertThat(existsOutside(storage.keyOf(b.key()))).isFalse();
    assertThat(storage.exists(b.key())).isFalse();
    assertThat(storage.stagingFiles()).isZero();

    s3.store.failingPart = 0;
    stage(storage, b);
    assertThat(read(storage.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void aPartAttemptThatTimesOutIsRetriedFromTheFile() throws Exception {
    S3Storage storage =
        storage(
            s3.storage(bucket)
                .multipartThreshold(DataSize.mebibytes(5))
                .partSize(DataSize.mebibytes(5))
                .attemptTimeout(Duration.ofSeconds(1))
                .callTimeout(Duration.ofSeconds(20)));
    Blob b = blob(11 * MIB, 18);
    s3.store.slowMillis = 3000;
    s3.store.slowPart = 2;

    storage.store(b.key(), b.file());

    assertThat(s3.store.parts).containsExactly(1, 2, 2, 3);
    assertThat(read(storage.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void aKeyThatExistsIsNotUploadedAgain() throws Exception {
    S3Storage storage = storage(s3.storage(bucket).stagingDirectory(scratch.resolve("staging")));
    Blob b = blob(100_000, 5);

    storage.store(b.key(), b.file());
    storage.store(b.key(), b.file());
    stage(storage, b);

    assertThat(s3.store.puts).containsExactly(storage.keyOf(b.key()));
    assertThat(storage.stagingFiles()).isZero();
    assertThat(read(storage.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void readingFromAnOffsetAsksS3OnlyForTheRest() throws Exception {
    S3Storage storage = storage(s3.storage(bucket));
    Blob b = blob(MIB, 6);
    storage.store(b.key(), b.file());

    try (MediaContent content = storage.fetch(b.key()).orElseThrow()) {
      assertThat(content.length()).isEqualTo(MIB);
      try (InputStream in = content.openStream(600_000)) {
        assertThat(in.readAllBytes()).isEqualTo(Arrays.copyOfRange(b.bytes(), 600_000, MIB));
      }
      try (InputStream in = content.openStream(MIB)) {
        assertThat(in.read()).isEqualTo(-1);
      }
      assertThatThrownBy(() -> content.openStream(MIB + 1))
          .isInstanceOf(IllegalArgumentException.class);
    }

    assertThat(s3.store.gets).hasSize(2);
    assertThat(s3.store.gets.get(0).range()).as("the fetch itself").isNull();
    assertThat(s3.store.gets.get(1).range()).isEqualTo("bytes=600000-");
  }

  @Test
  void laterStreamsAreNewRequestsAndTheFirstIsTheFetchItself() throws Exception {
    S3Storage storage = storage(s3.storage(bucket));
    Blob b = blob(200_000, 7);
    storage.store(b.key(), b.file());

    try (MediaContent content = storage.fetch(b.key()).orElseThrow()) {
      try (InputStream in = content.openStream()) {
        assertThat(in.readAllBytes()).isEqualTo(b.bytes());
      }
      assertThat(s3.store.gets).hasSize(1);
      try (InputStream in = content.openStream()) {
        assertThat(in.readAllBytes()).isEqualTo(b.bytes());
      }
      assertThat(s3.store.gets).hasSize(2);
      storage.delete(b.key());
      assertThatThrownBy(content::openStream)
          .isInstanceOf(NoSuchFileException.class)
          .hasMessageContaining(storage.keyOf(b.key()));
    }
  }

  @Test
  void blobsLiveUnderThePrefixShardedByTheirHash() throws Exception {
    S3Storage prefixed = storage(s3.storage(bucket).prefix("media/node-a"));
    S3Storage root = storage(s3.storage(bucket));
    Blob b = blob(1000, 8);

    prefixed.store(b.key(), b.file());

    String h = b.key().sha256();
    String expected = "media/node-a/" + h.substring(0, 2) + "/" + h.substring(2, 4) + "/" + h;
    assertThat(prefixed.keyOf(b.key())).isEqualTo(expected);
    assertThat(s3.client().listObjectsV2(r -> r.bucket(bucket)).contents())
        .extracting(S3Object::key)
        .containsExactly(expected);
    assertThat(root.exists(b.key())).isFalse();
    assertThat(root.keyOf(b.key()))
        .isEqualTo(h.substring(0, 2) + "/" + h.substring(2, 4) + "/" + h);
    assertThat(prefixed.name()).contains("s3://" + bucket + "/media/node-a/");
    assertThat(prefixed.delete(b.key())).isTrue();
    assertThat(s3.client().listObjectsV2(r -> r.bucket(bucket)).contents()).isEmpty();
  }

  @Test
  void pathStyleRequestsNameTheBucketInThePath() throws Exception {
    TcpRelay relay = closing(new TcpRelay(s3.endpoint()));
    String host = "localhost:" + relay.port();
    S3Storage storage =
        storage(
            S3Storage.builder()
                .endpoint(URI.create("http://" + host))
                .bucket(bucket)
                .pathStyle(true)
                .credentials(LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY));
    Blob b = blob(10, 9);

    storage.store(b.key(), b.file());

    assertThat(read(storage.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
    assertThat(relay.requests()).first().isEqualTo("HEAD /" + bucket + " @" + host);
    assertThat(relay.requests())
        .allMatch(r -> r.contains(" /" + bucket + "/") || r.equals("HEAD /" + bucket + " @" + host))
        .allMatch(r -> r.endsWith(" @" + host));
  }

  @Test
  void theStorageClassGoesWithEveryUpload() throws Exception {
    S3Storage storage =
        storage(
            s3.storage(bucket)
                .storageClass("REDUCED_REDUNDANCY")
                .multipartThreshold(DataSize.mebibytes(5))
                .partSize(DataSize.mebibytes(5)));
    storage.store(blob(10, 10).key(), blob(10, 10).file());
    storage.store(blob(6 * MIB, 11).key(), blob(6 * MIB, 11).file());

    assertThat(s3.store.storageClasses).containsExactly("REDUCED_REDUNDANCY", "REDUCED_REDUNDANCY");
  }

  @Test
  void wrongCredentialsFailAtBuildWithAMessageThatNamesTheBucketButNotTheSecret() {
    String secret = "wrong-secret-f00";
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                S3Storage.builder()
                    .endpoint(s3.endpoint())
                    .bucket(bucket)
                    .pathStyle(true)
                    .credentials(LocalS3.ACCESS_KEY, secret)
                    .build())
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("'" + bucket + "'")
        .hasMessageContaining(s3.endpoint().toString())
        .hasMessageContaining("access denied (HTTP 403)")
        .satisfies(e -> assertThat(chainText(e)).doesNotContain(secret));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void aMissingBucketFailsAtBuild() {
    assertThatThrownBy(() -> s3.storage("no-such-bucket").build())
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("'no-such-bucket'")
        .hasMessageContaining("does not exist")
        .satisfies(e -> assertThat(chainText(e)).doesNotContain(LocalS3.SECRET_KEY));
  }

  @Test
  void anEndpointThatRefusesConnectionsFailsAtBuildQuickly() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    long start = System.nanoTime();
    assertThatThrownBy(
            () ->
                S3Storage.builder()
                    .endpoint(URI.create("http://127.0.0.1:" + port))
                    .bucket(bucket)
                    .pathStyle(true)
                    .credentials("a", "b")
                    .connectTimeout(Duration.ofSeconds(1))
                    .callTimeout(Duration.ofSeconds(5))
                    .attemptTimeout(Duration.ofSeconds(2))
                    .build())
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("http://127.0.0.1:" + port)
        .hasMessageContaining("cannot reach it");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void anEndpointThatNeverAnswersFailsWithinTheCallTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      List<Socket> accepted = Collections.synchronizedList(new ArrayList<>());
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(silent.accept());
                  }
                } catch (IOException e) {
                  // closed
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  S3Storage.builder()
                      .endpoint(URI.create("http://127.0.0.1:" + silent.getLocalPort()))
                      .bucket(bucket)
                      .pathStyle(true)
                      .credentials("a", "b")
                      .readTimeout(Duration.ofSeconds(1))
                      .attemptTimeout(Duration.ofSeconds(1))
                      .callTimeout(Duration.ofSeconds(2))
                      .build())
          .isInstanceOf(UncheckedIOException.class)
          .hasMessageContaining("no answer within the timeouts");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
      for (Socket s : accepted) {
        s.close();
      }
    }
  }

  @Test
  void aDownloadThatStallsFailsAfterTheReadTimeout() throws Exception {
    S3Storage direct = storage(s3.storage(bucket));
    Blob b = blob(2 * MIB, 12);
    direct.store(b.key(), b.file());
    TcpRelay relay = closing(new TcpRelay(s3.endpoint()));
    relay.stallAfter = 64 * 1024;
    S3Storage storage =
        storage(
            S3Storage.builder()
                .endpoint(URI.create("http://127.0.0.1:" + relay.port()))
                .bucket(bucket)
                .pathStyle(true)
                .credentials(LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY)
                .readTimeout(Duration.ofSeconds(1)));

    long start = System.nanoTime();
    assertThatThrownBy(() -> read(storage.fetch(b.key()).orElseThrow()))
        .isInstanceOf(IOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
  }

  @Test
  void closingAStreamEarlyDropsItsConnectionRatherThanReadingTheRest() throws Exception {
    S3Storage direct = storage(s3.storage(bucket));
    Blob b = blob(48 * MIB, 13);
    direct.store(b.key(), b.file());
    TcpRelay relay = closing(new TcpRelay(s3.endpoint()));
    S3Storage storage =
        storage(
            S3Storage.builder()
                .endpoint(URI.create("http://127.0.0.1:" + relay.port()))
                .bucket(bucket)
                .pathStyle(true)
                .credentials(LocalS3.ACCESS_KEY, LocalS3.SECRET_KEY));

    try (MediaContent content = storage.fetch(b.key()).orElseThrow();
        InputStream in = content.openStream()) {
      assertThat(in.readNBytes(1024)).isEqualTo(Arrays.copyOf(b.bytes(), 1024));
    }
    Thread.sleep(200);

    assertThat(relay.toClients.get()).as("bytes sent towards the storage").isLessThan(24L * MIB);
  }

  @Test
  void contentThatIsNeverReadOrClosedEarlyGivesItsConnectionBack() throws Exception {
    S3Storage storage =
        storage(s3.storage(bucket).maxConnections(2).connectTimeout(Duration.ofSeconds(1)));
    Blob b = blob(300_000, 14);
    storage.store(b.key(), b.file());

    for (int i = 0; i < 10; i++) {
      storage.fetch(b.key()).orElseThrow().close();
      try (MediaContent content = storage.fetch(b.key()).orElseThrow();
          InputStream in = content.openStream(1000)) {
        assertThat(in.read()).isEqualTo(b.bytes()[1000] & 0xff);
      }
    }
    assertThat(read(storage.fetch(b.key()).orElseThrow())).isEqualTo(b.bytes());
  }

  @Test
  void stagingFilesLiveInTheStagingDirectoryUntilCommittedOrClosed() throws Exception {
    Path dir = scratch.resolve("staging");
    S3Storage storage = storage(s3.storage(bucket).stagingDirectory(dir));
    Blob b = blob(1000, 15);

    try (StagedBlob staged = storage.stage()) {
      staged.outputStream().write(b.bytes());
      assertThat(stagingFiles(dir)).hasSize(1);
    }
    assertThat(stagingFiles(dir)).isEmpty();
    StagedBlob committed = storage.stage();
    committed.outputStream().write(b.bytes());
    committed.commit(b.key());
    assertThat(stagingFiles(dir)).isEmpty();
    committed.close();
  }

  @Test
  void aFailedCommitDeletesTheStagingFileAndCannotBeRetried() throws Exception {
    S3Storage storage = smallParts();
    Blob b = blob(6 * MIB, 16);
    s3.store.failingPart = 1;
    StagedBlob staged = storage.stage();
    staged.outputStream().write(b.bytes());
    assertThatThrownBy(() -> staged.commit(b.key())).isInstanceOf(IOException.class);
    assertThat(storage.stagingFiles()).isZero();
    assertThatThrownBy(() -> staged.commit(b.key())).isInstanceOf(IllegalStateException.class);
    staged.close();
  }

  @Test
  void staleStagingFilesAreDeletedAtBuildAndFreshOnesKept() throws Exception {
    Path dir = Files.createDirectories(scratch.resolve("staging"));
    Path stale = Files.createFile(dir.resolve("upload-1.part"));
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    Path fresh = Files.createFile(dir.resolve("upload-2.part"));
    Path unrelated = Files.createFile(dir.resolve("keep-me.txt"));
    Files.setLastModifiedTime(unrelated, FileTime.from(Instant.now().minus(Duration.ofHours(2))));

    storage(s3.storage(bucket).stagingDirectory(dir));

    assertThat(stale).doesNotExist();
    assertThat(fresh).exists();
    assertThat(unrelated).exists();
  }

  @Test
  void closeStopsTheStorageAndDeletesTheDefaultStagingDirectory() throws Exception {
    S3Storage storage = s3.storage(bucket).build();
    Path dir = storage.stagingDirectory();
    StagedBlob leaked = storage.stage();
    assertThat(dir).isDirectory();

    storage.close();
    storage.close();

    assertThat(dir).doesNotExist();
    assertThatThrownBy(storage::stage)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> storage.exists(blob(1, 17).key()))
        .isInstanceOf(IllegalStateException.class);
    leaked.close();
  }

  @Test
  void theBuilderChecksEachSettingAtOnceAndTakesItOnce() {
    S3Storage.Builder b = S3Storage.builder();
    assertThatThrownBy(() -> b.endpoint(URI.create("ftp://host")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.endpoint(URI.create("http://user:pw@host")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.endpoint(URI.create("http://host/path")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.bucket("x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.bucket("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.region("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.prefix("/media")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.prefix("a//b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.prefix("a/../b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.prefix("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.storageClass("STANDARD IA"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.credentials("key", " "))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.multipartThreshold(DataSize.mebibytes(4)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.partSize(DataSize.gibibytes(6)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.readTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.callTimeout(Duration.ofDays(2)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxConnections(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.bucket(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("bucket");

    b.bucket("media")
        .prefix("media")
        .credentials("key", "top-secret")
        .attemptTimeout(Duration.ofMinutes(5));
    assertThatThrownBy(() -> b.bucket("other"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("media");
    assertThatThrownBy(() -> b.prefix("other"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("media/");
    assertThatThrownBy(() -> b.credentials("key", "other"))
        .isInstanceOf(IllegalStateException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("top-secret"));
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("attempt timeout");
  }

  private static List<Path> stagingFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".part")).toList();
    }
  }

  private static String chainText(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      text.append(t).append('\n');
    }
    return text.toString();
  }
}
