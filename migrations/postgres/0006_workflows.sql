-- Follow-up orders: the order a field entry's outcome created, once per (origin order, entry,
-- kind). The primary key is what makes repeated and concurrent syncs of one entry create one
-- order; the link row and the order are written in one transaction.
CREATE TABLE follow_ups (
    utility_id      UUID    NOT NULL,
    origin_order_id UUID    NOT NULL,
    origin_entry_id TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    order_id        UUID    NOT NULL,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (utility_id, origin_order_id, origin_entry_id, kind),
    FOREIGN KEY (utility_id, origin_order_id) REFERENCES orders (utility_id, id),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX follow_ups_by_order ON follow_ups (utility_id, order_id);

-- Payments posted in the office. `reference` (the billing system's receipt number) is unique
-- per account, so a payment re-posted by a retry is refused instead of counted twice.
CREATE TABLE payments (
    utility_id   UUID    NOT NULL,
    id           UUID    NOT NULL,
    account_id   UUID    NOT NULL,
    amount_cents BIGINT  NOT NULL CHECK (amount_cents > 0),
    reference    TEXT,
    posted_by    UUID    NOT NULL,
    posted_at    BIGINT  NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, account_id, reference),
    FOREIGN KEY (utility_id, account_id) REFERENCES accounts (utility_id, id),
    FOREIGN KEY (utility_id, posted_by) REFERENCES users (utility_id, id)
);

-- Blind re-reads: what the device must not see (the disputed read, the previous read, the
-- limits), kept per register beside the order, and the server's comparison once the re-read's
-- reading arrives.
CREATE TABLE re_read_values (
    utility_id  UUID    NOT NULL,
    order_id    UUID    NOT NULL,
    register    BIGINT  NOT NULL,
    disputed    TEXT,
    previous    TEXT,
    low_limit   DOUBLE PRECISION,
    high_limit  DOUBLE PRECISION,
    PRIMARY KEY (utility_id, order_id, register),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
);
CREATE TABLE re_read_outcomes (
    utility_id  UUID    NOT NULL,
    order_id    UUID    NOT NULL,
    outcome     TEXT    NOT NULL,
    entry_id    TEXT    NOT NULL,
    detail      TEXT    NOT NULL,
    judged_at   BIGINT  NOT NULL,
    PRIMARY KEY (utility_id, order_id),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
);

-- Reference data (codes, checklists, policy) as admins publish it: every edit is a new version,
-- and every version is kept (field entries record the version they were checked under).
CREATE TABLE reference_versions (
    utility_id  UUID    NOT NULL REFERENCES utilities (id),
    version     BIGINT  NOT NULL,
    data        TEXT    NOT NULL,
    created_by  UUID    NOT NULL,
    created_at  BIGINT  NOT NULL,
    PRIMARY KEY (utility_id, version),
    FOREIGN KEY (utility_id, created_by) REFERENCES users (utility_id, id)
);
