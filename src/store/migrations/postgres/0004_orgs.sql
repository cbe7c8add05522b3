-- 0004_orgs: organization resources — member ids and pending invitations (an invitation is
-- an org_members row without a user, holding the invited address, the hash of its token and
-- when it expires), team membership, project settings and per-key rate limits; the same
-- model as SQLite's 0004_orgs.

ALTER TABLE org_members ADD COLUMN id bigserial;
ALTER TABLE org_members DROP CONSTRAINT org_members_pkey;
ALTER TABLE org_members ADD PRIMARY KEY (id);
ALTER TABLE org_members ALTER COLUMN user_id DROP NOT NULL;
ALTER TABLE org_members ADD CONSTRAINT org_members_org_user UNIQUE (org_id, user_id);
ALTER TABLE org_members ADD COLUMN email text;
ALTER TABLE org_members ADD COLUMN token_hash text;
ALTER TABLE org_members ADD COLUMN invited_by bigint REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE org_members ADD COLUMN expires double precision;
CREATE UNIQUE INDEX org_members_invite ON org_members(org_id, email) WHERE user_id IS NULL;

CREATE TABLE team_members (
    team_id bigint NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    member_id bigint NOT NULL REFERENCES org_members(id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, member_id)
);
CREATE INDEX team_members_member ON team_members(member_id);

-- A JSON object: allowedDomains, scrubIPAddresses, … (kept for later use).
ALTER TABLE projects ADD COLUMN settings text NOT NULL DEFAULT '{}';

-- rate_window seconds, rate_count events; 0 and 0: no limit.
ALTER TABLE project_keys ADD COLUMN rate_window integer NOT NULL DEFAULT 0;
ALTER TABLE project_keys ADD COLUMN rate_count integer NOT NULL DEFAULT 0;
