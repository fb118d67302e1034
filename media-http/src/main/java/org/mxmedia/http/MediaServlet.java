package org.mxmedia.http;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.mxmedia.http.MediaHttpHandler.MediaHttpRequest;
import org.mxmedia.http.MediaHttpHandler.MediaHttpResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link MediaHttpHandler} from any Jakarta Servlet 6 container. Map it to {@code
 * /_matrix/*} (the paths it answers are relative to the context path), for example with Jetty:
 * {@code context.addServlet(new ServletHolder(new MediaServlet(handler)), "/_matrix/*")}.
 */
public final class MediaServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(MediaServlet.class);

  private final transient MediaHttpHandler handler;

  public MediaServlet(MediaHttpHandler handler) {
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    try (MediaHttpResponse answer = handler.handle(new ServletRequestView(request))) {
      response.setStatus(answer.status());
      answer.headers().forEach(response::setHeader);
      long length = answer.body().length();
      int status = answer.status();
      if (length >= 0 && status != 204 && status != 304) {
        response.setContentLengthLong(length);
      }
      if (!answer.headOnly()
          && !request.getMethod().equals("HEAD")
          && length != 0
          && status != 204
          && status != 304) {
        answer.body().writeTo(response.getOutputStream());
      }
    } catch (IOException | UncheckedIOException e) {
      log.debug(
          "Response to {} {} was cut short: {}",
          request.getMethod(),
          request.getRequestURI(),
          e.toString());
    }
  }

  private record ServletRequestView(HttpServletRequest request) implements MediaHttpRequest {
    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String rawPath() {
      return request.getRequestURI().substring(request.getContextPath().length());
    }

    @Override
    public Optional<String> rawQuery() {
      return Optional.ofNullable(request.getQueryString());
    }

    @Override
    public List<String> headers(String name) {
      var values = request.getHeaders(name);
      return values == null ? List.of() : Collections.list(values);
    }

    @Override
    public InputStream body() {
      try {
        return request.getInputStream();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
