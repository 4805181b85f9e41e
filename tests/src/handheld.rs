//! A handheld for end-to-end tests: the core's real [`FieldClient`] on a store directory of its
//! own, signed in to a [`TestServer`]. The client's calls block (the app makes them from a
//! background thread), so [`Handheld::run`] runs them on tokio's blocking pool, off the runtime
//! that also serves the test server. The store directory is removed when the handheld drops
//! (unless the caller owns it: [`Handheld::open_at`]).

mod tokens;

use crate::{PASSWORD, TestServer};
use fieldline_core::client::{ClientError, FieldClient, Platform, SyncReport};
use fieldline_core::{Status, WorkOrderDoc};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

/// A signed-in device; see the module documentation.
#[derive(Debug)]
pub struct Handheld {
    client: Arc<FieldClient>,
    dir: PathBuf,
    /// The directory belongs to the caller ([`Handheld::open_at`]): left on drop.
    keep_dir: bool,
}

impl Handheld {
    /// Opens a fresh store on the default platform (system clock, no location), signed in as
    /// nobody yet: see [`Handheld::sign_in_as`].
    pub async fn open() -> Handheld {
        Handheld::open_with(Platform::default()).await
    }

    /// [`Handheld::open`] with the app's `platform` (a fixed clock, a GPS source).
    pub async fn open_with(platform: Platform) -> Handheld {
        let dir = std::env::temp_dir().join(format!("fieldline-device-{}", Uuid::new_v4()));
        let store = dir.clone();
        let client = tokio::task::spawn_blocking(move || {
            FieldClient::open(&store)
                .unwrap_or_else(|e| panic!("cannot open the device store: {e}"))
                .with_platform(platform)
        })
        .await
        .unwrap_or_else(|e| panic!("device task: {e}"));
        Handheld {
            client: Arc::new(client),
            dir,
            keep_dir: false,
        }
    }

    /// Opens (or reopens) the device store in `home`, which the caller owns: a handheld that
    /// restarts on the same store, or one another process also uses. The directory is left in
    /// place on drop.
    pub async fn open_at(home: &Path) -> Handheld {
        let dir = home.to_path_buf();
        let store = dir.clone();
        let client = tokio::task::spawn_blocking(move || {
            FieldClient::open(&store)
                .unwrap_or_else(|e| panic!("cannot open the device store: {e}"))
        })
        .await
        .unwrap_or_else(|e| panic!("device task: {e}"));
        Handheld {
            client: Arc::new(client),
            dir,
            keep_dir: true,
        }
    }

    /// Opens a fresh store and signs `user` in (with [`PASSWORD`]) on the default platform
    /// (system clock, no location).
    pub async fn sign_in(server: &TestServer, user: &str) -> Handheld {
        Handheld::sign_in_with(server, user, Platform::default()).await
    }

    /// [`Handheld::sign_in`] with the app's `platform` (a fixed clock, a GPS source).
    pub async fn sign_in_with(server: &TestServer, user: &str, platform: Platform) -> Handheld {
        let handheld = Handheld::open_with(platform).await;
        handheld.sign_in_as(server, user).await;
        handheld
    }

    /// Signs `user` in on this handheld (with [`PASSWORD`]): again after tokens expired, or
    /// another user taking the device over.
    pub async fn sign_in_as(&self, server: &TestServer, user: &str) {
        self.sign_in_to(&server.base_url, user).await;
    }

    /// [`Handheld::sign_in_as`] against the server at `base_url` (one in another process).
    pub async fn sign_in_to(&self, base_url: &str, user: &str) {
        let url = base_url.to_string();
        let user = user.to_string();
        let name = format!("{user}'s handheld");
        self.run(move |c| c.sign_in(&url, &user, PASSWORD, &name))
            .await
            .unwrap_or_else(|e| panic!("cannot sign in: {e}"));
    }

    /// Runs blocking client calls on the blocking pool and returns what they returned.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FieldClient) -> Result<T, ClientError> + Send + 'static,
    ) -> Result<T, ClientError> {
        let client = Arc::clone(&self.client);
        tokio::task::spawn_blocking(move || f(&client))
            .await
            .unwrap_or_else(|e| panic!("device task: {e}"))
    }

    /// Starts blocking client calls on the blocking pool now, to await later: several devices
    /// syncing at once, or a call the test interrupts (a server killed under it).
    pub fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FieldClient) -> Result<T, ClientError> + Send + 'static,
    ) -> tokio::task::JoinHandle<Result<T, ClientError>> {
        let client = Arc::clone(&self.client);
        tokio::task::spawn_blocking(move || f(&client))
    }

    /// Syncs once; panics when the sync fails or the server rejected any change.
    pub async fn sync(&self) -> SyncReport {
        let report = self
            .run(|c| c.sync())
            .await
            .unwrap_or_else(|e| panic!("sync failed: {e}"));
        assert_eq!(
            report.rejected, 0,
            "the server rejected changes: {report:?}"
        );
        report
    }

    /// Syncs once and returns what the client answered, refusals and rejections included.
    pub async fn try_sync(&self) -> Result<SyncReport, ClientError> {
        self.run(|c| c.sync()).await
    }

    /// The order's status as this device derives it; panics when the device lacks the order.
    pub async fn status(&self, order: &str) -> Status {
        let order = order.to_string();
        self.run(move |c| c.order(&order))
            .await
            .unwrap_or_else(|e| panic!("the device does not hold the order: {e}"))
            .status
    }

    /// The device's copy of the order's document; panics when the device lacks the order.
    pub async fn doc(&self, order: &str) -> WorkOrderDoc {
        let order = order.to_string();
        self.run(move |c| c.document(&order))
            .await
            .unwrap_or_else(|e| panic!("the device does not hold the order: {e}"))
    }

    /// The ids of the orders the device holds, as it lists them.
    pub async fn order_ids(&self) -> Vec<String> {
        self.run(|c| c.orders())
            .await
            .unwrap_or_else(|e| panic!("the device cannot list its orders: {e}"))
            .into_iter()
            .map(|o| o.order_id)
            .collect()
    }

    /// The device's replica of an order: its document as JSON and what the device derives
    /// from it (status, assignee, exceptions), to compare with the server's.
    pub async fn replica(&self, order: &str) -> (Value, Value) {
        let doc = self.doc(order).await;
        let json = doc
            .to_json()
            .unwrap_or_else(|e| panic!("the device's document reads as JSON: {e}"));
        let derived = doc
            .derive()
            .unwrap_or_else(|e| panic!("the device's document derives: {e}"));
        let derived = serde_json::to_value(derived)
            .unwrap_or_else(|e| panic!("the derivation serializes: {e}"));
        (json, derived)
    }

    /// The client itself, for quick calls that need no blocking pool (its signed-in account).
    pub fn client(&self) -> &FieldClient {
        &self.client
    }

    /// The store directory (to reopen it, or to check what is on disk).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes the store directory now (dropping the handheld does the same), unless the
    /// caller owns it ([`Handheld::open_at`]).
    pub fn cleanup(self) {
        drop(self);
    }
}

impl Drop for Handheld {
    fn drop(&mut self) {
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
