//! A handheld for end-to-end tests: the core's real [`FieldClient`] on a store directory of its
//! own, signed in to a [`TestServer`]. The client's calls block (the app makes them from a
//! background thread), so [`Handheld::run`] runs them on tokio's blocking pool, off the runtime
//! that also serves the test server. The store directory is removed when the handheld drops.

use crate::{PASSWORD, TestServer};
use fieldline_core::Status;
use fieldline_core::client::{ClientError, FieldClient, Platform, SyncReport};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use uuid::Uuid;

/// A signed-in device; see the module documentation.
#[derive(Debug)]
pub struct Handheld {
    client: Arc<FieldClient>,
    dir: PathBuf,
}

impl Handheld {
    /// Opens a fresh store and signs `user` in (with [`PASSWORD`]) on the default platform
    /// (system clock, no location).
    pub async fn sign_in(server: &TestServer, user: &str) -> Handheld {
        Handheld::sign_in_with(server, user, Platform::default()).await
    }

    /// [`Handheld::sign_in`] with the app's `platform` (a fixed clock, a GPS source).
    pub async fn sign_in_with(server: &TestServer, user: &str, platform: Platform) -> Handheld {
        let dir = std::env::temp_dir().join(format!("fieldline-device-{}", Uuid::new_v4()));
        let url = server.base_url.clone();
        let user = user.to_string();
        let store = dir.clone();
        let client = tokio::task::spawn_blocking(move || {
            let client = FieldClient::open(&store)
                .unwrap_or_else(|e| panic!("cannot open the device store: {e}"))
                .with_platform(platform);
            client
                .sign_in(&url, &user, PASSWORD, &format!("{user}'s handheld"))
                .unwrap_or_else(|e| panic!("{user} cannot sign in: {e}"));
            client
        })
        .await
        .unwrap_or_else(|e| panic!("device task: {e}"));
        Handheld {
            client: Arc::new(client),
            dir,
        }
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

    /// The order's status as this device derives it; panics when the device lacks the order.
    pub async fn status(&self, order: &str) -> Status {
        let order = order.to_string();
        self.run(move |c| c.order(&order))
            .await
            .unwrap_or_else(|e| panic!("the device does not hold the order: {e}"))
            .status
    }

    /// The store directory (to reopen it, or to check what is on disk).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes the store directory now (dropping the handheld does the same).
    pub fn cleanup(self) {
        drop(self);
    }
}

impl Drop for Handheld {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
