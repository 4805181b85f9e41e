//! Conformance: the change feed (gap-free positions visible in order, also under concurrent and
//! late-committing writers), sync batches, and device registration with actor binding.

use super::*;
use std::time::Duration;

fn assigned(to: Option<Uuid>) -> OrderProjection {
    OrderProjection {
        assignee_id: to,
        ..projection(OrderType::Inspection, Status::Assigned)
    }
}

fn positions(entries: &[FeedEntry]) -> Vec<u64> {
    entries.iter().map(|e| e.position).collect()
}

async fn feed(store: &Arc<dyn Store>, u: UtilityId) -> Vec<FeedEntry> {
    store.feed_since(u, 0, 100_000).await.expect("feed")
}

pub(super) async fn feed_records_every_order_change_with_assignees(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let other = user(&store, a.id, "reader2", Role::Reader).await;
    assert_eq!(store.feed_head(a.id).await.expect("head"), 0);
    let first = store
        .insert_orders(
            a.id,
            &[
                new_order(assigned(Some(reader.id)), None),
                new_order(assigned(None), None),
            ],
        )
        .await
        .expect("insert");
    store
        .insert_order(b.id, &new_order(assigned(None), None))
        .await
        .expect("other utility");
    let mut moved = update_of(&first[0], vec![9], vec![change(2, None), change(3, None)]);
    moved.projection.assignee_id = Some(other.id);
    store
        .update_order(a.id, first[0].id, 1, &moved)
        .await
        .expect("reassign");
    // An update that appends no change is not a feed entry.
    store
        .update_order(a.id, first[1].id, 1, &update_of(&first[1], vec![8], vec![]))
        .await
        .expect("no-change update");

    assert_eq!(store.feed_head(a.id).await.expect("head"), 3);
    assert_eq!(
        store.feed_head(b.id).await.expect("head b"),
        1,
        "per utility"
    );
    let entries = feed(&store, a.id).await;
    assert_eq!(positions(&entries), vec![1, 2, 3]);
    assert_eq!(
        (
            entries[0].order_id,
            entries[0].assignee_before,
            entries[0].assignee_after
        ),
        (first[0].id, None, Some(reader.id))
    );
    assert_eq!(entries[1].order_id, first[1].id);
    assert_eq!(
        (entries[2].assignee_before, entries[2].assignee_after),
        (Some(reader.id), Some(other.id))
    );
    let page = store.feed_since(a.id, 1, 1).await.expect("page");
    assert_eq!(positions(&page), vec![2]);
    let mine = store
        .feed_for_user(a.id, reader.id, 0, 3, 10)
        .await
        .expect("for user");
    assert_eq!(positions(&mine), vec![1, 3]);
    let bounded = store
        .feed_for_user(a.id, reader.id, 0, 2, 10)
        .await
        .expect("bounded");
    assert_eq!(positions(&bounded), vec![1]);

    let all = store
        .order_changes_after(a.id, first[0].id, 0, 3)
        .await
        .expect("changes");
    assert_eq!(
        all.len(),
        3,
        "the insert's change and the update's two, in log order"
    );
    assert_eq!(all[1].bytes, change(2, None).bytes);
    let later = store
        .order_changes_after(a.id, first[0].id, 1, 3)
        .await
        .expect("later");
    assert_eq!(later.len(), 2);
    assert_eq!(later[0].hash, change(2, None).hash);
    assert!(
        store
            .order_changes_after(a.id, first[0].id, 3, 3)
            .await
            .expect("none")
            .is_empty()
    );
}

pub(super) async fn concurrent_writers_never_leave_a_visible_gap(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let orders = store
        .insert_orders(
            a.id,
            &(0..8)
                .map(|_| new_order(assigned(None), None))
                .collect::<Vec<_>>(),
        )
        .await
        .expect("insert");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (store, done) = (Arc::clone(&store), Arc::clone(&done));
        tokio::spawn(async move {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || reads == 0 {
                let head = store.feed_head(a.id).await.expect("head");
                let seen = store.feed_since(a.id, 0, 100_000).await.expect("feed");
                let expected: Vec<u64> = (1..=seen.len() as u64).collect();
                assert_eq!(positions(&seen), expected, "a reader saw a gap");
                assert!(
                    seen.len() as u64 >= head,
                    "an entry up to the head is missing"
                );
                reads += 1;
            }
            reads
        })
    };
    let mut writers = Vec::new();
    for order in orders {
        let store = Arc::clone(&store);
        writers.push(tokio::spawn(async move {
            for n in 0..10u8 {
                loop {
                    let current = store.get_order(a.id, order.id).await.expect("read");
                    let update = update_of(&current.summary, vec![n], vec![change(n, None)]);
                    match store
                        .update_order(a.id, order.id, current.summary.version, &update)
                        .await
                    {
                        Ok(_) => break,
                        Err(StoreError::Conflict(_)) => continue,
                        Err(other) => panic!("update failed: {other}"),
                    }
                }
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(reader.await.expect("reader") > 0);
    let head = store.feed_head(a.id).await.expect("head");
    assert_eq!(head, 8 + 80);
    assert_eq!(
        positions(&feed(&store, a.id).await),
        (1..=head).collect::<Vec<_>>()
    );
}

pub(super) async fn a_late_commit_is_never_skipped(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let orders = store
        .insert_orders(
            a.id,
            &[
                new_order(assigned(None), None),
                new_order(assigned(None), None),
            ],
        )
        .await
        .expect("insert");
    let held = store
        .hold_feed_position(a.id, orders[0].id)
        .await
        .expect("hold");
    assert_eq!(held.position(), 3);
    let later = {
        let store = Arc::clone(&store);
        let order = orders[1].clone();
        tokio::spawn(async move {
            let update = update_of(&order, vec![7], vec![change(7, None)]);
            store.update_order(a.id, order.id, 1, &update).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !later.is_finished(),
        "position 4 must wait for position 3 to commit"
    );
    assert_eq!(store.feed_head(a.id).await.expect("head"), 2);
    assert_eq!(positions(&feed(&store, a.id).await), vec![1, 2]);
    held.commit().await.expect("commit 3");
    later.await.expect("join").expect("update");
    let entries = feed(&store, a.id).await;
    assert_eq!(positions(&entries), vec![1, 2, 3, 4]);
    assert_eq!(entries[3].order_id, orders[1].id);
}

pub(super) async fn sync_batches_apply_atomically(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let existing = store
        .insert_order(a.id, &new_order(assigned(Some(reader.id)), None))
        .await
        .expect("insert");
    let mut device_change = change(5, Some(reader.id));
    device_change.device_id = Some(Uuid::new_v4());
    let found = new_order(assigned(Some(reader.id)), Some(reader.id));
    let batch = vec![
        UploadedOrder::Update {
            id: existing.id,
            expected_version: 1,
            update: update_of(&existing, vec![4, 5], vec![device_change.clone()]),
        },
        UploadedOrder::Create(found.clone()),
    ];
    let done = store.apply_uploads(a.id, &batch).await.expect("batch");
    assert_eq!(done.len(), 2);
    assert_eq!(
        done[1].number, 2,
        "a field-found order gets an office number"
    );
    assert_eq!(store.feed_head(a.id).await.expect("head"), 3);
    let history = store
        .order_history(a.id, existing.id)
        .await
        .expect("history");
    assert_eq!(history.last().map(|c| &c.change), Some(&device_change));

    // A stale version anywhere in the batch: nothing of it is written.
    let stale = vec![
        UploadedOrder::Create(new_order(assigned(None), None)),
        UploadedOrder::Update {
            id: existing.id,
            expected_version: 1,
            update: update_of(&existing, vec![6], vec![change(6, None)]),
        },
    ];
    let refused = store.apply_uploads(a.id, &stale).await;
    assert!(is_conflict(&refused), "{refused:?}");
    assert_eq!(store.feed_head(a.id).await.expect("head"), 3);
    let listed = store
        .list_orders(a.id, &OrderFilter::default(), PageRequest::default())
        .await
        .expect("list");
    assert_eq!(listed.total, 2);
    assert!(
        store
            .apply_uploads(a.id, &[])
            .await
            .expect("empty")
            .is_empty()
    );
}

pub(super) async fn batch_reads_return_only_this_utilitys_orders(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let mine = store
        .insert_orders(
            a.id,
            &[
                new_order(assigned(None), None),
                new_order(assigned(None), None),
                new_order(assigned(None), None),
            ],
        )
        .await
        .expect("insert");
    let theirs = store
        .insert_order(b.id, &new_order(assigned(None), None))
        .await
        .expect("insert");
    assert!(store.get_orders(a.id, &[]).await.expect("none").is_empty());
    // More ids than one statement takes, most of them unknown, and another utility's order.
    let mut ids: Vec<Uuid> = (0..1_200).map(|_| Uuid::new_v4()).collect();
    ids.insert(0, mine[0].id);
    ids.insert(700, mine[2].id);
    ids.push(theirs.id);
    let mut found = store.get_orders(a.id, &ids).await.expect("batch");
    found.sort_by_key(|o| o.summary.number);
    let mut expected = Vec::new();
    for id in [mine[0].id, mine[2].id] {
        expected.push(store.get_order(a.id, id).await.expect("one"));
    }
    assert_eq!(found, expected);
}

pub(super) async fn sync_batches_log_feed_and_answer_what_is_stored(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let other = user(&store, a.id, "reader2", Role::Reader).await;
    let orders = store
        .insert_orders(
            a.id,
            &[
                new_order(assigned(Some(reader.id)), None),
                new_order(assigned(None), None),
                new_order(assigned(Some(reader.id)), None),
            ],
        )
        .await
        .expect("insert");
    let reassigned = OrderUpdate {
        projection: assigned(Some(other.id)),
        ..update_of(&orders[2], vec![9], vec![change(7, None)])
    };
    let batch = vec![
        UploadedOrder::Update {
            id: orders[0].id,
            expected_version: 1,
            update: update_of(&orders[0], vec![7], vec![change(2, None), change(3, None)]),
        },
        UploadedOrder::Create(new_order(assigned(Some(reader.id)), Some(reader.id))),
        UploadedOrder::Update {
            id: orders[2].id,
            expected_version: 1,
            update: reassigned,
        },
    ];
    let done = store.apply_uploads(a.id, &batch).await.expect("batch");
    // The answer is what a later read returns.
    assert_eq!(done.len(), 3);
    for summary in &done {
        let stored = store.get_order(a.id, summary.id).await.expect("stored");
        assert_eq!(&stored.summary, summary);
    }
    assert_eq!(done[0].version, 2);
    assert_eq!(
        store.get_order(a.id, orders[0].id).await.expect("doc").doc,
        vec![7]
    );
    // Each order's log continues after what it had, in upload order, with the batch's feed
    // position; the feed names the assignee before and after.
    let history = store
        .order_history(a.id, orders[0].id)
        .await
        .expect("history");
    let logged: Vec<(i64, String)> = history
        .iter()
        .map(|c| (c.position, c.change.summary.clone()))
        .collect();
    assert_eq!(
        logged,
        vec![
            (0, "change 1".to_string()),
            (1, "change 2".to_string()),
            (2, "change 3".to_string())
        ]
    );
    let fed = feed(&store, a.id).await;
    assert_eq!(positions(&fed), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(fed[3].order_id, orders[0].id);
    assert_eq!(fed[5].order_id, orders[2].id);
    assert_eq!(
        (fed[5].assignee_before, fed[5].assignee_after),
        (Some(reader.id), Some(other.id))
    );
    let appended = store
        .order_changes_after(a.id, orders[0].id, 3, 6)
        .await
        .expect("changes");
    assert_eq!(appended.len(), 2);
    // An update of an order the utility does not have: nothing of the batch is written.
    let missing = vec![
        UploadedOrder::Update {
            id: orders[1].id,
            expected_version: 1,
            update: update_of(&orders[1], vec![8], vec![change(8, None)]),
        },
        UploadedOrder::Update {
            id: Uuid::new_v4(),
            expected_version: 1,
            update: update_of(&orders[1], vec![8], vec![change(9, None)]),
        },
    ];
    let refused = store.apply_uploads(a.id, &missing).await;
    assert!(is_not_found(&refused), "{refused:?}");
    assert_eq!(store.feed_head(a.id).await.expect("head"), 6);
    assert_eq!(
        store
            .get_order(a.id, orders[1].id)
            .await
            .expect("doc")
            .summary
            .version,
        1
    );
    // The same order twice in one batch: the second finds the version moved.
    let twice = vec![
        UploadedOrder::Update {
            id: orders[1].id,
            expected_version: 1,
            update: update_of(&orders[1], vec![8], vec![change(10, None)]),
        },
        UploadedOrder::Update {
            id: orders[1].id,
            expected_version: 1,
            update: update_of(&orders[1], vec![8], vec![change(11, None)]),
        },
    ];
    let refused = store.apply_uploads(a.id, &twice).await;
    assert!(is_conflict(&refused), "{refused:?}");
    assert_eq!(store.feed_head(a.id).await.expect("head"), 6);
    // More updates than one statement carries all land.
    let many: Vec<NewOrder> = (0..120).map(|_| new_order(assigned(None), None)).collect();
    let many = store.insert_orders(a.id, &many).await.expect("insert");
    let batch: Vec<UploadedOrder> = many
        .iter()
        .map(|o| UploadedOrder::Update {
            id: o.id,
            expected_version: 1,
            update: update_of(o, vec![5], vec![change(12, None)]),
        })
        .collect();
    store
        .apply_uploads(a.id, &batch)
        .await
        .expect("large batch");
    let ids: Vec<Uuid> = many.iter().map(|o| o.id).collect();
    let stored = store.get_orders(a.id, &ids).await.expect("read back");
    assert_eq!(stored.len(), 120);
    assert!(
        stored
            .iter()
            .all(|o| o.summary.version == 2 && o.doc == vec![5])
    );
}

pub(super) async fn devices_register_idempotently_and_actors_stay_bound(store: Arc<dyn Store>) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let other = user(&store, a.id, "reader2", Role::Reader).await;
    let new = NewDevice {
        id: Uuid::new_v4(),
        user_id: reader.id,
        name: "Truck 4".into(),
        app_version: "1.0.0".into(),
        protocol_version: 1,
        actors: vec!["aa".repeat(16)],
        at: at(2, 8),
    };
    let Registration::Registered(device) = store.register_device(a.id, &new).await.expect("reg")
    else {
        panic!("not registered");
    };
    assert_eq!(device.user_id, reader.id);
    assert_eq!(device.last_sync_at, None);
    let again = NewDevice {
        name: "Truck 5".into(),
        actors: vec!["aa".repeat(16), "bb".repeat(16)],
        at: at(3, 8),
        ..new.clone()
    };
    let Registration::Registered(updated) =
        store.register_device(a.id, &again).await.expect("again")
    else {
        panic!("not re-registered");
    };
    assert_eq!(updated.name, "Truck 5");
    assert_eq!(updated.registered_at, device.registered_at);
    let actors = store.device_actors(a.id, new.id).await.expect("actors");
    assert_eq!(actors.len(), 2);
    assert!(actors.iter().all(|b| b.user_id == reader.id));

    let stolen = NewDevice {
        user_id: other.id,
        ..new.clone()
    };
    assert_eq!(
        store.register_device(a.id, &stolen).await.expect("stolen"),
        Registration::DeviceTaken
    );
    let second = NewDevice {
        id: Uuid::new_v4(),
        actors: vec!["cc".repeat(16), "bb".repeat(16)],
        ..new.clone()
    };
    assert_eq!(
        store.register_device(a.id, &second).await.expect("taken"),
        Registration::ActorTaken("bb".repeat(16))
    );
    assert!(
        is_not_found(&store.get_device(a.id, second.id).await),
        "a refused registration writes nothing"
    );
    assert!(is_not_found(&store.get_device(b.id, new.id).await));
    store
        .touch_device(a.id, new.id, "1.1.0", at(4, 9))
        .await
        .expect("touch");
    let seen = store.get_device(a.id, new.id).await.expect("get");
    assert_eq!(seen.last_sync_at, Some(at(4, 9)));
    assert_eq!(seen.app_version, "1.1.0");
}
