package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplicedImageInputStreamTest {
  @TempDir Path dir;

  /** A file whose byte at offset i is i mod 251, so any byte shows where it came from. */
  private Path numbered(int size) throws IOException {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i++) {
      b[i] = (byte) (i % 251);
    }
    return Files.write(dir.resolve("numbered"), b);
  }

  private static byte[] expected(int[][] ranges) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int[] r : ranges) {
      for (int i = r[0]; i < r[0] + r[1]; i++) {
        out.write(i % 251);
      }
    }
    return out.toByteArray();
  }

  private static List<long[]> ranges(int[][] ranges) {
    return Arrays.stream(ranges).map(r -> new long[] {r[0], r[1]}).toList();
  }

  @Test
  void readsTheRangesInOrderAsOneStream() throws IOException {
    Path file = numbered(100_000);
    int[][] r = {{0, 13}, {50_000, 20_000}, {20, 0}, {10, 5}, {99_990, 10}};
    byte[] want = expected(r);
    try (SplicedImageInputStream in = new SplicedImageInputStream(file, ranges(r))) {
      assertThat(in.length()).isEqualTo(want.length);
      byte[] got = new byte[want.length];
      in.readFully(got);
      assertThat(got).isEqualTo(want);
      assertThat(in.read()).isEqualTo(-1);
      assertThat(in.read(new byte[4], 0, 4)).isEqualTo(-1);
    }
  }

  @Test
  void byteByByteAndAfterSeeksItReadsTheSame() throws IOException {
    Path file = numbered(50_000);
    int[][] r = {{7, 9000}, {30_000, 3}, {100, 20_000}};
    byte[] want = expected(r);
    try (SplicedImageInputStream in = new SplicedImageInputStream(file, ranges(r))) {
      for (int i = 0; i < want.length; i++) {
        assertThat(in.read()).as("byte %d", i).isEqualTo(want[i] & 0xFF);
      }
      for (long pos : new long[] {9001, 0, 9002, 8999, 15_000, want.length - 1L, 9000}) {
        in.seek(pos);
        assertThat(in.read()).as("byte at %d", pos).isEqualTo(want[(int) pos] & 0xFF);
      }
      in.seek(8990);
      byte[] across = new byte[30];
      in.readFully(across);
      assertThat(across).isEqualTo(Arrays.copyOfRange(want, 8990, 9020));
    }
  }

  /**
   * ImageInputStreamImpl's readInt and readShort make one read call and take a short count for the
   * end of the file, so reads fill what they are asked for across the buffer's and the ranges'
   * boundaries.
   */
  @Test
  void numbersAcrossBufferAndRangeBoundariesAreRead() throws IOException {
    Path file = numbered(40_000);
    int[][] r = {{0, 8190}, {20_000, 20}, {8190, 12_000}};
    byte[] want = expected(r);
    try (SplicedImageInputStream in = new SplicedImageInputStream(file, ranges(r))) {
      for (long pos :
          new long[] {8188, 8189, 8206, 8207, 8208, 16_382, 16_383, 16_384, 8189 + 8192, 20_206}) {
        in.seek(pos);
        int expected =
            ((want[(int) pos] & 0xFF) << 24)
                | ((want[(int) pos + 1] & 0xFF) << 16)
                | ((want[(int) pos + 2] & 0xFF) << 8)
                | (want[(int) pos + 3] & 0xFF);
        assertThat(in.readInt()).as("int at %d", pos).isEqualTo(expected);
        in.seek(pos);
        assertThat(in.readUnsignedShort())
            .as("short at %d", pos)
            .isEqualTo(((want[(int) pos] & 0xFF) << 8) | (want[(int) pos + 1] & 0xFF));
      }
    }
  }

  @Test
  void aFileShorterThanItsRangesEndsTheStream() throws IOException {
    Path file = numbered(1000);
    try (SplicedImageInputStream in =
        new SplicedImageInputStream(file, List.of(new long[] {990, 50}))) {
      byte[] got = new byte[50];
      assertThatThrownBy(() -> in.readFully(got)).isInstanceOf(EOFException.class);
    }
  }

  @Test
  void closingClosesTheFile() throws IOException {
    SplicedImageInputStream in =
        new SplicedImageInputStream(numbered(10), List.of(new long[] {0, 10}));
    in.close();
    assertThatThrownBy(in::read).isInstanceOf(IOException.class);
  }
}
