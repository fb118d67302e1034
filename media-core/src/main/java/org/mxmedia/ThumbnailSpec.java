package org.mxmedia;

import java.util.Locale;
import java.util.Objects;

/**
 * A requested (or configured) thumbnail: a box in pixels, a method, and whether an animated source
 * should stay animated.
 *
 * @param width the box width in pixels, 1 to {@value #MAX_DIMENSION}
 * @param height the box height in pixels, 1 to {@value #MAX_DIMENSION}
 * @param method how the source fits the box
 * @param animated whether an animated source should give an animated thumbnail
 */
public record ThumbnailSpec(int width, int height, ThumbnailMethod method, boolean animated) {

  /** The largest width or height accepted in a thumbnail request, in pixels. */
  public static final int MAX_DIMENSION = 10_000;

  public ThumbnailSpec {
    Objects.requireNonNull(method, "method");
    if (width < 1 || width > MAX_DIMENSION || height < 1 || height > MAX_DIMENSION) {
      throw new IllegalArgumentException(
          "thumbnail size must be 1.."
              + MAX_DIMENSION
              + " in each dimension: "
              + width
              + "x"
              + height);
    }
  }

  public static ThumbnailSpec crop(int width, int height) {
    return new ThumbnailSpec(width, height, ThumbnailMethod.CROP, false);
  }

  public static ThumbnailSpec scale(int width, int height) {
    return new ThumbnailSpec(width, height, ThumbnailMethod.SCALE, false);
  }

  public ThumbnailSpec withAnimated(boolean animated) {
    return new ThumbnailSpec(width, height, method, animated);
  }

  @Override
  public String toString() {
    return width + "x" + height + "-" + method.wireName() + (animated ? "-animated" : "");
  }

  /** How a thumbnail fits the requested box, as in the spec's {@code method} parameter. */
  public enum ThumbnailMethod {
    /** Exactly the requested aspect ratio, cut from the centre of the source. */
    CROP,
    /** The whole source, fitted inside the requested box with its own aspect ratio. */
    SCALE;

    /** The spec's name for this method: {@code crop} or {@code scale}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code crop} or {@code scale}; throws {@link IllegalArgumentException} otherwise. */
    public static ThumbnailMethod parse(String wireName) {
      return switch (wireName) {
        case "crop" -> CROP;
        case "scale" -> SCALE;
        default ->
            throw new IllegalArgumentException(
                "unknown thumbnail method: " + Strings.quoteForMessage(wireName));
      };
    }
  }
}
