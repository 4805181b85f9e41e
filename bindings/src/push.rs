//! Listening for pokes: `FieldClient.start_push(observer)` keeps the server's poke channel open
//! and syncs by itself whenever the office changes something for the signed-in user (and once
//! on every connect), until `PushHandle.stop()` or until the handle is dropped. The syncs it runs
//! are ordinary syncs: order observers hear which orders changed, and sync-state observers hear
//! `Syncing` / `Synced` / `Failed` as for `sync()`. The push observer is called on the
//! listener's own threads; hand UI work to the main thread.

use std::sync::Arc;

use fieldline_core::client as core;

use crate::error::{FailureKind, FieldlineError};
use crate::observer::{SyncObservers, SyncState};
use crate::types::SyncReport;

/// Why the listener ran a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncCause {
    /// The channel was (re)opened: pokes may have been missed while it was down.
    Connected,
    /// The server said something changed for this user.
    Poked,
}

impl From<core::SyncCause> for SyncCause {
    fn from(cause: core::SyncCause) -> Self {
        match cause {
            core::SyncCause::Connected => SyncCause::Connected,
            core::SyncCause::Poked => SyncCause::Poked,
        }
    }
}

/// What the listener did. `Stopped` or `Failed` is always the last event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PushEvent {
    /// The channel is open; a sync follows.
    Connected,
    /// A sync the listener ran finished.
    Synced {
        /// Why it ran.
        cause: SyncCause,
        /// What it did.
        report: SyncReport,
    },
    /// A sync the listener ran failed; work is kept and the next poke or reconnect retries.
    SyncFailed {
        /// Why it ran.
        cause: SyncCause,
        /// What the app can do about it.
        kind: FailureKind,
        /// Why it failed.
        message: String,
    },
    /// The channel dropped or could not be opened; the listener tries again in `retry_in_ms`.
    Disconnected {
        /// What kind of failure (usually `Network`).
        kind: FailureKind,
        /// Why.
        message: String,
        /// The wait before the next attempt, milliseconds.
        retry_in_ms: u64,
    },
    /// The listener stopped because it was asked to. Last event.
    Stopped,
    /// The listener stopped by itself because retrying cannot help: show `message` (usually
    /// `Unauthorized`: sign in again, or `UpdateRequired`). Last event.
    Failed {
        /// What the app can do about it.
        kind: FailureKind,
        /// Why.
        message: String,
    },
}

/// Told what the push listener does.
#[uniffi::export(foreign)]
pub trait PushObserver: Send + Sync {
    /// Called for each event, on the listener's threads.
    fn push_event(&self, event: PushEvent);
}

/// A running push listener. `stop()` or dropping the handle (Kotlin `close()`, Swift `deinit`,
/// Python `del`) stops it and waits for its threads: at most the end of a sync under way.
#[derive(uniffi::Object)]
pub struct PushHandle {
    listener: core::PushListener,
}

impl std::fmt::Debug for PushHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushHandle")
            .field("listener", &self.listener)
            .finish()
    }
}

impl PushHandle {
    pub(crate) fn new(listener: core::PushListener) -> Arc<PushHandle> {
        Arc::new(PushHandle { listener })
    }
}

#[uniffi::export]
impl PushHandle {
    /// Stops listening (idempotent). Called from the push observer, it only asks; the
    /// listener's threads end right after the callback.
    pub fn stop(&self) {
        self.listener.stop();
    }

    /// The listener still runs (it stops by itself when retrying cannot help).
    pub fn is_running(&self) -> bool {
        self.listener.is_running()
    }
}

/// Forwards the core listener's events: syncs to the sync-state observers too, the rest to the
/// app's push observer.
pub(crate) struct PushAdapter {
    pub(crate) observer: Arc<dyn PushObserver>,
    pub(crate) sync_observers: Arc<SyncObservers>,
}

impl core::PushObserver for PushAdapter {
    fn push_event(&self, event: core::PushEvent) {
        if let Some(event) = self.translate(event) {
            self.observer.push_event(event);
        }
    }
}

impl PushAdapter {
    /// Tells the sync-state observers about syncs, and returns what the push observer hears.
    fn translate(&self, event: core::PushEvent) -> Option<PushEvent> {
        let failure = |error: core::ClientError| {
            let error = FieldlineError::from(error);
            (error.kind(), error.to_string())
        };
        Some(match event {
            core::PushEvent::Connected => PushEvent::Connected,
            core::PushEvent::Syncing { .. } => {
                self.sync_observers.notify(&SyncState::Syncing);
                return None;
            }
            core::PushEvent::Synced { cause, report } => {
                let report = SyncReport::from(report);
                self.sync_observers.notify(&SyncState::Synced {
                    report: report.clone(),
                });
                PushEvent::Synced {
                    cause: cause.into(),
                    report,
                }
            }
            core::PushEvent::SyncFailed { cause, error } => {
                let (kind, message) = failure(error);
                self.sync_observers.notify(&SyncState::Failed {
                    kind,
                    message: message.clone(),
                });
                PushEvent::SyncFailed {
                    cause: cause.into(),
                    kind,
                    message,
                }
            }
            core::PushEvent::Disconnected { error, retry_in } => {
                let (kind, message) = failure(error);
                PushEvent::Disconnected {
                    kind,
                    message,
                    retry_in_ms: u64::try_from(retry_in.as_millis()).unwrap_or(u64::MAX),
                }
            }
            core::PushEvent::Stopped { error: None } => PushEvent::Stopped,
            core::PushEvent::Stopped { error: Some(error) } => {
                let (kind, message) = failure(error);
                PushEvent::Failed { kind, message }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::SyncStateObserver;
    use std::sync::Mutex;
    use std::time::Duration;

    #[derive(Default)]
    struct Heard(Mutex<Vec<PushEvent>>);

    impl PushObserver for Heard {
        fn push_event(&self, event: PushEvent) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
        }
    }

    #[derive(Default)]
    struct States(Mutex<Vec<SyncState>>);

    impl SyncStateObserver for States {
        fn sync_state_changed(&self, state: SyncState) {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(state);
        }
    }

    #[test]
    fn listener_syncs_reach_the_sync_state_observers_and_failures_carry_their_kind() {
        let heard = Arc::new(Heard::default());
        let states = Arc::new(States::default());
        let sync_observers = Arc::new(SyncObservers::default());
        let _handle = sync_observers.subscribe(states.clone());
        let adapter = PushAdapter {
            observer: heard.clone(),
            sync_observers,
        };
        use fieldline_core::client::PushObserver as _;
        adapter.push_event(core::PushEvent::Syncing {
            cause: core::SyncCause::Poked,
        });
        adapter.push_event(core::PushEvent::Synced {
            cause: core::SyncCause::Poked,
            report: core::SyncReport::default(),
        });
        adapter.push_event(core::PushEvent::Disconnected {
            error: core::ClientError::Network("down".into()),
            retry_in: Duration::from_millis(1500),
        });
        adapter.push_event(core::PushEvent::Stopped {
            error: Some(core::ClientError::Unauthorized("revoked".into())),
        });

        let states = states.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(matches!(
            states.as_slice(),
            [SyncState::Syncing, SyncState::Synced { .. }]
        ));
        let heard = heard.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(
            heard.len(),
            3,
            "Syncing is for the sync-state observers only"
        );
        assert!(matches!(
            &heard[0],
            PushEvent::Synced {
                cause: SyncCause::Poked,
                ..
            }
        ));
        assert!(matches!(
            &heard[1],
            PushEvent::Disconnected {
                kind: FailureKind::Network,
                retry_in_ms: 1500,
                ..
            }
        ));
        assert!(matches!(
            &heard[2],
            PushEvent::Failed { kind: FailureKind::Unauthorized, message } if message.contains("revoked")
        ));
    }
}
