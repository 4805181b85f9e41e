//! Pokes across server instances through PostgreSQL: [`Notifier`] sends
//! `pg_notify('fieldline_poke', '<utility>:<user>[,<user>...]')` after a commit; a background
//! listener `LISTEN`s on the same channel and hands pokes from other instances to the local hub.
//! The listener reconnects with bounded backoff and, after any gap, pokes every local connection
//! once, since pokes sent during the gap are gone (a spare poke only costs one sync).
//!
//! Pokes this instance sent come back to it too; delivering them again is harmless.

use super::{POKE_CHANNEL, Push};
use crate::store::UtilityId;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// Users per notification: PostgreSQL caps a payload below 8,000 bytes; a user id takes 37.
const USERS_PER_NOTIFY: usize = 150;
/// How long a poke may wait for the database before it is given up (and logged).
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);
/// First wait after the listener lost the database; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest wait between two attempts to listen again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Sends pokes to the other instances over a small pool of its own.
pub(super) struct Notifier {
    pool: PgPool,
}

impl Notifier {
    /// A notifier for `url` (connects lazily); `None` when the URL cannot be parsed.
    pub(super) fn new(url: &str) -> Option<Notifier> {
        match PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(NOTIFY_TIMEOUT)
            .connect_lazy(url)
        {
            Ok(pool) => Some(Notifier { pool }),
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "pokes stay on this instance: the database URL is unusable for NOTIFY"
                );
                None
            }
        }
    }

    /// Sends one notification per [`USERS_PER_NOTIFY`] users; failures are logged.
    pub(super) async fn notify(&self, utility: UtilityId, users: &[Uuid]) {
        for chunk in users.chunks(USERS_PER_NOTIFY) {
            let payload = encode(utility, chunk);
            let sent = tokio::time::timeout(
                NOTIFY_TIMEOUT,
                sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(POKE_CHANNEL)
                    .bind(payload)
                    .execute(&self.pool),
            )
            .await;
            match sent {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(%utility, error = %e, "poke not sent to other instances")
                }
                Err(_) => tracing::warn!(%utility, "poke not sent to other instances: timed out"),
            }
        }
    }
}

/// `<utility>:<user>[,<user>...]`.
pub(super) fn encode(utility: UtilityId, users: &[Uuid]) -> String {
    let users: Vec<String> = users.iter().map(Uuid::to_string).collect();
    format!("{utility}:{}", users.join(","))
}

/// Reads a payload made by [`encode`]; `None` when it is not one.
pub(super) fn decode(payload: &str) -> Option<(UtilityId, Vec<Uuid>)> {
    let (utility, users) = payload.split_once(':')?;
    let utility = UtilityId(utility.parse().ok()?);
    let users = users
        .split(',')
        .map(|u| u.parse().ok())
        .collect::<Option<Vec<Uuid>>>()?;
    Some((utility, users))
}

/// Starts the listener task. It ends when `shutdown` turns true or the hub is dropped.
pub(super) fn spawn_listener(
    url: String,
    push: Weak<Push>,
    shutdown: watch::Receiver<bool>,
    listening: Arc<AtomicBool>,
) {
    tokio::spawn(async move {
        listen_loop(&url, &push, shutdown, &listening).await;
        listening.store(false, Ordering::Release);
        tracing::debug!("poke listener stopped");
    });
}

async fn listen_loop(
    url: &str,
    push: &Weak<Push>,
    mut shutdown: watch::Receiver<bool>,
    listening: &AtomicBool,
) {
    let mut backoff = MIN_BACKOFF;
    let mut had_gap = false;
    loop {
        let attempt = async {
            let mut listener = PgListener::connect(url).await?;
            listener.listen(POKE_CHANNEL).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let connected = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            connected = attempt => connected,
        };
        match connected {
            Ok(mut listener) => {
                listening.store(true, Ordering::Release);
                backoff = MIN_BACKOFF;
                if had_gap && !deliver_everyone(push) {
                    return;
                }
                tracing::debug!(
                    channel = POKE_CHANNEL,
                    "listening for pokes from other instances"
                );
                loop {
                    let received = tokio::select! {
                        _ = shutdown.wait_for(|stop| *stop) => return,
                        received = listener.try_recv() => received,
                    };
                    match received {
                        Ok(Some(notification)) => {
                            if !deliver(push, notification.payload()) {
                                return;
                            }
                        }
                        // The connection dropped and was re-established: pokes may be lost.
                        Ok(None) => {
                            if !deliver_everyone(push) {
                                return;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "poke listener lost the database");
                            break;
                        }
                    }
                }
                listening.store(false, Ordering::Release);
            }
            Err(e) => {
                let retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
                tracing::warn!(error = %e, retry_in_ms, "poke listener cannot listen");
            }
        }
        had_gap = true;
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Hands a notification to the hub; `false` when the hub is gone.
fn deliver(push: &Weak<Push>, payload: &str) -> bool {
    let Some(push) = push.upgrade() else {
        return false;
    };
    match decode(payload) {
        Some((utility, users)) => push.poke_local(utility, &users),
        // The payload holds ids only, but it is not ours: note its size, not its text.
        None => tracing::debug!(
            bytes = payload.len(),
            "ignored a malformed poke notification"
        ),
    }
    true
}

/// Pokes everyone connected here; `false` when the hub is gone.
fn deliver_everyone(push: &Weak<Push>) -> bool {
    match push.upgrade() {
        Some(push) => {
            push.poke_everyone_local();
            true
        }
        None => false,
    }
}
