//! Reference data of the service order types: the disconnect policy, seal format, leak-check
//! policy, meter stock and versioned inspection checklists. Plain versioned data, like the code
//! lists, delivered to devices with the rest of [`super::ReferenceData`].

use serde::{Deserialize, Serialize};

/// When a disconnect for non-payment may go ahead (checked again on the device before the cut).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisconnectPolicy {
    /// Past-due balance, in cents, above which service may be cut.
    pub min_past_due_cents: i64,
    /// Days that must pass after the notice was served.
    pub notice_days: u32,
    /// Oldest account snapshot the device may cut on, in milliseconds; older means "sync or
    /// call in".
    pub snapshot_max_age_ms: i64,
    /// Local hour (0–23) from which cuts are allowed.
    pub start_hour: u32,
    /// Local hour (0–24) from which cuts are no longer allowed.
    pub cutoff_hour: u32,
    /// The utility's offset from UTC, in minutes (local = UTC + offset).
    pub utc_offset_minutes: i32,
    /// Local dates (`YYYY-MM-DD`) with no cuts.
    pub holidays: Vec<String>,
    /// Service areas under a weather moratorium.
    pub moratorium_areas: Vec<String>,
    /// A same-day reconnect crew is on call: cuts are allowed on weekends, holidays and after
    /// the cutoff hour.
    pub same_day_reconnect: bool,
}

impl Default for DisconnectPolicy {
    fn default() -> Self {
        DisconnectPolicy {
            min_past_due_cents: 5_000,
            notice_days: 10,
            snapshot_max_age_ms: 12 * 60 * 60 * 1000,
            start_hour: 8,
            cutoff_hour: 15,
            utc_offset_minutes: -360,
            holidays: Vec::new(),
            moratorium_areas: Vec::new(),
            same_day_reconnect: false,
        }
    }
}

/// The format of seal and lock numbers: a fixed prefix and a number of digits (`FL` + 6 digits
/// = `FL004521`). No regular expressions: the rule is plain and the same on every platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SealFormat {
    /// Letters every seal number starts with (compared case-insensitively).
    pub prefix: String,
    /// How many digits follow the prefix.
    pub digits: u32,
}

impl Default for SealFormat {
    fn default() -> Self {
        SealFormat {
            prefix: "FL".into(),
            digits: 6,
        }
    }
}

impl SealFormat {
    /// The canonical form of a keyed seal number (trimmed, upper case), if it has the format.
    pub fn normalize(&self, keyed: &str) -> Option<String> {
        let number = keyed.trim().to_ascii_uppercase();
        let rest = number.strip_prefix(&self.prefix.to_ascii_uppercase())?;
        (rest.len() == self.digits as usize && rest.bytes().all(|b| b.is_ascii_digit()))
            .then_some(number)
    }

    /// An example number, for messages.
    pub fn example(&self) -> String {
        format!("{}{}", self.prefix, "0".repeat(self.digits as usize))
    }
}

/// What a moving leak indicator at turn-on or reconnect calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakCheckPolicy {
    /// Leave service off.
    LeaveOff,
    /// Leave it on and tell the customer.
    Notify,
}

/// A meter in stock that may be installed by an exchange, with its setup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockMeter {
    /// Serial printed on the meter.
    pub serial: String,
    /// Size (`5/8"`).
    pub size: String,
    /// Dials left of the decimal, per register.
    pub dials_left: u32,
    /// Dials right of the decimal, per register.
    pub dials_right: u32,
    /// Number of registers.
    pub registers: u32,
}

/// What kind of answer a checklist question takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "choices", rename_all = "snake_case")]
pub enum QuestionKind {
    /// Yes or no.
    YesNo,
    /// One of these choices.
    Choice(Vec<String>),
    /// Free text.
    Text,
}

/// One question of a checklist template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    /// Stable id within the template.
    pub id: String,
    /// What the inspector sees.
    pub label: String,
    /// The kind of answer.
    pub kind: QuestionKind,
    /// An answer is required before the checklist is accepted.
    pub required: bool,
}

/// A versioned inspection checklist. A new version is a new template entry; answers record the
/// version they answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistTemplate {
    /// Template id (`tamper`).
    pub id: String,
    /// Version.
    pub version: u32,
    /// Title.
    pub title: String,
    /// Questions in order.
    pub questions: Vec<Question>,
}

impl ChecklistTemplate {
    /// A question by id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }
}

/// Days since 1970-01-01 to a civil date `(year, month, day)` (proleptic Gregorian).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn seal_numbers_are_normalized_and_format_checked() {
        let format = SealFormat::default();
        assert_eq!(format.normalize(" fl004521 "), Some("FL004521".into()));
        assert_eq!(format.normalize("FL00452"), None);
        assert_eq!(format.normalize("XX004521"), None);
        assert_eq!(format.normalize("FL00452A"), None);
        assert_eq!(format.example(), "FL000000");
    }
}
