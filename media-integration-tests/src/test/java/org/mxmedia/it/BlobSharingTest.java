package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.spi.BlobKey;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.ThumbnailRecord;
import org.mxmedia.testkit.TestImages;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * Invariant 1 across kinds of records: a local upload, a cached remote copy and thumbnails whose
 * bytes are the same share one blob; deleting any of them keeps the bytes for the others (the
 * reference count, {@code MediaStore.blobReferences}, is checked at every step), and the last
 * deletion removes them.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BlobSharingTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  FakeOrigin origin;
  StoreSignals signals;
  Fixture f;

  @BeforeEach
  void start() throws Exception {
    origin = new FakeOrigin();
    signals = new StoreSignals(MediaStore.inMemory());
    f =
        new Fixture(
            dir,
            signals.store,
            b ->
                b.federationClient(origin.client())
                    .thumbnailer(new ImageIoThumbnailer())
                    .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY));
  }

  @AfterEach
  void stop() {
    f.close();
    origin.close();
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private BlobKey blobOf(MxcUri uri) {
    return BlobKey.of(f.repo.admin().describe(uri).sha256());
  }

  /**
   * Fetches {@code uri} from the fake origin, which answers {@code bytes}; returns what was served.
   */
  private byte[] fetchRemote(MxcUri uri, byte[] bytes) throws Exception {
    origin.federation = FakeOrigin.multipartAnswer(bytes, "application/octet-stream", "attachment");
    try (MediaResponse r = f.repo.download(uri, DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      return in.readAllBytes();
    }
  }

  private int purgeRemoteCopies() {
    return f.repo.admin().purgeRemoteMediaAccessedBefore(f.clock.instant().plusSeconds(1));
  }

  private void assertShared(BlobKey key, long references) throws Exception {
    assertThat(f.store.blobReferences(key))
        .as("references to the shared blob")
        .isEqualTo(references);
    assertThat(f.storage.exists(key)).as("its bytes are kept").isTrue();
  }

  private void assertGone(BlobKey key) throws Exception {
    assertThat(f.store.blobReferences(key)).isZero();
    assertThat(f.storage.exists(key)).as("the last deletion removed the bytes").isFalse();
    assertThat(f.store.unreferencedBlobs(10)).isEmpty();
  }

  @Test
  void aLocalUploadAndARemoteCopyShareOneBlobAndDeletingTheUploadFirstKeepsItForTheCopy()
      throws Exception {
    byte[] bytes = random(20_000);
    MxcUri remote = MxcUri.of("origin.test", "sameBytes");
    MxcUri local = f.upload(bytes, UploadRequest.of("application/octet-stream"));
    BlobKey key = blobOf(local);
    assertShared(key, 1);
    assertThat(fetchRemote(remote, bytes)).isEqualTo(bytes);
    assertThat(f.store.remoteMedia(remote).orElseThrow().blob()).isEqualTo(key);
    assertShared(key, 2);
    assertThat(f.files()).as("one file for both").containsExactly(blobPath(key));

    f.repo.admin().delete(local);
    assertShared(key, 1);
    assertThat(fetchRemote(remote, new byte[] {1}))
        .as("served from the cached copy")
        .isEqualTo(bytes);
    assertThat(origin.federationRequests.get()).isEqualTo(1);

    assertThat(purgeRemoteCopies()).isEqualTo(1);
    assertGone(key);
    assertThat(f.files()).isEmpty();
  }

  @Test
  void aLocalUploadAndARemoteCopyShareOneBlobAndPurgingTheCopyFirstKeepsItForTheUpload()
      throws Exception {
    byte[] bytes = random(20_001);
    MxcUri remote = MxcUri.of("origin.test", "sameBytes");
    assertThat(fetchRemote(remote, bytes)).isEqualTo(bytes);
    BlobKey key = f.store.remoteMedia(remote).orElseThrow().blob();
    assertShared(key, 1);
    MxcUri local = f.upload(bytes, UploadRequest.of("application/octet-stream"));
    assertThat(blobOf(local)).isEqualTo(key);
    assertShared(key, 2);

    assertThat(purgeRemoteCopies()).isEqualTo(1);
    assertShared(key, 1);
    assertThat(f.download(local)).isEqualTo(bytes);

    f.repo.admin().delete(local);
    assertGone(key);
    assertThat(f.files()).isEmpty();
  }

  @Test
  void thumbnailsOfTwoSourcesAnUploadAndARemoteCopyWithTheSameBytesShareOneBlobUntilTheLastGoes()
      throws Exception {
    // two sources with the same pixels but different bytes (one carries a text chunk): their
    // thumbnails come out byte for byte the same
    byte[] source = TestImages.encode(TestImages.noisy(800, 600, 11), "png");
    byte[] sameImage = withTextChunk(source, "Comment", "the same picture, other bytes");
    MxcUri s1 = f.upload(source, UploadRequest.of("image/png"));
    MxcUri s2 = f.upload(sameImage, UploadRequest.of("image/png"));
    assertThat(blobOf(s1)).isNotEqualTo(blobOf(s2));
    signals.awaitThumbnails(blobOf(s1), 5, WAIT);
    signals.awaitThumbnails(blobOf(s2), 5, WAIT);
    ThumbnailRecord t1 = crop96(blobOf(s1));
    ThumbnailRecord t2 = crop96(blobOf(s2));
    BlobKey key = t1.blob();
    assertThat(t2.blob()).as("the two thumbnails share a blob").isEqualTo(key);
    assertShared(key, 2);

    byte[] thumbnail = thumbnail(s1);
    MxcUri upload = f.upload(thumbnail, UploadRequest.of("application/octet-stream"));
    assertThat(blobOf(upload)).isEqualTo(key);
    assertShared(key, 3);
    MxcUri remote = MxcUri.of("origin.test", "aThumbnailElsewhere");
    assertThat(fetchRemote(remote, thumbnail)).isEqualTo(thumbnail);
    assertThat(f.store.remoteMedia(remote).orElseThrow().blob()).isEqualTo(key);
    assertShared(key, 4);

    f.repo.admin().delete(s1); // its bytes and its thumbnails' records go
    assertThat(f.storage.exists(blobOf(s2))).isTrue();
    assertThat(f.store.thumbnails(blobOf(s2))).contains(t2);
    assertShared(key, 3);
    assertThat(thumbnail(s2)).isEqualTo(thumbnail);

    f.repo.admin().delete(upload);
    assertShared(key, 2);
    assertThat(fetchRemote(remote, new byte[] {1})).isEqualTo(thumbnail);

    assertThat(purgeRemoteCopies()).isEqualTo(1);
    assertShared(key, 1);
    assertThat(thumbnail(s2)).isEqualTo(thumbnail);

    f.repo.admin().delete(s2);
    assertGone(key);
    assertThat(f.files()).as("sources, thumbnails and copies all gone").isEmpty();
  }

  private ThumbnailRecord crop96(BlobKey source) {
    List<ThumbnailRecord> all = f.store.thumbnails(source);
    return all.stream().filter(r -> r.width() == 96 && r.height() == 96).findFirst().orElseThrow();
  }

  private byte[] thumbnail(MxcUri uri) throws Exception {
    try (MediaResponse r =
            f.repo.thumbnail(uri, ThumbnailSpec.crop(96, 96), DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      return in.readAllBytes();
    }
  }

  private static String blobPath(BlobKey key) {
    String h = key.sha256();
    return Path.of("blobs", h.substring(0, 2), h.substring(2, 4), h).toString();
  }

  /**
   * {@code png} with a {@code tEXt} chunk inserted before its {@code IEND}: other bytes, the same
   * pixels.
   */
  private static byte[] withTextChunk(byte[] png, String keyword, String text) {
    int iend = png.length - 12;
    assertThat(new String(png, iend + 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("IEND");
    byte[] data = (keyword + "\0" + text).getBytes(StandardCharsets.ISO_8859_1);
    byte[] type = "tEXt".getBytes(StandardCharsets.ISO_8859_1);
    CRC32 crc = new CRC32();
    crc.update(type);
    crc.update(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(png, 0, iend);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(type);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    out.write(png, iend, 12);
    byte[] result = out.toByteArray();
    assertThat(Arrays.equals(result, png)).isFalse();
    return result;
  }
}
