/**
 * URL previews ({@link org.mxmedia.preview.UrlPreviews}, with {@link
 * org.mxmedia.preview.UrlPreviews.UrlPattern} and {@link org.mxmedia.preview.UrlPreviews.OEmbedProvider} to configure it)
 * and {@link org.mxmedia.preview.Identicons}. Nothing in this package accepts or returns {@code
 * null}.
 */
@NullMarked
package org.mxmedia.preview;

import org.jspecify.annotations.NullMarked;
