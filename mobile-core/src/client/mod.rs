//! The device side of Fieldline (feature `client`): a local store on SQLite, sign-in and device
//! registration, the one-round-trip sync, the route list and order views, and field actions
//! checked by the same rules the server runs. Everything but sign-in and sync works offline.
//!
//! One [`FieldClient`] per store directory. It is `Send + Sync`; its calls block (the app calls
//! them from a background thread).

mod actions;
mod dao;
mod error;
mod export;
mod http;
mod observer;
mod outbox;
mod platform;
mod push;
mod reads;
mod reference;
mod reset;
pub mod schema;
mod session;
mod store;
mod sync;
mod views;

pub use error::ClientError;
pub use export::{AccountExport, ExportedAction, OrderExport, PendingExport};
pub use observer::{ChangeObserver, Subscription};
pub use platform::{Clock, LocationSource, NoLocation, Platform, SecretStore, SystemClock};
pub use push::{PushEvent, PushListener, PushObserver, PushSettings, SyncCause};
pub use sync::MAX_UPLOAD_BYTES;
pub use views::{
    AccountInfo, ClientStatus, OrderSummary, OrderView, RegisterView, RejectionInfo, SyncReport,
};

use crate::document::automerge::ActorId;
use crate::reference::ReferenceData;
use dao::Account;
use observer::Observers;
use std::path::Path;
use std::sync::Arc;
use store::Store;

/// The database file inside a store directory.
pub const DATABASE_FILE: &str = "fieldline-device.db";
/// The file in the store directory holding the reference data the server last sent.
pub const REFERENCE_FILE: &str = "reference.json";

/// Most exchanges one [`FieldClient::sync`] makes (paging and reconciliation); past it the
/// report says `incomplete` and the next sync goes on where this one stopped.
pub const MAX_ROUND_TRIPS: u32 = 32;

/// A handheld's Fieldline client: one store directory, the user signed in to it, their orders.
#[derive(Debug)]
pub struct FieldClient {
    store: Store,
    http: http::Http,
    observers: Observers,
    reference: std::sync::RwLock<ReferenceData>,
    reference_path: std::path::PathBuf,
    app_version: String,
    platform: Platform,
    /// Held while a token is read or refreshed: a refresh token is single-use, and two threads
    /// refreshing with the same one (a sync and the push listener) would look like a stolen
    /// token to the server, which then revokes the sign-in.
    refreshing: std::sync::Mutex<()>,
}

impl FieldClient {
    /// Opens the store in `dir` (created if missing; an older store is upgraded).
    pub fn open(dir: impl AsRef<Path>) -> Result<FieldClient, ClientError> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            ClientError::Storage(format!(
                "cannot create the store directory {}: {e}",
                dir.display()
            ))
        })?;
        let store = Store::open(&dir.join(DATABASE_FILE))?;
        Ok(FieldClient {
            store,
            http: http::Http::new(),
            observers: Observers::default(),
            reference: std::sync::RwLock::new(reference::load(&dir.join(REFERENCE_FILE))),
            reference_path: dir.join(REFERENCE_FILE),
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            platform: Platform::default(),
            refreshing: std::sync::Mutex::new(()),
        })
    }

    /// Reports `version` as the app's version to the server (default: this crate's version).
    pub fn with_app_version(mut self, version: impl Into<String>) -> FieldClient {
        self.app_version = version.into();
        self
    }

    /// Uses the app's clock, location source and secret store instead of the defaults.
    pub fn with_platform(mut self, platform: Platform) -> FieldClient {
        self.platform = platform;
        self
    }

    /// Now by the platform clock, Unix milliseconds.
    fn now(&self) -> i64 {
        self.platform.clock.now_ms()
    }

    /// The app version this client reports.
    pub fn app_version(&self) -> &str {
        &self.app_version
    }

    /// The reference data (codes, policy, checklists) the rules check this device's work under:
    /// the version the server last sent (fetched during [`FieldClient::sync`] when the server's
    /// is newer), or the core's default before the first.
    pub fn reference(&self) -> ReferenceData {
        self.reference
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Calls `observer` with the ids of the orders that changed after each action or sync, until
    /// the returned subscription is dropped.
    pub fn subscribe(&self, observer: impl ChangeObserver + 'static) -> Subscription {
        self.observers.subscribe(Arc::new(observer))
    }

    /// The signed-in account, if any.
    pub fn account(&self) -> Result<Option<AccountInfo>, ClientError> {
        Ok(self
            .store
            .read(|tx| dao::active_account(tx))?
            .map(|a| account_info(&a)))
    }
}

/// The signed-in account, or "sign in first".
fn require_account(conn: &rusqlite::Connection) -> Result<Account, ClientError> {
    dao::active_account(conn)?
        .ok_or_else(|| ClientError::Unauthorized("nobody has signed in on this device".into()))
}

/// The account's current actor, created (to be registered at the next sync) if it has none.
fn current_actor(conn: &rusqlite::Connection, account_id: i64) -> Result<ActorId, ClientError> {
    let hex = match dao::current_actor(conn, account_id)? {
        Some(hex) => hex,
        None => {
            let hex = new_actor();
            dao::add_actor(conn, account_id, &hex, now_ms())?;
            hex
        }
    };
    ActorId::try_from(hex.as_str())
        .map_err(|e| ClientError::Storage(format!("a stored actor id is malformed: {e}")))
}

/// A fresh random actor id, hex.
fn new_actor() -> String {
    ActorId::from(*uuid::Uuid::new_v4().as_bytes()).to_hex_string()
}

fn account_info(account: &Account) -> AccountInfo {
    AccountInfo {
        server_url: account.server_url.clone(),
        username: account.username.clone(),
        user_id: account.user_id.clone(),
        display_name: account.display_name.clone(),
        role: account.role.clone(),
        utility: account.utility.clone(),
        device_id: account.device_id.clone(),
    }
}

/// The system clock, Unix milliseconds, for the client's own bookkeeping (sync times, actor
/// creation). What the crew's entries claim comes from the platform clock ([`Platform`]).
fn now_ms() -> i64 {
    SystemClock.now_ms()
}
