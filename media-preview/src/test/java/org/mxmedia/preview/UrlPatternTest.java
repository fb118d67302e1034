package org.mxmedia.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mxmedia.preview.UrlPreviews.UrlPattern;

class UrlPatternTest {
  private static boolean blocks(Map<String, String> entry, String url) {
    return UrlPattern.of(entry).matches(URI.create(url));
  }

  @Test
  void synapsesDocumentedExamples() {
    assertThat(blocks(Map.of("username", "*"), "https://user@example.org/")).isTrue();
    assertThat(blocks(Map.of("username", "*"), "https://example.org/")).isFalse();
    assertThat(blocks(Map.of("netloc", "google.com"), "https://google.com/search")).isTrue();
    assertThat(blocks(Map.of("netloc", "google.com"), "https://google.com:443/search")).isFalse();
    assertThat(blocks(Map.of("netloc", "*.google.com"), "https://www.google.com/")).isTrue();
    assertThat(blocks(Map.of("netloc", "*.google.com"), "https://google.com/")).isFalse();
    assertThat(blocks(Map.of("scheme", "http"), "HTTP://example.org/")).isTrue();
    assertThat(blocks(Map.of("netloc", "www.acme.com", "path", "/foo"), "https://www.acme.com/foo"))
        .isTrue();
    assertThat(
            blocks(
                Map.of("netloc", "www.acme.com", "path", "/foo"), "https://www.acme.com/foo/bar"))
        .isFalse();
    assertThat(blocks(Map.of("netloc", "^[0-9]+.[0-9]+.[0-9]+.[0-9]+$"), "http://10.1.2.3/"))
        .isTrue();
    assertThat(blocks(Map.of("netloc", "^[0-9]+.[0-9]+.[0-9]+.[0-9]+$"), "http://example.org/"))
        .isFalse();
  }

  @Test
  void regexesAreAnchoredAtTheStartOnlyAndGlobsMatchWholeComponents() {
    assertThat(blocks(Map.of("path", "^/admin"), "https://e.org/admin/users")).isTrue();
    assertThat(blocks(Map.of("path", "^/admin"), "https://e.org/x/admin")).isFalse();
    assertThat(blocks(Map.of("path", "/admin"), "https://e.org/admin/users")).isFalse();
    assertThat(blocks(Map.of("path", "/a?min/[!x]*"), "https://e.org/admin/users")).isTrue();
    assertThat(blocks(Map.of("path", "/a?min/[!u]*"), "https://e.org/admin/users")).isFalse();
    assertThat(blocks(Map.of("path", "/[a-c]*"), "https://e.org/beta")).isTrue();
    assertThat(Pattern.matches(UrlPattern.globToRegex("/file[.txt"), "/file[.txt")).isTrue();
    assertThat(blocks(Map.of("path", "/Private/*"), "https://e.org/private/x")).isFalse();
  }

  @Test
  void everyComponentIsAvailable() {
    String url = "https://u:p@Host.Example:8443/a/b;v=1?q=1#frag";
    assertThat(blocks(Map.of("hostname", "host.example"), url)).isTrue();
    assertThat(blocks(Map.of("port", "8443"), url)).isTrue();
    assertThat(blocks(Map.of("netloc", "u:p@Host.Example:8443"), url)).isTrue();
    assertThat(blocks(Map.of("path", "/a/b;v=1"), url)).isTrue();
    assertThat(blocks(Map.of("params", "v=1"), url)).isTrue();
    assertThat(blocks(Map.of("query", "q=*"), url)).isTrue();
    assertThat(blocks(Map.of("fragment", "frag"), url)).isTrue();
    assertThat(blocks(Map.of("username", "u", "password", "p"), url)).isTrue();
    assertThat(blocks(Map.of("port", "*"), "https://e.org/")).isFalse();
    assertThat(blocks(Map.of("query", ""), "https://e.org/")).isTrue();
  }

  @Test
  void badEntriesAreRefusedAtOnce() {
    assertThatThrownBy(() -> UrlPattern.of(Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlPattern.of("host", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host");
    assertThatThrownBy(() -> UrlPattern.of("path", "^("))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
