package org.mxmedia.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MediaRepository;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MxcUri;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.SpamChecker;

/**
 * The spam checker on remote media fetched over federation (Synapse checks those too): a refused
 * file answers 404 {@code M_NOT_FOUND} and leaves no record, no blob and no staging file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteSpamCheckTest {
  @TempDir Path dir;
  FakeOrigin origin;
  Fixture f;

  @BeforeEach
  void startOrigin() throws Exception {
    origin = new FakeOrigin();
    // ids starting with "spam" answer bytes starting with 'X'
    origin.federation =
        ex -> {
          String path = ex.getRequestURI().getPath();
          String id = path.substring(path.lastIndexOf('/') + 1);
          byte[] bytes =
              ((id.startsWith("spam") ? "X " : "fine ") + id).getBytes(StandardCharsets.UTF_8);
          FakeOrigin.multipartAnswer(bytes, "text/plain", "attachment; filename=\"" + id + ".txt\"")
              .answer(ex);
        };
  }

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
    origin.close();
  }

  private Fixture fixture(UnaryOperator<MediaRepository.Builder> customize) {
    return new Fixture(
        dir,
        MediaStore.inMemory(),
        b ->
            customize.apply(
                b.federationClient(origin.client())
                    .outboundPolicy(FakeOrigin.LOOPBACK_ORIGIN_ONLY)));
  }

  private byte[] fetch(MxcUri uri) throws Exception {
    try (MediaResponse r =
            f.repo.download(uri, DownloadOptions.defaults().withTimeout(Duration.ofSeconds(10)));
        InputStream in = r.content().openStream()) {
      return in.readAllBytes();
    }
  }

  @Test
  void refusedRemoteMediaIs404AndNothingIsKept() throws Exception {
    List<SpamChecker.RemoteFile> asked = new ArrayList<>();
    List<SpamChecker.Upload> uploads = new ArrayList<>();
    f =
        fixture(
            b ->
                b.spamChecker(
                    new SpamChecker() {
                      @Override
                      public boolean accepts(Upload upload) {
                        uploads.add(upload);
                        return true;
                      }

                      @Override
                      public boolean acceptsRemote(RemoteFile file) throws IOException {
                        asked.add(file);
                        try (InputStream in = file.open()) {
                          return in.read() != 'X';
                        }
                      }
                    }));
    MxcUri spam = MxcUri.of("origin.test", "spamAAA");
    assertThatThrownBy(() -> fetch(spam))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).as(e.getMessage()).isEqualTo(404);
              assertThat(e.errorCode()).isEqualTo(ErrorCode.M_NOT_FOUND);
            });
    assertThat(origin.federationRequests.get()).isEqualTo(1);
    assertThat(asked).hasSize(1);
    SpamChecker.RemoteFile first = asked.get(0);
    assertThat(first.uri()).isEqualTo(spam);
    assertThat(first.contentType()).isEqualTo("text/plain");
    assertThat(first.fileName()).hasValue("spamAAA.txt");
    assertThat(first.size()).isEqualTo("X spamAAA".length());
    assertThat(f.store.remoteMedia(spam)).as("no record").isEmpty();
    assertThat(f.files()).as("no blob, no staging file").isEmpty();

    MxcUri fine = MxcUri.of("origin.test", "fineBBB");
    assertThat(fetch(fine)).isEqualTo("fine fineBBB".getBytes(StandardCharsets.UTF_8));
    assertThat(f.store.remoteMedia(fine)).isPresent();
    assertThat(asked).hasSize(2);
    assertThat(uploads).as("remote media is not an upload").isEmpty();
  }

  @Test
  void aCheckerWrittenForUploadsAloneLetsRemoteMediaThrough() throws Exception {
    f = fixture(b -> b.spamChecker(upload -> false));
    MxcUri spam = MxcUri.of("origin.test", "spamCCC");
    assertThat(fetch(spam)).isEqualTo("X spamCCC".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aRemoteCheckThatFailsIs500AndKeepsNothing() throws Exception {
    f =
        fixture(
            b ->
                b.spamChecker(
                    new SpamChecker() {
                      @Override
                      public boolean accepts(Upload upload) {
                        return true;
                      }

                      @Override
                      public boolean acceptsRemote(RemoteFile file) {
                        throw new IllegalStateException("scanner down at scanner.internal");
                      }
                    }));
    MxcUri uri = MxcUri.of("origin.test", "fineDDD");
    assertThatThrownBy(() -> fetch(uri))
        .isInstanceOfSatisfying(
            MediaException.class,
            e -> {
              assertThat(e.httpStatus()).isEqualTo(500);
              assertThat(e.getMessage()).doesNotContain("scanner.internal");
            });
    assertThat(f.store.remoteMedia(uri)).isEmpty();
    assertThat(f.files()).isEmpty();
  }
}
