-- 0007_password_resets: the one live password-reset link of each user, the same model as
-- SQLite's 0007_password_resets. Only the SHA-256 of the link's token is kept; a newer
-- request replaces the older link, using it or resetting the password deletes it, and it
-- stops working at expires. Runs inside the migration runner's transaction.

CREATE TABLE password_resets (
    user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash text NOT NULL,
    created double precision NOT NULL,
    expires double precision NOT NULL
);
