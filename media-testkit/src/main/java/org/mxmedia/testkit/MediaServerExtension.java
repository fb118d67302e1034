package org.mxmedia.testkit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.mxmedia.MediaRepository;
import org.mxmedia.UserId;
import org.mxmedia.http.Authenticator;
import org.mxmedia.http.JdkHttpServerAdapter;
import org.mxmedia.http.MediaHttpHandler;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.spi.PrimaryStorage;

/**
 * A real Matrix media server for tests: a {@link MediaRepository} (in memory by default) behind the
 * HTTP binding on a free loopback port. Homeservers, bridges and clients test against the real
 * media endpoints with it:
 *
 * <pre>{@code
 * @RegisterExtension
 * static MediaServerExtension media = MediaServerExtension.inMemory();
 *
 * @Test
 * void uploads() {
 *   HttpRequest.newBuilder(media.baseUrl().resolve("/_matrix/media/v3/upload"))
 *       .header("Authorization", "Bearer " + media.accessToken()) ...
 * }
 * }</pre>
 *
 * Registered on a static field it starts once for the class; on an instance field, once per test.
 * The server answers {@code /_matrix/media/*}, {@code /_matrix/client/v1/media/*} and {@code
 * /_matrix/federation/v1/media/*} (the last with 401: no federation authenticator unless one is
 * configured) and the admin API under {@code /_synapse/admin/v1/} (403 unless the repository's
 * authorizer makes the user an admin), with one user and its access token.
 */
public final class MediaServerExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final String serverName;
  private final UserId user;
  private final String token;
  private final Supplier<MediaStore> mediaStore;
  private final Supplier<PrimaryStorage> storage;
  private final Consumer<MediaRepository.Builder> repositorySettings;
  private final Consumer<MediaHttpHandler.Builder> handlerSettings;
  private @Nullable Running running;
  private boolean perClass;

  private record Running(
      HttpServer http, ExecutorService threads, MediaRepository repository, URI baseUrl) {}

  private MediaServerExtension(Builder b) {
    this.serverName = b.serverName;
    this.user = UserId.of(b.user);
    this.token = b.token;
    this.mediaStore = b.mediaStore;
    this.storage = b.storage;
    this.repositorySettings = b.repositorySettings;
    this.handlerSettings = b.handlerSettings;
  }

  /**
   * A server named {@code test.local} with an in-memory store and storage, user
   * {@code @alice:test.local}, token {@code alice-token}.
   */
  public static MediaServerExtension inMemory() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The server's base URL, {@code http://127.0.0.1:<port>}; while a test runs. */
  public URI baseUrl() {
    return started().baseUrl();
  }

  /** The access token of {@link #user()}. */
  public String accessToken() {
    return token;
  }

  /** The one user the server knows. */
  public UserId user() {
    return user;
  }

  /** The repository behind the server, to inspect or to call directly; while a test runs. */
  public MediaRepository repository() {
    return started().repository();
  }

  private Running started() {
    Running r = running;
    if (r == null) {
      throw new IllegalStateException("the media server runs only while a test does");
    }
    return r;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop();
    }
  }

  private void start() {
    MediaRepository.Builder repo =
        MediaRepository.builder()
            .serverName(serverName)
            .mediaStore(mediaStore.get())
            .storage(storage.get());
    repositorySettings.accept(repo);
    MediaRepository repository = repo.build();
    MediaHttpHandler.Builder handler =
        MediaHttpHandler.builder(repository)
            .authenticator(Authenticator.tokens(Map.of(token, user)));
    handlerSettings.accept(handler);
    try {
      HttpServer http =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService threads =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "media-test-server");
                t.setDaemon(true);
                return t;
              });
      http.setExecutor(threads);
      JdkHttpServerAdapter adapter = new JdkHttpServerAdapter(handler.build());
      http.createContext("/_matrix/", adapter);
      http.createContext("/_synapse/admin/", adapter);
      http.start();
      running =
          new Running(
              http,
              threads,
              repository,
              URI.create("http://127.0.0.1:" + http.getAddress().getPort()));
    } catch (IOException e) {
      repository.close();
      throw new UncheckedIOException("cannot start the media test server", e);
    }
  }

  private void stop() {
    Running r = running;
    running = null;
    if (r != null) {
      r.http().stop(0);
      r.threads().shutdownNow();
      r.repository().close();
    }
  }

  /** Configures a {@link MediaServerExtension}. */
  public static final class Builder {
    private String serverName = "test.local";
    private String user = "@alice:test.local";
    private String token = "alice-token";
    private Supplier<MediaStore> mediaStore = MediaStore::inMemory;
    private Supplier<PrimaryStorage> storage = PrimaryStorage::inMemory;
    private Consumer<MediaRepository.Builder> repositorySettings = b -> {};
    private Consumer<MediaHttpHandler.Builder> handlerSettings = b -> {};

    private Builder() {}

    /** The server name; default {@code test.local}. */
    public Builder serverName(String serverName) {
      this.serverName = Objects.requireNonNull(serverName, "serverName");
      return this;
    }

    /**
     * The one user and its access token; default {@code @alice:test.local} and {@code alice-token}.
     */
    public Builder user(String userId, String accessToken) {
      UserId.of(userId);
      this.user = userId;
      this.token = Objects.requireNonNull(accessToken, "accessToken");
      return this;
    }

    /** Makes the metadata store for each start; default a new {@link MediaStore#inMemory()}. */
    public Builder mediaStore(Supplier<MediaStore> mediaStore) {
      this.mediaStore = Objects.requireNonNull(mediaStore, "mediaStore");
      return this;
    }

    /**
     * Makes the primary storage for each start; default a new {@link PrimaryStorage#inMemory()}.
     */
    public Builder storage(Supplier<PrimaryStorage> storage) {
      this.storage = Objects.requireNonNull(storage, "storage");
      return this;
    }

    /** Further repository settings (config, thumbnailer, federation client, clock...). */
    public Builder repository(Consumer<MediaRepository.Builder> settings) {
      this.repositorySettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** Further HTTP settings (a federation authenticator, the legacy freeze...). */
    public Builder http(Consumer<MediaHttpHandler.Builder> settings) {
      this.handlerSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    public MediaServerExtension build() {
      return new MediaServerExtension(this);
    }
  }
}
