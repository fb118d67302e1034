-- mxmedia schema version 2; the same statements run on SQLite and PostgreSQL.
-- A deletion claim carries the instant it was made (epoch milliseconds), which names it: only
-- its holder ends it, and only a claim older than the staleness bound is taken over. A claim
-- left by version 1 has no instant; it counts as made at the epoch, so the next sweep or
-- reservation takes it over. The old flag goes, so a process still running version 1 fails
-- loudly instead of claiming behind the new protocol's back.
ALTER TABLE blobs ADD COLUMN claimed_ts BIGINT;
UPDATE blobs SET claimed_ts = 0 WHERE deleting = TRUE;
ALTER TABLE blobs DROP COLUMN deleting;
