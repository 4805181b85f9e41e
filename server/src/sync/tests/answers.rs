//! Answers: the first sync, office edits and reassignments reaching devices, reconciliation and
//! paging.

use super::*;

#[tokio::test]
async fn first_sync_delivers_the_users_orders_and_an_idle_sync_is_tiny() {
    let f = fixture().await;
    let mine = [f.order_for("reader1").await, f.order_for("reader1").await];
    f.order_for("reader2").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut got: Vec<String> = first.documents.iter().map(|d| d.order_id.clone()).collect();
    got.sort();
    let mut want: Vec<String> = mine.iter().map(Uuid::to_string).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(first.cursor, f.head().await);
    assert!(!first.more && !first.reconcile);

    let idle_request = f.request(&h, vec![]);
    let idle = f.sync(&mut h, vec![]).await;
    assert_eq!(idle, SyncResponse::empty(first.cursor));
    let up = wire::encode_request(&idle_request).len();
    let down = wire::encode_response(&idle).len();
    assert!(
        up < 1024 && down < 1024,
        "idle sync: {up} B up, {down} B down"
    );
    let device = f.store.get_device(f.utility, h.id).await.expect("device");
    assert!(device.last_sync_at.is_some());
    f.guard.cleanup().await;
}

#[tokio::test]
async fn an_office_cancel_reaches_the_device_on_its_next_sync() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        order,
        OfficeAction::Cancel {
            reason: "account closed".into(),
        },
        Utc::now(),
    )
    .await
    .expect("cancel");
    let answer = f.sync(&mut h, vec![]).await;
    assert_eq!(answer.changes.len(), 1);
    assert_eq!(answer.changes[0].order_id, order.to_string());
    doc.apply_changes(&answer.changes[0].changes)
        .expect("applies");
    assert_eq!(doc.derive().expect("derive").status, Status::Cancelled);
    assert_eq!(answer.cursor, f.head().await);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn reassigning_revokes_on_the_old_device_and_delivers_to_the_new_one() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut old = f.handheld(0).await;
    let mut new = f.handheld(1).await;
    let first = f.sync(&mut old, vec![]).await;
    assert!(f.sync(&mut new, vec![]).await.documents.is_empty());
    apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        order,
        OfficeAction::Assign {
            assignee: "reader2".into(),
            reason: None,
        },
        Utc::now(),
    )
    .await
    .expect("reassign");
    let to_old = f.sync(&mut old, vec![]).await;
    assert_eq!(to_old.revoked, vec![order.to_string()]);
    let to_new = f.sync(&mut new, vec![]).await;
    assert_eq!(to_new.documents.len(), 1);
    assert_eq!(to_new.documents[0].order_id, order.to_string());

    // The old device still uploads what it did before it heard: the work is kept.
    let mut doc = device_doc(&first, order, &old.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let request = f.request(&old, upload(order, doc.changes_since(&before)));
    let synced = handle_frame(
        f.store.as_ref(),
        &SyncConfig::default(),
        f.utility,
        f.readers[0].id,
        &wire::encode_request(&request),
        Utc::now(),
    )
    .await
    .expect("late upload");
    assert_eq!(
        synced.changed_assignees,
        vec![Some(f.readers[1].id)],
        "the new crew is the one to poke"
    );
    let late = synced.response;
    assert!(late.rejected.is_empty(), "{:?}", late.rejected);
    assert_eq!(late.acked.len(), 1);
    let to_new = f.sync(&mut new, vec![]).await;
    assert_eq!(
        to_new.changes.len(),
        1,
        "the new device gets the old crew's work"
    );
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_cursor_ahead_of_the_feed_asks_for_reconciliation_by_heads() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let other = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let doc = device_doc(&first, order, &h.actor);
    apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        order,
        OfficeAction::Note {
            text: "dog in yard".into(),
            review: None,
        },
        Utc::now(),
    )
    .await
    .expect("note");
    let head = f.head().await;
    h.cursor = Some(head + 10);
    let answer = f.sync(&mut h, vec![]).await;
    assert!(answer.reconcile);
    assert_eq!(answer.cursor, head);

    h.cursor = Some(head + 10);
    let mut request = f.request(&h, vec![]);
    let stranger = Uuid::new_v4().to_string();
    request.holdings = vec![
        DocHeads {
            order_id: order.to_string(),
            heads: hashes(&doc),
        },
        DocHeads {
            order_id: stranger.clone(),
            heads: vec![[7; 32]],
        },
    ];
    let answer = f
        .send(&h, &SyncConfig::default(), &request)
        .await
        .expect("reconcile");
    assert!(!answer.reconcile);
    assert_eq!(answer.cursor, head);
    assert_eq!(answer.changes.len(), 1, "what it lacks of a held order");
    assert_eq!(answer.changes[0].order_id, order.to_string());
    assert_eq!(answer.documents.len(), 1, "a missing order comes whole");
    assert_eq!(answer.documents[0].order_id, other.to_string());
    assert_eq!(answer.revoked, vec![stranger]);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn large_answers_are_paged_and_the_pages_add_up() {
    let f = fixture().await;
    let mut h = f.handheld(0).await;
    f.sync(&mut h, vec![]).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(f.order_for("reader1").await);
    }
    let paged = SyncConfig {
        page_entries: 2,
        ..SyncConfig::default()
    };
    let mut delivered = Vec::new();
    let mut pages = 0;
    loop {
        let response = f
            .send(&h, &paged, &f.request(&h, vec![]))
            .await
            .expect("page");
        h.cursor = Some(response.cursor);
        delivered.extend(response.documents.into_iter().map(|d| d.order_id));
        pages += 1;
        if !response.more {
            break;
        }
        assert!(pages < 10, "paging must make progress");
    }
    assert!(pages >= 2);
    delivered.sort();
    delivered.dedup();
    let mut want: Vec<String> = orders.iter().map(Uuid::to_string).collect();
    want.sort();
    assert_eq!(delivered, want);
    assert_eq!(h.cursor, Some(f.head().await));

    // A byte budget smaller than one document still moves one order per page.
    let mut late = f.handheld(0).await;
    late.cursor = Some(0);
    let tiny = SyncConfig {
        page_bytes: 1,
        ..SyncConfig::default()
    };
    let response = f
        .send(&late, &tiny, &f.request(&late, vec![]))
        .await
        .expect("tiny page");
    assert!(response.more);
    assert_eq!(response.documents.len(), 1);
    assert!(response.cursor > 0);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_first_sync_too_large_for_one_answer_is_paged_through_the_feed() {
    let f = fixture().await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(f.order_for("reader1").await);
    }
    f.order_for("reader2").await;
    let h = f.handheld(0).await;
    let small = SyncConfig {
        page_bytes: 1,
        ..SyncConfig::default()
    };
    let first = f
        .send(&h, &small, &f.request(&h, vec![]))
        .await
        .expect("first");
    assert!(first.more && first.documents.is_empty());
    assert_eq!(first.cursor, 0);
    let mut h = h;
    h.cursor = Some(first.cursor);
    let mut delivered = Vec::new();
    for _ in 0..10 {
        let page = f
            .send(&h, &small, &f.request(&h, vec![]))
            .await
            .expect("page");
        h.cursor = Some(page.cursor);
        delivered.extend(page.documents.into_iter().map(|d| d.order_id));
        if !page.more {
            break;
        }
    }
    delivered.sort();
    let mut want: Vec<String> = orders.iter().map(Uuid::to_string).collect();
    want.sort();
    assert_eq!(delivered, want, "every order of the route, once each");
    assert_eq!(h.cursor, Some(f.head().await));
    f.guard.cleanup().await;
}
