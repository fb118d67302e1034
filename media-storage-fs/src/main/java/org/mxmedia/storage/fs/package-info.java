/** {@link FileSystemStorage}: blobs on a local file system. */
@NullMarked
package org.mxmedia.storage.fs;

import org.jspecify.annotations.NullMarked;
