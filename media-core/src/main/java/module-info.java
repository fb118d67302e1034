/**
 * The mxmedia core: the public API ({@code org.mxmedia}), the service provider interfaces a host
 * may implement ({@code org.mxmedia.spi}) and the engine behind them.
 */
module org.mxmedia.core {
  requires org.slf4j;
  requires com.google.common;
  requires com.github.benmanes.caffeine;
  requires static org.jspecify;

  exports org.mxmedia;
  exports org.mxmedia.spi;
}
