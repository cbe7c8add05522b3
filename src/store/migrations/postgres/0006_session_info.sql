-- 0006_session_info: what the account page shows of each sign-in session — when it was last
-- used (refreshed at most every few minutes, not on every request), and the browser's
-- User-Agent (at most 256 bytes) and client address at sign-in; the same model as SQLite's
-- 0006_session_info. Sessions from before this migration count as last used when they were
-- created and have neither. Runs inside the migration runner's transaction.

ALTER TABLE sessions ADD COLUMN last_seen double precision NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent text;
ALTER TABLE sessions ADD COLUMN ip text;
UPDATE sessions SET last_seen = created;
