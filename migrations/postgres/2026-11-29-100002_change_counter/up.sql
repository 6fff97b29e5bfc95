-- One row counting committed changes to what the token endpoint keeps in memory
-- (applications, their secrets, their owners). Every server polls it to know when its
-- copy is stale; a NOTIFY on channel tessera_changes tells listening servers at once.
CREATE TABLE change_counter (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);
