-- 0004_orgs: organization resources — member ids and pending invitations (an invitation is
-- an org_members row without a user, holding the invited address, the hash of its token and
-- when it expires), team membership, project settings and per-key rate limits.
-- org_members is rebuilt with an id column (a WITHOUT ROWID table cannot gain one).

CREATE TABLE org_members_new (
    id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created REAL NOT NULL,
    email TEXT,
    token_hash TEXT,
    invited_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    expires REAL,
    UNIQUE (org_id, user_id)
);
INSERT INTO org_members_new (org_id, user_id, role, created)
    SELECT org_id, user_id, role, created FROM org_members ORDER BY org_id, created, user_id;
DROP TABLE org_members;
ALTER TABLE org_members_new RENAME TO org_members;
CREATE INDEX org_members_user ON org_members(user_id);
CREATE UNIQUE INDEX org_members_invite ON org_members(org_id, email) WHERE user_id IS NULL;

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES org_members(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, member_id)
) WITHOUT ROWID;
CREATE INDEX team_members_member ON team_members(member_id);

-- A JSON object: allowedDomains, scrubIPAddresses, … (kept for later use).
ALTER TABLE projects ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

-- rate_window seconds, rate_count events; 0 and 0: no limit.
ALTER TABLE project_keys ADD COLUMN rate_window INTEGER NOT NULL DEFAULT 0;
ALTER TABLE project_keys ADD COLUMN rate_count INTEGER NOT NULL DEFAULT 0;
