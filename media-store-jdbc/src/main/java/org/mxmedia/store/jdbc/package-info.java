/** {@link JdbcMediaStore}: the SQL metadata store. */
@NullMarked
package org.mxmedia.store.jdbc;

import org.jspecify.annotations.NullMarked;
