package org.mxmedia.thumbnail;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Arrays;
import java.util.concurrent.FutureTask;

/**
 * Downscaling on the bytes of a decoded raster, with no copy of the source: a separable Lanczos-3
 * filter (the one Pillow, and so Synapse, uses) in 22-bit fixed point, widened by the scale factor
 * so that every source pixel counts, plus exact 2x2 box halving to build a small pyramid first.
 *
 * <p>Images here are 8-bit sRGB in one of two layouts, the ones the JDK's decoders produce and its
 * encoders take without converting: {@link BufferedImage#TYPE_3BYTE_BGR} (opaque) and {@link
 * BufferedImage#TYPE_4BYTE_ABGR} (straight alpha; filtered premultiplied, so no colour bleeds out
 * of transparent pixels). {@link #standard} brings anything else into one of them.
 */
final class Resampler {
  private Resampler() {}

  /** Fixed-point bits of a filter weight: 8-bit samples times weights summing to 1 fit an int. */
  private static final int PRECISION = 22;

  private static final int HALF = 1 << (PRECISION - 1);
  private static final double SUPPORT = 3.0;

  /** {@code PREMULTIPLY[a << 8 | c]}: {@code c * a / 255}, rounded. */
  private static final byte[] PREMULTIPLY = new byte[256 * 256];

  static {
    for (int a = 0; a < 256; a++) {
      for (int c = 0; c < 256; c++) {
        PREMULTIPLY[a << 8 | c] = (byte) ((c * a + 127) / 255);
      }
    }
  }

  /**
   * {@code image} when it already is a plain {@code TYPE_3BYTE_BGR} (or, with {@code alpha}, {@code
   * TYPE_4BYTE_ABGR}) raster of its own, else a converted copy: CMYK, 16-bit, palettes, grey and
   * packed-int images become 8-bit sRGB.
   */
  static BufferedImage standard(BufferedImage image, boolean alpha) {
    int type = alpha ? BufferedImage.TYPE_4BYTE_ABGR : BufferedImage.TYPE_3BYTE_BGR;
    if (image.getType() == type && isPlain(image)) {
      return image;
    }
    BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), type);
    Graphics2D g = out.createGraphics();
    try {
      g.setComposite(AlphaComposite.Src);
      g.drawImage(image, 0, 0, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  /**
   * Whether the raster is the whole of its buffer, pixel-interleaved and tightly packed, as a new
   * image's is.
   */
  private static boolean isPlain(BufferedImage image) {
    WritableRaster raster = image.getRaster();
    if (!(raster.getSampleModel() instanceof PixelInterleavedSampleModel model)
        || !(raster.getDataBuffer() instanceof DataBufferByte buffer)) {
      return false;
    }
    int channels = raster.getNumBands();
    return raster.getParent() == null
        && raster.getSampleModelTranslateX() == 0
        && raster.getSampleModelTranslateY() == 0
        && buffer.getNumBanks() == 1
        && buffer.getOffset() == 0
        && model.getPixelStride() == channels
        && model.getScanlineStride() == image.getWidth() * channels;
  }

  private static byte[] bytes(BufferedImage image) {
    return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
  }

  private static int channels(BufferedImage image) {
    return image.getRaster().getNumBands();
  }

  /**
   * The image at half its width (rounded down), each pixel the mean of two (alpha-weighted with
   * alpha), written over the image's own bytes: the result shares its array, whose tail is left
   * unused. Images that are not plain {@code TYPE_3BYTE_BGR} or {@code TYPE_4BYTE_ABGR} are first
   * converted to one.
   */
  static BufferedImage halveWidthInPlace(BufferedImage image) {
    boolean alpha = image.getColorModel().hasAlpha();
    BufferedImage src = standard(image, alpha);
    int sw = src.getWidth();
    int h = src.getHeight();
    int w = Math.max(1, sw / 2);
    int c = channels(src);
    byte[] data = bytes(src);
    int right = sw > 1 ? c : 0;
    int o = 0;
    for (int y = 0; y < h; y++) {
      int row = y * sw * c;
      for (int x = 0; x < w; x++) {
        int p = row + 2 * x * c; // never behind o: the write never overtakes the read
        if (c == 3) {
          data[o] = (byte) (((data[p] & 0xFF) + (data[p + right] & 0xFF) + 1) >> 1);
          data[o + 1] = (byte) (((data[p + 1] & 0xFF) + (data[p + right + 1] & 0xFF) + 1) >> 1);
          data[o + 2] = (byte) (((data[p + 2] & 0xFF) + (data[p + right + 2] & 0xFF) + 1) >> 1);
        } else {
          int a0 = data[p] & 0xFF;
          int a1 = data[p + right] & 0xFF;
          int sum = a0 + a1;
          int b =
              sum == 0
                  ? 0
                  : ((data[p + 1] & 0xFF) * a0 + (data[p + right + 1] & 0xFF) * a1 + sum / 2) / sum;
          int g =
              sum == 0
                  ? 0
                  : ((data[p + 2] & 0xFF) * a0 + (data[p + right + 2] & 0xFF) * a1 + sum / 2) / sum;
          int r =
              sum == 0
                  ? 0
                  : ((data[p + 3] & 0xFF) * a0 + (data[p + right + 3] & 0xFF) * a1 + sum / 2) / sum;
          data[o] = (byte) ((sum + 1) >> 1);
          data[o + 1] = (byte) b;
          data[o + 2] = (byte) g;
          data[o + 3] = (byte) r;
        }
        o += c;
      }
    }
    DataBufferByte buffer = new DataBufferByte(data, w * h * c);
    int[] offsets = c == 3 ? new int[] {2, 1, 0} : new int[] {3, 2, 1, 0};
    WritableRaster raster = Raster.createInterleavedRaster(buffer, w, h, w * c, c, offsets, null);
    BufferedImage out = new BufferedImage(src.getColorModel(), raster, false, null);
    return out.getType() == src.getType() ? out : standard(out, alpha);
  }

  /**
   * The image at half its size (rounded down, at least 1), each pixel the mean of a 2x2 block
   * (alpha-weighted with alpha).
   */
  static BufferedImage halve(BufferedImage src) {
    int sw = src.getWidth();
    int sh = src.getHeight();
    int w = Math.max(1, sw / 2);
    int h = Math.max(1, sh / 2);
    int c = channels(src);
    BufferedImage dst = new BufferedImage(w, h, src.getType());
    byte[] in = bytes(src);
    byte[] out = bytes(dst);
    int stride = sw * c;
    int down = sh > 1 ? stride : 0;
    int right = sw > 1 ? c : 0;
    int o = 0;
    for (int y = 0; y < h; y++) {
      int row = 2 * y * stride;
      for (int x = 0; x < w; x++) {
        int p = row + 2 * x * c;
        int q = p + down;
        if (c == 3) {
          for (int k = 0; k < 3; k++) {
            out[o++] =
                (byte)
                    (((in[p + k] & 0xFF)
                            + (in[p + right + k] & 0xFF)
                            + (in[q + k] & 0xFF)
                            + (in[q + right + k] & 0xFF)
                            + 2)
                        >> 2);
          }
        } else {
          int a0 = in[p] & 0xFF;
          int a1 = in[p + right] & 0xFF;
          int a2 = in[q] & 0xFF;
          int a3 = in[q + right] & 0xFF;
          int sum = a0 + a1 + a2 + a3;
          out[o++] = (byte) ((sum + 2) >> 2);
          for (int k = 1; k < 4; k++) {
            int v =
                sum == 0
                    ? 0
                    : ((in[p + k] & 0xFF) * a0
                            + (in[p + right + k] & 0xFF) * a1
                            + (in[q + k] & 0xFF) * a2
                            + (in[q + right + k] & 0xFF) * a3
                            + sum / 2)
                        / sum;
            out[o++] = (byte) v;
          }
        }
      }
    }
    return dst;
  }

  /**
   * The region {@code [x, x + w) x [y, y + h)} of {@code src} (in source pixels, fractions allowed)
   * scaled to exactly {@code width x height}, a new image of the source's type. Pixels just outside
   * the region, within the image, weigh in at its edges as they would in a scale of the whole
   * image.
   */
  static BufferedImage resample(
      BufferedImage src, double x, double y, double w, double h, int width, int height) {
    int c = channels(src);
    Weights across = Weights.of(x, w, width, src.getWidth());
    Weights down = Weights.of(y, h, height, src.getHeight());
    int firstCol = across.first[0];
    int lastCol = firstCol;
    for (int i = 0; i < width; i++) {
      firstCol = Math.min(firstCol, across.first[i]);
      lastCol = Math.max(lastCol, across.first[i] + across.count[i] - 1);
    }
    // vertical pass first, over the columns the horizontal pass needs: its inner loop runs along
    // contiguous bytes, and the horizontal pass then reads `height` rows, not the source's
    byte[] in = bytes(src);
    int srcStride = src.getWidth() * c;
    int span = (lastCol - firstCol + 1) * c;
    int colStart = firstCol * c;
    byte[] mid = new byte[height * span];
    int half = height / 2;
    FutureTask<Void> other =
        new FutureTask<>(
            () -> {
              vertical(in, srcStride, colStart, span, c, down, mid, half, height);
              return null;
            });
    boolean forked = height >= 64 && Helpers.fork(other);
    vertical(in, srcStride, colStart, span, c, down, mid, 0, forked ? half : height);
    if (forked) {
      other.run(); // does it here when no helper has started it; a no-op when one has
      Helpers.join(other);
    }
    // horizontal pass, then back to straight alpha; half of it on an idle helper too
    BufferedImage dst = new BufferedImage(width, height, src.getType());
    byte[] out = bytes(dst);
    int spanStart = colStart;
    int spanBytes = span;
    FutureTask<Void> rest =
        new FutureTask<>(
            () -> {
              horizontal(mid, spanBytes, spanStart, c, across, out, width, half, height);
              return null;
            });
    boolean split = height >= 64 && Helpers.fork(rest);
    horizontal(mid, span, colStart, c, across, out, width, 0, split ? half : height);
    if (split) {
      rest.run();
      Helpers.join(rest);
    }
    return dst;
  }

  /**
   * Rows {@code [from, to)} of the horizontal pass: {@code mid} (rows of {@code span} bytes from
   * byte {@code colStart} of the source row) filtered across into {@code out}.
   */
  private static void horizontal(
      byte[] mid,
      int span,
      int colStart,
      int c,
      Weights across,
      byte[] out,
      int width,
      int from,
      int to) {
    int[] wt = across.weights;
    int o = from * width * c;
    for (int j = from; j < to; j++) {
      int rowStart = j * span - colStart;
      for (int i = 0; i < width; i++) {
        int n = across.count[i];
        int wi = across.offset[i];
        int p = rowStart + across.first[i] * c;
        if (c == 3) {
          int s0 = HALF;
          int s1 = HALF;
          int s2 = HALF;
          for (int t = 0; t < n; t++, p += 3) {
            int k = wt[wi + t];
            s0 += (mid[p] & 0xFF) * k;
            s1 += (mid[p + 1] & 0xFF) * k;
            s2 += (mid[p + 2] & 0xFF) * k;
          }
          out[o++] = clamp(s0);
          out[o++] = clamp(s1);
          out[o++] = clamp(s2);
        } else {
          int sa = HALF;
          int s1 = HALF;
          int s2 = HALF;
          int s3 = HALF;
          for (int t = 0; t < n; t++, p += 4) {
            int k = wt[wi + t];
            sa += (mid[p] & 0xFF) * k;
            s1 += (mid[p + 1] & 0xFF) * k;
            s2 += (mid[p + 2] & 0xFF) * k;
            s3 += (mid[p + 3] & 0xFF) * k;
          }
          int alpha = clamp(sa) & 0xFF;
          out[o++] = (byte) alpha;
          out[o++] = straight(clamp(s1), alpha);
          out[o++] = straight(clamp(s2), alpha);
          out[o++] = straight(clamp(s3), alpha);
        }
      }
    }
  }

  /**
   * Rows {@code [from, to)} of the vertical pass: the columns {@code colStart..colStart+span} of
   * {@code in} filtered down into {@code mid}.
   */
  private static void vertical(
      byte[] in,
      int srcStride,
      int colStart,
      int span,
      int c,
      Weights down,
      byte[] mid,
      int from,
      int to) {
    int[] acc = new int[span];
    for (int j = from; j < to; j++) {
      Arrays.fill(acc, HALF);
      int n = down.count[j];
      int wi = down.offset[j];
      for (int t = 0; t < n; t++) {
        int k = down.weights[wi + t];
        int base = (down.first[j] + t) * srcStride + colStart;
        if (c == 3) {
          for (int q = 0; q < span; q++) {
            acc[q] += (in[base + q] & 0xFF) * k;
          }
        } else {
          for (int q = 0; q < span; q += 4) {
            int a = in[base + q] & 0xFF;
            int row = a << 8;
            acc[q] += a * k;
            acc[q + 1] += (PREMULTIPLY[row | (in[base + q + 1] & 0xFF)] & 0xFF) * k;
            acc[q + 2] += (PREMULTIPLY[row | (in[base + q + 2] & 0xFF)] & 0xFF) * k;
            acc[q + 3] += (PREMULTIPLY[row | (in[base + q + 3] & 0xFF)] & 0xFF) * k;
          }
        }
      }
      int o = j * span;
      for (int q = 0; q < span; q++) {
        mid[o + q] = clamp(acc[q]);
      }
    }
  }

  /** A premultiplied sample back to straight alpha. */
  private static byte straight(byte premultiplied, int alpha) {
    return (byte)
        (alpha == 0 ? 0 : Math.min(255, ((premultiplied & 0xFF) * 255 + alpha / 2) / alpha));
  }

  private static byte clamp(int fixed) {
    int v = fixed >> PRECISION;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /** Lanczos-3: {@code sinc(x) sinc(x / 3)} for {@code |x| < 3}. */
  private static double lanczos(double x) {
    if (x == 0) {
      return 1;
    }
    if (x <= -SUPPORT || x >= SUPPORT) {
      return 0;
    }
    double px = Math.PI * x;
    return SUPPORT * Math.sin(px) * Math.sin(px / SUPPORT) / (px * px);
  }

  /**
   * The taps of one axis: for output pixel {@code i}, {@code count[i]} fixed-point weights from
   * source pixel {@code first[i]} on.
   */
  private record Weights(int[] first, int[] count, int[] offset, int[] weights) {
    static Weights of(double start, double length, int out, int size) {
      double scale = length / out;
      double widen = Math.max(scale, 1);
      double support = SUPPORT * widen;
      int most = (int) Math.ceil(support) * 2 + 1;
      int[] first = new int[out];
      int[] count = new int[out];
      int[] offset = new int[out];
      int[] weights = new int[out * most];
      double[] w = new double[most];
      for (int i = 0; i < out; i++) {
        double centre = start + (i + 0.5) * scale;
        int lo = Math.max(0, (int) Math.floor(centre - support));
        int hi = Math.min(size - 1, (int) Math.ceil(centre + support));
        int n = 0;
        double sum = 0;
        int from = -1;
        for (int s = lo; s <= hi && n < most; s++) {
          double v = lanczos((s + 0.5 - centre) / widen);
          if (v == 0 && n == 0) {
            continue; // leading zero taps
          }
          if (from < 0) {
            from = s;
          }
          w[n++] = v;
          sum += v;
        }
        while (n > 0 && w[n - 1] == 0) {
          n--;
        }
        if (n == 0 || sum == 0) { // a region narrower than a tap: the nearest pixel
          from = Math.min(size - 1, Math.max(0, (int) Math.floor(centre)));
          w[0] = 1;
          sum = 1;
          n = 1;
        }
        first[i] = from;
        count[i] = n;
        offset[i] = i * most;
        for (int t = 0; t < n; t++) {
          weights[i * most + t] = (int) Math.round(w[t] / sum * (1 << PRECISION));
        }
      }
      return new Weights(first, count, offset, weights);
    }
  }
}
