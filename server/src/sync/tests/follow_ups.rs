//! Follow-ups through sync: a reading that shows use on an inactive account proposes an
//! inspection; the server creates that order once, however often and however concurrently
//! the reading is synced.

use super::*;
use crate::store::Account;
use fieldline_core::{AccountStatus, FollowUpKind, Priority};

impl Fixture {
    /// A cycle read of the fixture's meter, billed to a new inactive account at its premise.
    async fn order_on_inactive_account(&self, assignee: &str) -> Uuid {
        let premise_id = self.meter.premise_id.expect("the meter is installed");
        let account = Account {
            id: Uuid::new_v4(),
            utility_id: self.utility,
            number: "900-inactive".into(),
            premise_id,
            customer_name: "Vacant".into(),
            status: AccountStatus::Inactive,
            balance_cents: 0,
            past_due_cents: 0,
            notice_served_at: None,
            medical_hold: false,
            life_support: false,
            payment_plan: false,
            as_of: Utc::now(),
        };
        self.store
            .insert_accounts(self.utility, std::slice::from_ref(&account))
            .await
            .expect("account");
        let req = NewOrderRequest {
            order_type: OrderType::CycleRead,
            priority: None,
            reason: None,
            source: None,
            premise_id: None,
            meter_id: Some(self.meter.id),
            account_id: Some(account.id),
            due_at: None,
            appointment_start: None,
            appointment_end: None,
            route: None,
            sequence: None,
            instructions: None,
            assignee: Some(assignee.to_string()),
            details: None,
        };
        create_order(
            self.store.as_ref(),
            self.utility,
            &self.dispatcher,
            req,
            Utc::now(),
        )
        .await
        .expect("order")
        .summary
        .id
    }
}

#[tokio::test]
async fn use_on_an_inactive_account_creates_one_inspection_however_often_it_is_synced() {
    let f = fixture().await;
    let origin = f.order_on_inactive_account("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, origin, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let changes = doc.changes_since(&before);

    let answer = f.sync(&mut h, upload(origin, changes.clone())).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    for _ in 0..3 {
        let again = f.sync(&mut h, upload(origin, changes.clone())).await;
        assert!(again.rejected.is_empty());
    }

    let links = f
        .store
        .follow_ups_of(f.utility, origin)
        .await
        .expect("links");
    assert_eq!(links.len(), 1, "{links:?}");
    let link = &links[0];
    assert_eq!(link.kind, FollowUpKind::Inspection);
    assert_eq!(link.reason, "unauthorized_use");
    let origin_detail = detail(f.store.as_ref(), f.utility, origin)
        .await
        .expect("origin");
    assert_eq!(link.origin_entry_id, origin_detail.field[0].id);

    let follow_up = detail(f.store.as_ref(), f.utility, link.order_id)
        .await
        .expect("follow-up");
    assert_eq!(follow_up.office.order_type, OrderType::Inspection);
    assert_eq!(follow_up.office.reason.as_deref(), Some("unauthorized_use"));
    assert_eq!(follow_up.office.priority, Priority::High);
    assert_eq!(follow_up.office.source, Source::FieldFound);
    assert_eq!(follow_up.office.premise, origin_detail.office.premise);
    assert_eq!(follow_up.office.account, origin_detail.office.account);
    assert_eq!(follow_up.office.meter, origin_detail.office.meter);
    assert_eq!(follow_up.derived.status, Status::Unassigned);
    let instructions = follow_up.office.instructions.unwrap_or_default();
    assert!(
        instructions.contains(&format!("#{}", origin_detail.summary.number)),
        "{instructions}"
    );
    assert_eq!(
        f.store
            .follow_up_origin(f.utility, link.order_id)
            .await
            .expect("origin link"),
        Some(link.clone())
    );
    f.guard.cleanup().await;
}

#[tokio::test]
async fn concurrent_syncs_of_one_reading_create_one_follow_up() {
    let f = fixture().await;
    let origin = f.order_on_inactive_account("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, origin, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let changes = doc.changes_since(&before);

    // The same upload sent by several requests at once (a retry racing the original).
    let request = f.request(&h, upload(origin, changes));
    let config = SyncConfig::default();
    let sends = (0..6).map(|_| f.send(&h, &config, &request));
    for answer in futures::future::join_all(sends).await {
        let answer = answer.expect("every racing sync succeeds");
        assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    }
    let links = f
        .store
        .follow_ups_of(f.utility, origin)
        .await
        .expect("links");
    assert_eq!(links.len(), 1, "{links:?}");
    let inspections = f
        .store
        .list_orders(
            f.utility,
            &crate::store::OrderFilter {
                order_type: Some(OrderType::Inspection),
                ..Default::default()
            },
            crate::store::PageRequest::first(10),
        )
        .await
        .expect("orders");
    assert_eq!(inspections.total, 1);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn a_reading_that_calls_for_nothing_creates_no_follow_up() {
    let f = fixture().await;
    let origin = f.order_for("reader1").await;
    let mut h = f.handheld(0).await;
    let first = f.sync(&mut h, vec![]).await;
    let mut doc = device_doc(&first, origin, &h.actor);
    let before = doc.heads();
    read(&mut doc, "reader1", "1050");
    let answer = f
        .sync(&mut h, upload(origin, doc.changes_since(&before)))
        .await;
    assert!(answer.rejected.is_empty());
    assert!(
        f.store
            .follow_ups_of(f.utility, origin)
            .await
            .expect("links")
            .is_empty()
    );
    f.guard.cleanup().await;
}
