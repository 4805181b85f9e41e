//! Sign-in throttling: at most N failed sign-ins per minute per username and M per client
//! address (an office behind one NAT needs a larger M), in memory (per instance; a shared limit across instances can come later). Only failures count,
//! so a crew signing in behind one office NAT is never locked out by its own successes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window failures are counted in.
const WINDOW: Duration = Duration::from_secs(60);

/// Entries kept before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// Counts failed sign-ins per username and per IP in fixed one-minute windows.
#[derive(Debug)]
pub struct LoginLimiter {
    per_user: u32,
    per_address: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginLimiter {
    /// A limiter allowing `per_user` failures per minute per username and `per_address` per
    /// client address; 0 disables that dimension.
    pub fn new(per_user: u32, per_address: u32) -> LoginLimiter {
        LoginLimiter {
            per_user,
            per_address,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// The counters a sign-in touches, each with its limit (disabled dimensions left out).
    fn keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(String, u32)> {
        let mut keys = Vec::with_capacity(2);
        if self.per_user > 0 {
            keys.push((format!("user:{}", username.to_lowercase()), self.per_user));
        }
        if let (Some(ip), true) = (ip, self.per_address > 0) {
            keys.push((format!("ip:{ip}"), self.per_address));
        }
        keys
    }

    /// `Err(seconds to wait)` when this username or IP has used up its failures this minute.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        let keys = self.keys(username, ip);
        if keys.is_empty() {
            return Ok(());
        }
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut wait = None;
        for (key, limit) in keys {
            if let Some((start, count)) = windows.get(&key) {
                let elapsed = now.duration_since(*start);
                if elapsed < WINDOW && *count >= limit {
                    let left = (WINDOW - elapsed).as_secs().max(1);
                    wait = Some(wait.map_or(left, |w: u64| w.max(left)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    /// Counts one failed sign-in.
    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        let keys = self.keys(username, ip);
        if keys.is_empty() {
            return;
        }
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let now = Instant::now();
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        for (key, _) in keys {
            let entry = windows.entry(key).or_insert((now, 0));
            if now.duration_since(entry.0) >= WINDOW {
                *entry = (now, 0);
            }
            entry.1 = entry.1.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn trips_after_the_limit_per_username_and_per_ip() {
        let limiter = LoginLimiter::new(2, 2);
        let ip = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(limiter.check("alice", ip).is_ok());
        limiter.record_failure("alice", ip);
        limiter.record_failure("Alice", ip);
        assert!(limiter.check("alice", None).is_err(), "per username");
        assert!(limiter.check("bob", ip).is_err(), "per IP");
        assert!(limiter.check("bob", None).is_ok());
    }

    #[test]
    fn zero_disables() {
        let limiter = LoginLimiter::new(0, 0);
        let ip = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        for _ in 0..100 {
            limiter.record_failure("alice", ip);
        }
        assert!(limiter.check("alice", ip).is_ok());
    }

    #[test]
    fn the_address_limit_is_separate_from_the_user_limit() {
        let limiter = LoginLimiter::new(2, 5);
        let office = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        let elsewhere = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        // Four users fail once each from one office: under both limits.
        for user in ["a", "b", "c", "d"] {
            limiter.record_failure(user, office);
        }
        assert!(limiter.check("e", office).is_ok());
        limiter.record_failure("e", office);
        // The fifth failure from the office trips the address limit for everyone there…
        assert!(limiter.check("f", office).is_err(), "per address");
        // …but not for the same users elsewhere.
        assert!(limiter.check("a", elsewhere).is_ok());
        // One user failing twice from anywhere trips the user limit.
        limiter.record_failure("a", elsewhere);
        assert!(limiter.check("a", None).is_err(), "per user");
    }

    #[test]
    fn an_address_limit_alone_still_throttles_addresses() {
        let limiter = LoginLimiter::new(0, 1);
        let ip = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        limiter.record_failure("alice", ip);
        assert!(limiter.check("bob", ip).is_err());
        assert!(limiter.check("alice", None).is_ok(), "no user limit");
    }
}
