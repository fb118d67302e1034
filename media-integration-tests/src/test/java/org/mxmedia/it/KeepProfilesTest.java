package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MxcUri;

/**
 * Deleting old media while keeping profile images needs a host that knows them: with the default
 * {@code UserDirectory} the request is refused before anything is deleted, never run as if no media
 * were an avatar.
 */
class KeepProfilesTest {
  @TempDir Path dir;

  @Test
  void keepingProfileImagesWithoutADirectoryThatKnowsThemIsRefusedAndDeletesNothing()
      throws Exception {
    try (Fixture f = new Fixture(dir)) {
      MxcUri avatar = f.upload("an avatar, for all the server knows");
      Instant later = f.clock.instant().plusSeconds(60);
      assertThatThrownBy(() -> f.repo.admin().deleteLocalMediaAccessedBefore(later, 0, true))
          .isInstanceOfSatisfying(
              MediaException.class,
              e -> {
                assertThat(e.errorCode()).isEqualTo(ErrorCode.M_INVALID_PARAM);
                assertThat(e.getMessage()).contains("keep_profiles=false");
              });
      assertThat(f.download(avatar)).as("still served").isNotEmpty();
      assertThat(f.repo.admin().deleteLocalMediaAccessedBefore(later, 0, false).firstIds())
          .containsExactly(avatar.mediaId());
    }
  }
}
