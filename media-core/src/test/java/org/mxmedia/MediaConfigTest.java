package org.mxmedia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;

class MediaConfigTest {

  @Test
  void defaultsAreSynapses() {
    MediaConfig c = MediaConfig.defaults();
    assertThat(c.maxUploadSize()).isEqualTo(DataSize.mebibytes(50));
    assertThat(c.maxImagePixels()).isEqualTo(32_000_000L);
    assertThat(c.thumbnailSizes())
        .containsExactly(
            ThumbnailSpec.crop(32, 32),
            ThumbnailSpec.crop(96, 96),
            ThumbnailSpec.scale(320, 240),
            ThumbnailSpec.scale(640, 480),
            ThumbnailSpec.scale(800, 600));
    assertThat(c.dynamicThumbnails()).isFalse();
    assertThat(c.unusedPendingExpiry()).isEqualTo(Duration.ofHours(24));
    assertThat(c.maxPendingUploadsPerUser()).isEqualTo(5);
  }

  @Test
  void rebuildChangesOnlyWhatIsSet() {
    MediaConfig c =
        MediaConfig.defaults().withMaxUploadSize(DataSize.kibibytes(1)).withDynamicThumbnails(true);
    assertThat(c.maxUploadSize().bytes()).isEqualTo(1024);
    assertThat(c.dynamicThumbnails()).isTrue();
    assertThat(c.rebuild().build()).isEqualTo(c).hasSameHashCodeAs(c);
    assertThat(MediaConfig.defaults().maxUploadSize()).isEqualTo(DataSize.mebibytes(50));
  }

  @Test
  void settersRefuseNonsenseAtOnce() {
    assertThatThrownBy(() -> MediaConfig.builder().maxUploadSize(DataSize.bytes(0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaConfig.builder().maxImagePixels(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaConfig.builder().maxPendingUploadsPerUser(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaConfig.builder().unusedPendingExpiry(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MediaConfig.builder().defaultDownloadTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataSize.bytes(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ThumbnailSpec(0, 10, ThumbnailMethod.CROP, false))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void defaultTimeoutCannotExceedTheCap() {
    assertThatThrownBy(
            () -> MediaConfig.builder().maxDownloadTimeout(Duration.ofSeconds(5)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exceeds");
  }

  @Test
  void duplicateThumbnailSizesAreDroppedInOrder() {
    MediaConfig c =
        MediaConfig.builder()
            .thumbnailSizes(
                List.of(
                    ThumbnailSpec.crop(1, 1), ThumbnailSpec.scale(2, 2), ThumbnailSpec.crop(1, 1)))
            .build();
    assertThat(c.thumbnailSizes())
        .containsExactly(ThumbnailSpec.crop(1, 1), ThumbnailSpec.scale(2, 2));
  }

  @Test
  void errorCodesCarryTheirStatuses() {
    assertThat(new MediaException(ErrorCode.M_NOT_YET_UPLOADED, "x").httpStatus()).isEqualTo(504);
    assertThat(new MediaException(ErrorCode.M_CANNOT_OVERWRITE_MEDIA, "x").httpStatus())
        .isEqualTo(409);
    assertThat(new MediaException(ErrorCode.M_TOO_LARGE, 502, "x").httpStatus()).isEqualTo(502);
    assertThat(MediaException.limitExceeded("x", Duration.ofSeconds(3)).retryAfter())
        .contains(Duration.ofSeconds(3));
    assertThatThrownBy(() -> new MediaException(ErrorCode.M_UNKNOWN, 200, "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aBuilderSettingMayBeSetOnlyOnce() {
    MediaRepository.Builder b = MediaRepository.builder().serverName("example.org");
    assertThatThrownBy(() -> b.serverName("other.org"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("example.org");
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("mediaStore");
  }
}
