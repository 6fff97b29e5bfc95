-- A back-office user's role in one organization; at most one role per organization.
-- Global administrators are the users with is_admin set: they hold every role everywhere.
CREATE TABLE user_roles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('org-admin', 'app-manager', 'viewer')),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, organization_id)
);
CREATE INDEX user_roles_organization ON user_roles (organization_id);
