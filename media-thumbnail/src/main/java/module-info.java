/** ImageIO thumbnails for mxmedia, with the TwelveMonkeys plugins for JPEG, WebP and TIFF. */
module org.mxmedia.thumbnail {
  requires transitive org.mxmedia.core;
  requires java.desktop;
  requires static org.jspecify;

  exports org.mxmedia.thumbnail;
}
