/**
 * The Matrix media HTTP binding: routes, JSON bodies and errors, headers, ranges, CORS, and
 * adapters for the JDK {@code HttpServer} and Jakarta Servlet.
 */
module org.mxmedia.http {
  requires transitive org.mxmedia.core;
  requires org.slf4j;
  requires com.fasterxml.jackson.core;
  requires com.github.benmanes.caffeine;
  requires static jdk.httpserver;
  requires static jakarta.servlet;
  requires static org.jspecify;

  exports org.mxmedia.http;
}
