package org.mxmedia.http;

import java.util.List;
import java.util.Objects;
import org.mxmedia.MediaException;
import org.mxmedia.ServerName;

/**
 * Verifies the {@code X-Matrix} signature of a server-to-server request: the host's federation key
 * handling.
 */
@FunctionalInterface
public interface FederationAuthenticator {

  /**
   * Verifies a federation request and returns the server that signed it.
   *
   * @throws MediaException 401 {@code M_UNAUTHORIZED} when the request carries no valid signature,
   *     403 {@code M_FORBIDDEN} when the origin is not allowed
   */
  ServerName authenticate(Request request);

  /**
   * What a signature covers.
   *
   * @param method the HTTP method
   * @param uri the request target exactly as received: raw path and query
   * @param authorization every {@code Authorization} header value
   */
  record Request(String method, String uri, List<String> authorization) {
    public Request {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(uri, "uri");
      authorization = List.copyOf(authorization);
    }
  }
}
