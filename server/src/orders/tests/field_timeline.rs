//! The office's order detail shows the field work of two devices, one of them working offline,
//! as one timeline: causal order first, device clocks only between concurrent entries, and each
//! entry with the user and device the server bound its change to and the time it arrived.

use super::*;
use chrono::Duration;
use fieldline_core::document::ChangeInfo;

/// Stores `infos` (a device's changes) as the sync would: merged into the server's document,
/// projected, and logged as `user`'s from `device`, received at `at`.
async fn upload(
    f: &Fixture,
    id: Uuid,
    infos: &[ChangeInfo],
    user: &User,
    device: Uuid,
    at: DateTime<Utc>,
) {
    let stored = f.store.get_order(f.utility, id).await.expect("order");
    let mut server = WorkOrderDoc::load(&stored.doc).expect("document");
    let bytes: Vec<Vec<u8>> = infos.iter().map(|i| i.bytes.clone()).collect();
    server.apply_changes(&bytes).expect("merge");
    let projection = project(f.store.as_ref(), f.utility, &server)
        .await
        .expect("projection");
    let changes = infos
        .iter()
        .map(|info| NewChange {
            hash: info.hash.to_string(),
            bytes: info.bytes.clone(),
            actor: info.actor.clone(),
            user_id: Some(user.id),
            device_id: Some(device),
            device_time: None,
            received_at: at,
            summary: info.message.clone().unwrap_or_default(),
        })
        .collect();
    f.store
        .update_order(
            f.utility,
            id,
            stored.summary.version,
            &OrderUpdate {
                doc: server.save(),
                projection,
                changes,
                updated_at: at,
            },
        )
        .await
        .expect("stored");
}

fn act(doc: &mut WorkOrderDoc, action: FieldAction, device_ms: i64) {
    let context = ActionContext {
        user: "reader1".into(),
        device_time: Timestamp(device_ms),
        gps: None,
    };
    doc.record_field_action(action, context, &ReferenceData::default())
        .unwrap_or_else(|refusal| panic!("the device accepts the action: {refusal:?}"));
}

fn note(text: &str) -> FieldAction {
    FieldAction::Note {
        code: None,
        text: text.into(),
    }
}

/// A short name for an entry of the timeline (`en_route`, `note:gate`).
fn label(entry: &timeline::TimelineEntry) -> String {
    match &entry.entry.action {
        FieldAction::Note { text, .. } => format!("note:{text}"),
        other => other.name().to_string(),
    }
}

#[tokio::test]
async fn concurrent_work_of_two_devices_reads_as_one_causal_timeline() {
    let f = fixture().await;
    let reader = f
        .store
        .get_user_by_username(f.utility, "reader1")
        .await
        .expect("reader1");
    let mut req = request(OrderType::CycleRead);
    req.meter_id = Some(f.meter.id);
    req.assignee = Some("reader1".into());
    let id = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .expect("created")
        .summary
        .id;
    let stored = f.store.get_order(f.utility, id).await.expect("order");
    let (device_a, device_b) = (Uuid::new_v4(), Uuid::new_v4());
    let mut a = WorkOrderDoc::load(&stored.doc).expect("document");
    a.set_actor(ActorId::random());
    let mut b = WorkOrderDoc::load(&stored.doc).expect("document");
    b.set_actor(ActorId::random());
    let start = a.heads();

    // Offline, neither seeing the other: the van's handheld and the reader's phone.
    act(&mut a, FieldAction::EnRoute, 100_000);
    act(&mut a, FieldAction::Arrive, 300_000);
    act(&mut b, note("gate"), 200_000);
    let received = Utc::now();
    upload(&f, id, &a.change_infos(&start), &reader, device_a, received).await;
    let b_offline = b.change_infos(&start);
    upload(
        &f,
        id,
        &b_offline,
        &reader,
        device_b,
        received + Duration::seconds(5),
    )
    .await;

    // The phone syncs, sees the van's entries, then adds one with its clock far behind.
    let merged = f.store.get_order(f.utility, id).await.expect("order");
    let heads = b.heads();
    b.apply_changes(
        &WorkOrderDoc::load(&merged.doc)
            .expect("doc")
            .changes_since(&heads),
    )
    .expect("merge");
    let seen = b.heads();
    act(&mut b, note("done"), 50_000);
    let later = received + Duration::seconds(9);
    upload(&f, id, &b.change_infos(&seen), &reader, device_b, later).await;

    let shown = detail(f.store.as_ref(), f.utility, id)
        .await
        .expect("detail");
    let labels: Vec<String> = shown.field.iter().map(label).collect();
    assert_eq!(
        labels,
        ["en_route", "note:gate", "arrive", "note:done"],
        "causal order, concurrent entries by device time"
    );
    let by_label = |l: &str| {
        shown
            .field
            .iter()
            .find(|e| label(e) == l)
            .unwrap_or_else(|| panic!("no {l} entry"))
    };
    let (en_route, gate, arrive, done) = (
        by_label("en_route"),
        by_label("note:gate"),
        by_label("arrive"),
        by_label("note:done"),
    );
    for (entry, device, at) in [
        (en_route, device_a, received),
        (arrive, device_a, received),
        (gate, device_b, received + Duration::seconds(5)),
        (done, device_b, later),
    ] {
        assert_eq!(entry.user.as_deref(), Some("reader1"));
        assert_eq!(entry.device_id, Some(device));
        assert_eq!(
            entry.received_at.map(|t| t.timestamp_millis()),
            Some(at.timestamp_millis())
        );
        assert_eq!(
            entry.device_time.map(|t| t.timestamp_millis()),
            Some(entry.entry.context.device_time.0)
        );
    }
    let mut with_gate = gate.concurrent_with.clone();
    with_gate.sort();
    let mut van = vec![en_route.entry.id.clone(), arrive.entry.id.clone()];
    van.sort();
    assert_eq!(
        with_gate, van,
        "the note was made without seeing the van's entries"
    );
    assert_eq!(en_route.concurrent_with, vec![gate.entry.id.clone()]);
    assert!(done.concurrent_with.is_empty(), "it had seen everything");

    // The JSON keeps the entry's own fields where clients read them.
    let json = serde_json::to_value(&shown).expect("json");
    assert_eq!(json["field"][0]["action"]["action"], "en_route", "{json}");
    assert_eq!(json["field"][0]["context"]["user"], "reader1");
    assert_eq!(json["field"][0]["device_id"], device_a.to_string());
    f.guard.cleanup().await;
}
