-- 0005_issues: what issue actions, comments, user reports and the facets job need on PostgreSQL.
-- issue_aliases: hashes of issues merged into another one (ingest follows them).
-- issue_assignees / issue_bookmarks / issue_seen: per-issue and per-user state.
-- issue_tag_values / issue_stats: counts kept by the facets job (worker/facets.c) from the
-- committed events, never by ingest; facets_cursor is where that job stopped and
-- facet_rebuild the issues whose counts it must recompute from their events (a merge).
-- Runs inside the migration runner's transaction: no BEGIN/COMMIT here.

CREATE TABLE issue_aliases (
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    hash text NOT NULL,
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, hash)
);
CREATE INDEX issue_aliases_issue ON issue_aliases(issue_id);

CREATE TABLE issue_assignees (
    issue_id bigint PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX issue_assignees_user ON issue_assignees(user_id);

CREATE TABLE issue_bookmarks (
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, user_id)
);

CREATE TABLE issue_seen (
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    seen double precision NOT NULL,
    PRIMARY KEY (issue_id, user_id)
);

CREATE TABLE issue_comments (
    id bigserial PRIMARY KEY,
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_id bigint REFERENCES users(id) ON DELETE SET NULL,
    text text NOT NULL,
    created double precision NOT NULL,
    updated double precision NOT NULL
);
CREATE INDEX issue_comments_issue ON issue_comments(issue_id, id);

CREATE TABLE user_reports (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id bigint REFERENCES issues(id) ON DELETE CASCADE,
    event_id text NOT NULL,
    name text NOT NULL DEFAULT '',
    email text NOT NULL DEFAULT '',
    comments text NOT NULL DEFAULT '',
    created double precision NOT NULL,
    UNIQUE (project_id, event_id)
);
CREATE INDEX user_reports_issue ON user_reports(issue_id, id);

CREATE TABLE issue_tag_values (
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    key text NOT NULL,
    value text NOT NULL,
    times_seen bigint NOT NULL,
    first_seen double precision NOT NULL,
    last_seen double precision NOT NULL,
    PRIMARY KEY (issue_id, key, value)
);
CREATE INDEX issue_tag_values_first_seen ON issue_tag_values(first_seen);

CREATE TABLE issue_stats (
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    bucket_start double precision NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (issue_id, bucket_start)
);

CREATE TABLE facets_cursor (
    name text PRIMARY KEY,
    received double precision NOT NULL,
    row_id bigint NOT NULL
);

-- gen grows each time the issue is queued again, so a rebuild that started before only
-- removes the row when nothing queued it meanwhile.
CREATE TABLE facet_rebuild (
    issue_id bigint PRIMARY KEY REFERENCES issues(id) ON DELETE CASCADE,
    gen bigint NOT NULL DEFAULT 0
);
