/** The engine behind {@link org.mxmedia.MediaRepository}; no compatibility promise. */
@NullMarked
package org.mxmedia.internal;

import org.jspecify.annotations.NullMarked;
