//! Observers for a UI: the orders that changed (after an action or a sync) and the sync state.
//! Each `observe_*` call returns an [`ObserverHandle`]; the observer stays registered while the
//! handle lives, and `cancel()` or dropping the handle (Kotlin `close()`/`use {}`, Swift
//! `deinit`, Python `del`) stops it. Observers are called on the thread that made the call that
//! caused the change, after the change is committed and outside every lock: they may call back
//! into the client, but should hand UI work to the main thread.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::error::FailureKind;
use crate::types::SyncReport;

/// Told which orders changed.
#[uniffi::export(foreign)]
pub trait OrderObserver: Send + Sync {
    /// Called once per action or sync with the ids of the orders that changed.
    fn orders_changed(&self, order_ids: Vec<String>);
}

/// Where a sync stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// A sync started.
    Syncing,
    /// The sync finished.
    Synced {
        /// What it did.
        report: SyncReport,
    },
    /// The sync failed; no work was lost.
    Failed {
        /// What the app can do about it (see `FieldlineError`).
        kind: FailureKind,
        /// Why.
        message: String,
    },
}

/// Told how syncs go.
#[uniffi::export(foreign)]
pub trait SyncStateObserver: Send + Sync {
    /// Called when a sync starts and when it ends.
    fn sync_state_changed(&self, state: SyncState);
}

type Cancel = Box<dyn FnOnce() + Send>;

/// Keeps an observer registered. `cancel()` or dropping the handle unregisters it.
#[derive(uniffi::Object)]
pub struct ObserverHandle {
    cancel: Mutex<Option<Cancel>>,
}

impl ObserverHandle {
    pub(crate) fn new(cancel: impl FnOnce() + Send + 'static) -> Arc<ObserverHandle> {
        Arc::new(ObserverHandle {
            cancel: Mutex::new(Some(Box::new(cancel))),
        })
    }

    fn run_cancel(&self) {
        let cancel = self.cancel.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(cancel) = cancel {
            cancel();
        }
    }
}

#[uniffi::export]
impl ObserverHandle {
    /// Stops the notifications now (idempotent). In Kotlin `close()` does the same and frees the
    /// handle.
    pub fn cancel(&self) {
        self.run_cancel();
    }

    /// The observer is still registered.
    pub fn is_active(&self) -> bool {
        self.cancel
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

impl Drop for ObserverHandle {
    fn drop(&mut self) {
        self.run_cancel();
    }
}

impl std::fmt::Debug for ObserverHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObserverHandle")
            .field("active", &self.is_active())
            .finish()
    }
}

/// The last id handed out, and the registered observers by id.
type Registry = (u64, BTreeMap<u64, Arc<dyn SyncStateObserver>>);

/// The sync-state observers of one client.
#[derive(Default)]
pub(crate) struct SyncObservers {
    registry: Mutex<Registry>,
}

impl SyncObservers {
    /// Registers `observer` until the returned handle is cancelled or dropped.
    pub(crate) fn subscribe(
        self: &Arc<Self>,
        observer: Arc<dyn SyncStateObserver>,
    ) -> Arc<ObserverHandle> {
        let id = {
            let mut guard = self.registry.lock().unwrap_or_else(|e| e.into_inner());
            guard.0 += 1;
            let id = guard.0;
            guard.1.insert(id, observer);
            id
        };
        let registry = Arc::downgrade(self);
        ObserverHandle::new(move || {
            if let Some(registry) = registry.upgrade() {
                let mut guard = registry.registry.lock().unwrap_or_else(|e| e.into_inner());
                guard.1.remove(&id);
            }
        })
    }

    /// Tells every observer (outside the lock, so one may call back into the client).
    pub(crate) fn notify(&self, state: &SyncState) {
        let observers: Vec<Arc<dyn SyncStateObserver>> = {
            let guard = self.registry.lock().unwrap_or_else(|e| e.into_inner());
            guard.1.values().cloned().collect()
        };
        for observer in observers {
            observer.sync_state_changed(state.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<SyncState>>);

    impl SyncStateObserver for Recorder {
        fn sync_state_changed(&self, state: SyncState) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(state);
        }
    }

    #[test]
    fn a_cancelled_or_dropped_handle_stops_the_observer() {
        let observers = Arc::new(SyncObservers::default());
        let first = Arc::new(Recorder::default());
        let second = Arc::new(Recorder::default());
        let first_handle = observers.subscribe(first.clone());
        let second_handle = observers.subscribe(second.clone());
        observers.notify(&SyncState::Syncing);
        first_handle.cancel();
        assert!(!first_handle.is_active());
        first_handle.cancel();
        observers.notify(&SyncState::Syncing);
        drop(second_handle);
        observers.notify(&SyncState::Syncing);
        assert_eq!(first.0.lock().unwrap().len(), 1);
        assert_eq!(second.0.lock().unwrap().len(), 2);
    }
}
