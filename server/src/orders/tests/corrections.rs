//! A dispatcher's decision on a reader's meter-record correction: accept corrects the meter
//! record and resolves the exceptions, dismiss only resolves them, a record changed since the
//! reading or a serial that is another meter's is refused, and a correction is decided once.

use super::*;
use crate::orders::corrections::{CorrectionDecision, METER_INFO_CORRECTION, decide, prepare};
use crate::store::VersionedWrite;
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

/// The last decision in the order's office log.
async fn logged_decision(f: &Fixture, id: Uuid, entry: &str) -> ReviewDecision {
    let now = detail(f.store.as_ref(), f.utility, id)
        .await
        .expect("detail");
    assert_eq!(open_corrections(&now), 0, "the decision resolved the entry");
    let reviews: Vec<_> = now
        .office_log
        .iter()
        .filter_map(|e| e.action.review())
        .filter(|r| r.entry == entry)
        .collect();
    assert_eq!(reviews.len(), 1, "decided exactly once: {reviews:?}");
    reviews[0].decision
}

#[tokio::test]
async fn an_accept_prepared_before_a_dismissal_committed_writes_nothing() {
    let f = fixture().await;
    let (id, entry) = corrected_order(&f, vec![fix(MeterField::Serial, None, "SN-LATE-1")]).await;
    let unchanged = meter_now(&f).await;

    // Both dispatchers load the same version; the dismissal commits first.
    let stored = f.store.get_order(f.utility, id).await.expect("stored");
    let references = crate::reference::all_versions(f.store.as_ref(), f.utility)
        .await
        .expect("references");
    let accept = CorrectionDecision {
        decision: ReviewDecision::Accepted,
        note: None,
    };
    let prepared = prepare(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        &stored,
        &entry,
        &accept,
        Utc::now(),
        &references,
    )
    .await
    .expect("the accept is prepared");
    let correction = prepared.correction.expect("an accept corrects the meter");
    decide_on(&f, id, &entry, ReviewDecision::Dismissed)
        .await
        .expect("dismissed");

    // The accept's single write finds the order moved: nothing of it lands.
    let late = f
        .store
        .correct_meter_for_order(
            f.utility,
            &correction,
            id,
            stored.summary.version,
            &prepared.update,
        )
        .await
        .expect("no store error");
    assert_eq!(late, VersionedWrite::OrderMoved);
    assert_eq!(meter_now(&f).await, unchanged);

    // Deciding again reads the dismissal and refuses, the record still as it was.
    match decide_on(&f, id, &entry, ReviewDecision::Accepted).await {
        Err(OrderError::Conflict { field, message }) => {
            assert_eq!(field, "entry_id");
            assert!(message.contains("already dismissed"), "{message}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(meter_now(&f).await, unchanged);
    assert_eq!(
        logged_decision(&f, id, &entry).await,
        ReviewDecision::Dismissed
    );
    f.guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_accept_and_dismiss_leave_the_meter_as_the_logged_decision_says() {
    let f = fixture().await;
    let supervisor = f
        .store
        .get_user_by_username(f.utility, "supervisor")
        .await
        .expect("supervisor");
    for round in 0..6 {
        let serial = format!("SN-RACE-{round}");
        let (id, entry) = corrected_order(&f, vec![fix(MeterField::Serial, None, &serial)]).await;
        let before = meter_now(&f).await;
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let deciders = [
            (f.dispatcher.clone(), ReviewDecision::Accepted),
            (supervisor.clone(), ReviewDecision::Dismissed),
        ]
        .map(|(by, decision)| {
            let (store, barrier, entry) = (f.store.clone(), barrier.clone(), entry.clone());
            let utility = f.utility;
            tokio::spawn(async move {
                barrier.wait().await;
                let decided = CorrectionDecision {
                    decision,
                    note: None,
                };
                decide(
                    store.as_ref(),
                    utility,
                    &by,
                    id,
                    &entry,
                    decided,
                    Utc::now(),
                )
                .await
            })
        });
        let mut won = Vec::new();
        for (decider, decision) in deciders
            .into_iter()
            .zip([ReviewDecision::Accepted, ReviewDecision::Dismissed])
        {
            match decider.await.expect("the decider ran") {
                Ok(_) => won.push(decision),
                Err(OrderError::Conflict { field, .. }) => assert_eq!(field, "entry_id"),
                Err(other) => panic!("the loser must see the other decision, got {other:?}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: exactly one decision lands");
        let logged = logged_decision(&f, id, &entry).await;
        assert_eq!(won[0], logged, "round {round}");
        let after = meter_now(&f).await;
        match logged {
            ReviewDecision::Accepted => assert_eq!(after.serial, serial, "round {round}"),
            ReviewDecision::Dismissed => assert_eq!(after, before, "round {round}"),
        }
    }
    f.guard.cleanup().await;
}
