/**
 * The public API of mxmedia: {@link MediaRepository}, its configuration and the value types it
 * speaks. Nothing in this package accepts or returns {@code null}.
 */
@NullMarked
package org.mxmedia;

import org.jspecify.annotations.NullMarked;
