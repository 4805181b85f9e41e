//! High/low limits for a register's next read, computed from its read history the way a
//! billing system does: the average daily use over the last actual reads, times the days since
//! the last actual read, widened by percentage bands.

use chrono::{DateTime, Utc};

/// At most this many recent actual reads feed the average.
pub const LIMIT_READS: usize = 6;
/// Fewer actual reads than this and billing sets no limits.
pub const MIN_LIMIT_READS: usize = 3;
/// Low limit: the last read plus this share of the expected use.
pub const LOW_BAND: f64 = 0.40;
/// High limit: the last read plus this multiple of the expected use.
pub const HIGH_BAND: f64 = 2.50;
/// The high limit is at least this many register units above the last read, so a vacant
/// premise's first drip is not flagged as very high.
pub const MIN_HIGH_ALLOWANCE: f64 = 1.0;

/// One historical read as the limit calculation sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryRead {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The register value.
    pub value: f64,
    /// Estimated reads are ignored.
    pub actual: bool,
}

/// The limits of a register's next read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The last actual read the limits start from.
    pub last_read: f64,
    /// When it was taken.
    pub last_read_at: DateTime<Utc>,
    /// Average use per day over the reads used.
    pub daily_use: f64,
    /// Lowest expected next reading (register units, not wrapped at full scale).
    pub low: f64,
    /// Highest expected next reading.
    pub high: f64,
}

/// Use between two reads of a register with `full_scale`, counting a wrap past full scale as
/// a rollover.
pub fn consumption(previous: f64, current: f64, full_scale: f64) -> f64 {
    if current >= previous {
        current - previous
    } else {
        full_scale - previous + current
    }
}

/// Limits for a read at `next_read_at`, from `history` in time order; `None` with fewer than
/// [`MIN_LIMIT_READS`] actual reads.
pub fn limits(
    history: &[HistoryRead],
    full_scale: f64,
    next_read_at: DateTime<Utc>,
) -> Option<Limits> {
    let actual: Vec<&HistoryRead> = history.iter().filter(|r| r.actual).collect();
    if actual.len() < MIN_LIMIT_READS {
        return None;
    }
    let recent = &actual[actual.len().saturating_sub(LIMIT_READS)..];
    let (first, last) = (recent.first()?, recent.last()?);
    let used: f64 = recent
        .windows(2)
        .map(|w| consumption(w[0].value, w[1].value, full_scale))
        .sum();
    let days = days_between(first.at, last.at);
    if days <= 0.0 {
        return None;
    }
    let daily_use = used / days;
    let expected = daily_use * days_between(last.at, next_read_at).max(0.0);
    Some(Limits {
        last_read: last.value,
        last_read_at: last.at,
        daily_use,
        low: round2(last.value + expected * LOW_BAND),
        high: round2(last.value + (expected * HIGH_BAND).max(MIN_HIGH_ALLOWANCE)),
    })
}

fn days_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (b - a).num_milliseconds() as f64 / 86_400_000.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn history(monthly: f64, start: f64) -> Vec<HistoryRead> {
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 16, 0, 0)
            .single()
            .unwrap_or_default();
        (0..6)
            .map(|i| HistoryRead {
                at: t0 + Duration::days(30 * i),
                value: start + monthly * i as f64,
                actual: true,
            })
            .collect()
    }

    #[test]
    fn limits_follow_average_daily_use() {
        let h = history(30.0, 100.0);
        let next = h[5].at + Duration::days(30);
        let l = limits(&h, 10_000.0, next).expect("limits");
        assert!((l.daily_use - 1.0).abs() < 1e-9);
        assert!((l.low - (250.0 + 30.0 * LOW_BAND)).abs() < 0.01);
        assert!((l.high - (250.0 + 30.0 * HIGH_BAND)).abs() < 0.01);
    }

    #[test]
    fn doubled_history_doubles_the_bands() {
        let next = history(1.0, 0.0)[5].at + Duration::days(30);
        let single = limits(&history(12.0, 500.0), 10_000.0, next).expect("single");
        let double = limits(&history(24.0, 500.0), 10_000.0, next).expect("double");
        let band = |l: &Limits| (l.low - l.last_read, l.high - l.last_read);
        let (s, d) = (band(&single), band(&double));
        assert!((d.0 - 2.0 * s.0).abs() < 0.02 && (d.1 - 2.0 * s.1).abs() < 0.02);
    }

    #[test]
    fn rollover_counts_as_use_and_estimates_are_ignored() {
        let mut h = history(50.0, 9_900.0);
        for r in &mut h {
            r.value %= 10_000.0;
        }
        h[2].actual = false;
        h[2].value = 0.0;
        let next = h[5].at + Duration::days(30);
        let l = limits(&h, 10_000.0, next).expect("limits");
        assert!((l.daily_use - 50.0 / 30.0).abs() < 1e-9);
        assert!(limits(&h[..2], 10_000.0, next).is_none());
    }
}
