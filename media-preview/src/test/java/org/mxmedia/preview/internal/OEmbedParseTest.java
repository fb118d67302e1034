package org.mxmedia.preview.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OEmbedParseTest {
  private static OEmbed.Result parse(String json) {
    return OEmbed.parse(json.getBytes(StandardCharsets.UTF_8), URI.create("https://example.org/x"));
  }

  @Test
  void versionsLikeOneAreAcceptedAndOthersRefused() {
    for (String version : new String[] {"\"1.0\"", "1", "1.0"}) {
      assertThat(parse("{\"version\": " + version + ", \"type\": \"link\"}").usable())
          .as(version)
          .isTrue();
    }
    assertThat(parse("{\"type\": \"link\"}").openGraph()).containsEntry("og:type", "website");
    for (String version : new String[] {"\"2.0\"", "\"1\"", "1.1", "0", "null", "{}", "[]"}) {
      assertThat(parse("{\"version\": " + version + ", \"type\": \"link\"}").usable())
          .as(version)
          .isFalse();
    }
  }

  @Test
  void cacheAgeIsReadFromNumbersAndNumericStrings() {
    assertThat(parse("{\"cache_age\": \"60\"}").cacheAge()).hasValue(Duration.ofMinutes(1));
    assertThat(parse("{\"cache_age\": 60.7}").cacheAge()).hasValue(Duration.ofMinutes(1));
    assertThat(parse("{\"cache_age\": \"soon\"}").cacheAge()).isEmpty();
    assertThat(parse("{\"cache_age\": [1]}").cacheAge()).isEmpty();
  }

  @Test
  void malformedOrHostileJsonIsNotUsable() {
    assertThat(parse("not json").usable()).isFalse();
    assertThat(parse("[1, 2]").usable()).isFalse();
    assertThat(parse("{\"title\": \"unterminated").usable()).isFalse();
    assertThat(parse("{\"a\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}").usable()).isFalse();
  }

  @Test
  void fieldsOfTheWrongTypeAreIgnored() {
    OEmbed.Result r =
        parse(
            "{\"title\": 5, \"author_name\": [\"x\"], \"thumbnail_url\": {}, \"type\": \"video\", \"width\": \"640\"}");

    assertThat(r.openGraph()).containsOnlyKeys("og:url", "og:type");
    assertThat(r.authorName()).isEmpty();
  }
}
