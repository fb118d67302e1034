/** {@link org.mxmedia.thumbnail.ImageIoThumbnailer}: thumbnails with ImageIO, bounded in memory. */
@NullMarked
package org.mxmedia.thumbnail;

import org.jspecify.annotations.NullMarked;
