//! Which steps belong to which order type: a turn-on has no checklist, a disconnect notice no
//! reading. A step that is not part of the order's work is refused before any type rule runs,
//! so every type's rules only ever see the steps they know.

use crate::action::FieldAction;
use crate::model::OrderType;
use crate::outcome::Refusal;
use crate::reference::{CodeDef, ReferenceData};
use serde::Serialize;

/// The steps (capture step names, plus `reading` and `skip`) an order of this type may record.
pub fn steps_for(order_type: OrderType) -> &'static [&'static str] {
    match order_type {
        OrderType::CycleRead => &[
            "reading",
            "skip",
            "endpoint_flags",
            "meter_correction",
            "meter_found",
        ],
        OrderType::ReRead => &["reading", "skip", "meter_verified"],
        OrderType::SpecialRead => &["reading", "skip", "meter_verified", "customer"],
        OrderType::TurnOn => &[
            "reading",
            "meter_verified",
            "valve",
            "leak_check",
            "seal_removed",
            "customer",
        ],
        OrderType::TurnOff => &[
            "reading",
            "meter_verified",
            "valve",
            "seal_installed",
            "customer",
        ],
        OrderType::DisconnectNotice => &["notice_delivered", "customer"],
        OrderType::Disconnect => &[
            "reading",
            "meter_verified",
            "valve",
            "seal_installed",
            "customer",
            "medical_claim",
        ],
        OrderType::Reconnect => &[
            "reading",
            "meter_verified",
            "seal_found",
            "valve",
            "leak_check",
            "customer",
        ],
        OrderType::HighBillInvestigation => &[
            "reading",
            "meter_verified",
            "low_flow_test",
            "investigation",
            "customer",
        ],
        OrderType::MeterExchange => &["meter_verified", "exchange", "customer"],
        OrderType::Inspection => &[
            "reading",
            "meter_verified",
            "seal_found",
            "seal_installed",
            "checklist",
            "customer",
        ],
        OrderType::FieldFound => &["problem"],
    }
}

rule! {
    /// `common.step`: readings, skips and captures only where the order's type has that step.
    Step = "common.step" on ["reading", "skip", "capture"], |id, input, _out| {
        let (step, field) = match input.action {
            FieldAction::Reading { .. } => ("reading", "readings"),
            FieldAction::Skip { .. } => ("skip", "code"),
            FieldAction::Capture { capture, .. } => (capture.step(), "capture.step"),
            _ => return Ok(()),
        };
        if steps_for(input.order_type()).contains(&step) {
            return Ok(());
        }
        Err(Refusal::new(
            id,
            field,
            format!(
                "A {} order has no \"{step}\" step.",
                input.order_type().as_str().replace('_', " ")
            ),
        ))
    }
}

/// How to record a step: the shape of its JSON (`FieldAction::Capture`'s `capture`), with the
/// choices of every enum, for handhelds and app developers.
pub fn step_help(step: &str) -> &'static str {
    match step {
        "reading" => r#"a reading action: register, value as keyed, confirmation when asked"#,
        "skip" => r#"a skip action: a skip code instead of a reading"#,
        "meter_verified" => r#"{"step":"meter_verified","serial":"SN123"}"#,
        "valve" => r#"{"step":"valve","position":"on|off","point":"angle_valve|curb_stop|null"}"#,
        "leak_check" => {
            r#"{"step":"leak_check","indicator_moving":false,"resolution":"left_off|customer_notified|null"}"#
        }
        "seal_removed" => r#"{"step":"seal_removed","number":"FL000123"}"#,
        "seal_installed" => r#"{"step":"seal_installed","number":"FL000123"}"#,
        "seal_found" => {
            r#"{"step":"seal_found","number":"FL000123|null","condition":"intact|broken|missing"}"#
        }
        "customer" => r#"{"step":"customer","present":true,"notified":true,"door_hanger":false}"#,
        "notice_delivered" => {
            r#"{"step":"notice_delivered","method":"posted|handed_to_adult|refused","recipient":"name|null"}"#
        }
        "medical_claim" => r#"{"step":"medical_claim","claimant":"name|null"}"#,
        "low_flow_test" => {
            r#"{"step":"low_flow_test","register":1,"start":{"value":"1050","at":MS},"end":{"value":"1051","at":MS}}"#
        }
        "investigation" => {
            r#"{"step":"investigation","leak_indicator_moving":false,"house_valve":"indicator_stopped|indicator_still_moving|null","dye_test_leak":null,"irrigation":false,"visible_leak":"none|utility|customer","meter_condition":"good|damaged|stopped|leaking","advice":null,"recommendation":"none|re_read|meter_test|adjustment_review|utility_repair"}"#
        }
        "exchange" => {
            r#"{"step":"exchange","reason":"age","old":{"serial":"SN1","readings":[{"register":1,"value":"1050","confirmation":null,"method":"keyed"}]},"new":{"serial":"NEW1","initial_readings":["000000"],"radio_id":null}}"#
        }
        "checklist" => {
            r#"{"step":"checklist","template":"tamper","version":1,"answers":[{"question":"seal_intact","answer":{"kind":"yes_no","value":true}}]}"#
        }
        "problem" => r#"{"step":"problem","code":"leak","severity":"low|medium|high|critical"}"#,
        "endpoint_flags" => r#"{"step":"endpoint_flags","flags":["low_battery"]}"#,
        "meter_correction" => {
            r#"{"step":"meter_correction","corrections":[{"field":"serial|size|location|access_notes|register_count|dials_left|dials_right|multiplier","register":"1 for dials_left, dials_right, multiplier; else null","value":"as found"}]}"#
        }
        "meter_found" => {
            r#"{"step":"meter_found","serial":"SN123","reading":"01234","location":"rear wall, left of the door"}"#
        }
        _ => "",
    }
}

/// What an order of one type asks of the crew, for `show` screens: its steps and the codes it
/// may be completed or closed as not done with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirements {
    /// The order type.
    pub order_type: OrderType,
    /// Its steps, with how to record each.
    pub steps: Vec<StepHelp>,
    /// Completion codes usable on this type.
    pub completion_codes: Vec<CodeDef>,
    /// Not-done reasons usable on this type.
    pub not_done_reasons: Vec<CodeDef>,
}

/// One step and how to record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepHelp {
    /// The step name.
    pub step: &'static str,
    /// The shape of its JSON, with the choices.
    pub shape: &'static str,
    /// The code lists its fields draw from, as the order's type may use them (the reference
    /// data's codes are utility-configurable, so a static shape cannot list them).
    pub codes: Vec<StepCodes>,
}

/// A code list one field of a step draws from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepCodes {
    /// The field (`reader_codes`, `flags`).
    pub field: &'static str,
    /// The codes usable on the order's type.
    pub codes: Vec<CodeDef>,
}

/// The reference data's code lists a step's fields draw from, by field.
fn code_lists<'r>(step: &str, reference: &'r ReferenceData) -> Vec<(&'static str, &'r [CodeDef])> {
    match step {
        "reading" => vec![
            ("reader_codes", &reference.reader_codes),
            ("trouble_code", &reference.trouble_codes),
        ],
        "skip" => vec![("code", &reference.skip_codes)],
        "exchange" => vec![("reason", &reference.exchange_reasons)],
        "problem" => vec![("code", &reference.problem_codes)],
        "endpoint_flags" => vec![("flags", &reference.endpoint_flags)],
        _ => Vec::new(),
    }
}

/// What an order of `order_type` asks of the crew under `reference`.
pub fn requirements(order_type: OrderType, reference: &ReferenceData) -> Requirements {
    let usable = |list: &[CodeDef]| -> Vec<CodeDef> {
        list.iter()
            .filter(|c| c.applies_to(order_type))
            .cloned()
            .collect()
    };
    Requirements {
        order_type,
        steps: steps_for(order_type)
            .iter()
            .map(|step| StepHelp {
                step,
                shape: step_help(step),
                codes: code_lists(step, reference)
                    .into_iter()
                    .map(|(field, list)| StepCodes {
                        field,
                        codes: usable(list),
                    })
                    .collect(),
            })
            .collect(),
        completion_codes: usable(&reference.completion_codes),
        not_done_reasons: usable(&reference.not_done_reasons),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Capture;

    #[test]
    fn a_cycle_read_lists_its_captures_and_the_endpoint_flags_they_draw_from() {
        let needs = requirements(OrderType::CycleRead, &ReferenceData::default());
        let steps: Vec<&str> = needs.steps.iter().map(|s| s.step).collect();
        assert_eq!(
            steps,
            [
                "reading",
                "skip",
                "endpoint_flags",
                "meter_correction",
                "meter_found"
            ]
        );
        let flags = &needs.steps[2].codes;
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].field, "flags");
        assert!(flags[0].codes.iter().any(|c| c.code == "low_battery"));
        assert_eq!(needs.steps[0].codes[0].field, "reader_codes");
        assert!(needs.steps[3].codes.is_empty());
    }

    #[test]
    fn every_step_has_help_and_capture_shapes_parse() {
        for order_type in OrderType::ALL {
            for step in steps_for(*order_type) {
                let shape = step_help(step);
                assert!(!shape.is_empty(), "{step} has no help");
                if !shape.starts_with('{') || shape.contains('|') || shape.contains("MS") {
                    continue;
                }
                let capture: Capture = serde_json::from_str(shape)
                    .unwrap_or_else(|e| panic!("{step}: {shape} does not parse: {e}"));
                assert_eq!(capture.step(), *step);
            }
        }
    }
}
