package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedFilesTest {
  @TempDir Path dir;

  @Test
  void servesTheRequestedBytesAndReusesTheMapping() throws IOException {
    MappedFiles mapped = new MappedFiles(100, 100);
    Path file = write("blob", "0123456789");

    assertThat(text(mapped.slice(file, 2, 5))).isEqualTo("23456");
    assertThat(text(mapped.slice(file, 0, 10))).isEqualTo("0123456789");
    assertThat(mapped.live()).isEqualTo(1);
  }

  @Test
  void aFileReplacedAtItsPathIsMappedAfresh() throws IOException {
    MappedFiles mapped = new MappedFiles(100, 100);
    Path file = write("blob", "old bytes!");
    assertThat(text(mapped.slice(file, 0, 10))).isEqualTo("old bytes!");

    Path next = write("next", "new bytes!");
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

    assertThat(text(mapped.slice(file, 0, 10))).isEqualTo("new bytes!");
  }

  @Test
  void aGoneOrShorterFileIsLeftToTheCaller() throws IOException {
    MappedFiles mapped = new MappedFiles(100, 100);
    Path file = write("blob", "short");

    assertThat(mapped.slice(file, 0, 6)).isEmpty();
    assertThat(mapped.slice(file, 4, 2)).isEmpty();
    assertThat(mapped.slice(dir.resolve("missing"), 0, 1)).isEmpty();
    assertThat(mapped.slice(dir, 0, 0)).isEmpty();
  }

  @Test
  void pastTheLimitOfLiveMappingsFilesAreStreamed() throws IOException {
    MappedFiles mapped = new MappedFiles(100, 2);
    Path a = write("a", "aaaa");
    Path b = write("b", "bbbb");
    Path c = write("c", "cccc");

    assertThat(mapped.slice(a, 0, 4)).isPresent();
    assertThat(mapped.slice(b, 0, 4)).isPresent();
    assertThat(mapped.slice(c, 0, 4)).isEmpty();
    assertThat(text(mapped.slice(a, 0, 4))).isEqualTo("aaaa"); // kept mappings still serve
    assertThat(mapped.live()).isEqualTo(2);
  }

  private Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.US_ASCII);
  }

  private static String text(Optional<ByteBuffer> slice) {
    ByteBuffer buffer = slice.orElseThrow();
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return new String(bytes, StandardCharsets.US_ASCII);
  }
}
