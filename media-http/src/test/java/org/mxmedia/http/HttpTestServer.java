package org.mxmedia.http;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository;
import org.mxmedia.UserId;
import org.mxmedia.spi.MediaStore;

/** A media repository served by the JDK adapter on a loopback port, and a client for it. */
final class HttpTestServer implements AutoCloseable {
  static final String ALICE_TOKEN = "alice-token";
  static final String BOB_TOKEN = "bob-token";
  static final UserId ALICE = UserId.of("@alice:example.org");
  static final UserId BOB = UserId.of("@bob:example.org");

  final CountingStorage storage = new CountingStorage();
  final MediaRepository repository;
  final HttpServer server;
  final ExecutorService executor = Executors.newFixedThreadPool(16);
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final String base;

  /** How many exchanges the adapter has finished handling (guarded by itself). */
  private final long[] exchangesEnded = {0};

  HttpTestServer(MediaConfig config, UnaryOperator<MediaHttpHandler.Builder> customize)
      throws IOException {
    this(config, customize, b -> b);
  }

  /**
   * A server whose repository builder {@code customizeRepository} may add to (the builder takes
   * each part once).
   */
  HttpTestServer(
      MediaConfig config,
      UnaryOperator<MediaHttpHandler.Builder> customize,
      UnaryOperator<MediaRepository.Builder> customizeRepository)
      throws IOException {
    this.repository =
        customizeRepository
            .apply(
                MediaRepository.builder()
                    .serverName("example.org")
                    .config(config)
                    .mediaStore(MediaStore.inMemory())
                    .thumbnailer(new SolidThumbnailer())
                    .storage(storage))
            .build();
    MediaHttpHandler handler =
        customize
            .apply(
                MediaHttpHandler.builder(repository)
                    .authenticator(
                        Authenticator.tokens(Map.of(ALICE_TOKEN, ALICE, BOB_TOKEN, BOB))))
            .build();
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    JdkHttpServerAdapter adapter = new JdkHttpServerAdapter(handler);
    server.createContext(
        "/",
        exchange -> {
          try {
            adapter.handle(exchange);
          } finally {
            synchronized (exchangesEnded) {
              exchangesEnded[0]++;
              exchangesEnded.notifyAll();
            }
          }
        });
    server.setExecutor(executor);
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  HttpTestServer() throws IOException {
    this(MediaConfig.defaults(), b -> b);
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

  HttpResponse<byte[]> sendBytes(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Uploads as Alice and returns the mxc URI. */
  String upload(byte[] bytes, String contentType, String filenameQuery)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        send(
            authed(
                    "/_matrix/media/v3/upload"
                        + (filenameQuery == null ? "" : "?filename=" + filenameQuery))
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

  long blobCount() {
    return storage.size();
  }

  long stagingCount() {
    return storage.staging();
  }

  /**
   * Returns once the adapter has finished handling {@code count} exchanges since the server started
   * (whatever became of each: answered, refused, or cut off by the client).
   */
  void awaitExchangesEnded(long count, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (exchangesEnded) {
      while (exchangesEnded[0] < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(
              exchangesEnded[0] + " of " + count + " exchanges ended within " + max);
        }
        TimeUnit.NANOSECONDS.timedWait(exchangesEnded, left);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    repository.close();
  }
}
