//! Cycle-read rules 2 and 5: a reading lower than the previous one is either a rollover (confirm
//! it with a blind re-key) or negative (re-key, photo and note); zero use on an active account
//! asks for confirmation; use on an inactive or locked account is flagged. Also the blind re-key
//! itself: when given, it must match the first entry.

use super::analysis::{Movement, Rekey, readings};
use crate::action::FieldAction;
use crate::model::AccountStatus;
use crate::outcome::{Assessment, Flag, FollowUpKind, FollowUpProposal, Need, Refusal};
use crate::rules::{Input, Rule, is_blank};

/// Flag: water used on an inactive or locked account (proposes an inspection).
pub(crate) const UNAUTHORIZED_USE: &str = "unauthorized_use";

/// `cycle_read.blind_rekey_mismatch`: a re-key that differs from the first entry. The message
/// never shows the first entry.
pub(super) struct RekeyMismatch;

impl Rule for RekeyMismatch {
    fn id(&self) -> &'static str {
        "cycle_read.blind_rekey_mismatch"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        match readings(input)?.iter().find(|r| r.rekey == Rekey::Differs) {
            Some(read) => Err(Refusal::new(
                self.id(),
                read.field("confirmation"),
                format!(
                    "The second entry for register {} does not match the first. Look at the dials \
                     again and re-key the reading.",
                    read.register.number
                ),
            )
            .needing(Need::BlindConfirmation)),
            None => Ok(()),
        }
    }
}

/// `cycle_read.negative`: a drop that is not a rollover needs a matching re-key, then a photo,
/// then a note (likely a misread or an unrecorded meter change).
pub(super) struct Negative;

impl Rule for Negative {
    fn id(&self) -> &'static str {
        "cycle_read.negative"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        let FieldAction::Reading { note, photos, .. } = input.action else {
            return Ok(());
        };
        for read in readings(input)?
            .iter()
            .filter(|r| r.movement == Movement::Negative)
        {
            let n = read.register.number;
            if !read.confirmed() {
                return Err(Refusal::new(
                    self.id(),
                    read.field("confirmation"),
                    format!(
                        "Register {n} reads lower than its last reading. Re-key it without looking \
                         at the first entry."
                    ),
                )
                .needing(Need::BlindConfirmation));
            }
            if photos.is_empty() {
                return Err(Refusal::new(
                    self.id(),
                    "photos",
                    format!(
                        "Register {n} reads lower than its last reading. Take a photo of the \
                         register."
                    ),
                )
                .needing(Need::Photo));
            }
            if is_blank(note.as_deref()) {
                return Err(Refusal::new(
                    self.id(),
                    "note",
                    format!(
                        "Register {n} reads lower than its last reading. Add a note \
                         (meter changed? dials damaged?)."
                    ),
                )
                .needing(Need::Note));
            }
        }
        Ok(())
    }
}

/// `cycle_read.rollover`: the dials passed full scale; confirm with a matching blind re-key.
pub(super) struct Rollover;

impl Rule for Rollover {
    fn id(&self) -> &'static str {
        "cycle_read.rollover"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        match readings(input)?
            .iter()
            .find(|r| r.movement == Movement::Rollover && !r.confirmed())
        {
            Some(read) => Err(Refusal::new(
                self.id(),
                read.field("confirmation"),
                format!(
                    "Register {} looks like it rolled over past its full scale. Re-key the reading \
                     without looking at the first entry to confirm.",
                    read.register.number
                ),
            )
            .needing(Need::BlindConfirmation)),
            None => Ok(()),
        }
    }
}

/// `cycle_read.zero_consumption`: no use since the last read on an active account is confirmed
/// by re-keying the reading.
pub(super) struct ZeroConsumption;

impl Rule for ZeroConsumption {
    fn id(&self) -> &'static str {
        "cycle_read.zero_consumption"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, _out: &mut Assessment) -> Result<(), Refusal> {
        if account_status(input) != Some(AccountStatus::Active) {
            return Ok(());
        }
        match readings(input)?
            .iter()
            .find(|r| r.consumption == Some(0) && !r.confirmed())
        {
            Some(read) => Err(Refusal::new(
                self.id(),
                read.field("confirmation"),
                format!(
                    "Register {} shows no use since the last reading on an active account. Re-key \
                     the reading to confirm.",
                    read.register.number
                ),
            )
            .needing(Need::Confirmation)),
            None => Ok(()),
        }
    }
}

/// `cycle_read.unauthorized_use`: never refuses; flags use on an inactive or locked account.
pub(super) struct UnauthorizedUse;

impl Rule for UnauthorizedUse {
    fn id(&self) -> &'static str {
        "cycle_read.unauthorized_use"
    }

    fn actions(&self) -> &'static [&'static str] {
        &["reading"]
    }

    fn check(&self, input: &Input<'_>, out: &mut Assessment) -> Result<(), Refusal> {
        let status = match account_status(input) {
            Some(s @ (AccountStatus::Inactive | AccountStatus::Locked)) => s,
            _ => return Ok(()),
        };
        for read in readings(input)?
            .iter()
            .filter(|r| r.consumption.is_some_and(|c| c > 0))
        {
            out.flags.push(Flag {
                code: UNAUTHORIZED_USE.to_string(),
                register: Some(read.register.number),
                detail: Some(format!("use on a {status} account; inspection proposed")),
            });
        }
        if out.flags.iter().any(|f| f.code == UNAUTHORIZED_USE) {
            out.follow_ups.push(FollowUpProposal::new(
                FollowUpKind::Inspection,
                UNAUTHORIZED_USE,
            ));
        }
        Ok(())
    }
}

fn account_status(input: &Input<'_>) -> Option<AccountStatus> {
    input.record.office.account.as_ref().map(|a| a.status)
}
