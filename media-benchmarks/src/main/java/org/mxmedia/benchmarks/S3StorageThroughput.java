package org.mxmedia.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.mxmedia.MediaContent;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.PrimaryStorage;
import org.mxmedia.spi.PrimaryStorage.StagedBlob;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.storage.s3.S3Storage;

/**
 * Upload and download throughput of one large blob through {@link S3Storage} (to s3proxy over
 * loopback HTTP, s3proxy keeping its objects on the local file system) and through {@link
 * FileSystemStorage}, in one run, on the same disk.
 *
 * <p>Upload: the engine's ingest path without the hashing: the file is written through a staged
 * blob in 64 KiB writes, then committed (S3: a multipart upload of 16 MiB parts read back from the
 * staging file; file system: fsync and rename). Download: {@code fetch} and {@code transferTo} a
 * sink that discards the bytes (the first round checks their SHA-256). The blob is deleted between
 * rounds so each upload really uploads. Prints MiB/s per round and the best and median; the peak
 * heap shows memory does not grow with the blob.
 *
 * <p>Arguments: {@code [MiB] [rounds] [work directory]}, default 100 MiB, 3 rounds, a temporary
 * directory.
 */
public final class S3StorageThroughput {
  private static final int BUFFER = 64 * 1024;
  private static final String ACCESS_KEY = "bench";
  private static final String SECRET_KEY = "bench-secret";

  private S3StorageThroughput() {}

  private record Rounds(List<Double> upload, List<Double> download) {}

  public static void main(String[] args) throws Exception {
    int mib = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path work =
        args.length > 2
            ? Files.createDirectories(Path.of(args[2]))
            : Files.createTempDirectory("s3-throughput");
    long size = mib * 1024L * 1024L;
    Path source = work.resolve("source.bin");
    BlobKey key = writeRandom(source, size);
    HeapWatch heap = new HeapWatch();
    heap.start();

    Rounds fs =
        run(FileSystemStorage.at(work.resolve("fs"), Duration.ZERO), source, key, size, rounds);

    Path bucketRoot = Files.createDirectories(work.resolve("s3proxy"));
    FilesystemNio2BlobStore blobs = new FilesystemNio2BlobStore(bucketRoot.toString());
    blobs.createContainer("media");
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobs)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(5);
    }
    Rounds s3;
    try (S3Storage storage =
        S3Storage.builder()
            .endpoint(URI.create("http://127.0.0.1:" + proxy.getPort()))
            .bucket("media")
            .pathStyle(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .stagingDirectory(work.resolve("s3-staging"))
            .build()) {
      s3 = run(storage, source, key, size, rounds);
    } finally {
      proxy.stop();
    }
    heap.interrupt();
    heap.join();

    System.out.printf(
        "%n%d MiB blob, %d rounds, heap max %d MiB, peak used %d MiB%n",
        mib, rounds, Runtime.getRuntime().maxMemory() >> 20, heap.peak >> 20);
    System.out.printf(
        "%-22s %14s %14s %14s %14s%n",
        "storage", "upload best", "upload median", "download best", "download median");
    print("FileSystemStorage", fs);
    print("S3Storage (s3proxy)", s3);
    deleteTree(work.resolve("fs"));
    deleteTree(bucketRoot);
    if (args.length <= 2) {
      deleteTree(work);
    }
  }

  private static Rounds run(PrimaryStorage storage, Path source, BlobKey key, long size, int rounds)
      throws Exception {
    List<Double> up = new ArrayList<>();
    List<Double> down = new ArrayList<>();
    byte[] buffer = new byte[BUFFER];
    for (int round = 1; round <= rounds; round++) {
      storage.delete(key);
      long start = System.nanoTime();
      try (StagedBlob staged = storage.stage();
          InputStream in = Files.newInputStream(source)) {
        OutputStream out = staged.outputStream();
        int n;
        while ((n = in.read(buffer)) > 0) {
          out.write(buffer, 0, n);
        }
        staged.commit(key);
      }
      up.add(mibPerSecond(size, System.nanoTime() - start));

      start = System.nanoTime();
      long read;
      try (MediaContent content = storage.fetch(key).orElseThrow()) {
        if (round == 1) {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          read = content.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), sha));
          if (!BlobKey.ofDigest(sha.digest()).equals(key)) {
            throw new IllegalStateException(storage.name() + " returned other bytes");
          }
        } else {
          read = content.transferTo(OutputStream.nullOutputStream());
        }
      }
      down.add(mibPerSecond(size, System.nanoTime() - start));
      if (read != size) {
        throw new IllegalStateException(
            storage.name() + " returned " + read + " bytes, not " + size);
      }
      System.out.printf(
          "%s round %d: upload %.0f MiB/s, download %.0f MiB/s%n",
          storage.name(), round, up.get(up.size() - 1), down.get(down.size() - 1));
    }
    storage.delete(key);
    return new Rounds(up, down);
  }

  private static double mibPerSecond(long bytes, long nanos) {
    return bytes / (1024.0 * 1024.0) / (nanos / 1e9);
  }

  private static void print(String name, Rounds r) {
    System.out.printf(
        "%-22s %10.0f MiB/s %10.0f MiB/s %10.0f MiB/s %10.0f MiB/s%n",
        name, best(r.upload()), median(r.upload()), best(r.download()), median(r.download()));
  }

  private static double best(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static BlobKey writeRandom(Path file, long size) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    Random random = new Random(42);
    byte[] chunk = new byte[1024 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; left -= chunk.length) {
        random.nextBytes(chunk);
        int n = (int) Math.min(chunk.length, left);
        out.write(chunk, 0, n);
        sha.update(chunk, 0, n);
      }
    }
    return BlobKey.ofDigest(sha.digest());
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Samples the heap in use every 5 ms until interrupted. */
  private static final class HeapWatch extends Thread {
    volatile long peak;

    HeapWatch() {
      super("heap-watch");
      setDaemon(true);
    }

    @Override
    public void run() {
      Runtime rt = Runtime.getRuntime();
      while (!isInterrupted()) {
        peak = Math.max(peak, rt.totalMemory() - rt.freeMemory());
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
