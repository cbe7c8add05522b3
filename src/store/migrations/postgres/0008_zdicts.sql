-- 0008_zdicts: the zstd dictionaries stored event bodies are compressed with (api/zdicts.c),
-- the same model as SQLite's 0008_zdicts. Each project gets its own, trained from its earlier
-- events; a body's zstd frame names its dictionary by dict_id (the zstd dictionary ID: 32
-- bits, never 0), so every node can read what any other node compressed. A node refreshes
-- last_used while it compresses with a dictionary; retention deletes a dictionary only once
-- the project has a newer one and no kept event can need it (see store_zdict_prune). Runs
-- inside the migration runner's transaction.

CREATE TABLE zdicts (
    id bigserial PRIMARY KEY,
    dict_id bigint NOT NULL UNIQUE CHECK (dict_id BETWEEN 1 AND 4294967295),
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created double precision NOT NULL,
    last_used double precision NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX zdicts_project ON zdicts(project_id, created);
