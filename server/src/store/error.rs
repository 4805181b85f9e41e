//! The one error type of the storage layer. The HTTP layer maps it to status codes:
//! `NotFound` → 404, `Conflict` → 409, everything else → 500.

/// What can go wrong in a [`Store`](super::Store) call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row with that id (in that utility).
    #[error("not found")]
    NotFound,
    /// A unique value is taken, or the row changed since it was read (optimistic concurrency):
    /// the caller re-reads and retries, or tells the user.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller passed something the store cannot keep, or a stored value no longer parses.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The database URL is not one the store understands.
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
    /// The database failed.
    #[error("database: {0}")]
    Backend(#[from] sqlx::Error),
    /// A migration could not be applied.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Files around the database (its directory) could not be created.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Classifies a failed write about `what`: a unique violation is [`StoreError::Conflict`], a
    /// foreign-key violation (a reference to a row that does not exist in the utility) is
    /// [`StoreError::Invalid`], anything else stays a backend error.
    pub(crate) fn classify(err: sqlx::Error, what: &str) -> StoreError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(format!("{what} already exists"))
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::Invalid(format!("{what} refers to a row that does not exist"))
            }
            _ => StoreError::Backend(err),
        }
    }
}

/// The result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;
