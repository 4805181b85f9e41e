//! What the office tells a crew beyond the common envelope when it creates an order (which
//! special read, the seal recorded at shut-off, the checklist to answer, the meters issued for
//! an exchange): checked against the order's type and the utility's reference data, then
//! written into the document's `office.details`, where the device's rules read it.

use super::OrderError;
use fieldline_core::OrderType;
use fieldline_core::model::{ChecklistRef, OrderDetails, SpecialReadKind};
use fieldline_core::reference::ReferenceData;
use fieldline_core::rules::{MAX_ID_BYTES, MAX_ITEMS};
use serde::Deserialize;

/// The type-specific part of a new order. Each field belongs to some order types; one sent with
/// another type is refused rather than ignored, so the office learns it asked for nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderDetailsRequest {
    /// Which special read: `move_in`, `move_out` (the final read, never below the last actual
    /// read) or `control`. Required for `special_read` orders.
    #[schema(value_type = Option<String>, example = "move_out")]
    pub special_read: Option<SpecialReadKind>,
    /// The seal or lock number recorded when service was shut off (`turn_on`, `reconnect`):
    /// the crew must find and remove that seal, another one flags tamper. When omitted, the
    /// newest seal a disconnect or turn-off installed on the order's meter (as synced from the
    /// field) is used; a number given here wins.
    pub recorded_seal: Option<String>,
    /// The checklist an `inspection` answers, by template id and version; the version must be
    /// in the utility's current reference data.
    #[schema(value_type = Option<Object>)]
    pub checklist: Option<ChecklistRef>,
    /// Serials of meters issued to the crew for a `meter_exchange`, besides the reference stock.
    pub issued_meters: Option<Vec<String>>,
}

/// The document's details for a new `order_type` order from what the office asked, checked
/// against `reference` (the utility's current reference data) and the order's meter serial.
pub fn order_details(
    order_type: OrderType,
    request: Option<&OrderDetailsRequest>,
    reference: &ReferenceData,
    meter_serial: Option<&str>,
) -> Result<OrderDetails, OrderError> {
    let empty = OrderDetailsRequest::default();
    let request = request.unwrap_or(&empty);
    let mut details = OrderDetails::default();

    match (order_type, request.special_read) {
        (OrderType::SpecialRead, Some(kind)) => details.special_read = Some(kind),
        (OrderType::SpecialRead, None) => {
            return Err(OrderError::invalid(
                "details.special_read",
                "say which special read this is: move_in, move_out or control",
            ));
        }
        (_, Some(_)) => return Err(not_for("details.special_read", order_type)),
        (_, None) => {}
    }

    if let Some(seal) = &request.recorded_seal {
        if !matches!(order_type, OrderType::TurnOn | OrderType::Reconnect) {
            return Err(not_for("details.recorded_seal", order_type));
        }
        details.recorded_seal = Some(identifier("details.recorded_seal", seal)?);
    }

    if let Some(checklist) = &request.checklist {
        if order_type != OrderType::Inspection {
            return Err(not_for("details.checklist", order_type));
        }
        if reference
            .checklist(&checklist.template, checklist.version)
            .is_none()
        {
            return Err(OrderError::invalid(
                "details.checklist",
                format!(
                    "the reference data has no checklist `{}` version {}: publish it first",
                    checklist.template, checklist.version
                ),
            ));
        }
        details.checklist = Some(checklist.clone());
    }

    if let Some(serials) = &request.issued_meters {
        if order_type != OrderType::MeterExchange {
            return Err(not_for("details.issued_meters", order_type));
        }
        if serials.len() > MAX_ITEMS {
            return Err(OrderError::invalid(
                "details.issued_meters",
                format!("at most {MAX_ITEMS} meters can be issued to one order"),
            ));
        }
        for serial in serials {
            let serial = identifier("details.issued_meters", serial)?;
            if meter_serial.is_some_and(|m| m.trim().eq_ignore_ascii_case(&serial)) {
                return Err(OrderError::invalid(
                    "details.issued_meters",
                    format!("{serial} is the meter being exchanged, not a new one"),
                ));
            }
            details.issued_meters.push(serial);
        }
    }
    Ok(details)
}

fn not_for(field: &str, order_type: OrderType) -> OrderError {
    OrderError::invalid(field, format!("a {order_type} order has no {field}"))
}

/// A serial or seal number: trimmed, not blank, not longer than the device accepts.
fn identifier(field: &str, text: &str) -> Result<String, OrderError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OrderError::invalid(field, "a number cannot be blank"));
    }
    if text.len() > MAX_ID_BYTES {
        return Err(OrderError::invalid(
            field,
            format!("longer than {MAX_ID_BYTES} bytes: shorten it"),
        ));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid_field(result: Result<OrderDetails, OrderError>) -> String {
        match result {
            Err(OrderError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal naming a field, got {other:?}"),
        }
    }

    #[test]
    fn a_special_read_names_its_kind_and_only_special_reads_do() {
        let reference = ReferenceData::default_water();
        let move_out = OrderDetailsRequest {
            special_read: Some(SpecialReadKind::MoveOut),
            ..Default::default()
        };
        let details =
            order_details(OrderType::SpecialRead, Some(&move_out), &reference, None).expect("ok");
        assert_eq!(details.special_read, Some(SpecialReadKind::MoveOut));
        assert_eq!(
            invalid_field(order_details(
                OrderType::SpecialRead,
                None,
                &reference,
                None
            )),
            "details.special_read"
        );
        assert_eq!(
            invalid_field(order_details(
                OrderType::CycleRead,
                Some(&move_out),
                &reference,
                None
            )),
            "details.special_read"
        );
    }

    #[test]
    fn a_checklist_must_be_in_the_reference_data() {
        let reference = ReferenceData::default_water();
        let ask = |version| OrderDetailsRequest {
            checklist: Some(ChecklistRef {
                template: "tamper".into(),
                version,
            }),
            ..Default::default()
        };
        let details =
            order_details(OrderType::Inspection, Some(&ask(1)), &reference, None).expect("ok");
        assert_eq!(details.checklist, ask(1).checklist);
        assert_eq!(
            invalid_field(order_details(
                OrderType::Inspection,
                Some(&ask(9)),
                &reference,
                None
            )),
            "details.checklist"
        );
        assert_eq!(
            invalid_field(order_details(
                OrderType::TurnOn,
                Some(&ask(1)),
                &reference,
                None
            )),
            "details.checklist"
        );
    }

    #[test]
    fn seals_and_issued_meters_are_trimmed_numbers_for_their_types() {
        let reference = ReferenceData::default_water();
        let seal = OrderDetailsRequest {
            recorded_seal: Some(" FL001234 ".into()),
            ..Default::default()
        };
        let details = order_details(OrderType::TurnOn, Some(&seal), &reference, None).expect("ok");
        assert_eq!(details.recorded_seal.as_deref(), Some("FL001234"));
        assert_eq!(
            invalid_field(order_details(
                OrderType::TurnOff,
                Some(&seal),
                &reference,
                None
            )),
            "details.recorded_seal"
        );
        let issue = |serials: &[&str]| OrderDetailsRequest {
            issued_meters: Some(serials.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        };
        let details = order_details(
            OrderType::MeterExchange,
            Some(&issue(&["N-1"])),
            &reference,
            Some("OLD-1"),
        )
        .expect("ok");
        assert_eq!(details.issued_meters, vec!["N-1".to_string()]);
        for bad in [&[" "][..], &["old-1"][..]] {
            assert_eq!(
                invalid_field(order_details(
                    OrderType::MeterExchange,
                    Some(&issue(bad)),
                    &reference,
                    Some("OLD-1"),
                )),
                "details.issued_meters"
            );
        }
    }
}
