-- Fieldline's first schema, SQLite flavour (times are INTEGER Unix milliseconds, ids are
-- 16-byte UUID BLOBs). Every table carries utility_id, part of every key, except
-- signing_keys: token signing keys are server-wide (a token names its utility in a claim).
-- Append-only: change the schema in a new file.

CREATE TABLE utilities (
    id                BLOB    NOT NULL PRIMARY KEY,
    slug              TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    next_order_number INTEGER NOT NULL DEFAULT 1,
    created_at        INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    utility_id    BLOB    NOT NULL REFERENCES utilities (id),
    id            BLOB    NOT NULL,
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('reader', 'inspector', 'dispatcher', 'supervisor', 'admin')),
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, username)
) STRICT;
CREATE INDEX users_by_username ON users (username);

CREATE TABLE signing_keys (
    kid         TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    public_key  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;

CREATE TABLE premises (
    utility_id   BLOB NOT NULL REFERENCES utilities (id),
    id           BLOB NOT NULL,
    address      TEXT NOT NULL,
    city         TEXT NOT NULL,
    lat          REAL,
    lon          REAL,
    access_notes TEXT,
    hazards      TEXT NOT NULL DEFAULT '[]',
    service_area TEXT,
    book         TEXT,
    PRIMARY KEY (utility_id, id)
) STRICT;
CREATE INDEX premises_by_address ON premises (utility_id, address);

CREATE TABLE accounts (
    utility_id       BLOB    NOT NULL,
    id               BLOB    NOT NULL,
    number           TEXT    NOT NULL,
    premise_id       BLOB    NOT NULL,
    customer_name    TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('active', 'inactive', 'locked')),
    balance_cents    INTEGER NOT NULL,
    past_due_cents   INTEGER NOT NULL,
    notice_served_at INTEGER,
    medical_hold     INTEGER NOT NULL,
    life_support     INTEGER NOT NULL,
    payment_plan     INTEGER NOT NULL,
    as_of            INTEGER NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, number),
    FOREIGN KEY (utility_id, premise_id) REFERENCES premises (utility_id, id)
) STRICT;
CREATE INDEX accounts_by_premise ON accounts (utility_id, premise_id);

CREATE TABLE meters (
    utility_id    BLOB NOT NULL,
    id            BLOB NOT NULL,
    serial        TEXT NOT NULL,
    premise_id    BLOB,
    size          TEXT NOT NULL,
    location_code TEXT,
    status        TEXT NOT NULL,
    installed_at  INTEGER,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, serial),
    FOREIGN KEY (utility_id, premise_id) REFERENCES premises (utility_id, id)
) STRICT;
CREATE INDEX meters_by_premise ON meters (utility_id, premise_id);

CREATE TABLE meter_registers (
    utility_id   BLOB    NOT NULL,
    meter_id     BLOB    NOT NULL,
    number       INTEGER NOT NULL,
    dials_left   INTEGER NOT NULL,
    dials_right  INTEGER NOT NULL,
    multiplier   INTEGER NOT NULL,
    unit         TEXT    NOT NULL,
    last_read    TEXT,
    last_read_at INTEGER,
    low_limit    REAL,
    high_limit   REAL,
    PRIMARY KEY (utility_id, meter_id, number),
    FOREIGN KEY (utility_id, meter_id) REFERENCES meters (utility_id, id)
) STRICT;

CREATE TABLE meter_reads (
    utility_id BLOB    NOT NULL,
    meter_id   BLOB    NOT NULL,
    register   INTEGER NOT NULL,
    read_at    INTEGER NOT NULL,
    value      TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('actual', 'estimated')),
    PRIMARY KEY (utility_id, meter_id, register, read_at),
    FOREIGN KEY (utility_id, meter_id, register)
        REFERENCES meter_registers (utility_id, meter_id, number)
) STRICT;

CREATE TABLE routes (
    utility_id       BLOB NOT NULL REFERENCES utilities (id),
    id               BLOB NOT NULL,
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    cycle            TEXT,
    book             TEXT,
    scheduled_day    TEXT,
    default_assignee BLOB,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, code),
    FOREIGN KEY (utility_id, default_assignee) REFERENCES users (utility_id, id)
) STRICT;

CREATE TABLE orders (
    utility_id  BLOB    NOT NULL REFERENCES utilities (id),
    id          BLOB    NOT NULL,
    number      INTEGER NOT NULL,
    order_type  TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    priority    TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    assignee_id BLOB,
    route_id    BLOB,
    sequence    INTEGER,
    premise_id  BLOB,
    account_id  BLOB,
    meter_id    BLOB,
    lat         REAL,
    lon         REAL,
    due_at      INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    exceptions  TEXT    NOT NULL DEFAULT '[]',
    version     INTEGER NOT NULL,
    doc         BLOB    NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, number),
    FOREIGN KEY (utility_id, assignee_id) REFERENCES users (utility_id, id),
    FOREIGN KEY (utility_id, route_id) REFERENCES routes (utility_id, id),
    FOREIGN KEY (utility_id, premise_id) REFERENCES premises (utility_id, id),
    FOREIGN KEY (utility_id, account_id) REFERENCES accounts (utility_id, id),
    FOREIGN KEY (utility_id, meter_id) REFERENCES meters (utility_id, id)
) STRICT;
CREATE INDEX orders_by_status ON orders (utility_id, status, number);
CREATE INDEX orders_by_type ON orders (utility_id, order_type, number);
CREATE INDEX orders_by_assignee ON orders (utility_id, assignee_id, number);
CREATE INDEX orders_by_route ON orders (utility_id, route_id, sequence);

-- The audit trail: every automerge change of every order, with who, from where and when.
CREATE TABLE order_changes (
    utility_id   BLOB    NOT NULL,
    order_id     BLOB    NOT NULL,
    position     INTEGER NOT NULL,
    change_hash  TEXT    NOT NULL,
    change_bytes BLOB    NOT NULL,
    actor        TEXT    NOT NULL,
    user_id      BLOB,
    device_id    BLOB,
    device_time  INTEGER,
    received_at  INTEGER NOT NULL,
    summary      TEXT    NOT NULL,
    PRIMARY KEY (utility_id, order_id, position),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id),
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id)
) STRICT;
CREATE INDEX order_changes_by_hash ON order_changes (utility_id, change_hash);
