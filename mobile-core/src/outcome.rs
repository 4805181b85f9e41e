//! What the rule engine concludes about an action: accepted with computed outcomes and flags, or
//! refused naming the rule and the field. Outcomes are stored with the field entry they judged.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The validation class of one register's reading (DOMAIN.md cycle-read rules 2 and 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validation {
    /// Inside the limits.
    Normal,
    /// Above the high limit.
    High,
    /// Far above the high limit.
    VeryHigh,
    /// Below the low limit.
    Low,
    /// Far below the low limit.
    VeryLow,
    /// No consumption since the previous read.
    Zero,
    /// Lower than the previous read and not a rollover.
    Negative,
    /// The dials went past full scale and started again.
    Rollover,
    /// No previous read or limits to compare with.
    Unchecked,
}

impl Validation {
    /// The stable wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Validation::Normal => "normal",
            Validation::High => "high",
            Validation::VeryHigh => "very_high",
            Validation::Low => "low",
            Validation::VeryLow => "very_low",
            Validation::Zero => "zero",
            Validation::Negative => "negative",
            Validation::Rollover => "rollover",
            Validation::Unchecked => "unchecked",
        }
    }
}

/// What the rules computed for one register's reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadingOutcome {
    /// 1-based register number.
    pub register: u32,
    /// The reading in register units.
    pub value: f64,
    /// Consumption since the previous actual read (register units), when there is one.
    pub consumption: Option<f64>,
    /// Consumption × multiplier.
    pub billed: Option<f64>,
    /// The validation class.
    pub validation: Validation,
    /// A blind re-key matched the first entry.
    pub confirmed: bool,
}

/// Something the office should look at, raised by a rule (not a refusal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flag {
    /// Stable code (`high_read`, `unauthorized_use`, `off_site_capture`...).
    pub code: String,
    /// The register concerned, for reading flags.
    pub register: Option<u32>,
    /// A short human explanation (never a hidden limit).
    pub detail: Option<String>,
}

impl Flag {
    /// A flag with just a code.
    pub fn new(code: impl Into<String>) -> Self {
        Flag {
            code: code.into(),
            register: None,
            detail: None,
        }
    }
}

/// An accepted action: the outcomes to store with it and the flags it raises.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Per-register outcomes, for readings.
    pub readings: Vec<ReadingOutcome>,
    /// Flags for the office.
    pub flags: Vec<Flag>,
    /// New work the outcome calls for; the server creates each once, keyed by the entry id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub follow_ups: Vec<FollowUpProposal>,
    /// The flow a low-flow test measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<FlowRate>,
}

/// The kind of follow-up order an outcome proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// An inspection (tamper, unauthorized use, seal mismatch).
    Inspection,
    /// A meter test or exchange.
    MeterTest,
    /// A repair crew for a utility-side leak.
    UtilityRepair,
    /// Another (blind) re-read.
    ReRead,
}

/// New work an accepted action calls for (stored with the entry; the server turns it into an
/// order exactly once).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FollowUpProposal {
    /// What kind of order.
    pub kind: FollowUpKind,
    /// Why (`seal_mismatch`, `utility_side_leak`, `meter_test_recommended`).
    pub reason: String,
}

impl FollowUpProposal {
    /// A proposal of `kind` for `reason`.
    pub fn new(kind: FollowUpKind, reason: &str) -> Self {
        FollowUpProposal {
            kind,
            reason: reason.to_string(),
        }
    }
}

/// A flow measured over an interval, computed exactly from two keyed readings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowRate {
    /// The register read.
    pub register: u32,
    /// Volume between the readings, in register units × 10^-`decimals`.
    pub volume_units: i64,
    /// Decimals of `volume_units` (the register's dials right of the decimal).
    pub decimals: u32,
    /// Milliseconds between the readings.
    pub duration_ms: i64,
    /// Flow per minute, in thousandths of a register unit, rounded down.
    pub per_minute_milli: i64,
}

/// Why an action was refused: the rule that failed and the field to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// Stable rule id (`cycle_read.dials`, `common.started_before_complete`).
    pub rule: String,
    /// The field to fix (`readings[0].value`, `photos`).
    pub field: String,
    /// What to do, in words a crew understands. Never reveals a hidden limit.
    pub message: String,
    /// What the crew must supply to go on, when that is the way forward.
    pub needs: Option<Need>,
}

impl Refusal {
    /// A refusal of `rule` on `field` with a message.
    pub fn new(rule: &str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Refusal {
            rule: rule.to_string(),
            field: field.into(),
            message: message.into(),
            needs: None,
        }
    }

    /// Says what the crew must supply to go on.
    pub fn needing(mut self, need: Need) -> Self {
        self.needs = Some(need);
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.rule, self.field, self.message)
    }
}

impl std::error::Error for Refusal {}

/// What a refused action needs so it can be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Re-key the value blind (the first entry is not shown).
    BlindConfirmation,
    /// Attach a photo.
    Photo,
    /// Add a note.
    Note,
    /// Explicitly confirm (zero consumption).
    Confirmation,
}
