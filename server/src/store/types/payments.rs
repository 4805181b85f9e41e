//! Payments posted to accounts in the office.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A payment to post to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// Its id.
    pub id: Uuid,
    /// The account paid.
    pub account_id: Uuid,
    /// How much, in cents (positive).
    pub amount_cents: i64,
    /// The billing system's receipt number; unique per account when given.
    pub reference: Option<String>,
    /// The office user who posted it.
    pub posted_by: Uuid,
    /// When it was posted (also the account's new `as_of`).
    pub posted_at: DateTime<Utc>,
}
