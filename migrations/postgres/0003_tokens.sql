-- Token lifecycle, PostgreSQL flavour: device revocation and the refresh tokens devices keep.
-- Append-only: change the schema in a new file.

-- When an admin revoked the device (NULL while it may sync). Nothing it uploaded is deleted.
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;

-- Opaque refresh tokens, stored as the SHA-256 of the token (the token itself is never stored).
-- Each is bound to one device of one user; rotating one marks it used and adds the next of its
-- family. Presenting a used token again revokes the whole family.
CREATE TABLE refresh_tokens (
    token_hash BYTEA   NOT NULL PRIMARY KEY,
    utility_id UUID    NOT NULL REFERENCES utilities (id),
    family_id  UUID    NOT NULL,
    user_id    UUID    NOT NULL,
    device_id  UUID    NOT NULL,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id),
    FOREIGN KEY (utility_id, device_id) REFERENCES devices (utility_id, id)
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (utility_id, family_id);
CREATE INDEX refresh_tokens_by_device ON refresh_tokens (utility_id, device_id);
