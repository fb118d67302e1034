package org.mxmedia.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.mxmedia.DataSize;
import org.mxmedia.MediaAdmin.MediaInfo;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.RemoteMedia;

/**
 * Moves one large file through the repository, for {@link LargeFileMemoryTest} to run in a JVM with
 * a heap far smaller than the file: {@code upload}, {@code fetch} (a remote copy from a fake origin
 * on loopback answering the federation multipart format) or {@code download} (of a stored upload,
 * through {@code MediaContent.transferTo}). The bytes come from a generator and are never held
 * whole. Prints {@code generated}, {@code stored} and (for fetch and download) {@code served} lines
 * of {@code <bytes> <sha256>}, then the peak heap used; exits 0 on success.
 */
public final class LargeFileMain {
  /** The file's size: 200 MiB. */
  static final long SIZE = 200L * 1024 * 1024;

  static final long SEED = 0x6d786d65646961L;
  private static final String BOUNDARY = "largeFileBoundary7f3a9c2e51d84b06a1";
  static final MxcUri REMOTE = MxcUri.of("origin.test", "largeRemoteFile");

  private LargeFileMain() {}

  /**
   * {@code size} pseudo-random bytes (xorshift64*), made as they are read; hashes what it hands
   * out, so the reader's count and digest can be compared with what the repository recorded.
   */
  static final class Generated extends InputStream {
    private final long size;
    private long state;
    private long produced;
    private final MessageDigest sha256 = sha256();

    Generated(long seed, long size) {
      this.state = seed == 0 ? 1 : seed;
      this.size = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (produced >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - produced);
      for (int i = 0; i < n; i += 8) {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        long v = state * 0x2545F4914F6CDD1DL;
        for (int k = 0; k < 8 && i + k < n; k++) {
          b[off + i + k] = (byte) (v >>> (8 * k));
        }
      }
      sha256.update(b, off, n);
      produced += n;
      return n;
    }

    long produced() {
      return produced;
    }

    String sha256Hex() {
      return HexFormat.of().formatHex(sha256.digest());
    }
  }

  /** Counts and hashes what is written to it, keeping none of it. */
  static final class Counting extends OutputStream {
    private long count;
    private final MessageDigest sha256 = sha256();

    @Override
    public void write(int b) {
      sha256.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      sha256.update(b, off, len);
      count += len;
    }

    long count() {
      return count;
    }

    String sha256Hex() {
      return HexFormat.of().formatHex(sha256.digest());
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path dir = Path.of(args[1]);
    MediaConfig config =
        MediaConfig.defaults().rebuild().maxUploadSize(DataSize.mebibytes(256)).build();
    switch (mode) {
      case "upload" -> {
        try (Fixture f =
            new Fixture(dir.resolve("store"), MediaStore.inMemory(), b -> b.config(config))) {
          MxcUri uri = upload(f);
          System.out.println(
              "ondisk "
                  + Files.size(
                      f.storage.pathOf(BlobKey.of(f.repo.admin().describe(uri).sha256()))));
        }
      }
      case "download" -> {
        try (Fixture f =
            new Fixture(dir.resolve("store"), MediaStore.inMemory(), b -> b.config(config))) {
          MxcUri uri = upload(f);
          Counting served = new Counting();
          try (MediaResponse r = f.repo.download(uri, DownloadOptions.defaults())) {
            r.content().transferTo(served);
          }
          System.out.println("served " + served.count() + " " + served.sha256Hex());
        }
      }
      case "fetch" -> {
        try (FakeOrigin origin = new FakeOrigin()) {
          Generated[] sent = new Generated[1];
          origin.federation =
              ex -> {
                Generated body = new Generated(SEED, SIZE);
                sent[0] = body;
                ex.getResponseHeaders()
                    .set("Content-Type", "multipart/mixed; boundary=" + BOUNDARY);
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                  out.write(
                      ("--"
                              + BOUNDARY
                              + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--"
                              + BOUNDARY
                              + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                              + SIZE
                              + "\r\n\r\n")
                          .getBytes(StandardCharsets.ISO_8859_1));
                  byte[] buffer = new byte[64 * 1024];
                  for (int n; (n = body.read(buffer, 0, buffer.length)) > 0; ) {
                    out.write(buffer, 0, n);
                  }
                  out.write(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
                }
              };
          try (Fixture f =
              new Fixture(
                  dir.resolve("store"),
                  MediaStore.inMemory(),
                  b ->
                      b.config(config)
                          .federationClient(origin.client())
                          .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY))) {
            Counting served = new Counting();
            try (MediaResponse r = f.repo.download(REMOTE, DownloadOptions.defaults())) {
              r.content().transferTo(served);
            }
            System.out.println("generated " + sent[0].produced() + " " + sent[0].sha256Hex());
            RemoteMedia cached = f.store.remoteMedia(REMOTE).orElseThrow();
            System.out.println("stored " + cached.size() + " " + cached.blob().sha256());
            System.out.println("served " + served.count() + " " + served.sha256Hex());
            System.out.println("fetches " + origin.federationRequests.get());
          }
        }
      }
      default -> throw new IllegalArgumentException("mode: upload, fetch or download");
    }
    System.out.println("peak heap MiB " + peakHeapBytes() / (1024 * 1024));
  }

  private static MxcUri upload(Fixture f) throws IOException {
    Generated body = new Generated(SEED, SIZE);
    MxcUri uri = f.repo.upload(Fixture.ALICE, UploadRequest.of("application/octet-stream"), body);
    System.out.println("generated " + body.produced() + " " + body.sha256Hex());
    MediaInfo info = f.repo.admin().describe(uri);
    System.out.println("stored " + info.size() + " " + info.sha256());
    return uri;
  }

  private static long peakHeapBytes() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }
}
