//! Pokes: tell connected devices "something changed for you" so they sync now instead of at
//! their next timer. A poke carries no data (the data always moves through `POST /api/v1/sync`),
//! so a lost or duplicated poke costs at most one sync. On PostgreSQL pokes also cross server
//! instances through `LISTEN`/`NOTIFY` (see `postgres.rs`); on SQLite (one process) they stay
//! local.
//!
//! [`Push`] is the hub: [`Push::subscribe`] for a WebSocket connection, [`Push::poke`] /
//! [`Push::poke_for_changes`] after a commit, [`Push::shutdown`] when the server stops.

mod pacer;
mod postgres;
mod registry;
pub mod socket;
#[cfg(test)]
mod tests;

pub use pacer::Pacer;

use crate::config::PushConfig;
use crate::store::UtilityId;
use registry::{Registry, SharedRegistry, UserKey};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::watch;
use uuid::Uuid;

/// The PostgreSQL notification channel pokes travel on between instances.
pub const POKE_CHANNEL: &str = "fieldline_poke";

/// The poke hub of one server instance. Built once per [`AppState`](crate::AppState).
pub struct Push {
    config: PushConfig,
    registry: SharedRegistry,
    shutdown: watch::Sender<bool>,
    transport: Option<postgres::Notifier>,
    listening: Arc<AtomicBool>,
}

impl std::fmt::Debug for Push {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Push")
            .field("cross_instance", &self.transport.is_some())
            .field("listening", &self.is_listening())
            .finish_non_exhaustive()
    }
}

/// What a connection waits for: the next thing it must tell its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushEvent {
    /// Something changed for the user: sync.
    Changed,
    /// The user opened more connections than allowed and this is the oldest.
    Evicted,
    /// The server is stopping.
    ShuttingDown,
}

impl Push {
    /// A hub for one process only (SQLite, or tests): pokes reach connections of this instance.
    pub fn local(config: PushConfig) -> Arc<Push> {
        Arc::new(Push {
            config,
            registry: Arc::new(Registry::default()),
            shutdown: watch::channel(false).0,
            transport: None,
            listening: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A hub that also sends and receives pokes through PostgreSQL at `database_url` (with a
    /// background listener that reconnects and stops at [`Push::shutdown`] or when the hub is
    /// dropped). Falls back to [`Push::local`] when the URL cannot be used.
    /// Must be called inside a tokio runtime.
    pub fn with_postgres(config: PushConfig, database_url: &str) -> Arc<Push> {
        let Some(notifier) = postgres::Notifier::new(database_url) else {
            return Push::local(config);
        };
        let push = Arc::new(Push {
            config,
            registry: Arc::new(Registry::default()),
            shutdown: watch::channel(false).0,
            transport: Some(notifier),
            listening: Arc::new(AtomicBool::new(false)),
        });
        postgres::spawn_listener(
            database_url.to_string(),
            Arc::downgrade(&push),
            push.shutdown.subscribe(),
            Arc::clone(&push.listening),
        );
        push
    }

    /// The settings connections use (limits, timers).
    pub fn config(&self) -> &PushConfig {
        &self.config
    }

    /// Registers a connection of `user`. Pokes made from now on reach it. When the user already
    /// has `max_connections_per_user` connections, the oldest gets [`PushEvent::Evicted`].
    pub fn subscribe(&self, utility: UtilityId, user: Uuid) -> Subscription {
        let key = (utility, user);
        let registered = self
            .registry
            .register(key, self.config.max_connections_per_user);
        Subscription {
            registry: Arc::clone(&self.registry),
            key,
            id: registered.id,
            changes: registered.changes,
            evicted: registered.evicted,
            shutdown: self.shutdown.subscribe(),
        }
    }

    /// Pokes `users` of `utility`: on this instance at once, and on the others through
    /// PostgreSQL when configured. Never fails: a poke that cannot be sent is logged and the
    /// device finds the change at its next sync anyway.
    pub async fn poke(&self, utility: UtilityId, users: &[Uuid]) {
        let mut users = users.to_vec();
        users.sort_unstable();
        users.dedup();
        if users.is_empty() {
            return;
        }
        let reached = self.registry.poke(utility, &users);
        tracing::debug!(%utility, users = users.len(), reached, "poke");
        if let Some(notifier) = &self.transport {
            notifier.notify(utility, &users).await;
        }
    }

    /// Pokes whoever may see an order change: for each changed order, its assignee before the
    /// change (it may have lost the order: revocation) and after it.
    pub async fn poke_for_changes(
        &self,
        utility: UtilityId,
        changes: &[(Option<Uuid>, Option<Uuid>)],
    ) {
        let users: Vec<Uuid> = changes
            .iter()
            .flat_map(|(before, after)| [*before, *after])
            .flatten()
            .collect();
        self.poke(utility, &users).await;
    }

    /// Pokes after a device upload committed: the current assignees of the orders it changed
    /// (after a reassignment, the old crew's work reaches the new one), except the uploading
    /// user, whose device has just synced and would only sync again.
    pub async fn poke_after_upload(
        &self,
        utility: UtilityId,
        uploader: Uuid,
        assignees: &[Option<Uuid>],
    ) {
        let users: Vec<Uuid> = assignees
            .iter()
            .flatten()
            .copied()
            .filter(|user| *user != uploader)
            .collect();
        self.poke(utility, &users).await;
    }

    /// Delivers a poke that arrived from another instance to this instance's connections.
    fn poke_local(&self, utility: UtilityId, users: &[Uuid]) {
        self.registry.poke(utility, users);
    }

    /// Tells every connection here that something may have changed (after a gap in the
    /// cross-instance feed, when pokes may have been lost).
    fn poke_everyone_local(&self) {
        self.registry.poke_everyone();
    }

    /// Open connections of `user` on this instance.
    pub fn connections(&self, utility: UtilityId, user: Uuid) -> usize {
        self.registry.connections((utility, user))
    }

    /// `true` once this instance receives pokes from other instances (PostgreSQL `LISTEN` is
    /// active); always `false` for a local hub.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// `true` when pokes cross instances (PostgreSQL).
    pub fn is_cross_instance(&self) -> bool {
        self.transport.is_some()
    }

    /// Stops the hub: every connection gets [`PushEvent::ShuttingDown`], the listener stops.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl Drop for Push {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// One connection's registration: yields what to tell the client; unregisters when dropped.
#[derive(Debug)]
pub struct Subscription {
    registry: SharedRegistry,
    key: UserKey,
    id: u64,
    changes: watch::Receiver<u64>,
    evicted: watch::Receiver<bool>,
    shutdown: watch::Receiver<bool>,
}

impl Subscription {
    /// Waits for the next event. Any number of pokes since the last [`PushEvent::Changed`] (or
    /// [`Subscription::mark_seen`]) give one `Changed`.
    pub async fn next(&mut self) -> PushEvent {
        tokio::select! {
            biased;
            _ = self.shutdown.wait_for(|stop| *stop) => PushEvent::ShuttingDown,
            // An error means the sender is gone, which happens only once this was evicted.
            _ = self.evicted.wait_for(|evicted| *evicted) => PushEvent::Evicted,
            changed = self.changes.changed() => match changed {
                Ok(()) => {
                    self.changes.borrow_and_update();
                    PushEvent::Changed
                }
                Err(_) => PushEvent::Evicted,
            },
        }
    }

    /// `true` when a poke arrived that [`Subscription::next`] has not reported yet.
    pub fn has_pending(&self) -> bool {
        self.changes.has_changed().unwrap_or(false)
    }

    /// Folds pokes that arrived so far into the change about to be reported.
    pub fn mark_seen(&mut self) {
        self.changes.borrow_and_update();
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.registry.unregister(self.key, self.id);
    }
}
