//! The demo's calendar: everything is placed relative to "today" at the utility's local time,
//! so the data looks current whenever it is generated, yet is the same for the same day.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The demo utility's offset from UTC (US Mountain Standard Time), in hours.
const LOCAL_OFFSET_HOURS: i64 = -7;

/// "Today" for the generator, and local wall-clock times around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoClock {
    /// The day the routes and inspector orders are for.
    pub today: NaiveDate,
}

impl DemoClock {
    /// The instant of `hour:minute` local time, `days` days from today (negative: before).
    pub fn local(&self, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let midnight_utc = self.today.and_time(chrono::NaiveTime::MIN).and_utc();
        midnight_utc
            + Duration::days(days)
            + Duration::minutes(i64::from(hour) * 60 + i64::from(minute))
            - Duration::hours(LOCAL_OFFSET_HOURS)
    }
}
