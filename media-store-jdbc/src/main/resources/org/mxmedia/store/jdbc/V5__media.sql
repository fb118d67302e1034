-- Byte-order indexes for the admin listings, which order and compare text with COLLATE "C"
-- (Dialect.binaryCollation) so that pages are the same whatever the database's locale. On
-- PostgreSQL an index in the database's collation (even C.UTF-8) cannot serve those, so the
-- keyset scans of POST /media/delete and the per-uploader lists read and sorted the whole table.
-- SQLite's default collation is byte order already: its primary keys serve the same queries.
-- postgresql only
CREATE INDEX local_media_id_c ON local_media (media_id COLLATE "C");
-- postgresql only
CREATE INDEX local_media_uploader_id_c ON local_media (uploader, media_id COLLATE "C");
