//! Who is connected: one `watch` channel per (utility, user) that every connection of that user
//! reads, and the per-user connection limit. A poke only bumps a counter, so it never waits on a
//! slow connection and a burst of pokes reads as one change.

use crate::store::UtilityId;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::watch;
use uuid::Uuid;

/// A connected user: their utility and id.
pub(super) type UserKey = (UtilityId, Uuid);

/// The connections of every connected user.
#[derive(Debug, Default)]
pub(super) struct Registry {
    users: Mutex<HashMap<UserKey, Slot>>,
    next_id: std::sync::atomic::AtomicU64,
}

/// One user's poke channel and connections, oldest first.
#[derive(Debug)]
struct Slot {
    changes: watch::Sender<u64>,
    connections: VecDeque<(u64, watch::Sender<bool>)>,
}

/// What a new connection gets from [`Registry::register`].
pub(super) struct Registered {
    pub id: u64,
    pub changes: watch::Receiver<u64>,
    pub evicted: watch::Receiver<bool>,
}

impl Registry {
    fn users(&self) -> MutexGuard<'_, HashMap<UserKey, Slot>> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a connection for `key`; past `limit`, the user's oldest connections are told to go.
    pub(super) fn register(&self, key: UserKey, limit: usize) -> Registered {
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (evict_tx, evicted) = watch::channel(false);
        let mut users = self.users();
        let slot = users.entry(key).or_insert_with(|| Slot {
            changes: watch::channel(0).0,
            connections: VecDeque::new(),
        });
        while slot.connections.len() >= limit.max(1) {
            if let Some((old, tx)) = slot.connections.pop_front() {
                tracing::info!(
                    connection = old,
                    user_id = %key.1,
                    limit,
                    "push connection replaced by a newer one"
                );
                let _ = tx.send(true);
            }
        }
        slot.connections.push_back((id, evict_tx));
        Registered {
            id,
            changes: slot.changes.subscribe(),
            evicted,
        }
    }

    /// Removes a connection (when it ends); forgets the user when it was their last.
    pub(super) fn unregister(&self, key: UserKey, id: u64) {
        let mut users = self.users();
        if let Some(slot) = users.get_mut(&key) {
            slot.connections.retain(|(c, _)| *c != id);
            if slot.connections.is_empty() {
                users.remove(&key);
            }
        }
    }

    /// Marks a change for every connection of these users; users not connected here are skipped.
    pub(super) fn poke(&self, utility: UtilityId, users: &[Uuid]) -> usize {
        let map = self.users();
        let mut reached = 0;
        for user in users {
            if let Some(slot) = map.get(&(utility, *user)) {
                slot.changes.send_modify(|n| *n = n.wrapping_add(1));
                reached += slot.connections.len();
            }
        }
        reached
    }

    /// Marks a change for everyone connected here (after pokes from elsewhere may have been lost).
    pub(super) fn poke_everyone(&self) {
        for slot in self.users().values() {
            slot.changes.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// How many connections `key` has here.
    pub(super) fn connections(&self, key: UserKey) -> usize {
        self.users()
            .get(&key)
            .map(|slot| slot.connections.len())
            .unwrap_or(0)
    }
}

/// Shared so a [`Subscription`](super::Subscription) can remove itself when dropped.
pub(super) type SharedRegistry = Arc<Registry>;
