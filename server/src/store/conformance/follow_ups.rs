//! Conformance: follow-up links create their order exactly once, under repeats and concurrent
//! writers, and read back both ways; blind re-reads keep their hidden values and outcome; reference versions are kept.

use super::*;
use fieldline_core::FollowUpKind;

fn link_for(origin: Uuid, entry: &str, kind: FollowUpKind, order: &NewOrder) -> FollowUpLink {
    FollowUpLink {
        origin_order_id: origin,
        origin_entry_id: entry.into(),
        kind,
        reason: "seal_mismatch".into(),
        order_id: order.id,
        created_at: at(2, 11),
    }
}

pub(super) async fn a_follow_up_is_created_once_per_origin_entry_and_kind(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let origin = store
        .insert_order(
            a.id,
            &new_order(projection(OrderType::Reconnect, Status::Completed), None),
        )
        .await
        .expect("origin");
    let head = store.feed_head(a.id).await.expect("head");
    let first = new_order(projection(OrderType::Inspection, Status::Unassigned), None);
    let created = store
        .insert_follow_up(
            a.id,
            &link_for(origin.id, "e1", FollowUpKind::Inspection, &first),
            &first,
        )
        .await
        .expect("first follow-up");
    let created = created.expect("a new link creates its order");
    assert_eq!(created.id, first.id);
    assert_eq!(store.feed_head(a.id).await.expect("head"), head + 1);

    // The same key again, with another would-be order: nothing is written.
    let again = new_order(projection(OrderType::Inspection, Status::Unassigned), None);
    let repeated = store
        .insert_follow_up(
            a.id,
            &link_for(origin.id, "e1", FollowUpKind::Inspection, &again),
            &again,
        )
        .await
        .expect("repeat");
    assert_eq!(repeated, None);
    assert!(is_not_found(&store.get_order(a.id, again.id).await));
    assert_eq!(store.feed_head(a.id).await.expect("head"), head + 1);

    // Another kind for the same entry is another follow-up.
    let test = new_order(
        projection(OrderType::MeterExchange, Status::Unassigned),
        None,
    );
    store
        .insert_follow_up(
            a.id,
            &link_for(origin.id, "e1", FollowUpKind::MeterTest, &test),
            &test,
        )
        .await
        .expect("meter test")
        .expect("created");

    let links = store.follow_ups_of(a.id, origin.id).await.expect("links");
    let mut kinds: Vec<FollowUpKind> = links.iter().map(|l| l.kind).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![FollowUpKind::Inspection, FollowUpKind::MeterTest]
    );
    let back = store
        .follow_up_origin(a.id, first.id)
        .await
        .expect("origin of the follow-up")
        .expect("it is a follow-up");
    assert_eq!(back.origin_order_id, origin.id);
    assert_eq!(back.origin_entry_id, "e1");
    assert_eq!(back.created_at, at(2, 11));
    assert_eq!(
        store.follow_up_origin(a.id, origin.id).await.expect("none"),
        None
    );

    // Another utility sees none of it.
    let b = utility(&store, "b").await;
    assert!(
        store
            .follow_ups_of(b.id, origin.id)
            .await
            .expect("b")
            .is_empty()
    );
    // A link naming another order than the one it creates is refused.
    let other = new_order(projection(OrderType::Inspection, Status::Unassigned), None);
    let mismatched = link_for(origin.id, "e2", FollowUpKind::Inspection, &first);
    assert!(matches!(
        store.insert_follow_up(a.id, &mismatched, &other).await,
        Err(StoreError::Invalid(_))
    ));
}

pub(super) async fn concurrent_follow_ups_of_one_entry_create_one_order(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let origin = store
        .insert_order(
            a.id,
            &new_order(
                projection(OrderType::HighBillInvestigation, Status::Completed),
                None,
            ),
        )
        .await
        .expect("origin");
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let order = new_order(projection(OrderType::Inspection, Status::Unassigned), None);
            let link = link_for(origin.id, "leak-1", FollowUpKind::UtilityRepair, &order);
            store.insert_follow_up(a.id, &link, &order).await
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await {
            Ok(Ok(Some(_))) => created += 1,
            Ok(Ok(None)) => {}
            Ok(Err(e)) => panic!("a concurrent follow-up failed: {e}"),
            Err(e) => panic!("a follow-up task panicked: {e}"),
        }
    }
    assert_eq!(created, 1, "exactly one writer creates the order");
    let links = store.follow_ups_of(a.id, origin.id).await.expect("links");
    assert_eq!(links.len(), 1);
    let orders = store
        .list_orders(a.id, &OrderFilter::default(), PageRequest::first(100))
        .await
        .expect("orders");
    assert_eq!(orders.total, 2, "the origin and one follow-up");
}

pub(super) async fn re_reads_keep_hidden_values_and_their_latest_outcome(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let order = new_order(projection(OrderType::ReRead, Status::Unassigned), None);
    let hidden = vec![
        HiddenRegister {
            register: 1,
            disputed: Some("1450.5".into()),
            previous: Some("1000".into()),
            low_limit: Some(1010.0),
            high_limit: Some(1100.25),
        },
        HiddenRegister {
            register: 2,
            disputed: None,
            previous: None,
            low_limit: None,
            high_limit: None,
        },
    ];
    let summary = store
        .insert_re_read(a.id, &order, &hidden)
        .await
        .expect("re-read");
    assert_eq!(summary.id, order.id);
    assert_eq!(
        store.re_read_values(a.id, order.id).await.expect("values"),
        hidden
    );
    assert_eq!(
        store.re_read_outcome(a.id, order.id).await.expect("none"),
        None
    );
    let mut outcome = ReReadOutcome {
        order_id: order.id,
        outcome: "original_misread".into(),
        entry_id: "e1".into(),
        detail: "register 1: read 1045".into(),
        judged_at: at(3, 9),
    };
    store
        .record_re_read_outcome(a.id, &outcome)
        .await
        .expect("outcome");
    outcome.outcome = "original_confirmed".into();
    outcome.entry_id = "e2".into();
    store
        .record_re_read_outcome(a.id, &outcome)
        .await
        .expect("a later outcome replaces it");
    assert_eq!(
        store
            .re_read_outcome(a.id, order.id)
            .await
            .expect("outcome"),
        Some(outcome)
    );
    let b = utility(&store, "b").await;
    assert!(
        store
            .re_read_values(b.id, order.id)
            .await
            .expect("b")
            .is_empty()
    );
    // A re-read whose values cannot be stored is not stored at all.
    let twice = new_order(projection(OrderType::ReRead, Status::Unassigned), None);
    let duplicate = vec![hidden[0].clone(), hidden[0].clone()];
    assert!(
        store
            .insert_re_read(a.id, &twice, &duplicate)
            .await
            .is_err()
    );
    assert!(is_not_found(&store.get_order(a.id, twice.id).await));
}

pub(super) async fn reference_versions_are_kept_and_the_highest_is_current(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let admin = user(&store, a.id, "admin", Role::Admin).await;
    assert_eq!(
        store.reference_version(a.id, None).await.expect("none"),
        None
    );
    let v2 = StoredReference {
        version: 2,
        data: "{\"v\":2}".into(),
        created_by: admin.id,
        created_at: at(4, 9),
    };
    let v3 = StoredReference {
        version: 3,
        data: "{\"v\":3}".into(),
        created_by: admin.id,
        created_at: at(4, 10),
    };
    store.insert_reference_version(a.id, &v2).await.expect("v2");
    store.insert_reference_version(a.id, &v3).await.expect("v3");
    assert!(is_conflict(
        &store.insert_reference_version(a.id, &v3).await
    ));
    assert_eq!(
        store.reference_version(a.id, None).await.expect("current"),
        Some(v3.clone())
    );
    assert_eq!(
        store.reference_version(a.id, Some(2)).await.expect("old"),
        Some(v2)
    );
    let b = utility(&store, "b").await;
    assert_eq!(
        store.reference_version(b.id, Some(3)).await.expect("b"),
        None
    );
}
