//! The trusted merge's limits and malformed input on the sync service: each limit exceeded gets
//! its clear answer and stores nothing of what it refused; broken automerge bytes never wedge the
//! server, and the rest of the same sync is still applied.

use super::*;
use fieldline_core::document::automerge::transaction::Transactable;
use fieldline_core::document::automerge::{Automerge, ObjType, ROOT, ReadDoc};

#[tokio::test]
async fn labels_over_their_limits_are_refused_before_any_work() {
    let f = fixture().await;
    let h = f.handheld(0).await;
    let head = f.head().await;
    let long_order = f.request(
        &h,
        vec![DocChanges {
            order_id: "o".repeat(65),
            changes: vec![],
        }],
    );
    let mut long_version = f.request(&h, vec![]);
    long_version.app_version = "9".repeat(65);
    for request in [long_order, long_version] {
        let refused = f.send(&h, &SyncConfig::default(), &request).await;
        assert!(
            matches!(&refused, Err(SyncError::Malformed(m)) if m.contains("characters")),
            "{refused:?}"
        );
    }
    assert_eq!(f.head().await, head, "nothing stored");
    f.guard.cleanup().await;
}

#[tokio::test]
async fn an_upload_past_the_document_size_limit_stays_on_the_device() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    let before = doc.heads();
    note(&mut doc, &"x".repeat(3_000));
    let changes = doc.changes_since(&before);
    let stored = f
        .store
        .get_order(f.utility, order)
        .await
        .expect("order")
        .doc
        .len();
    let config = SyncConfig {
        max_document_bytes: stored + 100,
        ..SyncConfig::default()
    };
    let head = f.head().await;
    let answer = f
        .send(&h, &config, &f.request(&h, upload(order, changes)))
        .await
        .expect("answered");
    assert_eq!(answer.rejected.len(), 1, "{:?}", answer.rejected);
    assert_eq!(answer.rejected[0].code, "limit_document_size");
    assert!(
        answer.rejected[0]
            .message
            .contains("sync.max_document_bytes")
    );
    assert!(
        answer.resets.is_empty(),
        "not a quarantine: nothing to reset"
    );
    assert_eq!(f.head().await, head, "nothing stored");
    let quarantined = f
        .store
        .list_quarantine(f.utility, crate::store::PageRequest::default())
        .await
        .expect("list");
    assert_eq!(quarantined.total, 0);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn malformed_changes_store_nothing_and_other_orders_still_apply() {
    let f = fixture().await;
    let broken = f.order_for("reader1").await;
    let fine = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, fine, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let good = doc.changes_since(&before);
    // Bytes that are not a change, and a real change cut short.
    let mut cut = good[0].clone();
    cut.truncate(cut.len() / 2);
    let history = f.history_len(broken).await;
    for junk in [vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3], cut, Vec::new()] {
        let mut uploads = upload(broken, vec![junk]);
        uploads.extend(upload(fine, good.clone()));
        let answer = f.sync(&mut h, uploads).await;
        assert_eq!(answer.rejected.len(), 1, "{:?}", answer.rejected);
        assert_eq!(answer.rejected[0].code, "malformed_change");
        assert_eq!(answer.rejected[0].order_id, broken.to_string());
        assert!(answer.acked.iter().any(|a| a.order_id == fine.to_string()));
    }
    assert_eq!(f.history_len(broken).await, history, "nothing stored");
    assert_eq!(f.history_len(fine).await, history + 1, "applied once");
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_change_with_too_many_operations_is_quarantined() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let doc = device_doc(&first, order, &h.actor);
    let mut raw = Automerge::load(&doc.save()).expect("raw");
    raw.set_actor(h.actor.clone());
    let mut tx = raw.transaction();
    let field = match tx.get(ROOT, "field").expect("get") {
        Some((_, id)) => id,
        None => panic!("no field section"),
    };
    let notes = match tx.get(&field, "notes").expect("get") {
        Some((_, id)) => id,
        None => panic!("no notes"),
    };
    let entry = tx.insert_object(&notes, 0, ObjType::Map).expect("insert");
    let ops = fieldline_core::document::trust::MAX_OPS_PER_CHANGE + 1;
    for i in 0..ops {
        tx.put(&entry, format!("k{i}"), i as u64).expect("put");
    }
    tx.commit();
    let change = raw
        .get_last_local_change()
        .expect("a change")
        .raw_bytes()
        .to_vec();
    let head = f.head().await;
    let answer = f.sync(&mut h, upload(order, vec![change])).await;
    assert_eq!(answer.rejected.len(), 1, "{:?}", answer.rejected);
    assert_eq!(answer.rejected[0].code, "limit_operations");
    assert_eq!(f.head().await, head, "nothing merged");
    let quarantined = f
        .store
        .list_quarantine(f.utility, crate::store::PageRequest::default())
        .await
        .expect("list");
    assert_eq!(quarantined.total, 1);
    assert_eq!(quarantined.items[0].code, "limit_operations");
    assert_eq!(quarantined.items[0].device_id, h.id);
    f.guard.cleanup().await;
}
