package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mxmedia.it.Fixture.ALICE;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaId;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;
import org.mxmedia.spi.UploadPolicy;

/**
 * Upload and download of local media over real file storage, including every way an upload can go
 * wrong.
 */
class LocalMediaTest {

  @TempDir Path dir;
  Fixture f;

  @BeforeEach
  void setUp() {
    f =
        new Fixture(
            dir,
            MediaStore.inMemory(),
            b -> b.config(MediaConfig.defaults().withMaxUploadSize(DataSize.kibibytes(256))));
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  @Test
  void uploadedMediaDownloadsWithItsMetadata() throws Exception {
    byte[] png = randomBytes(5000, 1);
    MxcUri uri =
        f.upload(
            png,
            UploadRequest.of("image/png")
                .withFileName("cat picture.png")
                .withDeclaredLength(png.length));

    assertThat(uri.serverName().value()).isEqualTo("example.org");
    assertThat(uri.mediaId().value()).matches("[A-Za-z]{24}");
    try (MediaResponse r = f.repo.download(uri, DownloadOptions.defaults())) {
      assertThat(r.contentType()).isEqualTo("image/png");
      assertThat(r.contentLength()).isEqualTo(5000);
      assertThat(r.fileName()).contains("cat picture.png");
      assertThat(r.inline()).isTrue();
      assertThat(r.contentDispositionHeader())
          .isEqualTo("inline; filename*=utf-8''cat%20picture.png");
      assertThat(r.sha256()).isEqualTo(sha256(png));
      assertThat(r.etag()).isEqualTo("\"" + sha256(png) + "\"");
      assertThat(r.createdAt()).isEqualTo(f.clock.instant());
      try (InputStream in = r.content().openStream()) {
        assertThat(in.readAllBytes()).isEqualTo(png);
      }
    }
    var record = f.repo.admin().describe(uri);
    assertThat(record.uploader()).contains(ALICE);
    assertThat(record.size()).isEqualTo(5000);
  }

  @Test
  void contentTypeDefaultsToOctetStreamAndHtmlIsAnAttachment() throws Exception {
    MxcUri none =
        f.repo.upload(ALICE, UploadRequest.empty(), new ByteArrayInputStream(new byte[] {1}));
    MxcUri html =
        f.upload(
            "<script>alert(1)</script>".getBytes(StandardCharsets.UTF_8),
            UploadRequest.of("text/html"));
    try (MediaResponse r = f.repo.download(none, DownloadOptions.defaults())) {
      assertThat(r.contentType()).isEqualTo("application/octet-stream");
      assertThat(r.contentDispositionHeader()).isEqualTo("attachment");
    }
    try (MediaResponse r = f.repo.download(html, DownloadOptions.defaults())) {
      assertThat(r.contentTypeHeader()).isEqualTo("text/html; charset=utf-8");
      assertThat(r.inline()).isFalse();
    }
  }

  @Test
  void headerInjectionInTheContentTypeIsNeutralised() throws Exception {
    MxcUri uri = f.upload(new byte[] {1}, UploadRequest.of("text/plain\r\nSet-Cookie: a=b"));
    assertThat(f.repo.admin().describe(uri).contentType()).isEqualTo("application/octet-stream");
  }

  @Test
  void nonAsciiCharactersThatAServerWouldWriteAsCrLfAreNeutralised() throws Exception {
    // U+010D U+010A: a server that writes header chars as bytes would send CR LF
    for (String type :
        List.of(
            "text/plain; a=\"\u010D\u010ASet-Cookie: a=b\"",
            "text/plain;\ta=b",
            "text/plain;\r\n a=b",
            "image/p\u00e9ng",
            "text/plain; a=\"\u0085\"")) {
      MxcUri uri = f.upload(new byte[] {1}, UploadRequest.of(type));
      assertThat(f.repo.admin().describe(uri).contentType())
          .as(type)
          .isEqualTo("application/octet-stream");
    }
    MxcUri ok = f.upload(new byte[] {1}, UploadRequest.of("text/plain; charset=\"utf-8\""));
    assertThat(f.repo.admin().describe(ok).contentType())
        .isEqualTo("text/plain; charset=\"utf-8\"");
  }

  @Test
  void aStoredTypeNoUploadCouldWriteIsServedAsOctetStream() throws Exception {
    // records imported from Synapse, or written by another program sharing the database
    byte[] page = "<p>hi</p>".getBytes(StandardCharsets.UTF_8);
    MxcUri uri = f.upload(page, UploadRequest.of("text/html"));
    LocalMedia uploaded = f.store.localMedia(uri.mediaId()).orElseThrow();
    List<String> types = List.of("text/html\r\nSet-Cookie: a=b", "image/p\u00e9ng", "", "text");
    for (int i = 0; i < types.size(); i++) {
      MediaId written = MediaId.of("WrittenByAnotherProgram" + i);
      assertThat(f.store.reserveBlob(uploaded.blob())).isEqualTo(MediaStore.Reservation.RESERVED);
      assertThat(
              f.store.insertLocalMedia(
                  LocalMedia.uploaded(
                      written,
                      types.get(i),
                      Optional.empty(),
                      ALICE,
                      uploaded.size(),
                      uploaded.blob(),
                      uploaded.createdAt())))
          .isTrue();
      try (MediaResponse r =
          f.repo.download(MxcUri.of(uri.serverName(), written), DownloadOptions.defaults())) {
        assertThat(r.contentTypeHeader()).as(types.get(i)).isEqualTo("application/octet-stream");
        assertThat(r.content().openStream().readAllBytes()).isEqualTo(page);
      }
    }
  }

  @Test
  void parallelUploadsShareOneQuotaInsteadOfEachSpendingAllOfIt(@TempDir Path other)
      throws Exception {
    try (Fixture q =
        new Fixture(
            other,
            MediaStore.inMemory(),
            b ->
                b.uploadPolicy(
                    UploadPolicy.perUserQuota(DataSize.kibibytes(100), Duration.ofDays(1))))) {
      int uploads = 4;
      CountDownLatch allStarted = new CountDownLatch(uploads);
      ExecutorService pool = Executors.newFixedThreadPool(uploads);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < uploads; i++) {
        byte[] bytes = randomBytes(40 * 1024, 20 + i);
        results.add(
            pool.submit(
                () -> {
                  // each body sends half, waits until every upload has started, then sends the rest
                  InputStream body =
                      new SequenceInputStream(
                          new ByteArrayInputStream(bytes, 0, 20 * 1024),
                          new InputStream() {
                            InputStream rest;

                            @Override
                            public int read() throws IOException {
                              byte[] one = new byte[1];
                              return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
                            }

                            @Override
                            public int read(byte[] b, int off, int len) throws IOException {
                              if (rest == null) {
                                allStarted.countDown();
                                try {
                                  allStarted.await();
                                } catch (InterruptedException e) {
                                  throw new IOException(e);
                                }
                                rest =
                                    new ByteArrayInputStream(
                                        bytes, 20 * 1024, bytes.length - 20 * 1024);
                              }
                              return rest.read(b, off, len);
                            }
                          });
                  try {
                    q.repo.upload(ALICE, UploadRequest.empty(), body);
                    return true;
                  } catch (MediaException e) {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);
                    allStarted.countDown();
                    return false;
                  }
                }));
      }
      int stored = 0;
      for (Future<Boolean> r : results) {
        stored += r.get(30, TimeUnit.SECONDS) ? 1 : 0;
      }
      pool.shutdown();
      assertThat(stored).as("40 KiB uploads that fit in a 100 KiB quota").isBetween(1, 2);
      assertThat(q.repo.admin().usage(ALICE, Instant.EPOCH).totalBytes())
          .isLessThanOrEqualTo(100 * 1024);
    }
  }

  @Test
  void theSameBytesAreStoredOnce() throws Exception {
    byte[] bytes = randomBytes(10_000, 2);
    MxcUri a = f.upload(bytes, UploadRequest.of("image/png"));
    MxcUri b =
        f.upload(bytes, UploadRequest.of("application/octet-stream").withFileName("copy.bin"));
    assertThat(a).isNotEqualTo(b);
    assertThat(f.files()).hasSize(1);
    assertThat(f.store.blobReferences(BlobKey.of(sha256(bytes)))).isEqualTo(2);
    assertThat(f.download(a)).isEqualTo(bytes);
    assertThat(f.download(b)).isEqualTo(bytes);
  }

  @Test
  void anEmptyFileIsAValidUpload() throws Exception {
    MxcUri uri = f.upload(new byte[0], UploadRequest.of("text/plain").withDeclaredLength(0));
    assertThat(f.download(uri)).isEmpty();
  }

  @Test
  void anUploadOverTheLimitIs413AndLeavesNothing() throws Exception {
    TreeSet<String> before = f.files();
    CountingStream body =
        new CountingStream(new ByteArrayInputStream(randomBytes(2 * 1024 * 1024, 3)));
    assertThatThrownBy(() -> f.repo.upload(ALICE, UploadRequest.of("image/png"), body))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_TOO_LARGE);
              assertThat(e.httpStatus()).isEqualTo(413);
            });
    assertThat(body.read.get())
        .as("bytes read before giving up")
        .isLessThanOrEqualTo(256 * 1024 + 64 * 1024);
    assertThat(f.files()).isEqualTo(before);
    assertThat(f.store.unreferencedBlobs(10)).isEmpty();
  }

  @Test
  void aDeclaredLengthOverTheLimitIsRefusedBeforeReading() {
    CountingStream body = new CountingStream(new ByteArrayInputStream(new byte[10]));
    assertThatThrownBy(
            () -> f.repo.upload(ALICE, UploadRequest.empty().withDeclaredLength(300 * 1024), body))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_TOO_LARGE));
    assertThat(body.read.get()).isZero();
  }

  @Test
  void anUploadExactlyAtTheLimitIsAccepted() throws Exception {
    byte[] bytes = randomBytes(256 * 1024, 4);
    assertThat(f.download(f.upload(bytes, UploadRequest.empty()))).isEqualTo(bytes);
  }

  @Test
  void aStreamThatFailsHalfWayLeavesNothing() throws Exception {
    TreeSet<String> before = f.files();
    InputStream failing =
        new InputStream() {
          int n;

          @Override
          public int read() throws IOException {
            if (n++ > 100_000) {
              throw new IOException("connection reset by peer");
            }
            return 'x';
          }
        };
    assertThatThrownBy(() -> f.repo.upload(ALICE, UploadRequest.empty(), failing))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_UNKNOWN);
              assertThat(e.httpStatus()).isEqualTo(400);
              assertThat(e.getMessage()).doesNotContain("reset").doesNotContain(dir.toString());
            });
    assertThat(f.files()).isEqualTo(before);
  }

  @Test
  void aBodyShorterThanItsDeclaredLengthIsADisconnectAndLeavesNothing() throws Exception {
    TreeSet<String> before = f.files();
    assertThatThrownBy(
            () ->
                f.repo.upload(
                    ALICE,
                    UploadRequest.empty().withDeclaredLength(1000),
                    new ByteArrayInputStream(new byte[10])))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(400));
    assertThat(f.files()).isEqualTo(before);
  }

  @Test
  void fileNamesWithControlCharactersAreRefusedBeforeReading() throws Exception {
    CountingStream body = new CountingStream(new ByteArrayInputStream(new byte[10]));
    assertThatThrownBy(
            () -> f.repo.upload(ALICE, UploadRequest.empty().withFileName("a\nb.txt"), body))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_INVALID_PARAM));
    assertThat(body.read.get()).isZero();
    assertThat(f.files()).isEmpty();
  }

  @Test
  void anUnknownMediaIdIs404() {
    assertThatThrownBy(
            () -> f.repo.download(MxcUri.of("example.org", "nope"), DownloadOptions.defaults()))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
  }

  @Test
  void remoteMediaIsNotFoundWithoutFederation() {
    for (boolean allowRemote : new boolean[] {true, false}) {
      assertThatThrownBy(
              () ->
                  f.repo.download(
                      MxcUri.of("other.org", "abc"),
                      DownloadOptions.defaults().withAllowRemote(allowRemote)))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_NOT_FOUND));
    }
  }

  @Test
  void aPerUserQuotaStopsTheUploadThatPassesItWhileStreaming(@TempDir Path other) throws Exception {
    try (Fixture q =
        new Fixture(
            other,
            MediaStore.inMemory(),
            b ->
                b.uploadPolicy(
                    UploadPolicy.perUserQuota(DataSize.kibibytes(100), Duration.ofDays(1))))) {
      q.upload(randomBytes(60 * 1024, 5), UploadRequest.empty());
      CountingStream body =
          new CountingStream(new ByteArrayInputStream(randomBytes(1024 * 1024, 6)));
      TreeSet<String> before = q.files();
      assertThatThrownBy(() -> q.repo.upload(ALICE, UploadRequest.empty(), body))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_RESOURCE_LIMIT_EXCEEDED);
                assertThat(e.httpStatus()).isEqualTo(400);
              });
      assertThat(body.read.get()).isLessThan(200 * 1024);
      assertThat(q.files()).isEqualTo(before);
      // another user has their own quota; a day later Alice has hers back
      q.repo.upload(
          UserId.of("@bob:example.org"),
          UploadRequest.empty(),
          new ByteArrayInputStream(randomBytes(90 * 1024, 7)));
      q.clock.advance(Duration.ofDays(1).plusSeconds(1));
      q.upload(randomBytes(90 * 1024, 8), UploadRequest.empty());
    }
  }

  @Test
  void downloadsAreRecordedInBatchesNotPerRequest() throws Exception {
    MxcUri uri = f.upload("hello");
    f.clock.advance(Duration.ofMinutes(5));
    for (int i = 0; i < 20; i++) {
      f.download(uri);
    }
    assertThat(f.repo.admin().describe(uri).lastAccessedAt())
        .as("not written per request")
        .isEqualTo(f.repo.admin().describe(uri).createdAt());
    f.scheduler.runPeriodicTasks();
    assertThat(f.repo.admin().describe(uri).lastAccessedAt()).isEqualTo(f.clock.instant());
  }

  @Test
  void aClosedRepositoryRefusesWork() {
    f.close();
    assertThatThrownBy(() -> f.upload("x"))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.httpStatus()).isEqualTo(503));
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Counts the bytes a consumer read. */
  static final class CountingStream extends FilterInputStream {
    final AtomicLong read = new AtomicLong();

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        read.incrementAndGet();
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        read.addAndGet(n);
      }
      return n;
    }
  }
}
