package org.mxmedia.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import org.mxmedia.DataSize;
import org.mxmedia.MediaConfig;
import org.mxmedia.MediaRepository;
import org.mxmedia.UserId;
import org.mxmedia.http.Authenticator;
import org.mxmedia.http.MediaHttpHandler;
import org.mxmedia.http.MediaServlet;
import org.mxmedia.spi.MediaStore;
import org.mxmedia.storage.fs.FileSystemStorage;
import org.mxmedia.thumbnail.ImageIoThumbnailer;

/**
 * How a host with its own servlet container wires mxmedia: one {@link MediaServlet} mapped to
 * {@code /_matrix/*} in an embedded Jetty 12.
 *
 * <p>Usage: {@code JettyServletExample [PORT [DATA_DIR [TOKEN [MAX_UPLOAD_BYTES]]]]} (default 8009,
 * a temporary directory, a fixed token printed at start, 50 MiB).
 */
public final class JettyServletExample {
  private JettyServletExample() {}

  /** Starts Jetty with the media servlet; the caller stops the returned server. */
  public static Server start(int port, Path dataDir, String token) throws Exception {
    return start(port, dataDir, token, MediaConfig.defaults());
  }

  /**
   * Starts Jetty with the media servlet and {@code config}; the caller stops the returned server.
   */
  public static Server start(int port, Path dataDir, String token, MediaConfig config)
      throws Exception {
    MediaRepository repository =
        MediaRepository.builder()
            .serverName("localhost:" + port)
            .config(config)
            .mediaStore(MediaStore.inMemory())
            .thumbnailer(new ImageIoThumbnailer())
            .storage(FileSystemStorage.at(dataDir))
            .build();
    MediaHttpHandler handler =
        MediaHttpHandler.builder(repository)
            .authenticator(
                Authenticator.tokens(Map.of(token, UserId.of("@admin:localhost:" + port))))
            .build();

    Server jetty = new Server();
    ServerConnector connector = new ServerConnector(jetty);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    jetty.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new MediaServlet(handler)), "/_matrix/*");
    jetty.setHandler(context);
    jetty.addEventListener(
        new LifeCycle.Listener() {
          @Override
          public void lifeCycleStopped(LifeCycle event) {
            repository.close();
          }
        });
    jetty.start();
    return jetty;
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8009;
    Path dataDir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("mxmedia-jetty");
    String token = args.length > 2 ? args[2] : "jetty-example-token";
    MediaConfig config =
        args.length > 3
            ? MediaConfig.defaults().withMaxUploadSize(DataSize.bytes(Long.parseLong(args[3])))
            : MediaConfig.defaults();
    Server jetty = start(port, dataDir, token, config);
    jetty.setStopAtShutdown(true);
    System.out.println(
        "mxmedia on Jetty at http://127.0.0.1:"
            + port
            + "/_matrix/ (token "
            + token
            + ", data in "
            + dataDir
            + ")");
    jetty.join();
  }
}
