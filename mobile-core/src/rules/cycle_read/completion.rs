//! Cycle-read rule 6 at completion: every register has a reading, or the meter has a skip code,
//! before the order is completed (unless the policy allows a blank read).

use crate::action::FieldAction;
use crate::outcome::{Assessment, Refusal};
use crate::rules::{Input, Rule};

/// `cycle_read.reading_or_skip`: the acting user's own readings cover every register of the
/// meter, or they recorded a skip.
pub(super) struct ReadingOrSkip;

impl Rule for ReadingOrSkip {
    fn id(&self) -> &'static str {
        "cycle_read.reading_or_skip"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["complete"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        if input.reference.policy.allow_blank_read {
            return Ok(());
        }
        // Only the acting user's work counts: a crew that took the order over starts afresh.
        let own = input
            .record
            .field
            .iter()
            .filter(|e| e.context.user == input.context.user)
            .map(|e| &e.action);
        let mut read: Vec<u32> = Vec::new();
        for action in own {
            match action {
                FieldAction::Skip { .. } => return Ok(()),
                FieldAction::Reading { readings, .. } => {
                    read.extend(readings.iter().map(|r| r.register));
                }
                _ => {}
            }
        }
        let registers: Vec<u32> = input
            .record
            .office
            .meter
            .as_ref()
            .map(|m| m.registers.iter().map(|r| r.number).collect())
            .unwrap_or_default();
        let missing: Vec<String> = registers
            .iter()
            .filter(|n| !read.contains(n))
            .map(u32::to_string)
            .collect();
        if missing.is_empty() && !(registers.is_empty() && read.is_empty()) {
            return Ok(());
        }
        let message = if read.is_empty() {
            "Enter a reading or a skip code before completing.".to_string()
        } else {
            format!(
                "Enter a reading for register {} (or a skip code) before completing.",
                missing.join(", ")
            )
        };
        Err(Refusal::new(self.id(), "readings", message))
    }
}
