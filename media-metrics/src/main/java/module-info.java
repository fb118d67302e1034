/**
 * Micrometer meters for mxmedia: {@code MediaMetrics}, a {@code MediaEvents} listener recording
 * into any Micrometer registry. The core has no metrics dependency; this module is optional.
 */
module org.mxmedia.metrics {
  requires transitive org.mxmedia.core;
  requires transitive micrometer.core;
  requires static org.jspecify;

  exports org.mxmedia.metrics;
}
