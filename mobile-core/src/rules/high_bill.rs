//! High-bill investigation: a verified reading with a photo, the low-flow test (two readings
//! and the flow per minute computed exactly), the findings, and a recommendation. A utility-side
//! leak or a meter-test (or repair, or re-read) recommendation proposes the follow-up order.

use crate::capture::{Capture, Findings, LeakSide, Recommendation};
use crate::outcome::{Flag, FlowRate, FollowUpKind, FollowUpProposal, Refusal};
use crate::rules::work::{Work, all_registers_read, missing};
use crate::rules::{Rule, cycle_read};

/// Longest low-flow test accepted (a day), so the arithmetic stays well in range.
const MAX_TEST_MS: i64 = 86_400_000;

rule! {
    /// `high_bill.low_flow`: both readings are readings of the register, the second after the
    /// first in time and not below it; stores the flow per minute.
    LowFlow = "high_bill.low_flow" on ["capture"], |id, input, out| {
        let Some(Capture::LowFlowTest { register, start, end }) = input.action.capture() else {
            return Ok(());
        };
        let Some(reg) = input.record.office.register(*register) else {
            return Err(Refusal::new(id, "capture.register", format!("This meter has no register {register}.")));
        };
        let parse = |text: &str, field: &str| {
            cycle_read::parse_keyed(text, reg.dials_left, reg.dials_right).map_err(|_| {
                Refusal::new(
                    id,
                    field.to_string(),
                    format!(
                        "Key the reading as the register shows it: up to {} digits, {} after the \
                         decimal point.",
                        reg.dials_left, reg.dials_right
                    ),
                )
            })
        };
        let v0 = parse(&start.value, "capture.start.value")?;
        let v1 = parse(&end.value, "capture.end.value")?;
        let duration = end.at.0.saturating_sub(start.at.0);
        if duration <= 0 || duration > MAX_TEST_MS {
            return Err(Refusal::new(
                id,
                "capture.end.at",
                "The second reading must be taken after the first (and within a day).",
            ));
        }
        if v1 < v0 {
            return Err(Refusal::new(
                id,
                "capture.end.value",
                "The second reading is below the first. Read the register again.",
            ));
        }
        let volume = v1 - v0;
        let scale = 10i128.pow(reg.dials_right.min(30));
        // Units of 10^-dials_right per ms → thousandths of a unit per minute, rounded down.
        let per_minute_milli = volume * 60_000 * 1_000 / (i128::from(duration) * scale);
        let (Ok(volume_units), Ok(per_minute_milli)) =
            (i64::try_from(volume), i64::try_from(per_minute_milli))
        else {
            return Err(Refusal::new(id, "capture.end.value", "The readings are out of range."));
        };
        out.flow = Some(FlowRate {
            register: *register,
            volume_units,
            decimals: reg.dials_right,
            duration_ms: duration,
            per_minute_milli,
        });
        if volume > 0 {
            out.flags.push(Flag {
                detail: Some("flow during the low-flow test".into()),
                ..Flag::new("low_flow")
            });
        }
        Ok(())
    }
}

rule! {
    /// `high_bill.findings`: a moving leak indicator is flagged, and a
    /// utility-side leak or a recommendation that needs a crew proposes its follow-up.
    FindingsRule = "high_bill.findings" on ["capture"], |id, input, out| {
        let Some(Capture::Investigation(findings)) = input.action.capture() else {
            return Ok(());
        };
        let Findings { leak_indicator_moving, visible_leak, recommendation, .. } = findings;
        if *leak_indicator_moving {
            out.flags.push(Flag {
                detail: Some("leak indicator moving with fixtures off".into()),
                ..Flag::new("leak")
            });
        }
        if *visible_leak == LeakSide::Utility {
            out.follow_ups.push(FollowUpProposal::new(FollowUpKind::UtilityRepair, "utility_side_leak"));
        }
        let proposal = match recommendation {
            Recommendation::MeterTest => Some((FollowUpKind::MeterTest, "meter_test_recommended")),
            Recommendation::UtilityRepair => Some((FollowUpKind::UtilityRepair, "utility_repair_recommended")),
            Recommendation::ReRead => Some((FollowUpKind::ReRead, "re_read_recommended")),
            Recommendation::None | Recommendation::AdjustmentReview => None,
        };
        if let Some((kind, reason)) = proposal
            && !out.follow_ups.iter().any(|p| p.kind == kind)
        {
            out.follow_ups.push(FollowUpProposal::new(kind, reason));
        }
        if *recommendation == Recommendation::AdjustmentReview {
            out.flags.push(Flag::new("adjustment_review"));
        }
        Ok(())
    }
}

rule! {
    /// `high_bill.completion`: the meter verified, every register read with a photo, and the
    /// findings recorded.
    Completion = "high_bill.completion" on ["complete"], |id, input, _out| {
        let work = Work::of(input);
        if !work.has(|c| matches!(c, Capture::MeterVerified { .. })) {
            return Err(missing(id, "meter_verified", "verify the meter's serial"));
        }
        let (read, photo) = work.readings();
        if !all_registers_read(input, &read) || !photo {
            return Err(missing(id, "readings", "read every register, with a photo of the register"));
        }
        if !work.has(|c| matches!(c, Capture::Investigation(_))) {
            return Err(missing(id, "investigation", "record the findings and your recommendation"));
        }
        Ok(())
    }
}

/// The high-bill rules.
pub(super) static RULES: &[&dyn Rule] = &[&LowFlow, &FindingsRule, &Completion];
