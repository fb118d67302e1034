package org.mxmedia.thumbnail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks the fields of a BMP header that the JDK's BMP reader trusts when it decodes, from the
 * first 38 bytes of the file. The reader reads RLE-compressed pixel data whole, by the size the
 * header declares; and for a BMP holding an embedded JPEG or PNG it allocates the declared size
 * before reading (a 120-byte file can declare 2 GB), then decodes the embedded image without
 * checking its own size.
 */
final class BmpHeader {
  private static final long BI_RLE8 = 1;
  private static final long BI_RLE4 = 2;
  private static final long BI_JPEG = 4;
  private static final long BI_PNG = 5;

  private BmpHeader() {}

  /**
   * Checks {@code file}, a BMP of {@code width x height} pixels as its reader reported. A file that
   * does not start with "BM" (a WBMP), or has an OS/2 1.x header, has nothing to check.
   *
   * @throws IOException when the file cannot be read, holds an embedded JPEG or PNG, or declares
   *     more RLE data than {@code width x height} pixels can take: two bytes a pixel, two a row and
   *     1 KiB more
   */
  static void check(Path file, int width, int height) throws IOException {
    byte[] header;
    try (InputStream in = Files.newInputStream(file)) {
      header = in.readNBytes(38);
    }
    if (header.length < 38 || header[0] != 'B' || header[1] != 'M') {
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    long fileSize = Integer.toUnsignedLong(b.getInt(2));
    long pixelOffset = Integer.toUnsignedLong(b.getInt(10));
    long headerSize = Integer.toUnsignedLong(b.getInt(14));
    if (headerSize < 40) {
      return; // BITMAPCOREHEADER: no compression field
    }
    long compression = Integer.toUnsignedLong(b.getInt(30));
    long imageSize = Integer.toUnsignedLong(b.getInt(34));
    if (compression == BI_JPEG || compression == BI_PNG) {
      throw new IOException("BMP with an embedded JPEG or PNG is not thumbnailed");
    }
    if (compression == BI_RLE8 || compression == BI_RLE4) {
      long data = imageSize != 0 ? imageSize : fileSize - pixelOffset; // what the reader reads
      long most = 2L * width * height + 2L * height + 1024;
      if (data > most) {
        throw new IOException(
            "BMP declares "
                + data
                + " bytes of RLE data for "
                + width
                + "x"
                + height
                + " pixels, more than RLE takes ("
                + most
                + ")");
      }
    }
  }
}
