-- mxmedia schema version 1; the same statements run on SQLite and PostgreSQL.
CREATE TABLE media_ids (
  media_id TEXT PRIMARY KEY
);
CREATE TABLE blobs (
  sha256 TEXT PRIMARY KEY,
  refs BIGINT NOT NULL,
  deleting BOOLEAN NOT NULL
);
CREATE INDEX blobs_unreferenced ON blobs (sha256) WHERE refs = 0;
CREATE TABLE quarantined_hashes (
  sha256 TEXT PRIMARY KEY
);
CREATE TABLE local_media (
  media_id TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  upload_name TEXT,
  uploader TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  last_access_ts BIGINT NOT NULL,
  quarantined BOOLEAN NOT NULL,
  safe_from_quarantine BOOLEAN NOT NULL
);
CREATE INDEX local_media_sha256 ON local_media (sha256);
CREATE INDEX local_media_uploader_created ON local_media (uploader, created_ts);
CREATE TABLE pending_media (
  media_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  expires_ts BIGINT NOT NULL
);
CREATE INDEX pending_media_owner_expires ON pending_media (owner, expires_ts);
CREATE INDEX pending_media_expires ON pending_media (expires_ts);
CREATE TABLE remote_media (
  origin TEXT NOT NULL,
  media_id TEXT NOT NULL,
  content_type TEXT NOT NULL,
  upload_name TEXT,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  cached_ts BIGINT NOT NULL,
  last_access_ts BIGINT NOT NULL,
  quarantined BOOLEAN NOT NULL,
  PRIMARY KEY (origin, media_id)
);
CREATE INDEX remote_media_last_access ON remote_media (last_access_ts);
CREATE INDEX remote_media_sha256 ON remote_media (sha256);
CREATE TABLE thumbnails (
  source TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  method TEXT NOT NULL,
  animated BOOLEAN NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_ts BIGINT NOT NULL,
  PRIMARY KEY (source, width, height, method, animated)
);
