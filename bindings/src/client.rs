//! The `FieldClient` object an app holds: one per store directory, `Send + Sync`, every call
//! blocking (call it off the main thread). Reads and field actions are local and take
//! milliseconds; `sign_in` and `sync` go to the server and take up to the network timeout.

use std::sync::Arc;

use fieldline_core::client as core;
use fieldline_core::field_found as core_field_found;
use fieldline_core::model::OrderType;

use crate::action::{FieldAction, PhotoRef};
use crate::capture::ProblemSeverity;
use crate::error::FieldlineError;
use crate::observer::{ObserverHandle, OrderObserver, SyncObservers, SyncState, SyncStateObserver};
use crate::platform::{self, Clock, LocationSource, SecretStore};
use crate::push::{PushAdapter, PushHandle, PushObserver};
use crate::requirements::{self, OrderRequirements};
use crate::types::{
    DeviceStatus, FieldEntry, GpsFix, OrderDetail, OrderSummary, SyncReport, UserAccount,
};

/// A handheld's Fieldline client: the store in one directory, the user signed in to it, their
/// orders. Everything but `sign_in` and `sync` works offline.
#[derive(uniffi::Object)]
pub struct FieldClient {
    inner: Arc<core::FieldClient>,
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

/// What the crew reports when it creates a field-found order.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldReport {
    /// Problem code (the field-found requirements' `code` list: `leak`, `damaged_box`...).
    pub code: String,
    /// How serious; sets the order's priority.
    pub severity: ProblemSeverity,
    /// Street address or a description of the place, as the crew knows it.
    pub address: String,
    /// Photos of the problem (at least one).
    pub photos: Vec<PhotoRef>,
    /// A note (some problem codes require one).
    #[uniffi(default = None)]
    pub note: Option<String>,
}

/// A field-found order just created on this device.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FieldFoundOrder {
    /// The new order's id.
    pub order_id: String,
    /// Its first entry: the problem.
    pub entry: FieldEntry,
}

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
            inner: Arc::new(inner),
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

    /// What `order_id`'s type asks of the crew: its steps with their choices and code lists, and
    /// the completion and not-done codes it takes, under the reference data on this device.
    /// Build the work screen from it; a step not listed is refused (`common.step`).
    pub fn requirements(&self, order_id: String) -> Result<OrderRequirements> {
        let order_type = self.inner.order(&order_id)?.office.order_type;
        Ok(requirements::requirements(
            order_type,
            &self.inner.reference(),
        ))
    }

    /// What an order of `order_type` (`turn_off`, `field_found`...) asks of the crew, before
    /// there is an order (the field-found screen). An unknown type is `FieldlineError.Other`.
    pub fn requirements_for_type(&self, order_type: String) -> Result<OrderRequirements> {
        let Some(parsed) = OrderType::parse(&order_type) else {
            return Err(FieldlineError::Other {
                detail: format!("unknown order type {order_type:?}"),
            });
        };
        Ok(requirements::requirements(parsed, &self.inner.reference()))
    }

    /// Creates a field-found order for a problem the crew found: works offline, checked by the
    /// rules (a known problem code from `requirements_for_type("field_found")`, a photo, a note
    /// when the code needs one, a GPS fix: `gps` or else the location source's). The finder
    /// works it until the office assigns it; it is uploaded at the next sync. A refusal is
    /// `FieldlineError.Validation` and writes nothing.
    #[uniffi::method(default(gps = None))]
    pub fn create_field_found(
        &self,
        report: FieldReport,
        gps: Option<GpsFix>,
    ) -> Result<FieldFoundOrder> {
        let gps = gps.map(Into::into);
        let report = core_field_found::FieldReport {
            code: report.code,
            severity: report.severity.into(),
            address: report.address,
            photos: report.photos.into_iter().map(Into::into).collect(),
            note: report.note,
        };
        let (order_id, entry) = self.inner.create_field_found(report, gps)?;
        Ok(FieldFoundOrder {
            order_id,
            entry: entry.into(),
        })
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

    /// Starts listening for pokes: the device keeps the server's poke channel open and syncs
    /// by itself when the office changes something for the signed-in user (and on every
    /// connect), reconnecting with backoff when the network drops. `observer` hears what it
    /// does; order and sync-state observers hear its syncs as they hear `sync()`. Refused at
    /// once (`Unauthorized`) when nobody is signed in. Keep the handle: dropping it stops the
    /// listener.
    pub fn start_push(&self, observer: Arc<dyn PushObserver>) -> Result<Arc<PushHandle>> {
        let adapter = PushAdapter {
            observer,
            sync_observers: Arc::clone(&self.sync_observers),
        };
        let listener = self
            .inner
            .listen_with(core::PushSettings::default(), Arc::new(adapter))?;
        Ok(PushHandle::new(listener))
    }

    /// The app version this client reports to the server.
    pub fn app_version(&self) -> String {
        self.inner.app_version().to_string()
    }
}
