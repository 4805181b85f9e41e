//! Office data the server refreshes after an order was created. Today that is the account
//! snapshot a disconnect's eligibility is checked against on the device (DOMAIN.md: a snapshot
//! older than the policy's freshness must be refreshed by a sync before the cut).

use super::{DocumentError, WorkOrderDoc, child, commit_options, json, to_json};
use crate::model::{AccountSnapshot, Timestamp};
use automerge::transaction::Transactable;

/// The message of the change that replaces the account snapshot (the change log's summary).
pub const REFRESH_ACCOUNT: &str = "office:account";

impl WorkOrderDoc {
    /// Replaces the order's account snapshot with `snapshot`, as one office change written at
    /// `at`. The whole snapshot is replaced, never merged field by field: its facts and its
    /// `as_of` are one reading of the account and only mean something together.
    pub fn refresh_account(
        &mut self,
        snapshot: &AccountSnapshot,
        at: Timestamp,
    ) -> Result<(), DocumentError> {
        let office = self.office_obj()?;
        let data = child(&self.doc, &office, "data", "$.office.data")?;
        let value = json::to_hydrate(&to_json(snapshot)?);
        let mut tx = self.doc.transaction();
        tx.batch_create_object(&data, "account", &value, false)?;
        tx.commit_with(commit_options(REFRESH_ACCOUNT, at));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AccountStatus, OfficeData, OrderType, Priority, Source};
    use automerge::ActorId;

    fn snapshot(past_due: i64, as_of: i64) -> AccountSnapshot {
        AccountSnapshot {
            id: "acct-1".into(),
            number: "A-1".into(),
            customer_name: "R. Jones".into(),
            status: AccountStatus::Active,
            balance_cents: past_due,
            past_due_cents: past_due,
            notice_served_at: Some(Timestamp(1_000)),
            medical_hold: false,
            life_support: false,
            payment_plan: false,
            as_of: Timestamp(as_of),
        }
    }

    #[test]
    fn a_refreshed_snapshot_replaces_the_old_one_on_every_replica() {
        let office = OfficeData {
            order_type: OrderType::Disconnect,
            reason: Some("non_payment".into()),
            priority: Priority::Normal,
            source: Source::BillingException,
            created_by: "dispatcher".into(),
            created_at: Timestamp(5_000),
            due_at: None,
            appointment_start: None,
            appointment_end: None,
            route: None,
            sequence: None,
            premise: None,
            account: Some(snapshot(20_000, 5_000)),
            meter: None,
            instructions: None,
            details: Default::default(),
        };
        let mut server =
            WorkOrderDoc::create("order-1", &office, ActorId::random(), Timestamp(5_000))
                .expect("create");
        let mut device = WorkOrderDoc::empty(ActorId::random());
        device
            .apply_changes(&server.changes_since(&[]))
            .expect("first sync");
        let before = server.heads();
        server
            .refresh_account(&snapshot(12_000, 90_000), Timestamp(90_000))
            .expect("refresh");
        let changes = server.change_infos(&before);
        assert_eq!(changes.len(), 1, "one office change");
        assert_eq!(changes[0].message.as_deref(), Some(REFRESH_ACCOUNT));
        device
            .apply_changes(&server.changes_since(&before))
            .expect("second sync");
        let held = device.office().expect("office").account.expect("account");
        assert_eq!(held, snapshot(12_000, 90_000));
        assert_eq!(device.record().expect("record").office.account, Some(held));
    }
}
