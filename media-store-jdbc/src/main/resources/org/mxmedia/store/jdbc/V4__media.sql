-- mxmedia schema version 4; the same statements run on SQLite and PostgreSQL.
-- The URL preview cache, shared by the repositories using the database. A preview is named by
-- its URL (looked up by the URL's SHA-256 in lower-case hex, then compared in full) and the
-- instant it was fetched (epoch milliseconds); expires_ts is when it stops being served and is
-- deleted with its image (image_id, local media), if any.
CREATE TABLE url_previews (
  url_hash TEXT NOT NULL,
  fetched_ts BIGINT NOT NULL,
  url TEXT NOT NULL,
  expires_ts BIGINT NOT NULL,
  image_id TEXT,
  PRIMARY KEY (url_hash, fetched_ts)
);
CREATE INDEX url_previews_by_expiry ON url_previews (expires_ts);
-- Each preview's properties in their order (position from 0): the name, the value's kind
-- ('s' text, 'i' a 64-bit integer, 'f' a double) and the value as text (numbers in Java's
-- canonical form, which reads back exactly).
CREATE TABLE url_preview_properties (
  url_hash TEXT NOT NULL,
  fetched_ts BIGINT NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (url_hash, fetched_ts, position)
);
