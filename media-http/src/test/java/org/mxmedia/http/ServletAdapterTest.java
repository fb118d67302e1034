package org.mxmedia.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mxmedia.MediaRepository;
import org.mxmedia.spi.MediaStore;

/** The servlet adapter in Jetty 12 (ee10), on a real loopback socket. */
class ServletAdapterTest {
  final CountingStorage storage = new CountingStorage();
  Server jetty;
  MediaRepository repo;
  String base;
  final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    repo =
        MediaRepository.builder()
            .serverName("example.org")
            .mediaStore(MediaStore.inMemory())
            .storage(storage)
            .build();
    MediaHttpHandler handler =
        MediaHttpHandler.builder(repo)
            .authenticator(Authenticator.tokens(Map.of("t", HttpTestServer.ALICE)))
            .build();
    jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new MediaServlet(handler)), "/_matrix/*");
    jetty.setHandler(context);
    jetty.start();
    base = "http://127.0.0.1:" + connector.getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    jetty.stop();
    repo.close();
  }

  private HttpRequest.Builder req(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer t");
  }

  @Test
  void uploadDownloadHeadAndRangeThroughTheServlet() throws Exception {
    HttpResponse<String> up =
        client.send(
            req("/_matrix/media/v3/upload?filename=my+file.txt")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello servlet"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(up.statusCode()).isEqualTo(200);
    String mxc =
        SpecSchemas.assertValid("POST", "/_matrix/media/v3/upload", 200, up.body())
            .get("content_uri")
            .asText();
    String path = "/_matrix/client/v1/media/download/" + mxc.substring(6);

    HttpResponse<String> down =
        client.send(req(path).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(down.statusCode()).isEqualTo(200);
    assertThat(down.body()).isEqualTo("hello servlet");
    assertThat(down.headers().firstValue("Content-Disposition"))
        .hasValue("inline; filename*=utf-8''my%20file.txt");
    assertThat(down.headers().firstValue("Content-Security-Policy"))
        .hasValue(MediaResponses.MEDIA_CSP);

    HttpResponse<String> head =
        client.send(
            req(path).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValue("Content-Length")).hasValue("13");
    assertThat(head.body()).isEmpty();

    HttpResponse<String> range =
        client.send(
            req(path).header("Range", "bytes=6-").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(range.statusCode()).isEqualTo(206);
    assertThat(range.body()).isEqualTo("servlet");
  }

  @Test
  void errorsAreJsonThroughTheServlet() throws Exception {
    HttpResponse<String> r =
        client.send(
            req("/_matrix/client/v1/media/download/example.org/nope").build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
    assertThat(SpecSchemas.parse(r.body()).get("errcode").asText()).isEqualTo("M_NOT_FOUND");

    HttpResponse<String> unknown =
        client.send(
            req("/_matrix/media/v3/whatever").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(SpecSchemas.parse(unknown.body()).get("errcode").asText())
        .isEqualTo("M_UNRECOGNIZED");

    HttpResponse<String> options =
        client.send(
            req("/_matrix/media/v3/upload")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(options.statusCode()).isEqualTo(204);
    assertThat(options.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
  }

  @Test
  void anOversizedDeclaredUploadIs413ThroughTheServletBeforeTheBodyIsSent() throws Exception {
    HttpResponse<String> r =
        client.send(
            req("/_matrix/client/v1/media/config").build(), HttpResponse.BodyHandlers.ofString());
    long max = SpecSchemas.parse(r.body()).get("m.upload.size").asLong();
    int port = URI.create(base).getPort();
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket
          .getOutputStream()
          .write(
              ("POST /_matrix/media/v3/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
                      + "Content-Type: image/png\r\nContent-Length: "
                      + (max + 1)
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      String answer =
          new String(socket.getInputStream().readNBytes(400), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 413").contains("M_TOO_LARGE");
    }
    assertThat(storage.size()).isZero();
  }
}
