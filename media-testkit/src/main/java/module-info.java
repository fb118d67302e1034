/** Conformance suites for implementations of the mxmedia SPIs. */
module org.mxmedia.testkit {
  requires transitive org.mxmedia.core;
  requires transitive org.mxmedia.http;
  requires jdk.httpserver;
  requires transitive org.junit.jupiter.api;
  requires transitive org.junit.jupiter.params;
  requires org.assertj.core;
  requires transitive java.desktop;
  requires static org.jspecify;

  exports org.mxmedia.testkit;
}
