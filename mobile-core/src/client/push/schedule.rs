//! The listener's decisions, kept free of threads, sockets and clocks so they can be tested
//! without waiting: when to sync ([`Demand`]: pokes coalesce) and how long to wait before
//! reconnecting ([`Backoff`]: capped exponential, with jitter). The caller measures time and
//! draws the jitter; these only compute.

use std::time::Duration;

/// Why the listener runs a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncCause {
    /// The channel was (re)opened: pokes may have been missed while it was down.
    Connected,
    /// The server poked: something changed for the signed-in user.
    Poked,
}

/// The sync the listener owes: at most one pending, however many reasons arrive. A poke that
/// arrives while a sync runs makes exactly one more sync after it (the running one may have
/// read the server before the change), never one per poke.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Demand {
    pending: Option<SyncCause>,
}

impl Demand {
    /// Notes a reason to sync. A reconnect outranks a poke: it is what the sync is reported as.
    pub(crate) fn request(&mut self, cause: SyncCause) {
        self.pending = match (self.pending, cause) {
            (Some(SyncCause::Connected), _) | (_, SyncCause::Connected) => {
                Some(SyncCause::Connected)
            }
            _ => Some(SyncCause::Poked),
        };
    }

    /// The sync to run now, if one is owed; taking it clears the demand, so reasons arriving
    /// from here on (during the sync) owe the next one.
    pub(crate) fn take(&mut self) -> Option<SyncCause> {
        self.pending.take()
    }

    /// Whether a sync is owed.
    pub(crate) fn is_pending(&self) -> bool {
        self.pending.is_some()
    }
}

/// Waits between connection attempts: `first`, doubling per failure up to `cap`, each drawn
/// with "equal jitter" (half fixed, half random) so devices that lost the same server do not
/// all come back in the same instant. A connection that stayed up for `stable_after` starts the
/// count again; one dropped sooner keeps growing it, so a server that accepts and at once drops
/// connections is not hammered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    stable_after: Duration,
    failures: u32,
}

impl Backoff {
    pub(crate) fn new(first: Duration, cap: Duration, stable_after: Duration) -> Backoff {
        Backoff {
            first,
            cap: cap.max(first),
            stable_after,
            failures: 0,
        }
    }

    /// The wait after an attempt to connect failed; `jitter` in `[0, 1)`.
    pub(crate) fn after_failed_attempt(&mut self, jitter: f64) -> Duration {
        let step = self.step();
        self.failures = self.failures.saturating_add(1);
        spread(step, jitter)
    }

    /// The wait after a connection that was up for `lived` ended; `jitter` in `[0, 1)`.
    pub(crate) fn after_disconnect(&mut self, lived: Duration, jitter: f64) -> Duration {
        if lived >= self.stable_after {
            self.failures = 0;
        }
        self.after_failed_attempt(jitter)
    }

    /// The un-jittered wait for the current failure count.
    fn step(&self) -> Duration {
        // 2^20 times any sensible first wait is past every sensible cap.
        let factor = 1u32 << self.failures.min(20);
        self.first.saturating_mul(factor).min(self.cap)
    }
}

/// Half of `step` fixed, the other half scaled by `jitter` (clamped to `[0, 1]`).
fn spread(step: Duration, jitter: f64) -> Duration {
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = step / 2;
    half + half.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn backoff() -> Backoff {
        Backoff::new(100 * MS, 1_000 * MS, 30_000 * MS)
    }

    #[test]
    fn pokes_during_a_sync_owe_exactly_one_more_sync() {
        let mut demand = Demand::default();
        assert_eq!(demand.take(), None, "nothing owed at first");
        demand.request(SyncCause::Poked);
        assert_eq!(demand.take(), Some(SyncCause::Poked));
        // The sync runs; three pokes arrive meanwhile.
        for _ in 0..3 {
            demand.request(SyncCause::Poked);
        }
        assert!(demand.is_pending());
        assert_eq!(demand.take(), Some(SyncCause::Poked), "one more sync");
        assert_eq!(demand.take(), None, "and only one");
    }

    #[test]
    fn a_reconnect_is_what_a_coalesced_sync_is_reported_as() {
        let mut demand = Demand::default();
        demand.request(SyncCause::Poked);
        demand.request(SyncCause::Connected);
        demand.request(SyncCause::Poked);
        assert_eq!(demand.take(), Some(SyncCause::Connected));
        assert_eq!(demand.take(), None);
    }

    #[test]
    fn waits_double_per_failure_up_to_the_cap() {
        let mut b = backoff();
        // Jitter 1.0 is the top of each range: the full step.
        let waits: Vec<Duration> = (0..6).map(|_| b.after_failed_attempt(1.0)).collect();
        assert_eq!(
            waits,
            [
                100 * MS,
                200 * MS,
                400 * MS,
                800 * MS,
                1_000 * MS,
                1_000 * MS
            ]
        );
        // Many more failures never overflow past the cap.
        for _ in 0..100 {
            assert_eq!(b.after_failed_attempt(1.0), 1_000 * MS);
        }
    }

    #[test]
    fn jitter_spreads_each_wait_over_its_upper_half() {
        let low = backoff().after_failed_attempt(0.0);
        let mid = backoff().after_failed_attempt(0.5);
        let high = backoff().after_failed_attempt(0.999_999);
        assert_eq!(low, 50 * MS);
        assert_eq!(mid, 75 * MS);
        assert!(high > mid && high <= 100 * MS, "{high:?}");
        // Out-of-range draws are clamped, never a panic or a wait past the step.
        assert_eq!(backoff().after_failed_attempt(-3.0), 50 * MS);
        assert_eq!(backoff().after_failed_attempt(7.0), 100 * MS);
        assert_eq!(backoff().after_failed_attempt(f64::NAN), 50 * MS);
    }

    #[test]
    fn a_stable_connection_starts_the_count_again_and_a_short_one_does_not() {
        let mut b = backoff();
        for _ in 0..4 {
            b.after_failed_attempt(1.0);
        }
        // Up for a second only (under stable_after): the next wait keeps growing.
        assert_eq!(b.after_disconnect(1_000 * MS, 1.0), 1_000 * MS);
        // Up for a minute: back to the first wait.
        assert_eq!(b.after_disconnect(60_000 * MS, 1.0), 100 * MS);
        assert_eq!(b.after_failed_attempt(1.0), 200 * MS);
    }

    #[test]
    fn a_cap_below_the_first_wait_is_the_first_wait() {
        let mut b = Backoff::new(500 * MS, 100 * MS, 30_000 * MS);
        assert_eq!(b.after_failed_attempt(1.0), 500 * MS);
        assert_eq!(b.after_failed_attempt(1.0), 500 * MS);
    }
}
