package org.mxmedia.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that stop reading large downloads cost the example server a socket each, not a thread:
 * with 200 of them stalled mid-response (more than the JDK server's 64 request threads), a fresh
 * small download is still answered at once and the server's request threads stay few.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SlowClientsTest {
  private static final String TOKEN = "slow";
  private static final int STALLED = 200;

  @TempDir Path dir;
  final HttpClient client = HttpClient.newHttpClient();

  private String upload(MediaServer server, byte[] body) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create(server.baseUrl() + "/_matrix/media/v3/upload"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Matcher m = Pattern.compile("\"content_uri\":\"mxc://([^\"]+)\"").matcher(r.body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /**
   * Threads of the server's request pools (Jetty's and the JDK server's are both named "http-...").
   */
  private static long requestThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("http-"))
        .count();
  }

  /** Sends a download request and reads only its status line and headers, then stops reading. */
  private static Socket stalledDownload(MediaServer server, String path) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", server.port()));
    s.setSoTimeout(20_000);
    s.getOutputStream()
        .write(
            ("GET /_matrix/client/v1/media/download/"
                    + path
                    + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TOKEN
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int c = in.read();
      assertThat(c).as("response headers").isNotNegative();
      head.append((char) c);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 200");
    return s;
  }

  @Test
  void twoHundredClientsThatStopReadingLeaveTheServerAnswering() throws Exception {
    ServerSettings settings =
        ServerSettings.parse(
            new String[] {
              "--port",
              "0",
              "--data-dir",
              dir.toString(),
              "--token",
              TOKEN + "=@slow:example.test",
              "--server-name",
              "example.test",
              "--max-upload-size",
              Integer.toString(16 * 1024 * 1024)
            });
    try (MediaServer server = MediaServer.start(settings)) {
      String large = upload(server, new byte[8 * 1024 * 1024]);
      String small = upload(server, "small".getBytes(StandardCharsets.UTF_8));
      long threadsBefore = requestThreads();
      List<Socket> stalled = new ArrayList<>();
      try {
        for (int i = 0; i < STALLED; i++) {
          stalled.add(stalledDownload(server, large));
        }
        assertThat(server.activeExchanges())
            .as("every stalled download is still being written")
            .isEqualTo(STALLED);

        long start = System.nanoTime();
        HttpResponse<String> fresh =
            client.send(
                HttpRequest.newBuilder(
                        URI.create(server.baseUrl() + "/_matrix/client/v1/media/download/" + small))
                    .header("Authorization", "Bearer " + TOKEN)
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(fresh.statusCode()).isEqualTo(200);
        assertThat(fresh.body()).isEqualTo("small");
        assertThat(millis).as("a fresh download behind %d stalled ones", STALLED).isLessThan(2000);
        assertThat(requestThreads())
            .as("request threads with %d stalled clients (before: %d)", STALLED, threadsBefore)
            .isLessThan(STALLED / 4);
      } finally {
        for (Socket s : stalled) {
          s.close();
        }
      }
    }
  }
}
