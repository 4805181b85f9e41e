-- Quarantine, PostgreSQL flavour: uploaded changes the trusted merge refused (a permission, the
-- schema, a limit or a rule that held as the device saw the order), kept with why and who, never
-- merged and never silently dropped. Append-only: change the schema in a new file.

CREATE TABLE quarantined_changes (
    utility_id   UUID    NOT NULL REFERENCES utilities (id),
    order_id     UUID    NOT NULL,
    change_hash  TEXT    NOT NULL,
    change_bytes BYTEA   NOT NULL,
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    rule         TEXT,
    field        TEXT,
    device_id    UUID    NOT NULL,
    user_id      UUID    NOT NULL,
    received_at  BIGINT  NOT NULL,
    PRIMARY KEY (utility_id, order_id, change_hash),
    FOREIGN KEY (utility_id, device_id) REFERENCES devices (utility_id, id),
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id)
);
CREATE INDEX quarantined_changes_by_time ON quarantined_changes (utility_id, received_at);
