//! Paces `changed` messages on one connection: at most one per gap, so a burst of office edits
//! becomes one sync on the device instead of many.

use std::time::{Duration, Instant};

/// Remembers when the last message went out and says how long the next must wait.
#[derive(Debug, Clone)]
pub struct Pacer {
    gap: Duration,
    last: Option<Instant>,
}

impl Pacer {
    /// A pacer allowing one message per `gap`.
    pub fn new(gap: Duration) -> Pacer {
        Pacer { gap, last: None }
    }

    /// How long to wait at `now` before the next message may go (zero when it may go at once).
    pub fn wait_before_send(&self, now: Instant) -> Duration {
        match self.last {
            Some(last) => (last + self.gap).saturating_duration_since(now),
            None => Duration::ZERO,
        }
    }

    /// Records that a message went out at `at`.
    pub fn sent(&mut self, at: Instant) {
        self.last = Some(at);
    }
}
