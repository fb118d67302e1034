package org.mxmedia.preview;

import java.util.List;
import org.mxmedia.OutboundPolicy;

/**
 * The outbound policy of these tests: 127.0.0.1 (the page server) allowed, the rest of the defaults
 * refused.
 */
final class Previews {
  static final OutboundPolicy LOOPBACK_ONLY =
      OutboundPolicy.builder().whitelist(List.of("127.0.0.1/32")).build();

  private Previews() {}

  static UrlPreviews.Builder builder() {
    return UrlPreviews.builder().outboundPolicy(LOOPBACK_ONLY);
  }
}
