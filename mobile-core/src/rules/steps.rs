//! Which steps belong to which order type: a turn-on has no checklist, a disconnect notice no
//! reading. A step that is not part of the order's work is refused before any type rule runs,
//! so every type's rules only ever see the steps they know.

use crate::action::FieldAction;
use crate::model::OrderType;
use crate::outcome::Refusal;

/// The steps (capture step names, plus `reading` and `skip`) an order of this type may record.
pub fn steps_for(order_type: OrderType) -> &'static [&'static str] {
    match order_type {
        OrderType::CycleRead => &["reading", "skip"],
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
