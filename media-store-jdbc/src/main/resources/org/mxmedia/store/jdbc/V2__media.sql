-- mxmedia schema version 2; the same statements run on SQLite and PostgreSQL.
-- A deletion claim carries the instant it was made (epoch milliseconds), which names it: only
-- its holder ends it, and only a claim older than the staleness bound is taken over. A claim
-- left by version 1 has no instant; it counts as made at the epoch, so the next sweep or
-- reservation takes it over. The old flag goes, so a process still running version 1 fails
-- loudly instead of claiming behind the new protocol's back.
ALTER TABLE blobs ADD COLUMN claimed_ts BIGINT;
UPDATE blobs SET claimed_ts = 0 WHERE deleting = TRUE;
ALTER TABLE blobs DROP COLUMN deleting;
-- Reservations per store instance ("node": a random id made when the store is opened), changed
-- in the same transactions as blobs.refs, and each node's lease (its last heartbeat, epoch
-- milliseconds). When a node stops renewing its lease, another node releases its reservations.
CREATE TABLE blob_reservations (
  node_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  held BIGINT NOT NULL,
  PRIMARY KEY (node_id, sha256)
);
CREATE TABLE store_nodes (
  node_id TEXT PRIMARY KEY,
  heartbeat_ts BIGINT NOT NULL
);
