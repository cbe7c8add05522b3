-- 0001_init: the first schema of snag on PostgreSQL, the same model as SQLite's 0001_init:
-- accounts, organizations, projects, keys, issues (aggregates) and events (immutable rows
-- with the columns queries need). Times are double precision epoch seconds (the API's unit,
-- exact round trips); JSON is text; event bodies are bytea.
--
-- events is range-partitioned by received time, one partition per UTC day, so retention
-- drops whole days. A unique index on a partitioned table must contain the partition key,
-- so the (project_id, event_id) dedupe lives in the small table event_ids, written in the
-- same transaction as the event; it also locates an event (row_id, received) for lookups
-- by event_id. Runs inside the migration runner's transaction: no BEGIN/COMMIT here.

CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    is_superuser boolean NOT NULL DEFAULT false,
    created double precision NOT NULL
);

CREATE TABLE api_tokens (
    id bigserial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    label text NOT NULL DEFAULT '',
    scopes text NOT NULL DEFAULT '',
    created double precision NOT NULL,
    last_used double precision
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE organizations (
    id bigserial PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    created double precision NOT NULL
);

CREATE TABLE org_members (
    org_id bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role text NOT NULL,
    created double precision NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);

CREATE TABLE teams (
    id bigserial PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slug text NOT NULL,
    name text NOT NULL,
    created double precision NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    org_id bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slug text NOT NULL,
    name text NOT NULL,
    platform text,
    created double precision NOT NULL,
    issue_counter bigint NOT NULL DEFAULT 0,
    UNIQUE (org_id, slug)
);

CREATE TABLE project_teams (
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    team_id bigint NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, team_id)
);
CREATE INDEX project_teams_team ON project_teams(team_id);

CREATE TABLE project_keys (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    public_key text NOT NULL UNIQUE,
    label text NOT NULL DEFAULT '',
    active boolean NOT NULL DEFAULT true,
    created double precision NOT NULL
);
CREATE INDEX project_keys_project ON project_keys(project_id);

CREATE TABLE issues (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    hash text NOT NULL,
    short_num bigint NOT NULL,
    title text NOT NULL DEFAULT '',
    culprit text NOT NULL DEFAULT '',
    type text NOT NULL DEFAULT 'error',
    level text NOT NULL DEFAULT 'error',
    status text NOT NULL DEFAULT 'unresolved'
        CHECK (status IN ('unresolved', 'resolved', 'ignored')),
    metadata text NOT NULL DEFAULT '{}',
    platform text,
    logger text,
    first_seen double precision NOT NULL,
    last_seen double precision NOT NULL,
    times_seen bigint NOT NULL DEFAULT 0,
    user_count bigint NOT NULL DEFAULT 0,
    UNIQUE (project_id, hash)
);
CREATE INDEX issues_project_last_seen ON issues(project_id, last_seen);
CREATE INDEX issues_project_first_seen ON issues(project_id, first_seen);
CREATE INDEX issues_project_times_seen ON issues(project_id, times_seen);
CREATE INDEX issues_project_status ON issues(project_id, status);

-- Distinct users per issue: one row per (issue, user key); user_count mirrors its size.
CREATE TABLE issue_users (
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    user_key text NOT NULL,
    PRIMARY KEY (issue_id, user_key)
);

CREATE TABLE events (
    id bigserial,
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    issue_id bigint NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    event_id text NOT NULL,
    timestamp double precision NOT NULL,
    received double precision NOT NULL,
    level text,
    platform text,
    environment text,
    release text,
    transaction_name text,
    user_key text,
    message text,
    data bytea,
    PRIMARY KEY (id, received)
) PARTITION BY RANGE (received);
CREATE INDEX events_issue_received ON events(issue_id, received, id);

-- One row per stored event: the dedupe key and where the event lives. Written first in the
-- ingest transaction (INSERT … ON CONFLICT DO NOTHING claims the event_id); deleted with
-- the event (issue delete; retention by received).
CREATE TABLE event_ids (
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    event_id text NOT NULL,
    row_id bigint NOT NULL,
    received double precision NOT NULL,
    PRIMARY KEY (project_id, event_id)
);
CREATE INDEX event_ids_received ON event_ids(received);

-- Events outside every daily partition (far past or future clocks, or a maintenance job
-- that fell behind) land here, so an insert never fails for want of a partition.
CREATE TABLE events_default PARTITION OF events DEFAULT;

-- Creates the daily partitions events_YYYYMMDD for the UTC days first .. first + days - 1
-- that do not exist yet; returns how many it created. Partition maintenance calls it
-- ahead of time (a new day's partition must exist before rows for it reach the default).
CREATE FUNCTION snag_events_add_partitions(first date, days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    made integer := 0;
    lo double precision;
BEGIN
    FOR i IN 0 .. days - 1 LOOP
        d := first + i;
        CONTINUE WHEN to_regclass(format('events_%s', to_char(d, 'YYYYMMDD'))) IS NOT NULL;
        lo := extract(epoch FROM d::timestamp);
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%s) TO (%s)',
                       'events_' || to_char(d, 'YYYYMMDD'), lo, lo + 86400);
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;

SELECT snag_events_add_partitions(((now() AT TIME ZONE 'UTC')::date) - 7, 15);
