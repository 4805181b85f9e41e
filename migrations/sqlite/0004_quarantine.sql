-- Quarantine, SQLite flavour: uploaded changes the trusted merge refused (a permission, the
-- schema, a limit or a rule that held as the device saw the order), kept with why and who, never
-- merged and never silently dropped. Append-only: change the schema in a new file.

CREATE TABLE quarantined_changes (
    utility_id   BLOB    NOT NULL REFERENCES utilities (id),
    order_id     BLOB    NOT NULL,
    change_hash  TEXT    NOT NULL,
    change_bytes BLOB    NOT NULL,
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    rule         TEXT,
    field        TEXT,
    device_id    BLOB    NOT NULL,
    user_id      BLOB    NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (utility_id, order_id, change_hash),
    FOREIGN KEY (utility_id, device_id) REFERENCES devices (utility_id, id),
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id)
) STRICT;
CREATE INDEX quarantined_changes_by_time ON quarantined_changes (utility_id, received_at);
