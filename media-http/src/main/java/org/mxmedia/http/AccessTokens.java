package org.mxmedia.http;

import java.util.Optional;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.UserId;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.internal.QueryParameters;

/**
 * Client authentication: the access token from {@code Authorization: Bearer} or {@code
 * access_token}.
 */
final class AccessTokens {
  private final Authenticator authenticator;

  AccessTokens(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  /**
   * The user the request's token belongs to.
   *
   * @throws MediaException 401 {@code M_MISSING_TOKEN} without a token, 401 {@code M_UNKNOWN_TOKEN}
   *     for one the host does not know
   */
  UserId requireUser(MediaHttpRequest request, QueryParameters query) {
    Optional<String> token = Optional.empty();
    for (String auth : request.headers("Authorization")) {
      if (auth.regionMatches(true, 0, "Bearer ", 0, 7) && auth.length() > 7) {
        token = Optional.of(auth.substring(7).strip());
        break;
      }
    }
    if (token.isEmpty()) {
      token = query.get("access_token").filter(t -> !t.isEmpty());
    }
    if (token.isEmpty()) {
      throw new MediaException(ErrorCode.M_MISSING_TOKEN, 401, "Missing access token");
    }
    return authenticator
        .authenticate(token.get())
        .orElseThrow(
            () -> new MediaException(ErrorCode.M_UNKNOWN_TOKEN, 401, "Unrecognised access token"));
  }
}
