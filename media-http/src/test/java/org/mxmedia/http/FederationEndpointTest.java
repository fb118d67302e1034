package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mxmedia.http.EndpointTest.assertError;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaException;
import org.mxmedia.MediaException.ErrorCode;
import org.mxmedia.MxcUri;
import org.mxmedia.ServerName;

/**
 * The federation media endpoints: signed requests only, local media only, multipart/mixed answers.
 */
class FederationEndpointTest {
  static final String FED = "/_matrix/federation/v1/media";

  @TempDir Path dir;
  HttpTestServer s;
  volatile FederationAuthenticator.Request lastVerified;

  @BeforeEach
  void start() throws Exception {
    s =
        new HttpTestServer(
            MediaConfig.defaults(),
            b ->
                b.federationAuthenticator(
                    request -> {
                      lastVerified = request;
                      if (request.authorization().stream()
                          .anyMatch(
                              a ->
                                  a.startsWith("X-Matrix origin=\"other.org\"")
                                      && a.contains("sig=\"good\""))) {
                        return ServerName.of("other.org");
                      }
                      throw new MediaException(ErrorCode.M_UNAUTHORIZED, 401, "Invalid signature");
                    }));
  }

  @AfterEach
  void stop() {
    s.close();
  }

  private static final String SIGNED =
      "X-Matrix origin=\"other.org\",destination=\"example.org\",key=\"ed25519:1\",sig=\"good\"";

  @Test
  void localMediaIsServedAsMultipartMixed() throws Exception {
    String mxc =
        s.upload("federated bytes".getBytes(StandardCharsets.UTF_8), "text/plain", "f.txt");
    String id = mxc.substring(mxc.lastIndexOf('/') + 1);
    HttpResponse<String> r =
        s.send(
            s.request(FED + "/download/" + id + "?timeout_ms=1000")
                .header("Authorization", SIGNED));
    assertThat(r.statusCode()).isEqualTo(200);
    String contentType = r.headers().firstValue("Content-Type").orElseThrow();
    Matcher m = Pattern.compile("multipart/mixed; boundary=([0-9a-f]+)").matcher(contentType);
    assertThat(m.matches()).as(contentType).isTrue();
    String b = m.group(1);
    assertThat(r.body())
        .isEqualTo(
            "--"
                + b
                + "\r\nContent-Type: application/json\r\n\r\n{}\r\n"
                + "--"
                + b
                + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline; filename=f.txt\r\n\r\n"
                + "federated bytes\r\n--"
                + b
                + "--\r\n");
    assertThat(r.headers().firstValue("Content-Length"))
        .hasValue(Integer.toString(r.body().getBytes(StandardCharsets.UTF_8).length));
    assertThat(lastVerified.method()).isEqualTo("GET");
    assertThat(lastVerified.uri()).isEqualTo(FED + "/download/" + id + "?timeout_ms=1000");
  }

  @Test
  void legacyFreezeDoesNotApplyToFederation() throws Exception {
    String mxc = s.upload(new byte[] {1}, "image/png", null);
    String id = mxc.substring(mxc.lastIndexOf('/') + 1);
    assertThat(
            s.send(s.request(FED + "/download/" + id).header("Authorization", SIGNED)).statusCode())
        .isEqualTo(200);
  }

  @Test
  void aMissingOrForgedSignatureIs401() throws Exception {
    String mxc = s.upload(new byte[] {1}, "image/png", null);
    String id = mxc.substring(mxc.lastIndexOf('/') + 1);
    assertError(s.send(s.request(FED + "/download/" + id)), 401, "M_UNAUTHORIZED");
    assertError(
        s.send(
            s.request(FED + "/download/" + id)
                .header("Authorization", SIGNED.replace("good", "forged"))),
        401,
        "M_UNAUTHORIZED");
    assertError(
        s.send(s.request(FED + "/thumbnail/" + id + "?width=32&height=32")), 401, "M_UNAUTHORIZED");
  }

  @Test
  void unknownAndQuarantinedMediaAre404() throws Exception {
    assertError(
        s.send(s.request(FED + "/download/nope").header("Authorization", SIGNED)),
        404,
        "M_NOT_FOUND");
    String mxc = s.upload(new byte[] {1}, "image/png", null);
    s.repository.admin().quarantine(MxcUri.parse(mxc));
    String id = mxc.substring(mxc.lastIndexOf('/') + 1);
    assertError(
        s.send(s.request(FED + "/download/" + id).header("Authorization", SIGNED)),
        404,
        "M_NOT_FOUND");
  }

  @Test
  void withoutAFederationAuthenticatorTheEndpointsAre401(@TempDir Path other) throws Exception {
    try (HttpTestServer plain = new HttpTestServer()) {
      assertError(
          plain.send(plain.request(FED + "/download/abc").header("Authorization", SIGNED)),
          401,
          "M_UNAUTHORIZED");
    }
  }
}
