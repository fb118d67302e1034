package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaAdmin.Deletion;
import org.mxmedia.MediaId;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.MediaStore.LocalMedia;

/**
 * Deleting old media in bulk ({@code POST /_synapse/admin/v1/media/delete}) deletes everything it
 * matches but lists only the first {@link Deletion#MAX_LISTED} ids, so a purge of millions answers
 * in bounded memory; {@code total} counts them all.
 */
class BulkDeletionTest {
  @TempDir Path dir;

  @Test
  void aDeletionPastTheListingCapDeletesEverythingAndCountsItAll() throws Exception {
    try (Fixture f = new Fixture(dir)) {
      MxcUri first = f.upload("old bytes shared by every record");
      LocalMedia uploaded = f.store.localMedia(first.mediaId()).orElseThrow();
      int extra = Deletion.MAX_LISTED + 49;
      List<MediaId> all = new ArrayList<>(List.of(first.mediaId()));
      for (int i = 0; i < extra; i++) {
        MediaId id = MediaId.of(String.format("bulk%08d", i));
        assertThat(f.store.reserveBlob(uploaded.blob())).isEqualTo(MediaStore.Reservation.RESERVED);
        assertThat(
                f.store.insertLocalMedia(
                    LocalMedia.uploaded(
                        id,
                        "text/plain",
                        Optional.empty(),
                        uploaded.uploader(),
                        uploaded.size(),
                        uploaded.blob(),
                        uploaded.createdAt())))
            .isTrue();
        all.add(id);
      }
      Instant later = f.clock.instant().plusSeconds(60);

      Deletion deletion = f.repo.admin().deleteLocalMediaAccessedBefore(later, 0, false);

      assertThat(deletion.total()).isEqualTo(extra + 1);
      assertThat(deletion.firstIds()).hasSize(Deletion.MAX_LISTED).doesNotHaveDuplicates();
      assertThat(all).containsAll(deletion.firstIds());
      assertThat(deletion.listsAll()).isFalse();
      for (MediaId id : all) {
        assertThat(f.store.localMedia(id)).as(id.value()).isEmpty();
      }
      assertThat(f.storage.localFile(uploaded.blob()))
          .as("the shared bytes are gone too")
          .isEmpty();
      assertThat(f.repo.admin().deleteLocalMediaAccessedBefore(later, 0, false))
          .isEqualTo(new Deletion(List.of(), 0));
    }
  }
}
