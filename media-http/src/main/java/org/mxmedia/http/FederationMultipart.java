package org.mxmedia.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse.Body;

/**
 * The federation media answer (spec v1.11+): {@code multipart/mixed} with a JSON part ({@code {}})
 * and the media part, under a random boundary.
 */
final class FederationMultipart {
  private static final SecureRandom RANDOM = new SecureRandom();

  private FederationMultipart() {}

  /** The answer for {@code media}, which it then owns. */
  static MediaHttpResponse of(MediaResponse media, boolean head) {
    byte[] random = new byte[16];
    RANDOM.nextBytes(random);
    String boundary = HexFormat.of().formatHex(random);
    Map<String, String> headers = Responses.corsHeaders();
    headers.put("Content-Type", "multipart/mixed; boundary=" + boundary);
    headers.put("Cache-Control", "no-store");
    return new MediaHttpResponse(200, headers, new MultipartBody(boundary, media), head);
  }

  private static final class MultipartBody implements Body {
    private final byte[] head;
    private final byte[] tail;
    private final MediaResponse media;

    MultipartBody(String boundary, MediaResponse media) {
      this.media = media;
      this.head =
          ("--"
                  + boundary
                  + "\r\n"
                  + "Content-Type: application/json\r\n\r\n{}\r\n"
                  + "--"
                  + boundary
                  + "\r\n"
                  + "Content-Type: "
                  + media.contentTypeHeader()
                  + "\r\n"
                  + "Content-Disposition: "
                  + media.contentDispositionHeader()
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8);
      this.tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public long length() {
      return head.length + media.contentLength() + tail.length;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      out.write(head);
      media.content().transferTo(out);
      out.write(tail);
    }

    @Override
    public void close() throws IOException {
      media.close();
    }
  }
}
