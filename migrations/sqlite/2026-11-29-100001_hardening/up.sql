-- One application name per organization and owner, enforced by the database so that two
-- concurrent creates cannot both pass the check. Names already repeated get their id
-- appended first. A missing owner counts as one owner (COALESCE: NULLs are distinct in a
-- unique index).
UPDATE clients SET name = name || ' (' || id || ')'
WHERE id NOT IN (
    SELECT MIN(id) FROM clients GROUP BY organization_id, COALESCE(owner_user_id, 0), name
);
DROP INDEX clients_org_owner_name;
CREATE UNIQUE INDEX clients_org_owner_name ON clients (organization_id, COALESCE(owner_user_id, 0), name);

-- The name folded to lower case by Tessera itself (Unicode, the same on both databases),
-- for the grid's name filter and sort. Filled at start for rows where it is empty.
ALTER TABLE clients ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
DROP INDEX clients_name;
CREATE INDEX clients_name_folded ON clients (name_folded);
