-- Token lifecycle, SQLite flavour: device revocation and the refresh tokens devices keep.
-- Append-only: change the schema in a new file.

-- When an admin revoked the device (NULL while it may sync). Nothing it uploaded is deleted.
ALTER TABLE devices ADD COLUMN revoked_at INTEGER;

-- Opaque refresh tokens, stored as the SHA-256 of the token (the token itself is never stored).
-- Each is bound to one device of one user; rotating one marks it used and adds the next of its
-- family. Presenting a used token again revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash BLOB    NOT NULL PRIMARY KEY,
    utility_id BLOB    NOT NULL REFERENCES utilities (id),
    family_id  BLOB    NOT NULL,
    user_id    BLOB    NOT NULL,
    device_id  BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER,
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id),
    FOREIGN KEY (utility_id, device_id) REFERENCES devices (utility_id, id)
) STRICT;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (utility_id, family_id);
CREATE INDEX refresh_tokens_by_device ON refresh_tokens (utility_id, device_id);
