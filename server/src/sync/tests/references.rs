//! Projections judge `rule_after_merge` under the reference version each entry recorded: work
//! done under a list an admin published after the built-in one is not mistaken for a conflict.

use super::*;
use fieldline_core::document::trust::RULE_AFTER_MERGE;
use fieldline_core::reference::CodeDef;

/// The utility's reference data with one more skip code, published as version 2.
async fn publish_frozen_skip_code(f: &Fixture) -> ReferenceData {
    let mut next = ReferenceData::default_water();
    next.version = 2;
    next.skip_codes
        .push(CodeDef::new("frozen", "Meter box frozen shut"));
    crate::reference::publish(f.store.as_ref(), f.utility, &f.dispatcher, next, Utc::now())
        .await
        .expect("published")
}

fn after_merge(f: &crate::store::OrderProjection) -> Vec<&fieldline_core::OrderException> {
    f.exceptions
        .iter()
        .filter(|e| e.code == RULE_AFTER_MERGE)
        .collect()
}

#[tokio::test]
async fn a_skip_under_a_later_published_code_list_carries_no_spurious_exception() {
    let f = fixture().await;
    let order = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, order, &h.actor);
    let base = doc.heads();
    let v2 = publish_frozen_skip_code(&f).await;
    assert!(
        ReferenceData::default_water()
            .skip_code("frozen", OrderType::CycleRead)
            .is_none(),
        "the built-in list does not know the new code, so judging under it would refuse"
    );

    // Offline, under version 2: a skip with the new code.
    let skip = FieldAction::Skip {
        code: "frozen".into(),
        note: None,
        photos: vec![],
    };
    let context = ActionContext {
        user: "reader1".into(),
        device_time: Timestamp(Utc::now().timestamp_millis()),
        gps: None,
    };
    doc.record_field_action(skip, context, &v2)
        .expect("the device accepts the new code");
    // Meanwhile the office writes a note: the skip is concurrent with it, so the projection
    // judges the skip against the merged order.
    apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        order,
        OfficeAction::Note {
            text: "gate code changed".into(),
            review: None,
        },
        Utc::now(),
    )
    .await
    .expect("office note");

    let answer = f
        .sync(&mut h, upload(order, doc.changes_since(&base)))
        .await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    let stored = f.store.get_order(f.utility, order).await.expect("order");
    assert_eq!(stored.summary.projection.status, Status::InProgress);
    assert!(
        after_merge(&stored.summary.projection).is_empty(),
        "the upload's projection: {:?}",
        stored.summary.projection.exceptions
    );

    // An office edit projects the order again, outside any sync: still judged under version 2.
    apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        order,
        OfficeAction::Note {
            text: "second note".into(),
            review: None,
        },
        Utc::now(),
    )
    .await
    .expect("office note");
    let stored = f.store.get_order(f.utility, order).await.expect("order");
    assert!(
        after_merge(&stored.summary.projection).is_empty(),
        "the office edit's projection: {:?}",
        stored.summary.projection.exceptions
    );
    f.guard.cleanup().await;
}
