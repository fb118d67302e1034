/**
 * URL previews for mxmedia ({@link org.mxmedia.preview.UrlPreviews}: OpenGraph, Twitter cards and
 * oEmbed, fetched behind the outbound policy and bounded in time and memory) and identicons.
 */
module org.mxmedia.preview {
  requires transitive org.mxmedia.core;
  requires org.slf4j;
  requires org.jsoup;
  requires org.apache.httpcomponents.client5.httpclient5;
  requires org.apache.httpcomponents.core5.httpcore5;
  requires com.fasterxml.jackson.core;
  requires java.desktop;
  requires static org.jspecify;

  exports org.mxmedia.preview;
}
