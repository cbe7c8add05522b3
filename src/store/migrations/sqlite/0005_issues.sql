-- 0005_issues: what issue actions, comments, user reports and the facets job need on SQLite.
-- issue_aliases: hashes of issues merged into another one (ingest follows them).
-- issue_assignees / issue_bookmarks / issue_seen: per-issue and per-user state.
-- issue_tag_values / issue_stats: counts kept by the facets job (worker/facets.c) from the
-- committed events, never by ingest; facets_cursor is where that job stopped and
-- facet_rebuild the issues whose counts it must recompute from their events (a merge).

CREATE TABLE issue_aliases (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, hash)
) WITHOUT ROWID;
CREATE INDEX issue_aliases_issue ON issue_aliases(issue_id);

CREATE TABLE issue_assignees (
    issue_id INTEGER PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX issue_assignees_user ON issue_assignees(user_id);

CREATE TABLE issue_bookmarks (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, user_id)
) WITHOUT ROWID;

CREATE TABLE issue_seen (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seen REAL NOT NULL,
    PRIMARY KEY (issue_id, user_id)
) WITHOUT ROWID;

CREATE TABLE issue_comments (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    text TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX issue_comments_issue ON issue_comments(issue_id, id);

CREATE TABLE user_reports (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id INTEGER REFERENCES issues(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    comments TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    UNIQUE (project_id, event_id)
);
CREATE INDEX user_reports_issue ON user_reports(issue_id, id);

CREATE TABLE issue_tag_values (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    times_seen INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (issue_id, key, value)
) WITHOUT ROWID;
CREATE INDEX issue_tag_values_first_seen ON issue_tag_values(first_seen);

CREATE TABLE issue_stats (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    bucket_start REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (issue_id, bucket_start)
) WITHOUT ROWID;

CREATE TABLE facets_cursor (
    name TEXT PRIMARY KEY,
    received REAL NOT NULL,
    row_id INTEGER NOT NULL
);

-- gen grows each time the issue is queued again, so a rebuild that started before only
-- removes the row when nothing queued it meanwhile.
CREATE TABLE facet_rebuild (
    issue_id INTEGER PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
    gen INTEGER NOT NULL DEFAULT 0
);
