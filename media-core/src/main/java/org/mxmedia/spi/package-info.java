/**
 * Service provider interfaces: the parts of a media repository a host may replace (metadata store,
 * byte storage, federation transport, thumbnailer, policies). Nothing in this package accepts or
 * returns {@code null}.
 */
@NullMarked
package org.mxmedia.spi;

import org.jspecify.annotations.NullMarked;
