package org.mxmedia.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A raw-socket HTTP/1.1 server for hostile-peer tests: one request per connection, answered by a
 * script that may write anything, slowly, forever, or nothing. It counts the connections it
 * accepted, the requests it read and the bytes its scripts wrote. Closing it closes every socket
 * and releases every stalled script.
 */
public final class ScriptedServer implements AutoCloseable {
  /** What a script sees of a request. */
  public record Request(String method, String target, Map<String, String> headers) {
    /** A header by case-insensitive name, or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public String path() {
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }
  }

  /** Answers one request. */
  @FunctionalInterface
  public interface Script {
    void answer(Request request, Exchange exchange) throws IOException, InterruptedException;
  }

  /** The connection a script answers on. */
  public final class Exchange {
    private final OutputStream out;

    Exchange(OutputStream out) {
      this.out = out;
    }

    /** Writes and flushes, counting the bytes. */
    public void write(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
      written.addAndGet(bytes.length);
    }

    public void write(String text) throws IOException {
      write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A complete response with {@code Connection: close}. */
    public void respond(int status, String contentType, byte[] body, String... extraHeaders)
        throws IOException {
      StringBuilder head = new StringBuilder("HTTP/1.1 " + status + " X\r\nConnection: close\r\n");
      if (contentType != null) {
        head.append("Content-Type: ").append(contentType).append("\r\n");
      }
      for (String h : extraHeaders) {
        head.append(h).append("\r\n");
      }
      head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
      write(head.toString());
      write(body);
    }

    /** Blocks until the server is closed (a peer that never answers). */
    public void stall() throws InterruptedException {
      closed.await();
    }
  }

  private final ServerSocket socket;
  private final Script script;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "scripted-server");
            t.setDaemon(true);
            return t;
          });
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicLong written = new AtomicLong();

  /** Connections whose script has ended, however it ended (guarded by itself). */
  private final long[] ended = {0};

  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
  private final CountDownLatch closed = new CountDownLatch(1);

  private ScriptedServer(InetAddress bind, Script script) throws IOException {
    this.socket = new ServerSocket(0, 200, bind);
    this.script = script;
    threads.execute(this::acceptLoop);
  }

  /** A server on {@code 127.0.0.1}. */
  public static ScriptedServer start(Script script) throws IOException {
    return start("127.0.0.1", script);
  }

  public static ScriptedServer start(String bindAddress, Script script) throws IOException {
    return new ScriptedServer(InetAddress.getByName(bindAddress), script);
  }

  public int port() {
    return socket.getLocalPort();
  }

  public String url() {
    return "http://" + socket.getInetAddress().getHostAddress() + ":" + port();
  }

  /** Connections accepted so far. */
  public int accepted() {
    return accepted.get();
  }

  /** Bytes the scripts managed to write so far. */
  public long written() {
    return written.get();
  }

  /**
   * Returns once {@code count} connections have ended: their script returned or threw (a write
   * fails once the client has closed the connection), or their request never came.
   *
   * @throws AssertionError when fewer have ended within {@code max}
   */
  public void awaitEnded(long count, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (ended) {
      while (ended[0] < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError(ended[0] + " of " + count + " connections ended within " + max);
        }
        TimeUnit.NANOSECONDS.timedWait(ended, left);
      }
    }
  }

  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** Requests so far whose path starts with {@code prefix}. */
  public long requestsTo(String prefix) {
    return requests().stream().filter(r -> r.path().startsWith(prefix)).count();
  }

  private void acceptLoop() {
    while (!socket.isClosed()) {
      try {
        Socket s = socket.accept();
        accepted.incrementAndGet();
        open.add(s);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      Request request = readRequest(s.getInputStream());
      if (request == null) {
        return;
      }
      requests.add(request);
      script.answer(request, new Exchange(s.getOutputStream()));
    } catch (IOException | InterruptedException e) {
      // the client went away, or the server is closing
    } finally {
      open.remove(s);
      synchronized (ended) {
        ended[0]++;
        ended.notifyAll();
      }
    }
  }

  private static Request readRequest(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0 || head.size() > 64 * 1024) {
        return null;
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] requestLine = lines[0].split(" ");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.putIfAbsent(
            lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).strip());
      }
    }
    return new Request(requestLine[0], requestLine.length > 1 ? requestLine[1] : "/", headers);
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    socket.close();
    synchronized (open) {
      for (Socket s : open) {
        s.close();
      }
    }
    threads.shutdownNow();
    try {
      threads.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
