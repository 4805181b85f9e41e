//! Sign-in throttling: at most N failed sign-ins per minute per username and per client IP,
//! in memory (per instance; a shared limit across instances can come later). Only failures count,
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
    limit: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

fn keys(username: &str, ip: Option<IpAddr>) -> Vec<String> {
    let mut keys = vec![format!("user:{}", username.to_lowercase())];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    keys
}

impl LoginLimiter {
    /// A limiter allowing `limit` failures per minute; 0 disables it.
    pub fn new(limit: u32) -> LoginLimiter {
        LoginLimiter {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when this username or IP has used up its failures this minute.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let Ok(windows) = self.windows.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let mut wait = None;
        for key in keys(username, ip) {
            if let Some((start, count)) = windows.get(&key) {
                let elapsed = now.duration_since(*start);
                if elapsed < WINDOW && *count >= self.limit {
                    let left = (WINDOW - elapsed).as_secs().max(1);
                    wait = Some(wait.map_or(left, |w: u64| w.max(left)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    /// Counts one failed sign-in.
    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        if self.limit == 0 {
            return;
        }
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let now = Instant::now();
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        for key in keys(username, ip) {
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
        let limiter = LoginLimiter::new(2);
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
        let limiter = LoginLimiter::new(0);
        for _ in 0..100 {
            limiter.record_failure("alice", None);
        }
        assert!(limiter.check("alice", None).is_ok());
    }
}
