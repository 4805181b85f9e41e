//! Change notifications for a UI: an observer is called with the ids of the orders that changed
//! after an action or a sync, and stays registered while its [`Subscription`] lives (dropping the
//! handle cancels it, as matrix-rust-sdk's `TaskHandle`). Observers are called after the change
//! is committed, outside every lock, so one may call back into the client.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

/// Something that wants to know which orders changed. The FFI turns it into a foreign trait.
pub trait ChangeObserver: Send + Sync {
    /// Called once per action or sync with the ids of the orders that changed.
    fn orders_changed(&self, order_ids: Vec<String>);
}

impl<F: Fn(Vec<String>) + Send + Sync> ChangeObserver for F {
    fn orders_changed(&self, order_ids: Vec<String>) {
        self(order_ids)
    }
}

type Registry = Mutex<(u64, BTreeMap<u64, Arc<dyn ChangeObserver>>)>;

/// The observers of one client.
#[derive(Default)]
pub(crate) struct Observers {
    registry: Arc<Registry>,
}

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observers")
    }
}

impl Observers {
    /// Registers `observer` until the returned handle is dropped.
    pub(crate) fn subscribe(&self, observer: Arc<dyn ChangeObserver>) -> Subscription {
        let mut guard = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        guard.0 += 1;
        let id = guard.0;
        guard.1.insert(id, observer);
        Subscription {
            registry: Arc::downgrade(&self.registry),
            id,
        }
    }

    /// Tells every observer that `order_ids` changed (nothing when the list is empty).
    pub(crate) fn notify(&self, order_ids: &[String]) {
        if order_ids.is_empty() {
            return;
        }
        let observers: Vec<Arc<dyn ChangeObserver>> = {
            let guard = self.registry.lock().unwrap_or_else(|e| e.into_inner());
            guard.1.values().cloned().collect()
        };
        for observer in observers {
            observer.orders_changed(order_ids.to_vec());
        }
    }
}

/// Keeps an observer registered; dropping it stops the notifications.
#[must_use = "the observer is removed when the subscription is dropped"]
pub struct Subscription {
    registry: Weak<Registry>,
    id: u64,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(registry) = self.registry.upgrade() {
            let mut guard = registry.lock().unwrap_or_else(|e| e.into_inner());
            guard.1.remove(&self.id);
        }
    }
}
