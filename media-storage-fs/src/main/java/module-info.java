/** The local, content-addressed blob store of mxmedia. */
module org.mxmedia.storage.fs {
  requires transitive org.mxmedia.core;
  requires org.slf4j;
  requires static org.jspecify;

  exports org.mxmedia.storage.fs;
}
