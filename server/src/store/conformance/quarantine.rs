//! Quarantined changes: kept once each, listed newest first and paged, per utility.

use super::*;

fn quarantined(order_id: Uuid, n: u8, device: Uuid, user: Uuid, hour: u32) -> QuarantinedChange {
    QuarantinedChange {
        order_id,
        change_hash: format!("{n:02x}").repeat(32),
        bytes: vec![n; 12],
        code: "office_write".into(),
        message: "writes the office section".into(),
        rule: n.is_multiple_of(2).then(|| "common.sequence".to_string()),
        field: n.is_multiple_of(2).then(|| "action".to_string()),
        device_id: device,
        user_id: user,
        received_at: at(4, hour),
    }
}

pub(super) async fn quarantined_changes_are_kept_once_and_listed_newest_first(
    store: Arc<dyn Store>,
) {
    let a = utility(&store, "a").await;
    let b = utility(&store, "b").await;
    let reader = user(&store, a.id, "reader1", Role::Reader).await;
    let device = NewDevice {
        id: Uuid::new_v4(),
        user_id: reader.id,
        name: "Truck 4".into(),
        app_version: "1.0.0".into(),
        protocol_version: 1,
        actors: vec!["aa".repeat(16)],
        at: at(2, 8),
    };
    store
        .register_device(a.id, &device)
        .await
        .expect("register");
    let order = Uuid::new_v4();
    let rows: Vec<QuarantinedChange> = (1..=3)
        .map(|n| quarantined(order, n, device.id, reader.id, 8 + u32::from(n)))
        .collect();
    store.quarantine_changes(a.id, &rows).await.expect("keep");
    // A retried sync quarantines the same changes again: nothing is doubled.
    store.quarantine_changes(a.id, &rows).await.expect("again");

    let page = store
        .list_quarantine(a.id, PageRequest::first(2))
        .await
        .expect("list");
    assert_eq!(page.total, 3);
    let hashes: Vec<&str> = page.items.iter().map(|q| q.change_hash.as_str()).collect();
    assert_eq!(hashes, [rows[2].change_hash.as_str(), &rows[1].change_hash]);
    assert_eq!(page.items[0], rows[2], "every column round-trips");
    assert_eq!(page.items[1].rule.as_deref(), Some("common.sequence"));
    let rest = store
        .list_quarantine(
            a.id,
            PageRequest {
                limit: 2,
                offset: 2,
            },
        )
        .await
        .expect("second page");
    assert_eq!(rest.items, vec![rows[0].clone()]);

    let other = store
        .list_quarantine(b.id, PageRequest::default())
        .await
        .expect("other utility");
    assert_eq!(other.total, 0);
    assert!(other.items.is_empty());
}
