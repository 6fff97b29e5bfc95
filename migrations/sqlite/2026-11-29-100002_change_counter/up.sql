-- One row counting committed changes to what the token endpoint keeps in memory
-- (applications, their secrets, their owners). Every server polls it to know when its
-- copy is stale.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO change_counter (id, value) VALUES (1, 0);
