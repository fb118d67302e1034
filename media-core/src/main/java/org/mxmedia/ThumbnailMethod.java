package org.mxmedia;

import java.util.Locale;

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
      default -> throw new IllegalArgumentException("unknown thumbnail method: " + Strings.quoteForMessage(wireName));
    };
  }
}
