/**
 * The Matrix media HTTP surface: {@link MediaHttpHandler} and its adapters. Nothing in this package
 * accepts or returns {@code null}.
 */
@NullMarked
package org.mxmedia.http;

import org.jspecify.annotations.NullMarked;
