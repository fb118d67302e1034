package org.mxmedia.thumbnail;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Checks the size a WebP's first frame declares in its own bitstream header (VP8 or VP8L) against
 * the size its reader reported, before decoding. TwelveMonkeys reports the VP8X canvas but sizes
 * its decoder's buffers from the frame header: a 1x1 canvas holding a frame that declares
 * 16383x16383 is a few dozen bytes and an OutOfMemoryError. (libwebp refuses a still image whose
 * frame and canvas differ.) Reads the RIFF chunks up to the first frame through one 8 KiB buffer,
 * skipping the others.
 */
final class WebpHeader {
  /** More chunks than this before the first frame is not a WebP any encoder writes. */
  private static final int MAX_CHUNKS = 1024;

  private static final int ANMF_HEADER = 16;

  private WebpHeader() {}

  /**
   * Checks that the first frame of {@code file} declares at most {@code width x height} pixels. A
   * file that is not RIFF/WEBP, or ends before its first frame header, is left to the decoder.
   *
   * @throws IOException when the file cannot be read, its first frame declares more than {@code
   *     width x height}, or more than 1024 chunks come before it
   */
  static void check(Path file, int width, int height) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 8192)) {
      byte[] riff = in.readNBytes(12);
      if (riff.length < 12 || !ascii(riff, 0).equals("RIFF") || !ascii(riff, 8).equals("WEBP")) {
        return;
      }
      for (int i = 0; i < MAX_CHUNKS; i++) {
        byte[] header = in.readNBytes(8);
        if (header.length < 8) {
          return;
        }
        String fourcc = ascii(header, 0);
        long size = u32(header, 4);
        int[] declared;
        if (fourcc.equals("ANMF")) {
          in.skipNBytes(
              ANMF_HEADER); // the frame's own offset and size are checked by the reader's report
          declared = frameInside(in);
        } else if (fourcc.equals("VP8 ") || fourcc.equals("VP8L")) {
          declared = bitstream(fourcc, in);
        } else {
          in.skipNBytes(size + (size & 1));
          continue;
        }
        if (declared != null && (declared[0] > width || declared[1] > height)) {
          throw new IOException(
              "WebP frame declares "
                  + declared[0]
                  + "x"
                  + declared[1]
                  + ", more than the "
                  + width
                  + "x"
                  + height
                  + " its reader reported");
        }
        return;
      }
      throw new IOException("WebP has more than " + MAX_CHUNKS + " chunks before its first frame");
    } catch (EOFException e) {
      // ends before its first frame header: the decoder will say so
    }
  }

  /** The bitstream size inside an ANMF frame's data: its ALPH chunk skipped, then VP8 or VP8L. */
  private static int @Nullable [] frameInside(InputStream in) throws IOException {
    for (int i = 0; i < 2; i++) {
      byte[] header = in.readNBytes(8);
      if (header.length < 8) {
        return null;
      }
      String fourcc = ascii(header, 0);
      if (fourcc.equals("VP8 ") || fourcc.equals("VP8L")) {
        return bitstream(fourcc, in);
      }
      long size = u32(header, 4);
      in.skipNBytes(size + (size & 1));
    }
    return null;
  }

  /** The width and height a VP8 key frame or VP8L header declares, or null when it is not one. */
  private static int @Nullable [] bitstream(String fourcc, InputStream in) throws IOException {
    if (fourcc.equals("VP8L")) {
      byte[] h = in.readNBytes(5);
      if (h.length < 5 || (h[0] & 0xFF) != 0x2F) {
        return null;
      }
      long bits = u32(h, 1);
      return new int[] {(int) (bits & 0x3FFF) + 1, (int) ((bits >>> 14) & 0x3FFF) + 1};
    }
    byte[] h =
        in.readNBytes(
            10); // frame tag (3), start code (3), width and height (14 bits each, 2 of scale)
    if (h.length < 10 || (h[3] & 0xFF) != 0x9D || (h[4] & 0xFF) != 0x01 || (h[5] & 0xFF) != 0x2A) {
      return null;
    }
    return new int[] {
      ((h[6] & 0xFF) | (h[7] & 0xFF) << 8) & 0x3FFF, ((h[8] & 0xFF) | (h[9] & 0xFF) << 8) & 0x3FFF
    };
  }

  private static String ascii(byte[] b, int off) {
    return new String(b, off, 4, StandardCharsets.US_ASCII);
  }

  private static long u32(byte[] b, int off) {
    return (b[off] & 0xFFL)
        | (b[off + 1] & 0xFFL) << 8
        | (b[off + 2] & 0xFFL) << 16
        | (b[off + 3] & 0xFFL) << 24;
  }
}
