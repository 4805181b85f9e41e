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
