package org.mxmedia.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.mxmedia.InMemoryMediaStore;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository;
import org.mxmedia.UserId;
import org.mxmedia.storage.fs.FileSystemStorage;

/** A media repository served by the JDK adapter on a loopback port, and a client for it. */
final class HttpTestServer implements AutoCloseable {
  static final String ALICE_TOKEN = "alice-token";
  static final String BOB_TOKEN = "bob-token";
  static final UserId ALICE = UserId.of("@alice:example.org");
  static final UserId BOB = UserId.of("@bob:example.org");

  final Path dataDir;
  final MediaRepository repository;
  final HttpServer server;
  final ExecutorService executor = Executors.newFixedThreadPool(16);
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String base;

  HttpTestServer(Path dataDir, MediaConfig config, UnaryOperator<MediaHttpHandler.Builder> customize) throws IOException {
    this.dataDir = dataDir;
    this.repository = MediaRepository.builder()
        .serverName("example.org")
        .config(config)
        .mediaStore(new InMemoryMediaStore())
        .thumbnailer(new org.mxmedia.thumbnail.ImageIoThumbnailer())
        .storage(FileSystemStorage.at(dataDir))
        .build();
    MediaHttpHandler handler = customize.apply(MediaHttpHandler.builder(repository)
            .authenticator(Authenticator.tokens(Map.of(ALICE_TOKEN, ALICE, BOB_TOKEN, BOB))))
        .build();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", new JdkHttpServerAdapter(handler));
    server.setExecutor(executor);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  HttpTestServer(Path dataDir) throws IOException {
    this(dataDir, MediaConfig.defaults(), b -> b);
  }

  HttpRequest.Builder request(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(30));
  }

  HttpRequest.Builder authed(String pathAndQuery) {
    return request(pathAndQuery).header("Authorization", "Bearer " + ALICE_TOKEN);
  }

  HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> sendBytes(HttpRequest.Builder request) throws IOException, InterruptedException {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Uploads as Alice and returns the mxc URI. */
  String upload(byte[] bytes, String contentType, String filenameQuery) throws IOException, InterruptedException {
    HttpResponse<String> r = send(authed("/_matrix/media/v3/upload" + (filenameQuery == null ? "" : "?filename=" + filenameQuery))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
    if (r.statusCode() != 200) {
      throw new AssertionError("upload failed: " + r.statusCode() + " " + r.body());
    }
    return SpecSchemas.parse(r.body()).get("content_uri").asText();
  }

  /** The path part after mxc://, e.g. {@code example.org/abc}. */
  static String mxcPath(String mxc) {
    return mxc.substring("mxc://".length());
  }

  long blobCount() throws IOException {
    try (Stream<Path> s = Files.walk(dataDir.resolve("blobs"))) {
      return s.filter(Files::isRegularFile).count();
    }
  }

  long stagingCount() throws IOException {
    try (Stream<Path> s = Files.list(dataDir.resolve("tmp"))) {
      return s.count();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    repository.close();
  }
}
