package org.mxmedia.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mxmedia.MediaRepository.UploadRequest;
import org.mxmedia.MxcUri;
import org.mxmedia.UserId;
import org.mxmedia.spi.Authorizer;

/** The admin API on the real test server, for a user the host's authorizer makes an admin. */
class AdminOverTheExtensionTest {
  @RegisterExtension
  static MediaServerExtension media =
      MediaServerExtension.builder()
          .user("@root:test.local", "root-token")
          .repository(b -> b.authorizer(Authorizer.admins(Set.of(UserId.of("@root:test.local")))))
          .build();

  private record Answer(int statusCode, String body, String contentType) {}

  private static Answer send(String method, String path, String token) throws Exception {
    HttpURLConnection c =
        (HttpURLConnection) media.baseUrl().resolve(path).toURL().openConnection();
    c.setRequestMethod(method);
    if (token != null) {
      c.setRequestProperty("Authorization", "Bearer " + token);
    }
    int status = c.getResponseCode();
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Answer(
          status, new String(in.readAllBytes(), StandardCharsets.UTF_8), c.getContentType());
    }
  }

  @Test
  void anAdminListsQuarantinesAndDeletesOverHttp() throws Exception {
    UserId alice = UserId.of("@alice:test.local");
    MxcUri uri =
        media
            .repository()
            .upload(
                alice,
                UploadRequest.of("text/plain"),
                new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));

    Answer list = send("GET", "/_synapse/admin/v1/users/%40alice%3Atest.local/media", "root-token");
    assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
    assertThat(list.contentType()).isEqualTo("application/json");
    assertThat(list.body())
        .contains("\"media_id\":\"" + uri.mediaId().value() + "\"")
        .contains("\"total\":1");

    assertThat(
            send(
                    "POST",
                    "/_synapse/admin/v1/media/quarantine/test.local/" + uri.mediaId().value(),
                    "root-token")
                .statusCode())
        .isEqualTo(200);
    assertThat(media.repository().admin().describe(uri).quarantined()).isTrue();
    assertThat(send("GET", "/_synapse/admin/v1/media/quarantined?kind=local", "root-token").body())
        .contains("\"media\":[\"" + uri + "\"]");

    Answer deleted =
        send(
            "DELETE", "/_synapse/admin/v1/media/test.local/" + uri.mediaId().value(), "root-token");
    assertThat(deleted.body())
        .isEqualTo("{\"deleted_media\":[\"" + uri.mediaId().value() + "\"],\"total\":1}");
    assertThat(
            send(
                    "GET",
                    "/_synapse/admin/v1/media/test.local/" + uri.mediaId().value(),
                    "root-token")
                .statusCode())
        .isEqualTo(404);
    assertThat(send("GET", "/_synapse/admin/v1/statistics/users/media", null).statusCode())
        .isEqualTo(401);
  }
}
