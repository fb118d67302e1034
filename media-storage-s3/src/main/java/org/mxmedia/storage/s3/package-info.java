/**
 * {@link S3Storage}: blobs in an S3 bucket, as the primary storage of a repository or as a storage
 * provider beside it.
 */
@NullMarked
package org.mxmedia.storage.s3;

import org.jspecify.annotations.NullMarked;
