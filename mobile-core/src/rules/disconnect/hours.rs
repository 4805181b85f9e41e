//! Allowed hours for a cut: not on a weekend or holiday, not before the start hour or after the
//! cutoff hour in the utility's local time, unless a same-day reconnect crew is on call. The
//! time is the action's device time (the core never reads a clock).

use super::is_cut;
use crate::model::Timestamp;
use crate::outcome::Refusal;
use crate::reference::{DisconnectPolicy, civil_from_days};

const MINUTE_MS: i64 = 60_000;

/// Why `at` is outside the allowed hours, if it is.
pub(crate) fn outside_hours(policy: &DisconnectPolicy, at: Timestamp) -> Option<String> {
    if policy.same_day_reconnect {
        return None;
    }
    let local = at.0 + i64::from(policy.utc_offset_minutes) * MINUTE_MS;
    let days = local.div_euclid(Timestamp::DAY_MS);
    let hour = local.rem_euclid(Timestamp::DAY_MS) / (60 * MINUTE_MS);
    // 1970-01-01 was a Thursday: 0 = Monday.
    let weekday = (days + 3).rem_euclid(7);
    if weekday >= 5 {
        return Some("on a weekend".into());
    }
    let (y, m, d) = civil_from_days(days);
    let date = format!("{y:04}-{m:02}-{d:02}");
    if policy.holidays.contains(&date) {
        return Some(format!("on a holiday ({date})"));
    }
    if hour < i64::from(policy.start_hour) || hour >= i64::from(policy.cutoff_hour) {
        return Some(format!(
            "outside {:02}:00–{:02}:00",
            policy.start_hour, policy.cutoff_hour
        ));
    }
    None
}

rule! {
    /// `disconnect.allowed_hours`: the cut happens inside the allowed hours.
    AllowedHours = "disconnect.allowed_hours" on ["capture", "complete"], |id, input, _out| {
        if !is_cut(input) {
            return Ok(());
        }
        match outside_hours(&input.reference.policy.disconnect, input.context.device_time) {
            Some(when) => Err(Refusal::new(
                id,
                "device_time",
                format!("Service may not be cut {when}. Leave the order for an allowed time."),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23 (a Monday) at `hour`:00 local, with the default offset (UTC−6).
    fn monday_at(hour: i64) -> Timestamp {
        let monday = 20_780;
        Timestamp(monday * Timestamp::DAY_MS + (hour + 6) * 3_600_000)
    }

    #[test]
    fn weekday_hours_weekends_and_holidays() {
        let policy = DisconnectPolicy::default();
        assert_eq!(civil_from_days(20_780), (2026, 11, 23));
        assert_eq!(outside_hours(&policy, monday_at(10)), None);
        assert!(outside_hours(&policy, monday_at(7)).is_some());
        assert!(outside_hours(&policy, monday_at(15)).is_some());
        let saturday = Timestamp(monday_at(10).0 + 5 * Timestamp::DAY_MS);
        assert_eq!(
            outside_hours(&policy, saturday).as_deref(),
            Some("on a weekend")
        );
        let holiday = DisconnectPolicy {
            holidays: vec!["2026-11-23".into()],
            ..DisconnectPolicy::default()
        };
        assert!(outside_hours(&holiday, monday_at(10)).is_some());
        let on_call = DisconnectPolicy {
            same_day_reconnect: true,
            ..DisconnectPolicy::default()
        };
        assert_eq!(outside_hours(&on_call, saturday), None);
    }
}
