package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaAdmin.MediaImport;
import org.mxmedia.MediaAdmin.MediaInfo;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.BlobKey;

/**
 * {@code MediaAdmin.importMedia}: identity kept, bytes checked, nothing left by a refusal,
 * repeatable.
 */
class ImportTest {
  private static final Instant CREATED = Instant.parse("2021-05-01T10:00:00Z");
  private static final Instant ACCESSED = Instant.parse("2022-01-02T03:04:05Z");
  private static final byte[] BYTES = "a photo from Synapse".getBytes(StandardCharsets.UTF_8);
  private static final String SHA = sha256(BYTES);

  @TempDir Path dir;

  private static String sha256(byte[] bytes) {
    try {
      return BlobKey.ofDigest(MessageDigest.getInstance("SHA-256").digest(bytes)).sha256();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  Fixture f;

  @BeforeEach
  void start() {
    f = new Fixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  private static MediaImport local(String id, OptionalLong size, Optional<String> sha) {
    return new MediaImport(
        MxcUri.parse("mxc://example.org/" + id),
        Optional.of("image/png"),
        Optional.of("cat.png"),
        Optional.of(Fixture.BOB),
        size,
        sha,
        CREATED,
        ACCESSED,
        false,
        true);
  }

  private boolean importBytes(MediaImport media, byte[] bytes) {
    return f.repo.admin().importMedia(media, new ByteArrayInputStream(bytes));
  }

  @Test
  void localMediaKeepsItsIdUploaderTimesNameAndFlags() throws IOException {
    MediaImport media =
        local("SynapseMediaId0000000001", OptionalLong.of(BYTES.length), Optional.of(SHA));
    assertThat(importBytes(media, BYTES)).isTrue();
    MediaInfo info = f.repo.admin().describe(media.uri());
    assertThat(info)
        .isEqualTo(
            new MediaInfo(
                media.uri(),
                "image/png",
                Optional.of("cat.png"),
                Optional.of(Fixture.BOB),
                BYTES.length,
                SHA,
                CREATED,
                ACCESSED,
                false,
                true));
    assertThat(f.download(media.uri())).isEqualTo(BYTES);
    assertThat(f.repo.admin().usage(Fixture.BOB, CREATED).mediaCount()).isEqualTo(1);
  }

  @Test
  void remoteMediaBecomesACachedCopyServedWithoutFederation() throws IOException {
    MxcUri uri = MxcUri.parse("mxc://matrix.org/RemoteMediaId");
    MediaImport media =
        new MediaImport(
            uri,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            OptionalLong.empty(),
            Optional.empty(),
            CREATED,
            ACCESSED,
            true,
            false);
    assertThat(importBytes(media, BYTES)).isTrue();
    MediaInfo info = f.repo.admin().describe(uri);
    assertThat(info.remote()).isTrue();
    assertThat(info.contentType()).isEqualTo("application/octet-stream");
    assertThat(info.quarantined()).isTrue();
    f.repo.admin().unquarantine(uri);
    try (MediaResponse r = f.repo.download(uri, DownloadOptions.defaults());
        InputStream in = r.content().openStream()) {
      assertThat(in.readAllBytes())
          .as("no federation client is configured: served from the imported copy")
          .isEqualTo(BYTES);
    }
  }

  @Test
  void repeatingAnImportChangesNothingAndOtherBytesUnderTheSameIdAreRefused() throws IOException {
    MediaImport media =
        local("SynapseMediaId0000000002", OptionalLong.of(BYTES.length), Optional.of(SHA));
    assertThat(importBytes(media, BYTES)).isTrue();
    assertThat(importBytes(media, BYTES)).as("resumed: already here").isFalse();
    assertThat(
            importBytes(
                local("SynapseMediaId0000000002", OptionalLong.empty(), Optional.empty()), BYTES))
        .isFalse();
    assertThatThrownBy(
            () ->
                importBytes(
                    local("SynapseMediaId0000000002", OptionalLong.of(3), Optional.empty()),
                    new byte[3]))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_CANNOT_OVERWRITE_MEDIA));
    assertThat(f.store.blobReferences(BlobKey.of(SHA))).isEqualTo(1);
    assertThat(f.download(media.uri())).isEqualTo(BYTES);
  }

  @Test
  void bytesThatDifferFromTheRecordLeaveNothingBehind() throws IOException {
    byte[] damaged = BYTES.clone();
    damaged[0] ^= 1;
    MediaImport wrongHash =
        local("SynapseMediaId0000000003", OptionalLong.of(BYTES.length), Optional.of(SHA));
    assertThatThrownBy(() -> importBytes(wrongHash, damaged))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_INVALID_PARAM);
              assertThat(e.getMessage()).contains("SHA-256");
            });
    MediaImport shorter =
        local("SynapseMediaId0000000004", OptionalLong.of(BYTES.length + 1), Optional.empty());
    assertThatThrownBy(() -> importBytes(shorter, BYTES)).isInstanceOf(MediaException.class);
    MediaImport longer =
        local("SynapseMediaId0000000005", OptionalLong.of(BYTES.length - 1), Optional.empty());
    assertThatThrownBy(() -> importBytes(longer, BYTES)).isInstanceOf(MediaException.class);
    for (MediaImport m : new MediaImport[] {wrongHash, shorter, longer}) {
      assertThat(f.store.localMedia(m.uri().mediaId())).isEmpty();
    }
    assertThat(f.files()).as("no blob and no staging file").isEmpty();
  }

  @Test
  void localMediaWithoutAnUploaderIsRefused() {
    MediaImport orphan =
        new MediaImport(
            MxcUri.parse("mxc://example.org/NoUploader"),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            OptionalLong.empty(),
            Optional.empty(),
            CREATED,
            CREATED,
            false,
            false);
    assertThatThrownBy(() -> importBytes(orphan, BYTES))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_INVALID_PARAM));
  }

  @Test
  void onlyAnAdministratorMayImport() {
    MediaImport media = local("SynapseMediaId0000000006", OptionalLong.empty(), Optional.empty());
    assertThatThrownBy(
            () ->
                f.repo
                    .admin(UserId.of("@mallory:example.org"))
                    .importMedia(media, new ByteArrayInputStream(BYTES)))
        .isInstanceOfSatisfying(
            MediaException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.M_FORBIDDEN));
    assertThat(f.store.localMedia(media.uri().mediaId())).isEmpty();
  }
}
