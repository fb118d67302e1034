package org.mxmedia.preview.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CharsetsTest {
  private static String choose(String head, String header) {
    byte[] b = head.getBytes(StandardCharsets.ISO_8859_1);
    return Charsets.choose(b, b.length, Optional.ofNullable(header)).name();
  }

  private static String decode(byte[] bytes) throws IOException {
    StringWriter out = new StringWriter();
    try (Reader r = new LenientUtf8Reader(new ByteArrayInputStream(bytes))) {
      char[] buf = new char[3];
      for (int n; (n = r.read(buf, 0, buf.length)) >= 0; ) {
        out.write(buf, 0, n);
      }
    }
    return out.toString();
  }

  @Test
  void theOrderIsBomHeaderMetaCharsetHttpEquivXmlThenUtf8() {
    assertThat(choose("\u00ff\u00fe<meta charset=koi8-r>", "windows-1251")).isEqualTo("UTF-16LE");
    assertThat(choose("<meta charset=koi8-r>", "windows-1251")).isEqualTo("windows-1251");
    assertThat(
            choose(
                "<meta http-equiv=content-type content='text/html;charset=iso-8859-2'><meta charset=koi8-r>",
                null))
        .isEqualTo("KOI8-R");
    assertThat(
            choose(
                "<meta content='text/html; charset=iso-8859-2' http-equiv='Content-Type'>", null))
        .isEqualTo("ISO-8859-2");
    assertThat(choose("<?xml version='1.0' encoding='koi8-r'?><html>", null)).isEqualTo("KOI8-R");
    assertThat(choose("<html><body>", null)).isEqualTo("UTF-8");
  }

  @Test
  void labelsAreMappedAsBrowsersMapThem() {
    assertThat(choose("", "iso-8859-1")).isEqualTo("windows-1252");
    assertThat(choose("", "US-ASCII")).isEqualTo("windows-1252");
    assertThat(choose("", "shift_jis")).isEqualTo("windows-31j");
    assertThat(choose("", "gb2312")).isEqualTo("GB18030");
    assertThat(choose("<meta charset=utf-16>", null)).isEqualTo("UTF-8");
    assertThat(choose("<meta charset=bogus><meta charset=koi8-r>", "also-bogus"))
        .isEqualTo("KOI8-R");
  }

  @Test
  void aDeclarationPastTheFirst1024BytesIsNotSeen() {
    assertThat(choose(" ".repeat(1100) + "<meta charset=koi8-r>", null)).isEqualTo("UTF-8");
  }

  @Test
  void validUtf8IsDecodedIncludingSupplementaryCharactersAcrossBufferEdges() throws IOException {
    String text = "a😀b€c\u00e9" + "ж".repeat(5000) + "😀";
    assertThat(decode(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(text);
  }

  @Test
  void bytesThatAreNotUtf8AreReadAsWindows1252() throws IOException {
    assertThat(decode(new byte[] {'C', 'a', 'f', (byte) 0xE9})).isEqualTo("Café");
    assertThat(decode(new byte[] {(byte) 0x80, (byte) 0x93, (byte) 0x81})).isEqualTo("€“\u0081");
    assertThat(decode(new byte[] {(byte) 0xC0, (byte) 0xAF})).isEqualTo("À¯");
    assertThat(decode(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80})).isEqualTo("í\u00a0€");
    assertThat(decode(new byte[] {(byte) 0xE2, (byte) 0x82})).isEqualTo("â‚");
  }

  @Test
  void randomBytesNeverThrowAndYieldACharacterPerMalformedByteAtMost() throws IOException {
    Random random = new Random(1);
    for (int i = 0; i < 200; i++) {
      byte[] bytes = new byte[random.nextInt(20_000)];
      random.nextBytes(bytes);
      assertThat(decode(bytes).length()).isLessThanOrEqualTo(bytes.length);
    }
  }
}
