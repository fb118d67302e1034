package org.mxmedia.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class MultipartReaderTest {

  /** Hands out at most {@code max} bytes per read, to put boundaries across reads. */
  static final class Trickle extends InputStream {
    private final InputStream in;
    private final Random random;
    private final int max;

    Trickle(byte[] bytes, long seed, int max) {
      this.in = new ByteArrayInputStream(bytes);
      this.random = new Random(seed);
      this.max = max;
    }

    @Override
    public int read() throws IOException {
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return in.read(b, off, Math.min(len, 1 + random.nextInt(max)));
    }
  }

  static byte[] federationBody(String boundary, byte[] media) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("--"
                + boundary
                + "\r\nContent-Type: application/json\r\n\r\n{}\r\n--"
                + boundary
                + "\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=\"a b.png\"\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(media);
    out.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  @Property(tries = 300, seed = "20261128")
  void partsAreReadWholeWhateverTheChunking(
      @ForAll @IntRange(min = 0, max = 200_000) int size,
      @ForAll @IntRange(min = 1, max = 9000) int chunk,
      @ForAll long seed)
      throws IOException {
    byte[] media = new byte[size];
    new Random(seed).nextBytes(media);
    // bytes that look like the start of a delimiter inside the content
    if (size > 20) {
      System.arraycopy("\r\n--bound".getBytes(StandardCharsets.ISO_8859_1), 0, media, size / 2, 9);
    }
    MultipartReader reader =
        new MultipartReader(
            new Trickle(federationBody("boundary123", media), seed, chunk), "boundary123");
    MultipartReader.Part json = reader.next().orElseThrow();
    assertThat(json.header("Content-Type")).hasValue("application/json");
    assertThat(new String(json.body().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{}");
    MultipartReader.Part file = reader.next().orElseThrow();
    assertThat(file.header("content-type")).hasValue("image/png");
    assertThat(file.header("Content-Disposition")).hasValue("inline; filename=\"a b.png\"");
    assertThat(file.body().readAllBytes()).isEqualTo(media);
    assertThat(reader.next()).isEmpty();
  }

  @Test
  void aSkippedPartIsDiscardedWithoutReadingItIntoMemory() throws IOException {
    byte[] media = new byte[1_000_000];
    MultipartReader reader =
        new MultipartReader(new ByteArrayInputStream(federationBody("b", media)), "b");
    reader.next();
    assertThat(reader.next()).isPresent();
    assertThat(reader.next()).isEmpty();
  }

  @Test
  void aTruncatedBodyIsAnIOException() throws IOException {
    byte[] whole = federationBody("b", new byte[5000]);
    byte[] cut = Arrays.copyOf(whole, whole.length - 200);
    MultipartReader reader = new MultipartReader(new ByteArrayInputStream(cut), "b");
    reader.next().orElseThrow().body().readAllBytes();
    InputStream body = reader.next().orElseThrow().body();
    assertThatThrownBy(body::readAllBytes).isInstanceOf(IOException.class);
  }

  @Test
  void garbageWithoutBoundariesIsAnIOException() {
    MultipartReader reader =
        new MultipartReader(new ByteArrayInputStream("just some bytes".getBytes()), "b");
    assertThatThrownBy(reader::next).isInstanceOf(IOException.class);
  }

  @Test
  void endlessHeadersAreRefused() {
    byte[] body =
        ("--b\r\nX: " + "y".repeat(20_000) + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    MultipartReader reader = new MultipartReader(new ByteArrayInputStream(body), "b");
    assertThatThrownBy(reader::next)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("too long");
  }

  @Test
  void boundariesAreTakenFromTheContentType() {
    assertThat(MultipartReader.boundaryOf("multipart/mixed; boundary=abc")).hasValue("abc");
    assertThat(MultipartReader.boundaryOf("Multipart/Mixed;boundary=\"a b\"")).hasValue("a b");
    assertThat(MultipartReader.boundaryOf("multipart/mixed")).isEmpty();
    assertThat(MultipartReader.boundaryOf("image/png; boundary=x")).isEmpty();
  }
}
