-- Throttle failures, written by the instance that saw them and merged by every other
-- instance on the same database. Keys are hashed; rows older than the lockout are pruned.
-- Ids only grow (AUTOINCREMENT on SQLite), so "id > last seen" never skips a row.
CREATE TABLE throttle_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    throttle TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    instance TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX throttle_failures_failed_at ON throttle_failures (failed_at);
