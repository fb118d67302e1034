/**
 * The fetching and parsing behind {@link org.mxmedia.preview.UrlPreviews}; no compatibility
 * promise.
 */
@NullMarked
package org.mxmedia.preview.internal;

import org.jspecify.annotations.NullMarked;
