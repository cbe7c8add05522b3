-- 0008_zdicts: the zstd dictionaries stored event bodies are compressed with (api/zdicts.c).
-- Each project gets its own, trained from its earlier events; a body's zstd frame names its
-- dictionary by dict_id (the zstd dictionary ID: 32 bits, never 0), so readers find it here.
-- A node refreshes last_used while it compresses with a dictionary; retention deletes a
-- dictionary only once the project has a newer one and no kept event can need it (see
-- store_zdict_prune). data is the whole dictionary as ZDICT wrote it.

CREATE TABLE zdicts (
    id INTEGER PRIMARY KEY,
    dict_id INTEGER NOT NULL UNIQUE CHECK (dict_id BETWEEN 1 AND 4294967295),
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created REAL NOT NULL,
    last_used REAL NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX zdicts_project ON zdicts(project_id, created);
