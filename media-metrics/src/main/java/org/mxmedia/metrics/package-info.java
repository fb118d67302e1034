/**
 * Micrometer meters for mxmedia: {@link MediaMetrics}, a {@link org.mxmedia.spi.MediaEvents}
 * listener. Nothing in this package accepts or returns {@code null}.
 */
@NullMarked
package org.mxmedia.metrics;

import org.jspecify.annotations.NullMarked;
