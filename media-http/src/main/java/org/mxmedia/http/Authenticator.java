package org.mxmedia.http;

import java.util.Map;
import java.util.Optional;
import org.mxmedia.UserId;

/** Resolves client access tokens to users: the host's own session store. */
@FunctionalInterface
public interface Authenticator {

  /**
   * The user an access token belongs to.
   *
   * @return empty for an unknown, expired or revoked token (answered 401 {@code M_UNKNOWN_TOKEN})
   * @throws org.mxmedia.MediaException to answer otherwise (for example 429 while rate limiting)
   */
  Optional<UserId> authenticate(String accessToken);

  /** A fixed table of tokens, for tests and small set-ups. */
  static Authenticator tokens(Map<String, UserId> tokens) {
    Map<String, UserId> copy = Map.copyOf(tokens);
    return token -> Optional.ofNullable(copy.get(token));
  }
}
