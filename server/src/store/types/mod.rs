//! The plain data the [`Store`](super::Store) takes and returns: ids, paging, and one file per
//! area (tenancy and sign-in, the utility's network of premises and meters, work orders).

mod equipment;
mod follow_ups;
mod network;
mod orders;
mod payments;
mod quarantine;
mod re_reads;
mod reference;
mod sync;
mod tenancy;
mod tokens;

pub use equipment::*;
pub use follow_ups::*;
pub use network::*;
pub use orders::*;
pub use payments::*;
pub use quarantine::*;
pub use re_reads::*;
pub use reference::*;
pub use sync::*;
pub use tenancy::*;
pub use tokens::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// The utility a row belongs to. Every query carries one, so one server can host several
/// utilities and a user of one never sees another's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UtilityId(pub Uuid);

impl UtilityId {
    /// A fresh random id.
    pub fn new_v4() -> UtilityId {
        UtilityId(Uuid::new_v4())
    }
}

impl fmt::Display for UtilityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Which slice of a long list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// At most this many items (the store caps it at [`PageRequest::MAX_LIMIT`]).
    pub limit: u32,
    /// Skip this many items first.
    pub offset: u32,
}

impl PageRequest {
    /// The largest page the store returns.
    pub const MAX_LIMIT: u32 = 1_000;

    /// The first page of `limit` items.
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, offset: 0 }
    }

    /// The limit, capped at [`PageRequest::MAX_LIMIT`].
    pub fn capped_limit(&self) -> i64 {
        i64::from(self.limit.min(Self::MAX_LIMIT))
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::first(50)
    }
}

/// One page of a list and the total number of matching items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page, in the list's order.
    pub items: Vec<T>,
    /// How many items match in all pages.
    pub total: i64,
}

/// Milliseconds since the Unix epoch: how the store keeps every time (INTEGER on SQLite,
/// BIGINT on PostgreSQL), so both backends order and compare times the same way.
pub(crate) fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The inverse of [`to_millis`]; `None` only for times outside chrono's range.
pub(crate) fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(ms)
}
