package org.mxmedia.testkit;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Images made in code for thumbnailer tests, so no binary fixture is needed: each has four coloured
 * quadrants (red top-left, green top-right, blue bottom-left, white bottom-right), so a test can
 * tell orientation and cropping from the pixels.
 */
public final class TestImages {
  private TestImages() {}

  public static final Color TOP_LEFT = Color.RED;
  public static final Color TOP_RIGHT = Color.GREEN;
  public static final Color BOTTOM_LEFT = Color.BLUE;
  public static final Color BOTTOM_RIGHT = Color.WHITE;

  /**
   * A quadrant image of the given size and type ({@link BufferedImage#TYPE_INT_RGB}, ARGB, ...).
   */
  public static BufferedImage quadrants(int width, int height, int type) {
    BufferedImage image = new BufferedImage(width, height, type);
    Graphics2D g = image.createGraphics();
    g.setColor(TOP_LEFT);
    g.fillRect(0, 0, width / 2, height / 2);
    g.setColor(TOP_RIGHT);
    g.fillRect(width / 2, 0, width - width / 2, height / 2);
    g.setColor(BOTTOM_LEFT);
    g.fillRect(0, height / 2, width / 2, height - height / 2);
    g.setColor(BOTTOM_RIGHT);
    g.fillRect(width / 2, height / 2, width - width / 2, height - height / 2);
    g.dispose();
    return image;
  }

  /** Encodes an image with ImageIO ({@code png}, {@code jpeg}, {@code gif}, {@code bmp}). */
  public static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalArgumentException("no writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * Quadrants with per-pixel noise, so the image compresses like a photo and thumbnails come out
   * smaller than it.
   */
  public static BufferedImage noisy(int width, int height, long seed) {
    BufferedImage image = quadrants(width, height, BufferedImage.TYPE_INT_RGB);
    Random random = new Random(seed);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = image.getRGB(x, y);
        int n = random.nextInt(48) - 24;
        int r = Math.max(0, Math.min(255, ((rgb >> 16) & 0xFF) + n));
        int g = Math.max(0, Math.min(255, ((rgb >> 8) & 0xFF) + n));
        int b = Math.max(0, Math.min(255, (rgb & 0xFF) + n));
        image.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    return image;
  }

  public static byte[] png(int width, int height) {
    return encode(quadrants(width, height, BufferedImage.TYPE_INT_RGB), "png");
  }

  public static byte[] jpeg(int width, int height) {
    return encode(quadrants(width, height, BufferedImage.TYPE_INT_RGB), "jpeg");
  }

  /** A JPEG with an EXIF APP1 segment holding only the orientation tag (1 to 8). */
  public static byte[] jpegWithOrientation(int width, int height, int orientation) {
    byte[] jpeg = jpeg(width, height);
    ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4);
    tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
    tiff.putShort((short) 1);
    tiff.putShort((short) 0x0112)
        .putShort((short) 3)
        .putInt(1)
        .putShort((short) orientation)
        .putShort((short) 0);
    tiff.putInt(0);
    byte[] exif = new byte[6 + tiff.capacity()];
    System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, exif, 0, 6);
    System.arraycopy(tiff.array(), 0, exif, 6, tiff.capacity());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(jpeg, 0, 2); // SOI
    out.write(0xFF);
    out.write(0xE1);
    int length = exif.length + 2;
    out.write(length >> 8);
    out.write(length & 0xFF);
    out.write(exif, 0, exif.length);
    out.write(jpeg, 2, jpeg.length - 2);
    return out.toByteArray();
  }

  /**
   * A tiny PNG whose header claims {@code width x height} pixels (a pixel flood): a few hundred
   * bytes that would decode to gigabytes.
   */
  public static byte[] pngClaiming(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer ihdr =
        ByteBuffer.allocate(13)
            .putInt(width)
            .putInt(height)
            .put((byte) 8)
            .put((byte) 2)
            .put((byte) 0)
            .put((byte) 0)
            .put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    Deflater deflater = new Deflater(9);
    deflater.setInput(new byte[64 * 1024]);
    deflater.finish();
    byte[] buf = new byte[1024];
    int n = deflater.deflate(buf);
    chunk(out, "IDAT", Arrays.copyOf(buf, n));
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  /** A GIF whose logical screen is {@code width x height} with one 1x1 frame. */
  public static byte[] gifWithScreen(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("GIF89a".getBytes(StandardCharsets.ISO_8859_1));
    out.write(width & 0xFF);
    out.write(width >> 8);
    out.write(height & 0xFF);
    out.write(height >> 8);
    out.writeBytes(new byte[] {(byte) 0x80, 0, 0}); // global colour table of 2 entries
    out.writeBytes(new byte[] {0, 0, 0, (byte) 255, (byte) 255, (byte) 255});
    out.writeBytes(new byte[] {0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0}); // image descriptor 1x1
    out.writeBytes(new byte[] {2, 2, 0x44, 0x01, 0}); // LZW min code size 2, one data block
    out.write(0x3B);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    ByteBuffer len = ByteBuffer.allocate(4).putInt(data.length);
    out.writeBytes(len.array());
    byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /**
   * The colour at a point, ignoring small compression differences: the nearest of the four quadrant
   * colours.
   */
  public static Color nearestQuadrantColour(BufferedImage image, int x, int y) {
    Color c = new Color(image.getRGB(x, y));
    Color best = TOP_LEFT;
    double bestDistance = Double.MAX_VALUE;
    for (Color q : new Color[] {TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT}) {
      double d =
          Math.pow(c.getRed() - q.getRed(), 2)
              + Math.pow(c.getGreen() - q.getGreen(), 2)
              + Math.pow(c.getBlue() - q.getBlue(), 2);
      if (d < bestDistance) {
        bestDistance = d;
        best = q;
      }
    }
    return best;
  }

  /** An animated GIF of solid frames, each shown for {@code delay} hundredths of a second. */
  public static byte[] animatedGif(int w, int h, Color[] frames, int delay) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      writer.prepareWriteSequence(null);
      for (Color c : frames) {
        BufferedImage frame = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = frame.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, w, h);
        g.dispose();
        IIOMetadata meta =
            writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), null);
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree("javax_imageio_gif_image_1.0");
        IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(delay));
        gce.setAttribute("transparentColorIndex", "0");
        root.appendChild(gce);
        meta.setFromTree("javax_imageio_gif_image_1.0", root);
        writer.writeToSequence(new IIOImage(frame, null, meta), null);
      }
      writer.endWriteSequence();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
