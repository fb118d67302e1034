/** Parsing and encoding helpers of the HTTP binding; no compatibility promise. */
@NullMarked
package org.mxmedia.http.internal;

import org.jspecify.annotations.NullMarked;
