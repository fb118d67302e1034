package org.mxmedia.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.mxmedia.ThumbnailSpec.ThumbnailMethod;

/**
 * The arithmetic of thumbnails: the exact size a request gives for a source, the bounded set
 * dynamic requests snap to, and the choice among stored thumbnails. Pure functions.
 */
final class ThumbnailGeometry {

  /**
   * Dynamic requests snap each dimension up to one of these, so at most {@code SNAP.length^2 * 2
   * methods * 2 (animated)} thumbnails exist per source, however many sizes clients ask for
   * (synapse#11853).
   */
  static final int[] SNAP = {
    32, 48, 64, 96, 128, 160, 240, 320, 360, 480, 640, 720, 800, 960, 1280, 1600, 1920
  };

  private ThumbnailGeometry() {}

  /** An output size and method. */
  public record Target(int width, int height, ThumbnailMethod method) {
    public long area() {
      return (long) width * height;
    }
  }

  /**
   * The size a request for {@code rw x rh} gives from a source of {@code sw x sh} (display
   * orientation). Never upscaled; never smaller than requested unless the source is. {@code SCALE}:
   * the source fitted inside the box. {@code CROP}: exactly the box's aspect ratio, at the box's
   * size when the source covers it, else the largest such crop of the source.
   */
  public static Target target(int sw, int sh, int rw, int rh, ThumbnailMethod method) {
    if (method == ThumbnailMethod.SCALE) {
      if (sw <= rw && sh <= rh) {
        return new Target(sw, sh, method);
      }
      // the dimension that limits the fit is exact; the other follows the aspect ratio
      if ((long) rw * sh <= (long) rh * sw) {
        return new Target(rw, clamp(Math.round((double) sh * rw / sw), 1, rh), method);
      }
      return new Target(clamp(Math.round((double) sw * rh / sh), 1, rw), rh, method);
    }
    if (sw >= rw && sh >= rh) {
      return new Target(rw, rh, method);
    }
    int[] region = cropRegion(sw, sh, rw, rh);
    return new Target(Math.min(region[0], rw), Math.min(region[1], rh), method);
  }

  /**
   * The largest centred region of a {@code sw x sh} image with the aspect ratio {@code w:h}:
   * {width, height}.
   */
  public static int[] cropRegion(int sw, int sh, int w, int h) {
    if ((long) sw * h > (long) sh * w) {
      return new int[] {clamp(Math.round((double) sh * w / h), 1, sw), sh};
    }
    return new int[] {sw, clamp(Math.round((double) sw * h / w), 1, sh)};
  }

  /** The smallest snap size at least {@code v}, or the largest snap size. */
  public static int snapUp(int v) {
    for (int s : SNAP) {
      if (s >= v) {
        return s;
      }
    }
    return SNAP[SNAP.length - 1];
  }

  /** Something that can answer a thumbnail request: a stored thumbnail or the original. */
  public interface Candidate {
    int width();

    int height();

    ThumbnailMethod method();

    default long area() {
      return (long) width() * height();
    }
  }

  /**
   * Chooses among {@code candidates} for a request whose exact target is {@code target}: the
   * smallest one with the requested method that covers the target, else the smallest of any method
   * that covers it, else the largest (with the requested method first). Never one smaller than the
   * target while a larger one exists (synapse#1222).
   */
  public static <C extends Candidate> Optional<C> select(List<C> candidates, Target target) {
    Comparator<C> byArea = Comparator.comparingLong(Candidate::area);
    Optional<C> covering =
        candidates.stream()
            .filter(c -> c.method() == target.method() && covers(c, target))
            .min(byArea);
    if (covering.isPresent()) {
      return covering;
    }
    covering = candidates.stream().filter(c -> covers(c, target)).min(byArea);
    if (covering.isPresent()) {
      return covering;
    }
    return candidates.stream()
        .max(
            Comparator.<C, Boolean>comparing(c -> c.method() == target.method())
                .thenComparing(byArea));
  }

  private static boolean covers(Candidate c, Target t) {
    return c.width() >= t.width() && c.height() >= t.height();
  }

  private static int clamp(long v, int min, int max) {
    return (int) Math.max(min, Math.min(max, v));
  }
}
