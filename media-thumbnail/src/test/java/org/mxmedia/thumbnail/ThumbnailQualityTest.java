package org.mxmedia.thumbnail;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;
import org.mxmedia.spi.Thumbnailer.GeneratedThumbnail;
import org.mxmedia.spi.Thumbnailer.ImageInfo;
import org.mxmedia.testkit.TestImages;

/**
 * No visible loss: every spec size of every test image scores a structural similarity (SSIM, on
 * luma, and on alpha where there is any) of at least 0.95 against a high-quality reference made
 * independently of the thumbnailer: the full-resolution decode, oriented, cropped, and reduced in
 * one Lanczos-3 step in double precision (Pillow's {@code LANCZOS}, Synapse's engine), then, where
 * the thumbnail is a JPEG, through the same JPEG quality 80 (which alone costs about 0.05 of SSIM
 * on these images, so the bar measures what the pipeline loses, not the codec). The images are
 * photo-like (gradients, translucent shapes, fine lines, text and per-pixel noise) and large enough
 * that the thumbnailer takes its subsampled-decode and pyramid paths.
 */
class ThumbnailQualityTest {
  static final double MIN_SSIM = 0.95;

  @TempDir Path dir;

  /**
   * The five sizes the spec recommends, as the engine asks for them from a 4:3 landscape or 3:4
   * portrait source.
   */
  static List<ThumbnailSpec> specSizes(int displayWidth, int displayHeight) {
    List<ThumbnailSpec> specs =
        new ArrayList<>(List.of(ThumbnailSpec.crop(32, 32), ThumbnailSpec.crop(96, 96)));
    for (int[] box : new int[][] {{320, 240}, {640, 480}, {800, 600}}) {
      if ((long) box[0] * displayHeight <= (long) box[1] * displayWidth) {
        specs.add(
            ThumbnailSpec.scale(
                box[0],
                Math.max(1, (int) Math.round((double) displayHeight * box[0] / displayWidth))));
      } else {
        specs.add(
            ThumbnailSpec.scale(
                Math.max(1, (int) Math.round((double) displayWidth * box[1] / displayHeight)),
                box[1]));
      }
    }
    return specs;
  }

  static Stream<Arguments> images() {
    return Stream.of(
        Arguments.of("photo.jpg", TestImages.encode(photo(3400, 2550, 1, false), "jpeg"), 1),
        Arguments.of("photo.png", TestImages.encode(photo(3400, 2550, 1, false), "png"), 1),
        Arguments.of("small.png", TestImages.encode(photo(1000, 750, 2, false), "png"), 1),
        Arguments.of(
            "portrait-exif6.jpg",
            withOrientation(TestImages.encode(photo(2000, 1500, 3, false), "jpeg"), 6),
            6),
        Arguments.of(
            "mirrored-exif5.jpg",
            withOrientation(TestImages.encode(photo(1600, 1200, 4, false), "jpeg"), 5),
            5),
        Arguments.of("alpha.png", TestImages.encode(photo(2000, 1500, 5, true), "png"), 1),
        Arguments.of("noisy.png", TestImages.encode(TestImages.noisy(1800, 1800, 6), "png"), 1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void everySpecSizeIsCloseToTheReference(String name, byte[] bytes, int orientation)
      throws IOException {
    Path source = Files.write(dir.resolve(name), bytes);
    ImageIoThumbnailer thumbnailer = new ImageIoThumbnailer();
    ImageInfo info = thumbnailer.probe(source, "image/*").orElseThrow();
    assertThat(info.orientation()).isEqualTo(orientation);
    BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(bytes));
    boolean hasAlpha = decoded.getColorModel().hasAlpha();
    BufferedImage full = oriented(decoded, orientation);
    Path out = Files.createDirectories(dir.resolve(name + "-out"));
    List<GeneratedThumbnail> made =
        thumbnailer.generate(
            source, info, specSizes(info.displayWidth(), info.displayHeight()), 32_000_000L, out);
    assertThat(made).hasSize(5);
    for (GeneratedThumbnail t : made) {
      BufferedImage thumb = ImageIO.read(t.file().toFile());
      BufferedImage reference =
          t.contentType().equals("image/jpeg")
              ? asJpeg(reference(full, t.requested()))
              : reference(full, t.requested());
      assertThat(thumb.getWidth()).isEqualTo(reference.getWidth());
      assertThat(thumb.getHeight()).isEqualTo(reference.getHeight());
      double luma = ssim(luma(reference), luma(thumb), reference.getWidth(), reference.getHeight());
      assertThat(luma)
          .as("%s %s: SSIM of luma", name, t.requested())
          .isGreaterThanOrEqualTo(MIN_SSIM);
      if (hasAlpha) {
        assertThat(thumb.getColorModel().hasAlpha()).isTrue();
        double alpha =
            ssim(alpha(reference), alpha(thumb), reference.getWidth(), reference.getHeight());
        assertThat(alpha)
            .as("%s %s: SSIM of alpha", name, t.requested())
            .isGreaterThanOrEqualTo(MIN_SSIM);
      }
    }
  }

  /**
   * The metric tells a loss apart: a thumbnail made by dropping pixels (nearest neighbour, which
   * aliases) scores under the bar.
   */
  @Test
  void nearestNeighbourFallsBelowTheBar() {
    BufferedImage full = photo(2400, 1800, 1, false);
    BufferedImage reference = reference(full, ThumbnailSpec.scale(320, 240));
    BufferedImage nearest = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = nearest.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
    g.drawImage(full, 0, 0, 320, 240, null);
    g.dispose();
    assertThat(ssim(luma(reference), luma(nearest), 320, 240)).isLessThan(MIN_SSIM);
    assertThat(ssim(luma(reference), luma(reference), 320, 240)).isEqualTo(1.0);
  }

  /**
   * Gradients, translucent ellipses and rectangles, thin lines and text, then per-pixel noise of up
   * to 8 levels, like a photograph; with {@code alpha}, an alpha falling from opaque on the left to
   * nearly transparent on the right, with a transparent hole.
   */
  static BufferedImage photo(int width, int height, long seed, boolean alpha) {
    BufferedImage image =
        new BufferedImage(
            width, height, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setPaint(
        new GradientPaint(0, 0, new Color(30, 90, 160), width, height, new Color(240, 200, 120)));
    g.fillRect(0, 0, width, height);
    Random random = new Random(seed);
    for (int i = 0; i < 300; i++) {
      g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256), 140));
      int w = random.nextInt(width / 4) + 10;
      int h = random.nextInt(height / 4) + 10;
      if (i % 3 == 0) {
        g.fillRect(random.nextInt(width), random.nextInt(height), w, h);
      } else {
        g.fillOval(random.nextInt(width), random.nextInt(height), w, h);
      }
    }
    g.setStroke(new BasicStroke(2f));
    for (int i = 0; i < 60; i++) {
      g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
      g.drawLine(
          random.nextInt(width),
          random.nextInt(height),
          random.nextInt(width),
          random.nextInt(height));
    }
    g.setFont(g.getFont().deriveFont(height / 12f));
    g.setColor(Color.WHITE);
    g.drawString("mxmedia 0123456789", width / 10, height / 2);
    g.dispose();
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int p = image.getRGB(x, y);
        int n = random.nextInt(17) - 8;
        int r = Math.max(0, Math.min(255, ((p >> 16) & 0xFF) + n));
        int gr = Math.max(0, Math.min(255, ((p >> 8) & 0xFF) + n));
        int b = Math.max(0, Math.min(255, (p & 0xFF) + n));
        int a = 255;
        if (alpha) {
          int dx = x - width / 2;
          int dy = y - height / 2;
          a = dx * dx + dy * dy < (height / 6) * (height / 6) ? 0 : 255 - 200 * x / width;
        }
        image.setRGB(x, y, (a << 24) | (r << 16) | (gr << 8) | b);
      }
    }
    return image;
  }

  /** A JPEG with an EXIF APP1 segment holding the orientation only, spliced in after SOI. */
  static byte[] withOrientation(byte[] jpeg, int orientation) {
    byte[] tagged = TestImages.jpegWithOrientation(8, 8, orientation);
    byte[] plain = TestImages.jpeg(8, 8);
    int app1 = tagged.length - plain.length; // the APP1 segment's length, marker included
    byte[] out = new byte[jpeg.length + app1];
    System.arraycopy(jpeg, 0, out, 0, 2);
    System.arraycopy(tagged, 2, out, 2, app1);
    System.arraycopy(jpeg, 2, out, 2 + app1, jpeg.length - 2);
    return out;
  }

  /**
   * The image as displayed under an EXIF orientation (1 to 8), drawn independently of the
   * thumbnailer's code.
   */
  static BufferedImage oriented(BufferedImage image, int orientation) {
    int w = image.getWidth();
    int h = image.getHeight();
    boolean swap = orientation >= 5;
    AffineTransform t = new AffineTransform();
    switch (orientation) {
      case 2 -> t.setTransform(-1, 0, 0, 1, w, 0);
      case 3 -> t.setTransform(-1, 0, 0, -1, w, h);
      case 4 -> t.setTransform(1, 0, 0, -1, 0, h);
      case 5 -> t.setTransform(0, 1, 1, 0, 0, 0);
      case 6 -> t.setTransform(0, 1, -1, 0, h, 0);
      case 7 -> t.setTransform(0, -1, -1, 0, h, w);
      case 8 -> t.setTransform(0, -1, 1, 0, 0, w);
      default -> {
        return image;
      }
    }
    BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_ARGB);
    Graphics2D g = out.createGraphics();
    g.drawImage(image, t, null);
    g.dispose();
    return out;
  }

  /**
   * The centred region of the spec's aspect ratio (the whole image to scale), reduced in one step
   * by a Lanczos-3 filter widened to the scale factor, in double precision on premultiplied
   * samples: what Pillow's {@code resize(LANCZOS)} computes from a full decode, as Synapse does.
   */
  static BufferedImage reference(BufferedImage full, ThumbnailSpec spec) {
    int w = full.getWidth();
    int h = full.getHeight();
    int rw = w;
    int rh = h;
    if (spec.method() == ThumbnailMethod.CROP) {
      if ((long) w * spec.height() > (long) h * spec.width()) {
        rw = (int) Math.round((double) h * spec.width() / spec.height());
      } else {
        rh = (int) Math.round((double) w * spec.height() / spec.width());
      }
    }
    int x0 = (w - rw) / 2;
    int y0 = (h - rh) / 2;
    int tw = spec.width();
    int th = spec.height();
    double[][] premultiplied = new double[4][w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = full.getRGB(x, y);
        double a = (p >>> 24) / 255.0;
        premultiplied[0][y * w + x] = p >>> 24;
        premultiplied[1][y * w + x] = ((p >> 16) & 0xFF) * a;
        premultiplied[2][y * w + x] = ((p >> 8) & 0xFF) * a;
        premultiplied[3][y * w + x] = (p & 0xFF) * a;
      }
    }
    double[][] across = new double[4][tw * h];
    for (int i = 0; i < tw; i++) {
      double[] k = kernel(x0, rw, tw, w, i);
      int from = (int) k[0];
      for (int y = 0; y < h; y++) {
        for (int c = 0; c < 4; c++) {
          double v = 0;
          for (int t = 1; t < k.length; t++) {
            v += k[t] * premultiplied[c][y * w + from + t - 1];
          }
          across[c][y * tw + i] = v;
        }
      }
    }
    BufferedImage out = new BufferedImage(tw, th, BufferedImage.TYPE_INT_ARGB);
    for (int j = 0; j < th; j++) {
      double[] k = kernel(y0, rh, th, h, j);
      int from = (int) k[0];
      for (int i = 0; i < tw; i++) {
        double[] v = new double[4];
        for (int c = 0; c < 4; c++) {
          for (int t = 1; t < k.length; t++) {
            v[c] += k[t] * across[c][(from + t - 1) * tw + i];
          }
        }
        int a = clamp(v[0]);
        int r = a == 0 ? 0 : clamp(v[1] * 255 / a);
        int g = a == 0 ? 0 : clamp(v[2] * 255 / a);
        int b = a == 0 ? 0 : clamp(v[3] * 255 / a);
        out.setRGB(i, j, a << 24 | r << 16 | g << 8 | b);
      }
    }
    return out;
  }

  private static int clamp(double v) {
    return (int) Math.max(0, Math.min(255, Math.round(v)));
  }

  /**
   * {@code {first source pixel, weights...}} of output pixel {@code i} when {@code [start, start +
   * length)} of {@code size} becomes {@code out} pixels.
   */
  private static double[] kernel(int start, int length, int out, int size, int i) {
    double scale = (double) length / out;
    double widen = Math.max(1, scale);
    double centre = start + (i + 0.5) * scale;
    int lo = Math.max(0, (int) Math.floor(centre - 3 * widen));
    int hi = Math.min(size - 1, (int) Math.ceil(centre + 3 * widen));
    double[] k = new double[hi - lo + 2];
    k[0] = lo;
    double sum = 0;
    for (int s = lo; s <= hi; s++) {
      double x = (s + 0.5 - centre) / widen;
      double v =
          x == 0
              ? 1
              : Math.abs(x) >= 3
                  ? 0
                  : 3
                      * Math.sin(Math.PI * x)
                      * Math.sin(Math.PI * x / 3)
                      / (Math.PI * x * Math.PI * x);
      k[s - lo + 1] = v;
      sum += v;
    }
    for (int t = 1; t < k.length; t++) {
      k[t] /= sum;
    }
    return k;
  }

  /**
   * The image after a round trip through ImageIO's JPEG writer at quality 0.8, the thumbnails' own.
   */
  static BufferedImage asJpeg(BufferedImage image) throws IOException {
    BufferedImage rgb =
        new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    g.drawImage(image, 0, 0, null);
    g.dispose();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(0.8f);
      writer.write(null, new IIOImage(rgb, null, null), param);
    } finally {
      writer.dispose();
    }
    return ImageIO.read(new ByteArrayInputStream(bytes.toByteArray()));
  }

  /**
   * Luma as seen over a mid-grey background (alpha composed), so the colour of transparent pixels
   * does not count.
   */
  static double[] luma(BufferedImage image) {
    double[] y = new double[image.getWidth() * image.getHeight()];
    for (int j = 0; j < image.getHeight(); j++) {
      for (int i = 0; i < image.getWidth(); i++) {
        int p = image.getRGB(i, j);
        double a = (p >>> 24) / 255.0;
        double v = 0.299 * ((p >> 16) & 0xFF) + 0.587 * ((p >> 8) & 0xFF) + 0.114 * (p & 0xFF);
        y[j * image.getWidth() + i] = a * v + (1 - a) * 128;
      }
    }
    return y;
  }

  static double[] alpha(BufferedImage image) {
    double[] a = new double[image.getWidth() * image.getHeight()];
    for (int j = 0; j < image.getHeight(); j++) {
      for (int i = 0; i < image.getWidth(); i++) {
        a[j * image.getWidth() + i] = image.getRGB(i, j) >>> 24;
      }
    }
    return a;
  }

  /**
   * Mean SSIM (Wang, Bovik, Sheikh and Simoncelli, 2004) of two {@code w x h} planes of 0..255
   * samples: an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, over every position where
   * the window fits (a smaller window for images under 11 pixels).
   */
  static double ssim(double[] a, double[] b, int w, int h) {
    int size = Math.min(11, Math.min(w, h));
    double[] window = new double[size * size];
    double total = 0;
    for (int j = 0; j < size; j++) {
      for (int i = 0; i < size; i++) {
        double dx = i - (size - 1) / 2.0;
        double dy = j - (size - 1) / 2.0;
        window[j * size + i] = Math.exp(-(dx * dx + dy * dy) / (2 * 1.5 * 1.5));
        total += window[j * size + i];
      }
    }
    double c1 = Math.pow(0.01 * 255, 2);
    double c2 = Math.pow(0.03 * 255, 2);
    double sum = 0;
    int count = 0;
    for (int y = 0; y + size <= h; y++) {
      for (int x = 0; x + size <= w; x++) {
        double ma = 0;
        double mb = 0;
        for (int j = 0; j < size; j++) {
          for (int i = 0; i < size; i++) {
            double k = window[j * size + i] / total;
            ma += k * a[(y + j) * w + x + i];
            mb += k * b[(y + j) * w + x + i];
          }
        }
        double va = 0;
        double vb = 0;
        double cov = 0;
        for (int j = 0; j < size; j++) {
          for (int i = 0; i < size; i++) {
            double k = window[j * size + i] / total;
            double da = a[(y + j) * w + x + i] - ma;
            double db = b[(y + j) * w + x + i] - mb;
            va += k * da * da;
            vb += k * db * db;
            cov += k * da * db;
          }
        }
        sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
        count++;
      }
    }
    return sum / count;
  }
}
