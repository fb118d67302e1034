/**
 * URL previews ({@link UrlPreviews}, with {@link UrlPreviews.UrlPattern} and {@link
 * UrlPreviews.OEmbedProvider} to configure it) and {@link Identicons}. Nothing in this package
 * accepts or returns {@code null}.
 */
@NullMarked
package org.mxmedia.preview;

import org.jspecify.annotations.NullMarked;
