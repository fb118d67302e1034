package org.mxmedia;

import java.util.Objects;

/**
 * A content URI, {@code mxc://<server-name>/<media-id>}.
 *
 * @param serverName the server that created the media
 * @param mediaId the media id on that server
 */
public record MxcUri(ServerName serverName, MediaId mediaId) {

  private static final String SCHEME = "mxc://";

  public MxcUri {
    Objects.requireNonNull(serverName, "serverName");
    Objects.requireNonNull(mediaId, "mediaId");
  }

  public static MxcUri of(ServerName serverName, MediaId mediaId) {
    return new MxcUri(serverName, mediaId);
  }

  /**
   * Builds a URI from its two strings, throwing {@link IllegalArgumentException} for either part
   * out of grammar.
   */
  public static MxcUri of(String serverName, String mediaId) {
    return new MxcUri(new ServerName(serverName), new MediaId(mediaId));
  }

  /**
   * Parses {@code mxc://server/id}, throwing {@link IllegalArgumentException} for anything else
   * (other schemes, extra path segments, query strings, fragments, percent escapes).
   */
  public static MxcUri parse(String uri) {
    if (!uri.startsWith(SCHEME)) {
      throw new IllegalArgumentException("not an mxc URI: " + Strings.quoteForMessage(uri));
    }
    String rest = uri.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "mxc URI without a media id: " + Strings.quoteForMessage(uri));
    }
    return of(rest.substring(0, slash), rest.substring(slash + 1));
  }

  @Override
  public String toString() {
    return SCHEME + serverName.value() + "/" + mediaId.value();
  }
}
