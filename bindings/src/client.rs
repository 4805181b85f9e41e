//! The `FieldClient` object an app holds: one per store directory, `Send + Sync`, every call
//! blocking (call it off the main thread). Reads and field actions are local and take
//! milliseconds; `sign_in` and `sync` go to the server and take up to the network timeout.

use std::sync::Arc;

use fieldline_core::client as core;

use crate::action::FieldAction;
use crate::error::FieldlineError;
use crate::observer::{ObserverHandle, OrderObserver, SyncObservers, SyncState, SyncStateObserver};
use crate::platform::{self, Clock, LocationSource, SecretStore};
use crate::types::{
    DeviceStatus, FieldEntry, GpsFix, OrderDetail, OrderSummary, SyncReport, UserAccount,
};

/// A handheld's Fieldline client: the store in one directory, the user signed in to it, their
/// orders. Everything but `sign_in` and `sync` works offline.
#[derive(uniffi::Object)]
pub struct FieldClient {
    inner: core::FieldClient,
    sync_observers: Arc<SyncObservers>,
}

impl std::fmt::Debug for FieldClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldClient")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

type Result<T> = std::result::Result<T, FieldlineError>;

/// Forwards the core's change notifications to an app's observer.
struct OrderObserverAdapter(Arc<dyn OrderObserver>);

impl core::ChangeObserver for OrderObserverAdapter {
    fn orders_changed(&self, order_ids: Vec<String>) {
        self.0.orders_changed(order_ids);
    }
}

#[uniffi::export]
impl FieldClient {
    /// Opens (creating or upgrading) the store in `data_dir`, an app-private directory. The
    /// platform services are optional: by default the system clock, no location, and the access
    /// token kept in the store. `app_version` is what the server checks against its minimum.
    #[uniffi::constructor(default(app_version = None, clock = None, location = None, secrets = None))]
    pub fn open(
        data_dir: String,
        app_version: Option<String>,
        clock: Option<Arc<dyn Clock>>,
        location: Option<Arc<dyn LocationSource>>,
        secrets: Option<Arc<dyn SecretStore>>,
    ) -> Result<Arc<FieldClient>> {
        let mut inner = core::FieldClient::open(&data_dir)?
            .with_platform(platform::platform(clock, location, secrets));
        if let Some(version) = app_version {
            inner = inner.with_app_version(version);
        }
        Ok(Arc::new(FieldClient {
            inner,
            sync_observers: Arc::default(),
        }))
    }

    /// Signs `username` in to `server_url` (`https://fieldline.example.org`) and registers this
    /// device as `device_name`. Needs the network. Another user's unsynced work on this device
    /// stays theirs and waits for them.
    #[uniffi::method(default(utility = None))]
    pub fn sign_in(
        &self,
        server_url: String,
        username: String,
        password: String,
        device_name: String,
        utility: Option<String>,
    ) -> Result<UserAccount> {
        Ok(self
            .inner
            .sign_in_with_utility(
                &server_url,
                &username,
                &password,
                &device_name,
                utility.as_deref(),
            )?
            .into())
    }

    /// The signed-in user, if any.
    pub fn account(&self) -> Result<Option<UserAccount>> {
        Ok(self.inner.account()?.map(UserAccount::from))
    }

    /// Uploads this device's work and brings in the office's: one round trip in the common case.
    /// Sync-state observers hear `Syncing`, then `Synced` or `Failed`; order observers hear which
    /// orders changed. A failure keeps every edit.
    pub fn sync(&self) -> Result<SyncReport> {
        self.sync_observers.notify(&SyncState::Syncing);
        match self.inner.sync() {
            Ok(report) => {
                let report = SyncReport::from(report);
                self.sync_observers.notify(&SyncState::Synced {
                    report: report.clone(),
                });
                Ok(report)
            }
            Err(err) => {
                let err = FieldlineError::from(err);
                self.sync_observers.notify(&SyncState::Failed {
                    kind: err.kind(),
                    message: err.to_string(),
                });
                Err(err)
            }
        }
    }

    /// The whole route in walk order (route, walk sequence, due time), in one call.
    pub fn orders(&self) -> Result<Vec<OrderSummary>> {
        Ok(self
            .inner
            .orders()?
            .into_iter()
            .map(OrderSummary::from)
            .collect())
    }

    /// One order in full: office data, field record, derived status and exceptions.
    pub fn order(&self, order_id: String) -> Result<OrderDetail> {
        Ok(self.inner.order(&order_id)?.into())
    }

    /// Records any field action, checked by the rules; durable when it returns. Without `gps`
    /// the location source's current fix is used. A refusal is `FieldlineError.Validation` and
    /// writes nothing.
    #[uniffi::method(default(gps = None))]
    pub fn record(
        &self,
        order_id: String,
        action: FieldAction,
        gps: Option<GpsFix>,
    ) -> Result<FieldEntry> {
        let entry = match gps {
            Some(fix) => self
                .inner
                .record_with(&order_id, action.into(), Some(fix.into()))?,
            None => self.inner.record(&order_id, action.into())?,
        };
        Ok(entry.into())
    }

    /// A keyed reading of one register (`record` with `FieldAction.Reading` for more). Pass the
    /// blind re-key as `confirmation` when a refusal asked for it.
    #[uniffi::method(default(confirmation = None))]
    pub fn reading(
        &self,
        order_id: String,
        register: u32,
        value: String,
        confirmation: Option<String>,
    ) -> Result<FieldEntry> {
        Ok(self
            .inner
            .reading(&order_id, register, &value, confirmation.as_deref())?
            .into())
    }

    /// Where the device stands: the signed-in user, pending changes, last sync, rejections.
    pub fn status(&self) -> Result<DeviceStatus> {
        Ok(self.inner.status()?.into())
    }

    /// Changes on this device the server has not acknowledged.
    pub fn pending_changes(&self) -> Result<u64> {
        Ok(self.status()?.pending_changes)
    }

    /// The last successful sync, Unix milliseconds.
    pub fn last_sync_at_ms(&self) -> Result<Option<i64>> {
        Ok(self.status()?.last_sync_at_ms)
    }

    /// Calls `observer` with the ids of the orders that change (after actions and syncs) until
    /// the handle is cancelled or dropped.
    pub fn observe_orders(&self, observer: Arc<dyn OrderObserver>) -> Arc<ObserverHandle> {
        let subscription = self.inner.subscribe(OrderObserverAdapter(observer));
        ObserverHandle::new(move || drop(subscription))
    }

    /// Calls `observer` when a sync starts and ends until the handle is cancelled or dropped.
    pub fn observe_sync_state(&self, observer: Arc<dyn SyncStateObserver>) -> Arc<ObserverHandle> {
        self.sync_observers.subscribe(observer)
    }

    /// The app version this client reports to the server.
    pub fn app_version(&self) -> String {
        self.inner.app_version().to_string()
    }
}
