-- Fieldline's first schema, PostgreSQL flavour (times are BIGINT Unix milliseconds, as on
-- SQLite, so both backends compare and order them the same way). Every table carries
-- utility_id, part of every key (the future shard key), except signing_keys:
-- token signing keys are server-wide (a token names its utility in a claim).
-- Append-only: change the schema in a new file.

CREATE TABLE utilities (
    id                UUID    NOT NULL PRIMARY KEY,
    slug              TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    next_order_number BIGINT NOT NULL DEFAULT 1,
    created_at        BIGINT NOT NULL
);

CREATE TABLE users (
    utility_id    UUID    NOT NULL REFERENCES utilities (id),
    id            UUID    NOT NULL,
    username      TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('reader', 'inspector', 'dispatcher', 'supervisor', 'admin')),
    password_hash TEXT    NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, username)
);
CREATE INDEX users_by_username ON users (username);

CREATE TABLE signing_keys (
    kid         TEXT    NOT NULL PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BYTEA    NOT NULL,
    public_key  BYTEA    NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE TABLE premises (
    utility_id   UUID NOT NULL REFERENCES utilities (id),
    id           UUID NOT NULL,
    address      TEXT NOT NULL,
    city         TEXT NOT NULL,
    lat          DOUBLE PRECISION,
    lon          DOUBLE PRECISION,
    access_notes TEXT,
    hazards      TEXT NOT NULL DEFAULT '[]',
    service_area TEXT,
    book         TEXT,
    PRIMARY KEY (utility_id, id)
);
CREATE INDEX premises_by_address ON premises (utility_id, address);

CREATE TABLE accounts (
    utility_id       UUID    NOT NULL,
    id               UUID    NOT NULL,
    number           TEXT    NOT NULL,
    premise_id       UUID    NOT NULL,
    customer_name    TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('active', 'inactive', 'locked')),
    balance_cents    BIGINT NOT NULL,
    past_due_cents   BIGINT NOT NULL,
    notice_served_at BIGINT,
    medical_hold     BOOLEAN NOT NULL,
    life_support     BOOLEAN NOT NULL,
    payment_plan     BOOLEAN NOT NULL,
    as_of            BIGINT NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, number),
    FOREIGN KEY (utility_id, premise_id) REFERENCES premises (utility_id, id)
);
CREATE INDEX accounts_by_premise ON accounts (utility_id, premise_id);

CREATE TABLE meters (
    utility_id    UUID NOT NULL,
    id            UUID NOT NULL,
    serial        TEXT NOT NULL,
    premise_id    UUID,
    size          TEXT NOT NULL,
    location_code TEXT,
    status        TEXT NOT NULL,
    installed_at  BIGINT,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, serial),
    FOREIGN KEY (utility_id, premise_id) REFERENCES premises (utility_id, id)
);
CREATE INDEX meters_by_premise ON meters (utility_id, premise_id);

CREATE TABLE meter_registers (
    utility_id   UUID    NOT NULL,
    meter_id     UUID    NOT NULL,
    number       BIGINT NOT NULL,
    dials_left   BIGINT NOT NULL,
    dials_right  BIGINT NOT NULL,
    multiplier   BIGINT NOT NULL,
    unit         TEXT    NOT NULL,
    last_read    TEXT,
    last_read_at BIGINT,
    low_limit    DOUBLE PRECISION,
    high_limit   DOUBLE PRECISION,
    PRIMARY KEY (utility_id, meter_id, number),
    FOREIGN KEY (utility_id, meter_id) REFERENCES meters (utility_id, id)
);

CREATE TABLE meter_reads (
    utility_id UUID    NOT NULL,
    meter_id   UUID    NOT NULL,
    register   BIGINT NOT NULL,
    read_at    BIGINT NOT NULL,
    value      TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('actual', 'estimated')),
    PRIMARY KEY (utility_id, meter_id, register, read_at),
    FOREIGN KEY (utility_id, meter_id, register)
        REFERENCES meter_registers (utility_id, meter_id, number)
);

CREATE TABLE routes (
    utility_id       UUID NOT NULL REFERENCES utilities (id),
    id               UUID NOT NULL,
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    cycle            TEXT,
    book             TEXT,
    scheduled_day    TEXT,
    default_assignee UUID,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, code),
    FOREIGN KEY (utility_id, default_assignee) REFERENCES users (utility_id, id)
);

CREATE TABLE orders (
    utility_id  UUID    NOT NULL REFERENCES utilities (id),
    id          UUID    NOT NULL,
    number      BIGINT NOT NULL,
    order_type  TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    priority    TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    assignee_id UUID,
    route_id    UUID,
    sequence    BIGINT,
    premise_id  UUID,
    account_id  UUID,
    meter_id    UUID,
    lat         DOUBLE PRECISION,
    lon         DOUBLE PRECISION,
    due_at      BIGINT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    exceptions  TEXT    NOT NULL DEFAULT '[]',
    version     BIGINT NOT NULL,
    doc         BYTEA    NOT NULL,
    PRIMARY KEY (utility_id, id),
    UNIQUE (utility_id, number),
    FOREIGN KEY (utility_id, assignee_id) REFERENCES users (utility_id, id),
    FOREIGN KEY (utility_id, route_id) REFERENCES routes (utility_id, id),
    FOREIGN KEY (utility_id, premise_id) REFERENCES premises (utility_id, id),
    FOREIGN KEY (utility_id, account_id) REFERENCES accounts (utility_id, id),
    FOREIGN KEY (utility_id, meter_id) REFERENCES meters (utility_id, id)
);
CREATE INDEX orders_by_status ON orders (utility_id, status, number);
CREATE INDEX orders_by_type ON orders (utility_id, order_type, number);
CREATE INDEX orders_by_assignee ON orders (utility_id, assignee_id, number);
CREATE INDEX orders_by_route ON orders (utility_id, route_id, sequence);

-- The audit trail: every automerge change of every order, with who, from where and when.
CREATE TABLE order_changes (
    utility_id   UUID    NOT NULL,
    order_id     UUID    NOT NULL,
    position     BIGINT NOT NULL,
    change_hash  TEXT    NOT NULL,
    change_bytes BYTEA    NOT NULL,
    actor        TEXT    NOT NULL,
    user_id      UUID,
    device_id    UUID,
    device_time  BIGINT,
    received_at  BIGINT NOT NULL,
    summary      TEXT    NOT NULL,
    PRIMARY KEY (utility_id, order_id, position),
    FOREIGN KEY (utility_id, order_id) REFERENCES orders (utility_id, id),
    FOREIGN KEY (utility_id, user_id) REFERENCES users (utility_id, id)
);
CREATE INDEX order_changes_by_hash ON order_changes (utility_id, change_hash);
