-- Sync, PostgreSQL flavour: devices and the automerge actors bound to them, and the per-utility
-- change feed devices follow with a cursor. Append-only: change the schema in a new file.

-- The feed's counter: the last position handed out in this utility. Taking a position updates
-- this row, whose lock is held to commit, so positions become visible in order (see
-- store/sql/feed.rs).
ALTER TABLE utilities ADD COLUMN feed_head BIGINT NOT NULL DEFAULT 0;

CREATE TABLE devices (
    utility_id       UUID    NOT NULL REFERENCES utilities (id),
    id               UUID    NOT NULL,
    user_id          UUID    NOT NULL,
    name             TEXT    NOT NULL,
    app_version      TEXT    NOT NULL,
    protocol_version BIGINT NOT NULL,
    registered_at    BIGINT NOT NULL,
    last_sync_at     BIGINT,
    PRIMARY KEY (utility_id, id),
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id)
);

-- An actor belongs to exactly one device, forever: who wrote a change is decided from here.
CREATE TABLE device_actors (
    utility_id UUID    NOT NULL,
    actor      TEXT    NOT NULL,
    device_id  UUID    NOT NULL,
    user_id    UUID    NOT NULL,
    bound_at   BIGINT NOT NULL,
    PRIMARY KEY (utility_id, actor),
    FOREIGN KEY (utility_id, device_id) REFERENCES devices (utility_id, id),
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id)
);
CREATE INDEX device_actors_by_device ON device_actors (utility_id, device_id);

-- One entry per transaction that changed an order, with who it was assigned to before and after.
CREATE TABLE order_feed (
    utility_id      UUID    NOT NULL REFERENCES utilities (id),
    position        BIGINT NOT NULL,
    order_id        UUID    NOT NULL,
    assignee_before UUID,
    assignee_after  UUID,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (utility_id, position),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
);
CREATE INDEX order_feed_by_before ON order_feed (utility_id, assignee_before, position);
CREATE INDEX order_feed_by_after ON order_feed (utility_id, assignee_after, position);

-- The feed position that appended each change (NULL for changes logged before this migration).
ALTER TABLE order_changes ADD COLUMN feed_position BIGINT;
CREATE INDEX order_changes_by_feed ON order_changes (utility_id, order_id, feed_position);

-- Orders stored before this migration get one feed entry each (in office-number order) and their
-- logged changes that entry's position, so the feed describes every order from position 1 (a
-- device's first sync can then be paged through the feed).
INSERT INTO order_feed (utility_id, position, order_id, assignee_before, assignee_after, created_at)
SELECT utility_id, ROW_NUMBER() OVER (PARTITION BY utility_id ORDER BY number), id, NULL,
       assignee_id, updated_at
FROM orders;
UPDATE utilities SET feed_head = (SELECT COUNT(*) FROM orders WHERE orders.utility_id = utilities.id);
UPDATE order_changes SET feed_position = (
    SELECT f.position FROM order_feed f
    WHERE f.utility_id = order_changes.utility_id AND f.order_id = order_changes.order_id
);
