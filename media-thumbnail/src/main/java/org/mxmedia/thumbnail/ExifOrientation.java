package org.mxmedia.thumbnail;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the EXIF orientation (tag 0x0112) of a JPEG from its APP1 segment. Reads only the markers
 * before the image data, never more than one 64 KiB segment, and answers 1 (upright) for anything
 * it does not understand.
 */
final class ExifOrientation {
  private static final int MAX_SEGMENTS = 64;

  private ExifOrientation() {}

  static int of(Path jpeg) {
    try (InputStream raw = Files.newInputStream(jpeg);
        DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 8192))) {
      if (in.readUnsignedShort() != 0xFFD8) {
        return 1;
      }
      for (int i = 0; i < MAX_SEGMENTS; i++) {
        int marker = in.readUnsignedShort();
        if ((marker & 0xFF00) != 0xFF00 || marker == 0xFFDA || marker == 0xFFD9) {
          return 1; // start of scan or garbage: no EXIF before the image data
        }
        int length = in.readUnsignedShort() - 2;
        if (length < 0) {
          return 1;
        }
        if (marker == 0xFFE1 && length >= 14) {
          byte[] segment = new byte[length];
          in.readFully(segment);
          if (segment[0] == 'E'
              && segment[1] == 'x'
              && segment[2] == 'i'
              && segment[3] == 'f'
              && segment[4] == 0
              && segment[5] == 0) {
            return fromTiff(ByteBuffer.wrap(segment, 6, length - 6).slice());
          }
        } else {
          in.skipNBytes(length);
        }
      }
    } catch (EOFException e) {
      return 1;
    } catch (IOException | RuntimeException e) {
      return 1;
    }
    return 1;
  }

  private static int fromTiff(ByteBuffer tiff) {
    if (tiff.remaining() < 8) {
      return 1;
    }
    char a = (char) tiff.get(0);
    char b = (char) tiff.get(1);
    if (a == 'I' && b == 'I') {
      tiff.order(ByteOrder.LITTLE_ENDIAN);
    } else if (a == 'M' && b == 'M') {
      tiff.order(ByteOrder.BIG_ENDIAN);
    } else {
      return 1;
    }
    if ((tiff.getShort(2) & 0xFFFF) != 42) {
      return 1;
    }
    long ifd = tiff.getInt(4) & 0xFFFFFFFFL;
    if (ifd + 2 > tiff.limit()) {
      return 1;
    }
    int entries = tiff.getShort((int) ifd) & 0xFFFF;
    for (int i = 0; i < entries; i++) {
      int entry = (int) ifd + 2 + i * 12;
      if (entry + 12 > tiff.limit()) {
        return 1;
      }
      if ((tiff.getShort(entry) & 0xFFFF) == 0x0112) {
        int type = tiff.getShort(entry + 2) & 0xFFFF;
        int value =
            type == 3 ? tiff.getShort(entry + 8) & 0xFFFF : type == 4 ? tiff.getInt(entry + 8) : 1;
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }
}
