package org.mxmedia.http;

/**
 * Draws identicons for {@code GET /_matrix/media/{v3,r0,v1}/identicon/{name}}: give one to
 * {@link MediaHttpHandler.Builder#identicons} (for example {@code Identicons::png} from
 * {@code media-preview}); without one the endpoint answers 404 {@code M_UNRECOGNIZED}. The handler
 * checks the size, keeps recent pictures, and answers with an ETag and long-lived caching, so an
 * implementation must be a pure function of its arguments: the same bytes for the same request.
 */
@FunctionalInterface
public interface IdenticonRenderer {

  /**
   * The identicon of {@code name} as a PNG of exactly {@code width} by {@code height} pixels.
   *
   * @param name any string, empty included (the decoded path segment)
   * @param width pixels, 1 to {@link MediaHttpHandler#MAX_IDENTICON_SIZE}
   * @param height pixels, 1 to {@link MediaHttpHandler#MAX_IDENTICON_SIZE}
   */
  byte[] png(String name, int width, int height);
}
