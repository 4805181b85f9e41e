//! Uploads: acknowledgement, the audit row, idempotency, refusals, field-found orders,
//! concurrent writers, the version gate and the limits.

use super::*;

#[tokio::test]
async fn an_uploaded_reading_is_acked_audited_and_resending_it_is_a_no_op() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    let acked_before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let changes = doc.changes_since(&acked_before);
    let head_before = f.head().await;

    let answer = f.sync(&mut h, upload(order, changes.clone())).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    assert_eq!(
        answer.acked,
        vec![DocHeads {
            order_id: order.to_string(),
            heads: hashes(&doc)
        }]
    );
    assert!(answer.changes.is_empty(), "its own change is not sent back");
    assert_eq!(f.head().await, head_before + 1);
    let shown = detail(f.store.as_ref(), f.utility, order)
        .await
        .expect("detail");
    assert_eq!(shown.field.len(), 1, "the office sees the reading");
    let history = f
        .store
        .order_history(f.utility, order)
        .await
        .expect("history");
    let row = &history.last().expect("a row").change;
    assert_eq!(row.user_id, Some(f.readers[0].id));
    assert_eq!(row.device_id, Some(h.id));
    assert_eq!(row.actor, h.actor.to_hex_string());
    let claimed = row.device_time.expect("device time");
    assert!(
        claimed < row.received_at,
        "the device's claim is kept beside the receipt time"
    );

    let rows = history.len();
    let again = f.sync(&mut h, upload(order, changes)).await;
    assert_eq!(again.acked, answer.acked);
    assert!(again.rejected.is_empty());
    assert_eq!(f.head().await, head_before + 1, "no new feed entry");
    assert_eq!(f.history_len(order).await, rows, "no new change-log row");
    f.guard.cleanup().await;
}

#[tokio::test]
async fn changes_of_an_unbound_actor_are_rejected_and_nothing_is_stored() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &ActorId::random());
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let (head, rows) = (f.head().await, f.history_len(order).await);
    let answer = f
        .sync(&mut h, upload(order, doc.changes_since(&before)))
        .await;
    assert_eq!(answer.rejected.len(), 1);
    assert_eq!(answer.rejected[0].code, "actor_not_bound");
    assert_eq!(answer.rejected[0].hashes, hashes(&doc));
    assert_eq!((f.head().await, f.history_len(order).await), (head, rows));
    f.guard.cleanup().await;
}

#[tokio::test]
async fn uploads_to_another_users_order_are_rejected() {
    let f = fixture().await;
    let theirs = f.order_for("reader2").await;
    let mut other = f.handheld(1).await;
    let their_first = f.sync(&mut other, vec![]).await;
    let mut h = f.handheld(0).await;
    f.sync(&mut h, vec![]).await;
    // A hostile app writes into someone else's order with its own (bound) actor.
    let mut doc = device_doc(&their_first, theirs, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader2", "1050");
    let rows = f.history_len(theirs).await;
    let answer = f
        .sync(&mut h, upload(theirs, doc.changes_since(&before)))
        .await;
    assert_eq!(answer.rejected.len(), 1);
    assert_eq!(answer.rejected[0].code, "not_assigned");
    assert!(answer.acked.is_empty());
    assert_eq!(f.history_len(theirs).await, rows);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn old_apps_are_told_to_update_and_nothing_is_stored() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let request = f.request(&h, upload(order, doc.changes_since(&before)));
    let head = f.head().await;
    let strict_app = SyncConfig {
        min_app_version: "2.0.0".into(),
        ..SyncConfig::default()
    };
    let refused = f.send(&h, &strict_app, &request).await;
    assert!(
        matches!(&refused, Err(SyncError::UpdateRequired(m)) if m.contains("2.0.0")),
        "{refused:?}"
    );
    let strict_protocol = SyncConfig {
        min_protocol_version: PROTOCOL_VERSION + 1,
        ..SyncConfig::default()
    };
    let refused = f.send(&h, &strict_protocol, &request).await;
    assert!(matches!(refused, Err(SyncError::UpdateRequired(_))));
    // An older protocol's frame is refused from its header alone.
    let mut old_frame = wire::encode_request(&request);
    old_frame[5..9].copy_from_slice(&0u32.to_be_bytes());
    let refused = handle_frame(
        f.store.as_ref(),
        &SyncConfig::default(),
        f.utility,
        f.readers[0].id,
        &old_frame,
        Utc::now(),
    )
    .await;
    assert!(matches!(refused, Err(SyncError::UpdateRequired(_))));
    assert_eq!(f.head().await, head);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn every_limit_is_enforced_before_anything_is_stored() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    read(&mut doc, "reader1", "1051");
    let changes = doc.changes_since(&before);
    let biggest = changes.iter().map(Vec::len).max().unwrap_or_default();
    let mut uploads = upload(order, changes);
    uploads.push(DocChanges {
        order_id: Uuid::new_v4().to_string(),
        changes: vec![],
    });
    let request = f.request(&h, uploads);
    let frame_len = wire::encode_request(&request).len();
    let head = f.head().await;
    let d = SyncConfig::default;
    for (config, names) in [
        (
            SyncConfig {
                max_orders: 1,
                ..d()
            },
            "sync.max_orders",
        ),
        (
            SyncConfig {
                max_changes: 1,
                ..d()
            },
            "sync.max_changes",
        ),
        (
            SyncConfig {
                max_change_bytes: biggest - 1,
                ..d()
            },
            "sync.max_change_bytes",
        ),
        (
            SyncConfig {
                max_frame_bytes: frame_len - 1,
                ..d()
            },
            "sync.max_frame_bytes",
        ),
        (
            SyncConfig {
                max_body_bytes: 64,
                ..d()
            },
            "sync.max_body_bytes",
        ),
    ] {
        let refused = f.send(&h, &config, &request).await;
        assert!(
            matches!(&refused, Err(SyncError::TooLarge(m)) if m.contains(names)),
            "{names}: {refused:?}"
        );
    }
    assert_eq!(f.head().await, head, "nothing stored");
    f.guard.cleanup().await;
}

#[tokio::test]
async fn malformed_frames_and_unregistered_devices_are_refused() {
    let f = fixture().await;
    let h = f.handheld(0).await;
    for junk in [&b"hello"[..], b"FLSY\x01\x00\x00\x00\x01\x01garbage"] {
        let refused = handle_frame(
            f.store.as_ref(),
            &SyncConfig::default(),
            f.utility,
            f.readers[0].id,
            junk,
            Utc::now(),
        )
        .await;
        assert!(
            matches!(refused, Err(SyncError::Malformed(_))),
            "{refused:?}"
        );
    }
    // Registered, but to another user.
    let refused = handle_frame(
        f.store.as_ref(),
        &SyncConfig::default(),
        f.utility,
        f.readers[1].id,
        &wire::encode_request(&f.request(&h, vec![])),
        Utc::now(),
    )
    .await;
    assert!(matches!(refused, Err(SyncError::DeviceNotRegistered(_))));
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_field_found_order_is_created_with_an_office_number() {
    let f = fixture().await;
    let template = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut office = device_doc(&first, template, &h.actor)
        .office()
        .expect("office");
    office.order_type = OrderType::FieldFound;
    office.source = Source::FieldFound;
    office.created_by = "reader1".into();
    // Found at an address the server does not know yet.
    if let Some(premise) = office.premise.as_mut() {
        premise.id = Uuid::new_v4().to_string();
    }
    let id = Uuid::new_v4();
    let doc = WorkOrderDoc::create(
        &id.to_string(),
        &office,
        h.actor.clone(),
        Timestamp(Utc::now().timestamp_millis()),
    )
    .expect("create");
    let answer = f.sync(&mut h, upload(id, doc.changes_since(&[]))).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    assert_eq!(answer.acked.len(), 1);
    let stored = f.store.get_order(f.utility, id).await.expect("stored");
    assert_eq!(stored.summary.projection.source, Source::FieldFound);
    assert!(stored.summary.number > 1);
    assert_eq!(
        stored.summary.projection.premise_id, None,
        "an unknown premise stays out"
    );
    assert!(
        stored.summary.projection.meter_id.is_some(),
        "a known meter is kept"
    );

    // Later changes of a new order without its first one cannot be applied: the device is told.
    let orphan_id = Uuid::new_v4();
    let mut orphan = WorkOrderDoc::create(
        &orphan_id.to_string(),
        &office,
        h.actor.clone(),
        Timestamp(0),
    )
    .expect("create");
    let created = orphan.heads();
    orphan
        .apply_office_action(
            OfficeAction::Assign {
                assignee: "reader1".into(),
                reason: None,
            },
            "reader1",
            Timestamp(0),
        )
        .expect("assign");
    let answer = f
        .sync(&mut h, upload(orphan_id, orphan.changes_since(&created)))
        .await;
    assert_eq!(answer.rejected.len(), 1);
    assert_eq!(answer.rejected[0].code, "missing_dependencies");

    // An office-sourced document is not the device's to create.
    office.source = Source::CallCenter;
    let forged_id = Uuid::new_v4();
    let forged = WorkOrderDoc::create(
        &forged_id.to_string(),
        &office,
        h.actor.clone(),
        Timestamp(0),
    )
    .expect("create");
    let answer = f
        .sync(&mut h, upload(forged_id, forged.changes_since(&[])))
        .await;
    assert_eq!(answer.rejected.len(), 1);
    assert_eq!(answer.rejected[0].code, "not_assigned");
    assert!(f.store.get_order(f.utility, forged_id).await.is_err());
    f.guard.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_syncs_and_office_edits_to_one_order_all_land() {
    let f = Arc::new(fixture().await);
    let order = f.order_for("reader1").await;
    let mut tasks = Vec::new();
    for device in 0..3 {
        let f = Arc::clone(&f);
        tasks.push(tokio::spawn(async move {
            let mut h = f.handheld(0).await;
            let first = f.sync(&mut h, vec![]).await;
            let mut doc = device_doc(&first, order, &h.actor);
            for n in 0..4 {
                let before = doc.heads();
                note(&mut doc, &format!("device {device} note {n}"));
                let answer = f
                    .sync(&mut h, upload(order, doc.changes_since(&before)))
                    .await;
                assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
                for changes in &answer.changes {
                    doc.apply_changes(&changes.changes).expect("applies");
                }
            }
        }));
    }
    for n in 0..4 {
        // The office API answers 503 when it loses every race; its client tries again.
        let mut tries = 0;
        loop {
            let noted = apply_office_action(
                f.store.as_ref(),
                f.utility,
                &f.dispatcher,
                order,
                OfficeAction::Note {
                    text: format!("office note {n}"),
                    review: None,
                },
                Utc::now(),
            )
            .await;
            match noted {
                Ok(_) => break,
                Err(crate::orders::OrderError::Busy) if tries < 20 => tries += 1,
                Err(other) => panic!("office note: {other}"),
            }
        }
    }
    for task in tasks {
        task.await.expect("device task");
    }
    let shown = detail(f.store.as_ref(), f.utility, order)
        .await
        .expect("detail");
    assert_eq!(shown.field.len(), 12, "every device note landed once");
    // create + assign + 4 office notes + 12 device notes, each logged once.
    assert_eq!(f.history_len(order).await, 18);
    let entries = f.store.feed_since(f.utility, 0, 1_000).await.expect("feed");
    let positions: Vec<u64> = entries.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=f.head().await).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_order_named_twice_in_one_upload_is_merged_once() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    let before = doc.heads();
    note(&mut doc, "first");
    let middle = doc.heads();
    note(&mut doc, "second");
    let mut uploads = upload(order, doc.changes_since(&middle));
    uploads.extend(upload(order, doc.changes_since(&before)));
    let head = f.head().await;
    let answer = f.sync(&mut h, uploads).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    assert_eq!(answer.acked.len(), 1);
    assert_eq!(answer.acked[0].heads, hashes(&doc));
    assert_eq!(f.head().await, head + 1, "one feed entry for the order");
    f.guard.cleanup().await;
}
