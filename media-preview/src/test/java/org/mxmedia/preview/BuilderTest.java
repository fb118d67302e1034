package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaException;
import org.mxmedia.preview.UrlPreviews.OEmbedProvider;

class BuilderTest {
  @Test
  void defaultsNameTheProductInTheUserAgent() {
    try (UrlPreviews previews = UrlPreviews.defaults()) {
      assertThat(previews.userAgent())
          .matches("mxmedia/\\d+\\.\\d+\\.\\d+.* \\(bot; URL preview\\)");
    }
  }

  @Test
  void eachSettingMayBeSetOnceAndTheSecondTimeNamesTheFirstValue() {
    UrlPreviews.Builder b = UrlPreviews.builder().maxSpiderSize(1234);

    assertThatThrownBy(() -> b.maxSpiderSize(5678))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("1234");
  }

  @Test
  void settingsAreValidatedAtOnce() {
    assertThatThrownBy(() -> UrlPreviews.builder().maxSpiderSize(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlPreviews.builder().pageDeadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlPreviews.builder().acceptLanguage(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlPreviews.builder().acceptLanguage(List.of("en\r\nX-Evil: 1")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlPreviews.builder().userAgent("bot\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> UrlPreviews.builder().maxAgeBounds(Duration.ofHours(2), Duration.ofHours(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlPreviews.builder().maxConnections(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aClosedPreviewerRefusesWithAMediaException() {
    UrlPreviews previews = UrlPreviews.defaults();
    previews.close();
    previews.close();

    assertThatThrownBy(
            () -> previews.preview(URI.create("https://example.org/"), new MemoryImageStore()))
        .isInstanceOf(MediaException.class)
        .hasMessageContaining("shut down");
  }

  @Test
  void oEmbedProvidersAreValidated() {
    assertThatThrownBy(
            () -> OEmbedProvider.of("x", "ftp://e.org/oembed", List.of("https://e.org/*")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OEmbedProvider.of("x", "https://e.org/oembed", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> OEmbedProvider.of("x", "https://e.org/oembed", List.of("*://e.org/*")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(
            OEmbedProvider.of(
                    "Vimeo",
                    "https://vimeo.com/api/oembed.{format}",
                    List.of("https://vimeo.com/*"))
                .endpoint())
        .isEqualTo("https://vimeo.com/api/oembed.{format}");
  }
}
