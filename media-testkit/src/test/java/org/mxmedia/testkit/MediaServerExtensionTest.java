package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mxmedia.MediaRepository.DownloadOptions;
import org.mxmedia.MediaRepository.MediaResponse;
import org.mxmedia.MxcUri;

class MediaServerExtensionTest {
  @RegisterExtension static MediaServerExtension media = MediaServerExtension.inMemory();

  private record Answer(int status, String body) {}

  private static Answer call(String method, String path, String token, String body)
      throws IOException {
    HttpURLConnection c =
        (HttpURLConnection) media.baseUrl().resolve(path).toURL().openConnection();
    c.setRequestMethod(method);
    c.setRequestProperty("Authorization", "Bearer " + token);
    if (body != null) {
      c.setDoOutput(true);
      c.setRequestProperty("Content-Type", "text/plain");
      try (OutputStream out = c.getOutputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Answer(status, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void anUploadOverHttpIsServedByTheRepositoryAndOverHttp() throws Exception {
    Answer up = call("POST", "/_matrix/media/v3/upload", media.accessToken(), "hello");
    assertThat(up.status()).as(up.body()).isEqualTo(200);
    MxcUri uri = MxcUri.parse(up.body().replaceAll(".*\"(mxc://[^\"]+)\".*", "$1"));
    assertThat(uri.serverName().value()).isEqualTo("test.local");
    try (MediaResponse r = media.repository().download(uri, DownloadOptions.defaults())) {
      assertThat(new String(r.content().openStream().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("hello");
    }
    Answer down =
        call(
            "GET",
            "/_matrix/client/v1/media/download/test.local/" + uri.mediaId().value(),
            media.accessToken(),
            null);
    assertThat(down.status()).isEqualTo(200);
    assertThat(down.body()).isEqualTo("hello");
    assertThat(media.repository().admin().describe(uri).uploader()).contains(media.user());
  }

  @Test
  void anUnknownTokenIs401() throws Exception {
    Answer r = call("GET", "/_matrix/client/v1/media/config", "nope", null);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.body()).contains("M_UNKNOWN_TOKEN");
  }
}
