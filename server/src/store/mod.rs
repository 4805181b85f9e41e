//! Storage: one trait, SQLite and PostgreSQL implementations over sqlx.
