-- Seals and meters the field installed, per utility: a seal number or a new meter's serial
-- recorded on two orders is an exception for the office on both (a crew's device only knows the
-- seals and stock it was given). One row per (number, order, entry), so a repeated sync writes
-- nothing. `equipment_numbers` holds one row per number, upserted first by every writer of that
-- number: the row lock makes a second crew's transaction wait for the first's commit and then
-- see its install.
CREATE TABLE equipment_numbers (
    utility_id  UUID    NOT NULL REFERENCES utilities (id),
    kind        TEXT    NOT NULL,
    number      TEXT    NOT NULL,
    PRIMARY KEY (utility_id, kind, number)
);
CREATE TABLE installed_equipment (
    utility_id   UUID    NOT NULL,
    kind         TEXT    NOT NULL,
    number       TEXT    NOT NULL,
    order_id     UUID    NOT NULL,
    entry_id     TEXT    NOT NULL,
    installed_at BIGINT  NOT NULL,
    PRIMARY KEY (utility_id, kind, number, order_id, entry_id),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id)
);
CREATE INDEX installed_equipment_by_order ON installed_equipment (utility_id, order_id);
