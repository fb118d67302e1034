-- mxmedia schema version 3; the same statements run on SQLite and PostgreSQL.
-- Claims of work that repositories sharing the database do once in all (a remote fetch, a
-- thumbnail to make): the owner (a repository's random id) and when the claim lapses (epoch
-- milliseconds) unless renewed; an expired claim may be taken by another owner.
CREATE TABLE work_claims (
  work TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until_ts BIGINT NOT NULL
);
