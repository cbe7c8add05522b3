-- 0007_password_resets: the one live password-reset link of each user. Only the SHA-256 of
-- the link's token is kept; a newer request replaces the older link, using it or resetting
-- the password deletes it, and it stops working at expires.

CREATE TABLE password_resets (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL
);
