//! The minimum-version gate: a device whose protocol or app is older than the configured minimum
//! is told to update the app before anything it sent is looked at (it keeps what it holds).

use super::SyncError;
use crate::config::SyncConfig;
use std::cmp::Ordering;

/// Refuses a protocol version below `sync.min_protocol_version`.
pub fn check_protocol(config: &SyncConfig, protocol: u32) -> Result<(), SyncError> {
    if protocol < config.min_protocol_version {
        return Err(SyncError::UpdateRequired(format!(
            "update the app: this server needs sync protocol {} or newer, the app speaks {protocol}",
            config.min_protocol_version
        )));
    }
    Ok(())
}

/// Refuses an app version below `sync.min_app_version`.
pub fn check_app(config: &SyncConfig, app_version: &str) -> Result<(), SyncError> {
    if compare_versions(app_version, &config.min_app_version) == Ordering::Less {
        return Err(SyncError::UpdateRequired(format!(
            "update the app: this server needs app version {} or newer, this is {}",
            config.min_app_version,
            app_version.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

/// Compares dotted versions numerically (`1.10.0` > `1.9.3`), ignoring a `-pre` or `+build`
/// suffix; a part that is not a number counts as 0.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a, b) = (parts(a), parts(b));
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            x.cmp(&y)
        })
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

fn parts(version: &str) -> Vec<u64> {
    let core = version.trim().split(['-', '+']).next().unwrap_or_default();
    core.split('.')
        .map(|p| p.parse::<u64>().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("1.10.0", "1.9.3"), Ordering::Greater);
        assert_eq!(compare_versions("1.4", "1.4.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.4.0-beta", "1.4.0"), Ordering::Equal);
        assert_eq!(compare_versions("0.9", "1.0.0"), Ordering::Less);
        assert_eq!(compare_versions("garbage", "0.0.0"), Ordering::Equal);
    }
}
