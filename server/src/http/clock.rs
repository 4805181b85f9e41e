//! The server's clock for business time: when a change was received, when an order was created
//! or a payment posted, when an account snapshot was taken. The real wall clock in production;
//! tests that pin a device's clock (to be inside cut hours on a weekday) pin the server's to
//! the same day, so receipt times and snapshot ages tell one coherent story. Tokens and
//! sign-in never read it: their expiry is real time.

use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A source of "now" for business time. Cheap to clone.
#[derive(Clone)]
pub struct ServerClock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl ServerClock {
    /// The real wall clock.
    pub fn system() -> ServerClock {
        ServerClock(Arc::new(Utc::now))
    }

    /// A clock that reads `now` (tests).
    pub fn from_fn(now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> ServerClock {
        ServerClock(Arc::new(now))
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for ServerClock {
    fn default() -> Self {
        ServerClock::system()
    }
}

impl std::fmt::Debug for ServerClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerClock({})", self.now())
    }
}
