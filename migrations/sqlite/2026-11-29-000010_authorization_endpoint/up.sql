-- What the consent dialog shows about an organization.
ALTER TABLE organizations ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN support_email TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN privacy_policy_url TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN terms_of_service_url TEXT NOT NULL DEFAULT '';

-- Set by an administrator: a trusted first-party application asks no consent; a legacy one
-- may send PKCE challenges with the `plain` method.
ALTER TABLE clients ADD COLUMN skip_consent BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN allow_plain_pkce BOOLEAN NOT NULL DEFAULT FALSE;

-- Single sign-on sessions of people authorizing applications; the cookie holds 256 random
-- bits, the row their SHA-256.
CREATE TABLE sso_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sso_sessions_user_id ON sso_sessions (user_id);

-- An authorization request waiting for the person to sign in or consent.
CREATE TABLE pending_authorizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    handle_hash TEXT NOT NULL UNIQUE,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    response_type TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    redirect_uri_given BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    state TEXT,
    code_challenge TEXT,
    code_challenge_method TEXT,
    prompt TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_authorizations_expires_at ON pending_authorizations (expires_at);

-- Authorization codes (RFC 6749 §4.1.2): stored as SHA-256, single use. family_id and
-- access_jti name what the exchange issued, so a replay can revoke it.
CREATE TABLE authorization_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash TEXT NOT NULL UNIQUE,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    redirect_uri_given BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    auth_time TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    family_id TEXT,
    access_jti TEXT,
    access_expires_at TIMESTAMP
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

-- What a person allowed an application, and the cut-off of that person's tokens for it
-- once revoked from /account.
CREATE TABLE consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    granted_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    tokens_revoked_before TIMESTAMP,
    UNIQUE (user_id, client_id)
);
CREATE INDEX consents_client_id ON consents (client_id);
