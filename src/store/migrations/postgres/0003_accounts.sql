-- 0003_accounts: sign-in sessions, two-factor authentication (TOTP secret, the last time
-- step used, one-time recovery codes) and the organization flag that requires it, the same
-- model as SQLite's 0003_accounts. Only hashes of session ids and recovery codes are stored.

CREATE TABLE sessions (
    id_hash text PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    pending_2fa boolean NOT NULL DEFAULT false,
    created double precision NOT NULL,
    expires double precision NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE user_totp (
    user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret text NOT NULL,
    enabled boolean NOT NULL DEFAULT false,
    last_step bigint NOT NULL DEFAULT -1,
    created double precision NOT NULL
);

CREATE TABLE recovery_codes (
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash text NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE organizations ADD COLUMN require_2fa boolean NOT NULL DEFAULT false;
