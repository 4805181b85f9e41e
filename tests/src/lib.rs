//! Harness for Fieldline's end-to-end tests: start a real server on 127.0.0.1:0 with a fresh
//! store (SQLite in a temp dir, or a fresh PostgreSQL database when `FIELDLINE_TEST_POSTGRES_URL`
//! is set) and talk to it over HTTP.
