package org.mxmedia.storage.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP relay on a loopback port in front of another server: it counts the bytes sent back to
 * clients, keeps the start of what each client sent (to read request lines from), and can stop
 * passing the server's bytes on after a number of them per connection (a stalled server).
 */
final class TcpRelay implements AutoCloseable {
  private static final int KEPT = 16 * 1024;
  private static final Pattern REQUEST_LINE =
      Pattern.compile("(?m)^(GET|PUT|HEAD|POST|DELETE) (\\S+) HTTP/1\\.1$");
  private static final Pattern HOST = Pattern.compile("(?mi)^Host: (\\S+)$");

  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final List<String> heads = new CopyOnWriteArrayList<>();
  final AtomicLong toClients = new AtomicLong();

  /** Bytes of the server's answer passed on per connection before the relay stalls. */
  volatile long stallAfter = Long.MAX_VALUE;

  TcpRelay(URI target) throws IOException {
    this.target = new InetSocketAddress(target.getHost(), target.getPort());
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "relay-accept");
    accept.setDaemon(true);
    accept.start();
  }

  int port() {
    return server.getLocalPort();
  }

  /**
   * The request lines ({@code METHOD target}) and Host headers seen at the start of each
   * connection.
   */
  List<String> requests() {
    List<String> out = new ArrayList<>();
    for (String head : heads) {
      Matcher line = REQUEST_LINE.matcher(head);
      Matcher host = HOST.matcher(head);
      int from = 0;
      while (line.find()) {
        String h = host.find(from) ? host.group(1) : "?";
        out.add(line.group(1) + " " + line.group(2) + " @" + h);
        from = line.end();
      }
    }
    return out;
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket(target.getAddress(), target.getPort());
        sockets.add(client);
        sockets.add(upstream);
        int index = heads.size();
        heads.add("");
        pump(
            "relay-up",
            client,
            upstream,
            (bytes, n) -> keep(index, bytes, n),
            () -> Long.MAX_VALUE);
        pump(
            "relay-down", upstream, client, (bytes, n) -> toClients.addAndGet(n), () -> stallAfter);
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private synchronized void keep(int index, byte[] bytes, int n) {
    String head = heads.get(index);
    if (head.length() < KEPT) {
      heads.set(
          index,
          head
              + new String(
                  bytes, 0, Math.min(n, KEPT - head.length()), StandardCharsets.ISO_8859_1));
    }
  }

  private interface Tap {
    void seen(byte[] bytes, int n);
  }

  private void pump(String name, Socket from, Socket to, Tap tap, LongSupplier limit) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              long passed = 0;
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n =
                        in.read(
                            buffer,
                            0,
                            (int) Math.max(1, Math.min(buffer.length, limit.getAsLong() - passed))))
                    >= 0) {
                  tap.seen(buffer, n);
                  out.write(buffer, 0, n);
                  out.flush();
                  passed += n;
                  if (passed >= limit.getAsLong()) {
                    while (!to.isClosed()) {
                      Thread.sleep(50);
                    }
                    return;
                  }
                }
              } catch (IOException | InterruptedException e) {
                // a side closed
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            },
            name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }
}
