-- Follow-up orders: the order a field entry's outcome created, once per (origin order, entry,
-- kind). The primary key is what makes repeated and concurrent syncs of one entry create one
-- order; the link row and the order are written in one transaction.
CREATE TABLE follow_ups (
    utility_id      BLOB    NOT NULL,
    origin_order_id BLOB    NOT NULL,
    origin_entry_id TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    order_id        BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (utility_id, origin_order_id, origin_entry_id, kind),
    FOREIGN KEY (utility_id, origin_order_id) REFERENCES orders (utility_id, id),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE UNIQUE INDEX follow_ups_by_order ON follow_ups (utility_id, order_id);

-- Payments posted in the office. `reference` (the billing system's receipt number) is unique
-- per account, so a payment re-posted by a retry is refused instead of counted twice.
CREATE TABLE payments (
    utility_id   BLOB    NOT NULL,
    id           BLOB    NOT NULL,
    account_id   BLOB    NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    reference    TEXT,
    posted_by    BLOB    NOT NULL,
    posted_at    INTEGER NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, account_id, reference),
    FOREIGN KEY (utility_id, account_id) REFERENCES accounts (utility_id, id),
    FOREIGN KEY (utility_id, posted_by) REFERENCES users (utility_id, id)
) STRICT;

-- Blind re-reads: what the device must not see (the disputed read, the previous read, the
-- limits), kept per register beside the order, and the server's comparison once the re-read's
-- reading arrives.
CREATE TABLE re_read_values (
    utility_id  BLOB    NOT NULL,
    order_id    BLOB    NOT NULL,
    register    INTEGER NOT NULL,
    disputed    TEXT,
    previous    TEXT,
    low_limit   REAL,
    high_limit  REAL,
    PRIMARY KEY (utility_id, order_id, register),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
) STRICT;
CREATE TABLE re_read_outcomes (
    utility_id  BLOB    NOT NULL,
    order_id    BLOB    NOT NULL,
    outcome     TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    judged_at   INTEGER NOT NULL,
    PRIMARY KEY (utility_id, order_id),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
) STRICT;

-- Reference data (codes, checklists, policy) as admins publish it: every edit is a new version,
-- and every version is kept (field entries record the version they were checked under).
CREATE TABLE reference_versions (
    utility_id  BLOB    NOT NULL REFERENCES utilities (id),
    version     INTEGER NOT NULL,
    data        TEXT    NOT NULL,
    created_by  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (utility_id, version),
    FOREIGN KEY (utility_id, created_by) REFERENCES users (utility_id, id)
) STRICT;
