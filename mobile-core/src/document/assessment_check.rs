//! The trusted merge's check of a field entry's stored assessment (SECURITY.md "The trusted
//! merge"). A device computes the assessment (reading outcomes with the billed quantity, flags for
//! the office, follow-up proposals, a low-flow test's flow) with the core's rules and writes it
//! into the entry; status derivation, the office's exception queue and the follow-up orders the
//! server creates all read it. So the server recomputes it with the same rules, under the
//! reference-data version the entry recorded, on the order as the device saw it, and compares.
//!
//! - An entry recorded under this build's [`RULES_VERSION`] must carry exactly what the rules
//!   compute: the same deterministic code on the same inputs gives the same values (readings are
//!   computed in fixed point and only converted to `f64` at the end, flows are integers), so the
//!   comparison is plain equality of what was stored and what was computed, with no tolerance a
//!   forger could hide a change in. Anything else is [`ASSESSMENT_MISMATCH`].
//! - An entry recorded under another rules version (an older app still in the field, or a newer
//!   one during a rollout) cannot be reproduced: those rules may compute differently. Its honest
//!   work is not refused for that, but its assessment is not trusted either: the server replaces
//!   it, in the record it projects the order and creates follow-ups from, with its own
//!   recomputation ([`reassess_other_versions`]). Claiming an old version therefore gains a
//!   forger nothing.

use super::{DocumentError, WorkOrderDoc};
use crate::outcome::{Assessment, Refusal};
use crate::record::{FieldEntry, OrderRecord};
use crate::reference::{ReferenceData, ReferenceSet};
use crate::rules::{self, RULES_VERSION};
use crate::status;
use std::collections::HashMap;

/// Quarantine code of an entry whose stored assessment is not what the rules compute.
pub const ASSESSMENT_MISMATCH: &str = "assessment_mismatch";

/// What the rules say of a field entry as its writer saw the order.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The rules accept it, and its stored assessment is what they compute (or it was recorded
    /// under another rules version, which the server cannot reproduce): here is the server's
    /// assessment.
    Accepted(Assessment),
    /// The rules refuse it.
    Refused(Refusal),
    /// The rules accept it but compute another assessment than the one stored.
    Mismatch {
        /// The field of the assessment that differs first (`assessment.flags`...).
        field: String,
        /// What differs, for support and the crew.
        message: String,
    },
}

/// Whether the server can reproduce `entry`'s assessment: it was computed by these rules.
pub fn verifiable(entry: &FieldEntry) -> bool {
    entry.rules_version == RULES_VERSION
}

/// Judges `entry` on `seen`, the record filtered to what its change had seen (cheap, no fork),
/// and only when that refuses or computes another assessment, exactly on a fork of `doc` at the
/// change's dependencies (the office data may have changed since, e.g. the account's status
/// that `unauthorized_use` depends on, which the filtered record does not undo). The rules run
/// once for an honest entry.
pub fn judge(
    doc: &WorkOrderDoc,
    seen: &OrderRecord,
    entry: &FieldEntry,
    reference: &ReferenceData,
) -> Result<Verdict, DocumentError> {
    let derived = status::derive(seen);
    if let Ok(computed) = rules::check(seen, &derived, &entry.action, &entry.context, reference)
        && (!verifiable(entry) || computed == entry.assessment)
    {
        return Ok(Verdict::Accepted(computed));
    }
    Ok(match doc.judge_field_entry(entry, reference)? {
        Err(refusal) => Verdict::Refused(refusal),
        Ok(computed) if !verifiable(entry) || computed == entry.assessment => {
            Verdict::Accepted(computed)
        }
        Ok(computed) => {
            let (field, what) = first_difference(&entry.assessment, &computed);
            Verdict::Mismatch {
                field,
                message: format!(
                    "the entry's stored assessment is not what the rules compute for it: {what}"
                ),
            }
        }
    })
}

/// The first place `stored` and `computed` differ, as a field path and a description.
pub fn first_difference(stored: &Assessment, computed: &Assessment) -> (String, String) {
    if stored.readings.len() != computed.readings.len() {
        return (
            "assessment.readings".into(),
            format!(
                "{} reading outcomes stored, {} computed",
                stored.readings.len(),
                computed.readings.len()
            ),
        );
    }
    for (i, (s, c)) in stored.readings.iter().zip(&computed.readings).enumerate() {
        let at = |name: &str| format!("assessment.readings[{i}].{name}");
        let register = c.register;
        let differs = |name: &str, was: String, is: String| {
            (
                at(name),
                format!("{name} of register {register} is {was}, the rules compute {is}"),
            )
        };
        if s.register != c.register {
            return differs("register", s.register.to_string(), c.register.to_string());
        }
        if s.value != c.value {
            return differs("value", s.value.to_string(), c.value.to_string());
        }
        if s.consumption != c.consumption {
            return differs("consumption", show(s.consumption), show(c.consumption));
        }
        if s.billed != c.billed {
            return differs("billed", show(s.billed), show(c.billed));
        }
        if s.validation != c.validation {
            let (sv, cv) = (s.validation.as_str(), c.validation.as_str());
            return differs("validation", sv.into(), cv.into());
        }
        if s.confirmed != c.confirmed {
            return differs(
                "confirmed",
                s.confirmed.to_string(),
                c.confirmed.to_string(),
            );
        }
    }
    if stored.flags != computed.flags {
        let missing = computed.flags.iter().find(|f| !stored.flags.contains(f));
        let extra = stored.flags.iter().find(|f| !computed.flags.contains(f));
        let what = match (missing, extra) {
            (Some(flag), _) => format!("the flag `{}` is missing", flag.code),
            (None, Some(flag)) => format!("the flag `{}` is not raised by the rules", flag.code),
            (None, None) => "the flags are not in the rules' order".into(),
        };
        return ("assessment.flags".into(), what);
    }
    if stored.follow_ups != computed.follow_ups {
        let missing = computed
            .follow_ups
            .iter()
            .find(|p| !stored.follow_ups.contains(p));
        let extra = stored
            .follow_ups
            .iter()
            .find(|p| !computed.follow_ups.contains(p));
        let what = match (missing, extra) {
            (Some(p), _) => format!("the follow-up `{:?}` for `{}` is missing", p.kind, p.reason),
            (None, Some(p)) => format!(
                "the follow-up `{:?}` for `{}` is not called for by the rules",
                p.kind, p.reason
            ),
            (None, None) => "the follow-ups are not in the rules' order".into(),
        };
        return ("assessment.follow_ups".into(), what);
    }
    if stored.flow != computed.flow {
        return (
            "assessment.flow".into(),
            format!(
                "the flow is {:?}, the rules compute {:?}",
                stored.flow, computed.flow
            ),
        );
    }
    ("assessment".into(), "the assessment differs".into())
}

fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "none".into(), |v| v.to_string())
}

/// Whether any field entry of `record` was recorded under another rules version, so
/// [`reassess_other_versions`] has work to do (callers skip loading reference data otherwise).
pub fn needs_reassessment(record: &OrderRecord) -> bool {
    record.field.iter().any(|e| !verifiable(e))
}

/// Replaces, in `record` (read from `doc`), the assessment of every field entry recorded under
/// another rules version with the server's own, computed as its writer saw the order under the
/// reference data it recorded; `known` holds assessments already computed (by the upload's rule
/// stage), by entry id. An entry the current rules refuse even as its writer saw the order was
/// accepted by an older server and keeps what it stored. Costs nothing when every entry was
/// recorded under these rules.
pub fn reassess_other_versions(
    doc: &WorkOrderDoc,
    record: &mut OrderRecord,
    references: &ReferenceSet,
    mut known: HashMap<String, Assessment>,
) -> Result<(), DocumentError> {
    if !needs_reassessment(record) {
        return Ok(());
    }
    let mut computed = Vec::new();
    for (index, entry) in record.field.iter().enumerate() {
        if verifiable(entry) {
            continue;
        }
        if let Some(assessment) = known.remove(&entry.id) {
            computed.push((index, assessment));
            continue;
        }
        let seen = super::trust::seen_by(record, entry);
        let reference = references.at(entry.reference_version);
        if let Verdict::Accepted(assessment) = judge(doc, &seen, entry, reference)? {
            computed.push((index, assessment));
        }
    }
    for (index, assessment) in computed {
        record.field[index].assessment = assessment;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{
        Flag, FlowRate, FollowUpKind, FollowUpProposal, ReadingOutcome, Validation,
    };

    fn assessed() -> Assessment {
        Assessment {
            readings: vec![ReadingOutcome {
                register: 1,
                value: 1050.0,
                consumption: Some(50.0),
                billed: Some(50.0),
                validation: Validation::Normal,
                confirmed: false,
            }],
            flags: vec![Flag::new("unauthorized_use")],
            follow_ups: vec![FollowUpProposal::new(
                FollowUpKind::Inspection,
                "unauthorized_use",
            )],
            flow: Some(FlowRate {
                register: 1,
                volume_units: 10,
                decimals: 0,
                duration_ms: 600_000,
                per_minute_milli: 1_000,
            }),
        }
    }

    #[test]
    fn the_first_difference_names_the_field_to_look_at() {
        let computed = assessed();
        /// A forgery, the field it must be named by, and a word of the message.
        type Case = (fn(&mut Assessment), &'static str, &'static str);
        let cases: [Case; 6] = [
            (
                |a| a.readings[0].billed = Some(500.0),
                "assessment.readings[0].billed",
                "500",
            ),
            (
                |a| a.readings.clear(),
                "assessment.readings",
                "0 reading outcomes stored",
            ),
            (
                |a| a.flags.clear(),
                "assessment.flags",
                "`unauthorized_use` is missing",
            ),
            (
                |a| a.flags.push(Flag::new("leak")),
                "assessment.flags",
                "`leak` is not raised",
            ),
            (
                |a| {
                    a.follow_ups
                        .push(FollowUpProposal::new(FollowUpKind::UtilityRepair, "x"))
                },
                "assessment.follow_ups",
                "not called for",
            ),
            (|a| a.flow = None, "assessment.flow", "None"),
        ];
        for (forge, field, says) in cases {
            let mut stored = computed.clone();
            forge(&mut stored);
            let (at, message) = first_difference(&stored, &computed);
            assert_eq!(at, field);
            assert!(message.contains(says), "{message}");
        }
    }
}
