/** Media metadata in SQLite (the embedded default) or PostgreSQL, over JDBC and HikariCP. */
module org.mxmedia.store.jdbc {
  requires transitive org.mxmedia.core;
  requires org.slf4j;
  requires transitive java.sql;
  requires com.zaxxer.hikari;
  requires org.xerial.sqlitejdbc;
  requires static org.jspecify;

  exports org.mxmedia.store.jdbc;
}
