DROP TABLE client_scopes;
DROP TABLE scopes;
DROP TABLE scope_categories;
DROP INDEX clients_app_type;
ALTER TABLE clients DROP COLUMN refresh_token_ttl;
ALTER TABLE clients DROP COLUMN implicit_allowed;
ALTER TABLE clients DROP COLUMN allowed_origins;
ALTER TABLE clients DROP COLUMN app_type;
