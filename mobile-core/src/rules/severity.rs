//! How serious a reading's validation class is, so that on a multi-register meter the worst
//! register sets the priority of the exception the office sees.

use crate::outcome::{ReadingOutcome, Validation};

/// Orders validation classes by how urgently the office should look at them.
pub trait Severity {
    /// 0 for a normal read; higher is worse. Negative (a misread or an unrecorded meter change)
    /// is the worst, then very high (a possible leak), very low, high, low, zero, rollover,
    /// unchecked.
    fn severity(self) -> u8;
}

impl Severity for Validation {
    fn severity(self) -> u8 {
        match self {
            Validation::Normal => 0,
            Validation::Unchecked => 1,
            Validation::Rollover => 2,
            Validation::Zero => 3,
            Validation::Low => 4,
            Validation::High => 5,
            Validation::VeryLow => 6,
            Validation::VeryHigh => 7,
            Validation::Negative => 8,
        }
    }
}

/// The worst validation among a reading's registers (the first register wins ties), if any.
pub fn worst_validation(readings: &[ReadingOutcome]) -> Option<Validation> {
    readings.iter().map(|r| r.validation).reduce(|worst, v| {
        if v.severity() > worst.severity() {
            v
        } else {
            worst
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_distinct() {
        let all = [
            Validation::Normal,
            Validation::Unchecked,
            Validation::Rollover,
            Validation::Zero,
            Validation::Low,
            Validation::High,
            Validation::VeryLow,
            Validation::VeryHigh,
            Validation::Negative,
        ];
        for (i, v) in all.iter().enumerate() {
            assert_eq!(usize::from(v.severity()), i, "{v:?}");
        }
    }
}
