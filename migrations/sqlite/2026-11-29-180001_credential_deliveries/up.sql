-- One-time links that hand an application's credentials to its owner. The link carries
-- 256 random bits; only their SHA-256 is kept. A link is open until it is collected,
-- invalidated (a new link, a new owner) or past expires_at; at most one is open per
-- application.
CREATE TABLE credential_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    owner_user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    -- 'application' (sent at creation) or 'secret' (an added secret).
    purpose TEXT NOT NULL CHECK (purpose IN ('application', 'secret')),
    -- For an added secret: the other secrets expire this many seconds after collection.
    expire_old_seconds BIGINT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    collected_at TIMESTAMP,
    invalidated_at TIMESTAMP
);
CREATE INDEX credential_deliveries_client ON credential_deliveries (client_id);
-- At most one open link per application, even when two are sent at the same moment.
CREATE UNIQUE INDEX credential_deliveries_one_open ON credential_deliveries (client_id)
    WHERE collected_at IS NULL AND invalidated_at IS NULL;
