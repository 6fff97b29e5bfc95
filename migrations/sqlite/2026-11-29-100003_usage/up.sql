-- Token-endpoint usage, counted in memory and written about once a minute as one row per
-- minute, application (NULL: no known application), event and grant.
CREATE TABLE usage_counts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    minute TIMESTAMP NOT NULL,
    client_id BIGINT REFERENCES clients (id) ON DELETE CASCADE,
    event TEXT NOT NULL CHECK (event IN ('token', 'failure', 'throttled')),
    grant_type TEXT NOT NULL DEFAULT '',
    count BIGINT NOT NULL
);
CREATE INDEX usage_counts_minute ON usage_counts (minute);
CREATE INDEX usage_counts_client_minute ON usage_counts (client_id, minute);
