//! A disconnect notice served in the field starts the account's notice period (DOMAIN.md
//! "Disconnect notice delivery"): when a delivery reaches the server, the account's
//! `notice_served_at` moves to the time it was served, so the disconnect eligibility the office
//! and the next crew check counts from it.

use super::OrderError;
use crate::store::{Account, Store, StoreError, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::{Capture, FieldAction, OrderRecord, OrderType, Timestamp};
use uuid::Uuid;

/// When the notice on `record` was served, if a delivery is recorded: the device time of the
/// latest delivery (posted, handed to an adult or refused all serve it).
pub fn served_at(record: &OrderRecord) -> Option<Timestamp> {
    if record.office.order_type != OrderType::DisconnectNotice {
        return None;
    }
    record
        .field
        .iter()
        .filter(|e| {
            matches!(
                &e.action,
                FieldAction::Capture {
                    capture: Capture::NoticeDelivered { .. },
                    ..
                }
            )
        })
        .map(|e| e.context.device_time)
        .max()
}

/// Records the notice `record` says was served on its account, at the delivery's device time
/// but never later than `now` (a device clock running ahead does not push the period out).
/// Returns the account after, or `None` when there is no delivery or no such account.
pub async fn record_served(
    store: &dyn Store,
    utility: UtilityId,
    record: &OrderRecord,
    now: DateTime<Utc>,
) -> Result<Option<Account>, OrderError> {
    let Some(served) = served_at(record) else {
        return Ok(None);
    };
    let Some(account) = record
        .office
        .account
        .as_ref()
        .and_then(|a| a.id.parse::<Uuid>().ok())
    else {
        return Ok(None);
    };
    let served = super::to_utc(served).map_or(now, |at| at.min(now));
    match store.record_notice_served(utility, account, served).await {
        Ok(account) => {
            tracing::info!(account = %account.id, served_at = %served, "disconnect notice served");
            Ok(Some(account))
        }
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldline_core::document::automerge::ActorId;
    use fieldline_core::reference::ReferenceData;
    use fieldline_core::{
        ActionContext, NoticeMethod, OfficeData, PhotoKind, PhotoRef, Priority, Source,
        WorkOrderDoc,
    };

    fn notice_order(order_type: OrderType) -> WorkOrderDoc {
        let office = OfficeData {
            order_type,
            reason: None,
            priority: Priority::Normal,
            source: Source::CallCenter,
            created_by: "dispatcher".into(),
            created_at: Timestamp(1_000),
            due_at: None,
            appointment_start: None,
            appointment_end: None,
            route: None,
            sequence: None,
            premise: None,
            account: None,
            meter: None,
            instructions: None,
            details: Default::default(),
        };
        let mut doc =
            WorkOrderDoc::create("n-1", &office, ActorId::random(), Timestamp(1_000)).expect("doc");
        doc.apply_office_action(
            fieldline_core::OfficeAction::Assign {
                assignee: "inspector1".into(),
                reason: None,
            },
            "dispatcher",
            Timestamp(1_500),
        )
        .expect("assigned");
        doc
    }

    fn act(doc: &mut WorkOrderDoc, action: FieldAction, at: i64) {
        let context = ActionContext {
            user: "inspector1".into(),
            device_time: Timestamp(at),
            gps: Some(fieldline_core::GpsFix {
                point: fieldline_core::GeoPoint {
                    lat: 45.0,
                    lon: -122.0,
                },
                accuracy_m: 5.0,
            }),
        };
        doc.record_field_action(action, context, &ReferenceData::default_water())
            .expect("accepted");
    }

    fn delivery(method: NoticeMethod, recipient: Option<&str>) -> FieldAction {
        FieldAction::Capture {
            capture: Capture::NoticeDelivered {
                method,
                recipient: recipient.map(str::to_string),
            },
            photos: vec![PhotoRef {
                sha256: "a".repeat(64),
                kind: PhotoKind::Notice,
            }],
            note: None,
        }
    }

    #[test]
    fn the_latest_delivery_serves_the_notice() {
        let mut doc = notice_order(OrderType::DisconnectNotice);
        act(&mut doc, FieldAction::Start, 2_000);
        assert_eq!(served_at(&doc.record().expect("record")), None);
        act(&mut doc, delivery(NoticeMethod::Refused, None), 3_000);
        act(
            &mut doc,
            delivery(NoticeMethod::HandedToAdult, Some("P. Adult")),
            5_000,
        );
        assert_eq!(
            served_at(&doc.record().expect("record")),
            Some(Timestamp(5_000))
        );
    }

    #[test]
    fn only_a_notice_order_serves_a_notice() {
        let mut doc = notice_order(OrderType::TurnOff);
        act(&mut doc, FieldAction::Start, 2_000);
        assert_eq!(served_at(&doc.record().expect("record")), None);
    }
}
