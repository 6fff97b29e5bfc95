-- Application types, JavaScript origins, the implicit switch and a refresh-token lifetime
-- per application. Applications registered before types existed are service accounts when
-- they have client credentials, trusted first-party web applications otherwise.
ALTER TABLE clients ADD COLUMN app_type TEXT NOT NULL DEFAULT 'service'
    CHECK (app_type IN ('service', 'web', 'public'));
ALTER TABLE clients ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN implicit_allowed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE clients ADD COLUMN refresh_token_ttl INTEGER;
UPDATE clients SET app_type = CASE
    WHEN (' ' || grants || ' ') LIKE '% client_credentials %' THEN 'service'
    ELSE 'web'
END;
CREATE INDEX clients_app_type ON clients (app_type);

-- The scope catalog: categories, scopes with a description for the consent screen, and
-- which application may ask for which scope.
CREATE TABLE scope_categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE scopes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    category_id BIGINT NOT NULL REFERENCES scope_categories (id) ON DELETE RESTRICT,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX scopes_category ON scopes (category_id);

CREATE TABLE client_scopes (
    client_id BIGINT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    scope_id BIGINT NOT NULL REFERENCES scopes (id) ON DELETE RESTRICT,
    PRIMARY KEY (client_id, scope_id)
);
CREATE INDEX client_scopes_scope ON client_scopes (scope_id);

-- Today's free-form scopes move into the catalog under "Uncategorized".
CREATE TEMPORARY TABLE migrated_scopes (client_id BIGINT NOT NULL, name TEXT NOT NULL);
INSERT INTO migrated_scopes (client_id, name)
WITH RECURSIVE split (client_id, token, rest) AS (
    SELECT id, '', trim(scopes) || ' ' FROM clients WHERE trim(scopes) <> ''
    UNION ALL
    SELECT client_id,
           substr(rest, 1, instr(rest, ' ') - 1),
           ltrim(substr(rest, instr(rest, ' ') + 1))
    FROM split
    WHERE rest <> ''
)
SELECT DISTINCT client_id, token FROM split WHERE token <> '';

INSERT INTO scope_categories (name, description, created_at)
SELECT 'Uncategorized', 'Scopes registered before the catalog existed.', CURRENT_TIMESTAMP
WHERE EXISTS (SELECT 1 FROM migrated_scopes);

INSERT INTO scopes (name, category_id, description, created_at, updated_at)
SELECT DISTINCT m.name, c.id, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM migrated_scopes m
JOIN scope_categories c ON c.name = 'Uncategorized';

INSERT INTO client_scopes (client_id, scope_id)
SELECT m.client_id, s.id FROM migrated_scopes m JOIN scopes s ON s.name = m.name;

DROP TABLE migrated_scopes;
