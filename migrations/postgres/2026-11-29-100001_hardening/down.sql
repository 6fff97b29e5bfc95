DROP INDEX clients_name_folded;
ALTER TABLE clients DROP COLUMN name_folded;
CREATE INDEX clients_name ON clients (lower(name));
DROP INDEX clients_org_owner_name;
CREATE INDEX clients_org_owner_name ON clients (organization_id, owner_user_id, name);
