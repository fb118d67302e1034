package org.mxmedia.benchmarks;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.mxmedia.MediaConfig;
import org.mxmedia.ThumbnailSpec;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;

/**
 * Writes the benchmark inputs: photo-like images (gradients, shapes and noise, so they compress
 * like photographs) as JPEG and PNG. {@code BenchmarkImages DIR WIDTH HEIGHT NAME...} writes {@code
 * NAME.jpg} and {@code NAME.png} of that size; the same files feed JMH, Pillow and libvips.
 */
public final class BenchmarkImages {
  private BenchmarkImages() {}

  public static BufferedImage photo(int width, int height, long seed) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setPaint(
        new GradientPaint(0, 0, new Color(30, 90, 160), width, height, new Color(240, 200, 120)));
    g.fillRect(0, 0, width, height);
    Random random = new Random(seed);
    for (int i = 0; i < 400; i++) {
      g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256), 120));
      int w = random.nextInt(width / 4) + 10;
      int h = random.nextInt(height / 4) + 10;
      g.fillOval(random.nextInt(width), random.nextInt(height), w, h);
    }
    g.dispose();
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      image.getRGB(0, y, width, 1, row, 0, width);
      for (int x = 0; x < width; x++) {
        int n = random.nextInt(17) - 8;
        int p = row[x];
        int r = Math.max(0, Math.min(255, ((p >> 16) & 0xFF) + n));
        int gr = Math.max(0, Math.min(255, ((p >> 8) & 0xFF) + n));
        int b = Math.max(0, Math.min(255, (p & 0xFF) + n));
        row[x] = (r << 16) | (gr << 8) | b;
      }
      image.setRGB(0, y, width, 1, row, 0, width);
    }
    return image;
  }

  /**
   * The spec's five thumbnail sizes as exact targets for a source of {@code width x height} larger
   * than all of them (as the engine computes them): a crop is the box, a scale fits the box.
   */
  public static List<ThumbnailSpec> specTargets(int width, int height) {
    List<ThumbnailSpec> specs = new ArrayList<>();
    for (ThumbnailSpec s : MediaConfig.SPEC_THUMBNAIL_SIZES) {
      if (s.method() == ThumbnailMethod.CROP) {
        specs.add(s);
      } else if ((long) s.width() * height <= (long) s.height() * width) {
        specs.add(
            new ThumbnailSpec(
                s.width(),
                (int) Math.max(1, Math.round((double) height * s.width() / width)),
                s.method(),
                false));
      } else {
        specs.add(
            new ThumbnailSpec(
                (int) Math.max(1, Math.round((double) width * s.height() / height)),
                s.height(),
                s.method(),
                false));
      }
    }
    return specs;
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args[0]));
    int width = Integer.parseInt(args[1]);
    int height = Integer.parseInt(args[2]);
    for (int i = 3; i < args.length; i++) {
      BufferedImage image = photo(width, height, i);
      ImageIO.write(image, "jpeg", dir.resolve(args[i] + ".jpg").toFile());
      if (i == 3) {
        ImageIO.write(image, "png", dir.resolve(args[i] + ".png").toFile());
      }
    }
  }
}
