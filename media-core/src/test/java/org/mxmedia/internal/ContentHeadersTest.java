package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ContentHeadersTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "text/plain|text/plain; charset=utf-8",
        "text/html|text/html; charset=utf-8",
        "application/json|application/json; charset=utf-8",
        "image/svg+xml|image/svg+xml; charset=utf-8",
        "text/plain; charset=iso-8859-1|text/plain; charset=iso-8859-1",
        "image/png|image/png",
        "application/octet-stream|application/octet-stream"
      })
  void textTypesGetAUtf8Charset(String stored, String header) {
    assertThat(ContentHeaders.contentTypeHeader(stored)).isEqualTo(header);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "text/css",
        "text/plain",
        "text/csv",
        "application/json",
        "application/ld+json",
        "image/jpeg",
        "image/gif",
        "image/png",
        "image/apng",
        "image/webp",
        "image/avif",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "audio/mp4",
        "audio/webm",
        "audio/aac",
        "audio/mpeg",
        "audio/ogg",
        "audio/wave",
        "audio/wav",
        "audio/x-wav",
        "audio/x-pn-wav",
        "audio/flac",
        "audio/x-flac",
        "IMAGE/PNG",
        "text/plain; charset=utf-8"
      })
  void theSpecsSafeListIsServedInline(String type) {
    assertThat(ContentHeaders.isInlineSafe(type)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "text/html",
        "image/svg+xml",
        "application/javascript",
        "text/javascript",
        "application/xhtml+xml",
        "application/pdf",
        "application/octet-stream",
        "text/xml",
        "image/x-icon"
      })
  void everythingElseIsAnAttachment(String type) {
    assertThat(ContentHeaders.isInlineSafe(type)).isFalse();
  }

  @Test
  void plainAsciiNamesUseFilenameAndOthersUseRfc5987() {
    assertThat(ContentHeaders.contentDisposition(true, Optional.of("cat.png")))
        .isEqualTo("inline; filename=cat.png");
    assertThat(ContentHeaders.contentDisposition(false, Optional.of("my cat.png")))
        .isEqualTo("attachment; filename*=utf-8''my%20cat.png");
    assertThat(ContentHeaders.contentDisposition(false, Optional.of("Grüße \"quoted\";.txt")))
        .isEqualTo("attachment; filename*=utf-8''Gr%C3%BC%C3%9Fe%20%22quoted%22%3B.txt");
    assertThat(ContentHeaders.contentDisposition(true, Optional.empty())).isEqualTo("inline");
    assertThat(ContentHeaders.contentDisposition(false, Optional.of("😀.gif")))
        .isEqualTo("attachment; filename*=utf-8''%F0%9F%98%80.gif");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "attachment; filename=cat.png|cat.png",
        "inline; filename=\"my cat.png\"|my cat.png",
        "attachment; filename=\"a \\\"quoted\\\" name\"|a \"quoted\" name",
        "attachment; filename*=UTF-8''Gr%C3%BC%C3%9Fe.txt|Grüße.txt",
        "attachment; filename=\"fallback.txt\"; filename*=utf-8''%E2%82%AC%20rates.txt|€ rates.txt",
        "attachment; filename*=utf-8''%E2%82%AC.txt; filename=fallback.txt|€.txt",
        "attachment; filename*=iso-8859-1'en'%A3%20rates|£ rates",
        "attachment;filename=nospace.txt|nospace.txt",
        "attachment; FILENAME=upper.txt|upper.txt"
      })
  void remoteContentDispositionFileNamesAreParsed(String header, String expected) {
    assertThat(ContentHeaders.parseFileName(header)).contains(expected);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "attachment",
        "inline",
        "attachment; filename=",
        "attachment; filename=\"unterminated",
        "attachment; filename*=utf-8''%ZZ",
        "attachment; filename*=utf-8''%C3",
        "attachment; filename=\"a\u0000b\"",
        "attachment; filename*=klingon''abc",
        ""
      })
  void malformedOrMissingNamesGiveNothing(String header) {
    assertThat(ContentHeaders.parseFileName(header)).isEmpty();
  }

  @Test
  void aBrokenExtendedNameFallsBackToThePlainOne() {
    assertThat(ContentHeaders.parseFileName("attachment; filename=plain.txt; filename*=utf-8''%ZZ"))
        .contains("plain.txt");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "image/png|image/png",
        "text/plain; charset=utf-8|text/plain; charset=utf-8",
        "multipart/form-data; boundary=\"abc def\"|multipart/form-data; boundary=\"abc def\"",
        "  image/jpeg  |image/jpeg"
      })
  void wellFormedContentTypesAreKept(String raw, String stored) {
    assertThat(ContentHeaders.normalizeContentType(Optional.of(raw))).isEqualTo(stored);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "image",
        "image/",
        "/png",
        "image/png\r\nX-Evil: 1",
        "text/html; charset",
        "imäge/png",
        "image/png; a=\"unterminated",
        "a/b c"
      })
  void malformedContentTypesBecomeOctetStream(String raw) {
    assertThat(ContentHeaders.normalizeContentType(Optional.of(raw)))
        .isEqualTo("application/octet-stream");
  }

  @Test
  void overlongContentTypesBecomeOctetStream() {
    assertThat(ContentHeaders.normalizeContentType(Optional.of("image/" + "x".repeat(300))))
        .isEqualTo("application/octet-stream");
    assertThat(ContentHeaders.normalizeContentType(Optional.empty()))
        .isEqualTo("application/octet-stream");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\u0000b", "a\nb", "a\u007fb", "a\u0085b", "\ud800x"})
  void fileNamesWithControlCharactersOrBrokenSurrogatesAreRefused(String name) {
    assertThat(ContentHeaders.isAcceptableFileName(name)).isFalse();
  }

  @Test
  void fileNamesAreBoundedAt255CodePoints() {
    assertThat(ContentHeaders.isAcceptableFileName("😀".repeat(255))).isTrue();
    assertThat(ContentHeaders.isAcceptableFileName("a".repeat(256))).isFalse();
    assertThat(ContentHeaders.isAcceptableFileName("")).isFalse();
  }
}
