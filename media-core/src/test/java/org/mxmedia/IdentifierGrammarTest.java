package org.mxmedia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Media ids and server names are accepted by allow-list only, and none accepted can leave a
 * directory.
 */
class IdentifierGrammarTest {

  /** The spec's appendix grammar for server names, written independently of {@link ServerName}. */
  private static final Pattern SPEC_SERVER_NAME =
      Pattern.compile(
          "([0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|\\[[0-9A-Fa-f:.]{2,45}]|[0-9A-Za-z.-]{1,255})(:[0-9]{1,5})?");

  private static final Pattern SPEC_MEDIA_ID = Pattern.compile("[A-Za-z0-9_-]+");
  private static final Path BASE = Path.of("/srv/media");

  @Provide
  Arbitrary<String> hostileStrings() {
    Arbitrary<String> anything = Arbitraries.strings().all().ofMaxLength(300);
    Arbitrary<String> nearMisses =
        Arbitraries.strings().withChars("abcXYZ019_-.:/\\%[]@ \u0000é\u2028").ofMaxLength(40);
    Arbitrary<String> traversal =
        Arbitraries.of(
            "..", ".", "../etc", "%2e%2e", "a/../b", "a%2Fb", "a\u0000b", "~root", "/abs");
    return Arbitraries.oneOf(anything, nearMisses, traversal);
  }

  @Property(tries = 3000, seed = "20261128")
  void aMediaIdIsAcceptedExactlyWhenItMatchesTheGrammar(@ForAll("hostileStrings") String s) {
    boolean grammatical = s.length() <= 255 && SPEC_MEDIA_ID.matcher(s).matches();
    assertThat(MediaId.isValid(s)).isEqualTo(grammatical);
  }

  @Property(tries = 3000, seed = "20261128")
  void noAcceptedMediaIdOrServerNameEscapesADirectory(@ForAll("hostileStrings") String s) {
    if (MediaId.isValid(s) || ServerName.isValid(s)) {
      Path resolved = BASE.resolve(s).normalize();
      assertThat(resolved.getParent()).isEqualTo(BASE);
      assertThat(resolved.getFileName().toString()).isEqualTo(s);
    }
  }

  @Property(tries = 3000, seed = "20261128")
  void everyAcceptedServerNameMatchesTheSpecGrammar(@ForAll("hostileStrings") String s) {
    if (ServerName.isValid(s)) {
      assertThat(s).matches(SPEC_SERVER_NAME);
    }
  }

  @Property(tries = 1000, seed = "20261128")
  void generatedDnsNamesWithPortsAreAccepted(
      @ForAll("labels") String a, @ForAll("labels") String b, @ForAll("ports") int port) {
    String name = a + "." + b + ":" + port;
    assertThat(ServerName.isValid(name)).isTrue();
    assertThat(ServerName.of(name).port()).hasValue(port);
  }

  @Provide
  Arbitrary<String> labels() {
    return Arbitraries.strings()
        .withCharRange('a', 'z')
        .numeric()
        .withChars('-')
        .ofMinLength(1)
        .ofMaxLength(20);
  }

  @Provide
  Arbitrary<Integer> ports() {
    return Arbitraries.integers().between(1, 65535);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "example.org",
        "matrix.example.org:8448",
        "localhost",
        "localhost:8008",
        "1.2.3.4",
        "1.2.3.4:1",
        "[1234:5678::abcd]",
        "[::1]:8448",
        "xn--bcher-kva.example",
        "a-b.c"
      })
  void realServerNamesAreAccepted(String name) {
    assertThat(ServerName.of(name).value()).isEqualTo(name);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ".",
        "..",
        "a..b",
        ".example.org",
        "example.org.",
        "exa mple.org",
        "example.org:0",
        "example.org:65536",
        "example.org:",
        "[::1",
        "[notipv6]",
        "[1.2.3.4]",
        "999.1.1.1",
        "example.org/x",
        "ex%41mple.org",
        "example.org\u0000",
        "exämple.org",
        "a:b:c",
        "@example.org"
      })
  void malformedServerNamesAreRejected(String name) {
    assertThat(ServerName.isValid(name)).isFalse();
    assertThatThrownBy(() -> ServerName.of(name)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"..", "../x", "a/b", "a%2Fb", "%2F", "a\u0000b", "é", "a b", "a.b", "", "a\\b"})
  void hostileMediaIdsAreRejected(String id) {
    assertThatThrownBy(() -> MediaId.of(id)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void mediaIdsAreBoundedAt255Characters() {
    assertThat(MediaId.isValid("a".repeat(255))).isTrue();
    assertThat(MediaId.isValid("a".repeat(256))).isFalse();
  }

  @Test
  void errorMessagesEscapeControlCharactersAndCutLongInput() {
    assertThatThrownBy(() -> MediaId.of("evil\r\nSet-Cookie: x" + "y".repeat(500)))
        .hasMessageContaining("\\u000d\\u000a")
        .hasMessageNotContaining("\r")
        .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(150));
  }

  @Test
  void mxcUrisParseStrictly() {
    MxcUri uri = MxcUri.parse("mxc://example.org:8448/AbC_-9");
    assertThat(uri.serverName()).isEqualTo(ServerName.of("example.org:8448"));
    assertThat(uri.mediaId()).isEqualTo(MediaId.of("AbC_-9"));
    assertThat(uri).hasToString("mxc://example.org:8448/AbC_-9");
    for (String bad :
        new String[] {
          "http://example.org/a",
          "mxc://example.org",
          "mxc://example.org/a/b",
          "mxc://example.org/a?x",
          "mxc://example.org/a#f",
          "mxc:///a",
          "mxc://example.org/%41",
          "MXC://example.org/a"
        }) {
      assertThatThrownBy(() -> MxcUri.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void userIdsNeedALocalpartAndAValidServer() {
    UserId alice = UserId.of("@alice:example.org:8448");
    assertThat(alice.localpart()).isEqualTo("alice");
    assertThat(alice.serverName()).isEqualTo(ServerName.of("example.org:8448"));
    for (String bad :
        new String[] {
          "alice:example.org",
          "@:example.org",
          "@alice",
          "@ali ce:example.org",
          "@alice:bad..name",
          "@al\u0000ice:example.org"
        }) {
      assertThat(UserId.isValid(bad)).as(bad).isFalse();
    }
  }
}
