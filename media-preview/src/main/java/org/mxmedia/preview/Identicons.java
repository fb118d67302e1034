package org.mxmedia.preview;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.mxmedia.MediaException;

/**
 * Identicons for {@code GET /_matrix/media/{v3,r0,v1}/identicon/{name}}: a 5 by 5 pattern of cells,
 * mirrored left to right, in a colour taken from the name, on a light background. The picture is a
 * function of the name and size alone: the SHA-256 of the name's UTF-8 bytes picks the colour and
 * the cells, and the PNG is written here (8-bit RGB, no ancillary chunks, so no timestamp; zlib at
 * a fixed level), so the same request gives the same bytes every time.
 */
public final class Identicons {
  /** The width and height when the request gives none. */
  public static final int DEFAULT_SIZE = 96;

  /** The largest width or height served. */
  public static final int MAX_SIZE = 512;

  private static final int CELLS = 5;
  private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  private static final int BACKGROUND = 0xF0F0F0;

  private Identicons() {}

  /** {@link #png(String, int, int)} at {@link #DEFAULT_SIZE} by {@link #DEFAULT_SIZE}. */
  public static byte[] png(String name) {
    return png(name, DEFAULT_SIZE, DEFAULT_SIZE);
  }

  /**
   * The identicon of {@code name} as a PNG of exactly {@code width} by {@code height} pixels; the
   * pattern is a square centred in it, with a margin of an eighth of the shorter side.
   *
   * @param name any string, empty included
   * @param width pixels, 1 to {@link #MAX_SIZE}
   * @param height pixels, 1 to {@link #MAX_SIZE}
   * @throws MediaException 400 {@code M_INVALID_PARAM} when a dimension is out of range
   */
  public static byte[] png(String name, int width, int height) {
    Objects.requireNonNull(name, "name");
    if (width < 1 || width > MAX_SIZE || height < 1 || height > MAX_SIZE) {
      throw MediaException.invalidParam("width and height must be between 1 and " + MAX_SIZE);
    }
    byte[] hash = sha256(name.getBytes(StandardCharsets.UTF_8));
    int colour = colour(hash);
    boolean[][] cells = cells(hash);
    int side = Math.min(width, height);
    int margin = side / 8;
    int grid = side - 2 * margin;
    int left = (width - grid) / 2;
    int top = (height - grid) / 2;
    int rowBytes = 1 + width * 3;
    byte[] raw = new byte[rowBytes * height];
    for (int y = 0; y < height; y++) {
      int row = y * rowBytes;
      raw[row] = 0;
      for (int x = 0; x < (width + 1) / 2; x++) {
        int rgb = BACKGROUND;
        if (grid > 0 && x >= left && y >= top && y < top + grid) {
          int column = Math.min(CELLS - 1, (x - left) * CELLS / grid);
          int r = Math.min(CELLS - 1, (y - top) * CELLS / grid);
          if (column <= CELLS / 2 && cells[r][column]) {
            rgb = colour;
          }
        }
        put(raw, row + 1 + x * 3, rgb);
        put(raw, row + 1 + (width - 1 - x) * 3, rgb);
      }
    }
    return encode(width, height, raw);
  }

  /** Columns 0..2 from the hash's bits; columns 3 and 4 mirror 1 and 0. */
  private static boolean[][] cells(byte[] hash) {
    boolean[][] cells = new boolean[CELLS][CELLS];
    int bit = 0;
    for (int column = 0; column <= CELLS / 2; column++) {
      for (int row = 0; row < CELLS; row++, bit++) {
        boolean on = (hash[4 + bit / 8] >> (bit % 8) & 1) == 1;
        cells[row][column] = on;
        cells[row][CELLS - 1 - column] = on;
      }
    }
    return cells;
  }

  /** A saturated, mid-dark colour: the hue from the hash, so it contrasts with the background. */
  private static int colour(byte[] hash) {
    float hue = ((hash[0] & 0xFF) << 8 | (hash[1] & 0xFF)) / 65536f;
    float saturation = 0.45f + (hash[2] & 0xFF) / 255f * 0.35f;
    float brightness = 0.55f + (hash[3] & 0xFF) / 255f * 0.2f;
    return Color.HSBtoRGB(hue, saturation, brightness) & 0xFFFFFF;
  }

  private static void put(byte[] raw, int at, int rgb) {
    raw[at] = (byte) (rgb >> 16);
    raw[at + 1] = (byte) (rgb >> 8);
    raw[at + 2] = (byte) rgb;
  }

  private static byte[] encode(int width, int height, byte[] raw) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
      out.write(SIGNATURE);
      ByteArrayOutputStream header = new ByteArrayOutputStream(13);
      DataOutputStream h = new DataOutputStream(header);
      h.writeInt(width);
      h.writeInt(height);
      h.writeByte(8);
      h.writeByte(2);
      h.writeByte(0);
      h.writeByte(0);
      h.writeByte(0);
      chunk(out, "IHDR", header.toByteArray());
      chunk(out, "IDAT", deflate(raw));
      chunk(out, "IEND", new byte[0]);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] deflate(byte[] raw) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
    try {
      deflater.setInput(raw);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, raw.length / 16));
      byte[] buffer = new byte[8192];
      while (!deflater.finished()) {
        out.write(buffer, 0, deflater.deflate(buffer));
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data)
      throws IOException {
    DataOutputStream d = new DataOutputStream(out);
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    d.writeInt(data.length);
    d.write(typeBytes);
    d.write(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    d.writeInt((int) crc.getValue());
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
