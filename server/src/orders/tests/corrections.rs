//! A dispatcher's decision on a reader's meter-record correction: accept corrects the meter
//! record and resolves the exceptions, dismiss only resolves them, a record changed since the
//! reading or a serial that is another meter's is refused, and a correction is decided once.

use super::*;
use crate::orders::corrections::{CorrectionDecision, METER_INFO_CORRECTION, decide};
use fieldline_core::{Capture, FieldCorrection, MeterField, PhotoKind, PhotoRef, ReviewDecision};

/// A cycle read of the fixture's meter on which reader1 corrected `corrections` offline, merged
/// into the server's document as a sync would. Returns the order and the correction's entry id.
async fn corrected_order(f: &Fixture, corrections: Vec<FieldCorrection>) -> (Uuid, String) {
    let mut req = request(OrderType::CycleRead);
    req.meter_id = Some(f.meter.id);
    req.assignee = Some("reader1".into());
    let id = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .expect("created")
        .summary
        .id;
    let stored = f.store.get_order(f.utility, id).await.expect("stored");
    let mut device = WorkOrderDoc::load(&stored.doc).expect("doc");
    device.set_actor(ActorId::random());
    let before = device.heads();
    let entry = device
        .record_field_action(
            FieldAction::Capture {
                capture: Capture::MeterCorrection { corrections },
                photos: vec![PhotoRef {
                    sha256: "ab".repeat(32),
                    kind: PhotoKind::Meter,
                }],
                note: None,
            },
            ActionContext {
                user: "reader1".into(),
                device_time: Timestamp(Utc::now().timestamp_millis()),
                gps: None,
            },
            &ReferenceData::default(),
        )
        .expect("the rules accept the correction");
    let mut server = WorkOrderDoc::load(&stored.doc).expect("doc");
    server
        .apply_changes(&device.changes_since(&before))
        .expect("merged");
    let projection = project(f.store.as_ref(), f.utility, &server)
        .await
        .expect("projection");
    f.store
        .update_order(
            f.utility,
            id,
            stored.summary.version,
            &OrderUpdate {
                doc: server.save(),
                projection,
                changes: vec![],
                updated_at: Utc::now(),
            },
        )
        .await
        .expect("stored");
    (id, entry.id)
}

/// The fixture's meter as the store keeps it (times to the millisecond).
async fn meter_now(f: &Fixture) -> Meter {
    f.store
        .get_meter(f.utility, f.meter.id)
        .await
        .expect("meter")
}

fn fix(field: MeterField, register: Option<u32>, value: &str) -> FieldCorrection {
    FieldCorrection {
        field,
        register,
        value: value.into(),
    }
}

fn open_corrections(detail: &OrderDetail) -> usize {
    let shown = detail
        .derived
        .exceptions
        .iter()
        .filter(|e| e.code == METER_INFO_CORRECTION)
        .count();
    let projected = detail
        .summary
        .projection
        .exceptions
        .iter()
        .filter(|e| e.code == METER_INFO_CORRECTION)
        .count();
    assert_eq!(shown, projected, "the projection agrees with the document");
    shown
}

async fn decide_on(
    f: &Fixture,
    id: Uuid,
    entry: &str,
    decision: ReviewDecision,
) -> Result<OrderDetail, OrderError> {
    let decided = CorrectionDecision {
        decision,
        note: Some("checked against the badge photo".into()),
    };
    decide(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        id,
        entry,
        decided,
        Utc::now(),
    )
    .await
}

#[tokio::test]
async fn accepting_corrects_the_meter_record_and_resolves_the_exceptions() {
    let f = fixture().await;
    let (id, entry) = corrected_order(
        &f,
        vec![
            fix(MeterField::Serial, None, "SN-FOUND-1"),
            fix(MeterField::Size, None, "1\""),
            fix(MeterField::AccessNotes, None, "dog in yard"),
            fix(MeterField::RegisterCount, None, "2"),
            fix(MeterField::DialsLeft, Some(1), "6"),
        ],
    )
    .await;
    let flagged = detail(f.store.as_ref(), f.utility, id)
        .await
        .expect("detail");
    assert_eq!(open_corrections(&flagged), 5);

    let decided = decide_on(&f, id, &entry, ReviewDecision::Accepted)
        .await
        .expect("accepted");
    assert_eq!(open_corrections(&decided), 0);
    let note = decided.office_log.last().expect("the decision in the log");
    assert_eq!(note.by, "dispatcher");
    let review = note.action.review().expect("a review");
    assert_eq!(
        (review.entry.as_str(), review.decision),
        (entry.as_str(), ReviewDecision::Accepted)
    );
    let OfficeAction::Note { text, .. } = &note.action else {
        panic!("a note: {:?}", note.action);
    };
    assert!(
        text.contains("serial") && text.contains("accepted") && text.contains("badge photo"),
        "{text}"
    );

    let meter = f
        .store
        .get_meter(f.utility, f.meter.id)
        .await
        .expect("meter");
    assert_eq!(meter.serial, "SN-FOUND-1");
    assert_eq!(meter.size, "1\"");
    assert_eq!(meter.registers.len(), 2);
    assert_eq!(meter.registers[0].dials_left, 6);
    assert_eq!(meter.registers[0].last_read, f.meter.registers[0].last_read);
    let premise = f
        .store
        .get_premise(f.utility, f.premise.id)
        .await
        .expect("premise");
    assert_eq!(premise.access_notes.as_deref(), Some("dog in yard"));

    // The audit trail names the dispatcher's write.
    let history = f.store.order_history(f.utility, id).await.expect("history");
    let last = history.last().expect("a change");
    assert_eq!(last.change.summary, "office:note");
    assert_eq!(last.change.user_id, Some(f.dispatcher.id));
    f.guard.cleanup().await;
}

#[tokio::test]
async fn dismissing_resolves_the_exceptions_and_leaves_the_record() {
    let f = fixture().await;
    let (id, entry) = corrected_order(&f, vec![fix(MeterField::Location, None, "basement")]).await;
    let unchanged = meter_now(&f).await;
    let decided = decide_on(&f, id, &entry, ReviewDecision::Dismissed)
        .await
        .expect("dismissed");
    assert_eq!(open_corrections(&decided), 0);
    assert_eq!(
        decided
            .office_log
            .last()
            .and_then(|e| e.action.review())
            .map(|r| r.decision),
        Some(ReviewDecision::Dismissed)
    );
    assert_eq!(meter_now(&f).await, unchanged);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_record_changed_since_the_reading_is_refused_naming_the_field() {
    let f = fixture().await;
    let (id, entry) = corrected_order(
        &f,
        vec![
            fix(MeterField::Size, None, "1\""),
            fix(MeterField::DialsLeft, Some(1), "6"),
        ],
    )
    .await;
    // Billing changed the dials of register 1 after the order went out.
    let read = meter_now(&f).await;
    let mut changed = read.clone();
    changed.registers[0].dials_left = 4;
    f.store
        .correct_meter(
            f.utility,
            &crate::store::MeterCorrection {
                before: read,
                after: changed.clone(),
                access_notes: None,
            },
        )
        .await
        .expect("billing's change");

    let err = decide_on(&f, id, &entry, ReviewDecision::Accepted)
        .await
        .expect_err("stale");
    match &err {
        OrderError::Conflict { field, message } => {
            assert_eq!(field, "dials_left[1]");
            assert!(message.contains("says 4 now, not 5"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(meter_now(&f).await, changed);
    let still = detail(f.store.as_ref(), f.utility, id)
        .await
        .expect("detail");
    assert_eq!(open_corrections(&still), 2, "nothing was decided");
    // Dismissing it is still possible.
    decide_on(&f, id, &entry, ReviewDecision::Dismissed)
        .await
        .expect("dismissed");
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_serial_that_is_another_meters_is_refused() {
    let f = fixture().await;
    let (_, _, other) = crate::store::testing::metered_premise(f.store.as_ref(), f.utility)
        .await
        .expect("another meter");
    let (id, entry) = corrected_order(&f, vec![fix(MeterField::Serial, None, &other.serial)]).await;
    let unchanged = meter_now(&f).await;
    let err = decide_on(&f, id, &entry, ReviewDecision::Accepted)
        .await
        .expect_err("clash");
    match &err {
        OrderError::Conflict { field, message } => {
            assert_eq!(field, "serial");
            assert!(message.contains(&other.serial), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(meter_now(&f).await, unchanged);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_correction_is_decided_once_and_only_a_correction_entry_can_be() {
    let f = fixture().await;
    let (id, entry) = corrected_order(&f, vec![fix(MeterField::Size, None, "1\"")]).await;
    let unchanged = meter_now(&f).await;
    decide_on(&f, id, &entry, ReviewDecision::Dismissed)
        .await
        .expect("dismissed");
    for decision in [ReviewDecision::Accepted, ReviewDecision::Dismissed] {
        match decide_on(&f, id, &entry, decision).await {
            Err(OrderError::Conflict { field, message }) => {
                assert_eq!(field, "entry_id");
                assert!(
                    message.contains("dispatcher already dismissed"),
                    "{message}"
                );
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
    }
    // The meter was not changed by the refused accept.
    assert_eq!(meter_now(&f).await, unchanged);

    // No such entry, or an entry that is not a correction: the request is what is wrong.
    let created = detail(f.store.as_ref(), f.utility, id)
        .await
        .expect("detail");
    let not_a_correction = created.office_log[0].id.clone();
    for wrong in ["nope", not_a_correction.as_str()] {
        match decide_on(&f, id, wrong, ReviewDecision::Accepted).await {
            Err(OrderError::Invalid { field, .. }) => assert_eq!(field, "entry_id"),
            other => panic!("expected an invalid entry, got {other:?}"),
        }
    }
    f.guard.cleanup().await;
}
