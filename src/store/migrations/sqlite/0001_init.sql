-- 0001_init: the first schema of snag on SQLite: accounts, organizations, projects, keys,
-- issues (aggregates) and events (immutable rows with the columns queries need).
-- Times are REAL epoch seconds; booleans are INTEGER 0/1; JSON is TEXT.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    is_superuser INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    scopes TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    last_used REAL
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created REAL NOT NULL
);

CREATE TABLE org_members (
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX org_members_user ON org_members(user_id);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT,
    created REAL NOT NULL,
    issue_counter INTEGER NOT NULL DEFAULT 0,
    UNIQUE (org_id, slug)
);

CREATE TABLE project_teams (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, team_id)
) WITHOUT ROWID;
CREATE INDEX project_teams_team ON project_teams(team_id);

CREATE TABLE project_keys (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    public_key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL
);
CREATE INDEX project_keys_project ON project_keys(project_id);

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    short_num INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    culprit TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL DEFAULT 'error',
    level TEXT NOT NULL DEFAULT 'error',
    status TEXT NOT NULL DEFAULT 'unresolved'
        CHECK (status IN ('unresolved', 'resolved', 'ignored')),
    metadata TEXT NOT NULL DEFAULT '{}',
    platform TEXT,
    logger TEXT,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    times_seen INTEGER NOT NULL DEFAULT 0,
    user_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (project_id, hash)
);
CREATE INDEX issues_project_last_seen ON issues(project_id, last_seen);
CREATE INDEX issues_project_first_seen ON issues(project_id, first_seen);
CREATE INDEX issues_project_times_seen ON issues(project_id, times_seen);
CREATE INDEX issues_project_status ON issues(project_id, status);

-- Distinct users per issue: one row per (issue, user key); user_count mirrors its size.
CREATE TABLE issue_users (
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_key TEXT NOT NULL,
    PRIMARY KEY (issue_id, user_key)
) WITHOUT ROWID;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id INTEGER NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    timestamp REAL NOT NULL,
    received REAL NOT NULL,
    level TEXT,
    platform TEXT,
    environment TEXT,
    release TEXT,
    transaction_name TEXT,
    user_key TEXT,
    message TEXT,
    data BLOB,
    UNIQUE (project_id, event_id)
);
CREATE INDEX events_issue_received ON events(issue_id, received);
