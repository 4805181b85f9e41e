//! Refreshing the account snapshots a crew's open disconnects carry, when its device syncs.
//! The device checks a disconnect's eligibility offline against the snapshot it holds, and
//! refuses the cut once that snapshot is older than `policy.disconnect.snapshot_max_age_ms`
//! (DOMAIN.md: "the tech must sync or call in before cutting"): a sync must therefore bring a
//! fresh one. Before the server answers a sync, every open disconnect, reconnect and notice
//! order of the user whose snapshot is stale or no longer says what the account row says gets
//! an office change replacing it, so the same answer carries it to the device.
//!
//! What `as_of` means here: the moment the server read the account row, not the row's own
//! `as_of` (the time billing last loaded it or a payment was posted). The server is the system
//! of record for what can make a cut wrong after dispatch: payments are posted through
//! `POST /api/v1/accounts/{id}/payments`, which updates the row and cancels the disconnects in
//! the office before answering, so the row read now is the account as the utility knows it
//! now. Stamping the row's older billing time instead would leave a snapshot that no sync can
//! ever make fresh again (an account billing has not touched for a day could never be cut),
//! which is the stale-data refusal turned into a permanent one.
//!
//! No churn: an order whose snapshot says what the row says and is younger than half the
//! freshness limit is left alone, so a device syncing every few minutes writes nothing; after a
//! refresh the crew has at least half the limit to work offline before the device asks again.

use super::{OrderError, account_snapshot, project_with};
use crate::store::{Account, NewChange, OrderUpdate, Store, StoreError, StoredOrder, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::document::REFRESH_ACCOUNT;
use fieldline_core::reference::ReferenceSet;
use fieldline_core::{AccountSnapshot, OrderType, Timestamp, WorkOrderDoc};
use std::collections::HashMap;
use uuid::Uuid;

/// The order types whose work acts on the account and carries its snapshot for that.
const ACCOUNT_WORK: [OrderType; 3] = [
    OrderType::Disconnect,
    OrderType::Reconnect,
    OrderType::DisconnectNotice,
];

/// How often one order's refresh re-reads and retries when the order moved under it.
const MAX_ATTEMPTS: usize = 4;

/// Refreshes the stale account snapshots of `assignee`'s open account work (see the module
/// doc) under the current policy of `references`. Returns the orders it changed. An order that
/// keeps moving under the refresh (the crew's other device, the office) is left for the next
/// sync rather than failing this one.
pub async fn refresh_for_sync(
    store: &dyn Store,
    utility: UtilityId,
    assignee: Uuid,
    references: &ReferenceSet,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, OrderError> {
    let open = store
        .open_orders_of(utility, assignee, &ACCOUNT_WORK)
        .await?;
    let max_age_ms = references.current().policy.disconnect.snapshot_max_age_ms;
    let mut accounts: HashMap<Uuid, Option<Account>> = HashMap::new();
    let mut refreshed = Vec::new();
    for order in open {
        let Some(account_id) = order.projection.account_id else {
            continue;
        };
        let account = match accounts.get(&account_id) {
            Some(known) => known.clone(),
            None => {
                let found = match store.get_account(utility, account_id).await {
                    Ok(account) => Some(account),
                    Err(StoreError::NotFound) => None,
                    Err(other) => return Err(other.into()),
                };
                accounts.insert(account_id, found.clone());
                found
            }
        };
        let Some(account) = account else {
            continue;
        };
        let fresh = AccountSnapshot {
            as_of: Timestamp(now.timestamp_millis()),
            ..account_snapshot(&account)
        };
        if refresh_one(
            store, utility, order.id, &fresh, max_age_ms, references, now,
        )
        .await?
        {
            refreshed.push(order.id);
        }
    }
    if !refreshed.is_empty() {
        tracing::info!(
            orders = refreshed.len(),
            "account snapshots refreshed for a sync"
        );
    }
    Ok(refreshed)
}

/// Whether the order's snapshot `held` must be replaced by `fresh` (taken at `fresh.as_of`):
/// it names another account state, or it is older than half the freshness limit.
pub fn needs_refresh(
    held: Option<&AccountSnapshot>,
    fresh: &AccountSnapshot,
    max_age_ms: i64,
) -> bool {
    let Some(held) = held else {
        return true;
    };
    let same_facts = AccountSnapshot {
        as_of: fresh.as_of,
        ..held.clone()
    } == *fresh;
    !same_facts || fresh.as_of.0.saturating_sub(held.as_of.0) > max_age_ms / 2
}

/// Replaces one order's snapshot if it needs it, version-checked like every office write.
async fn refresh_one(
    store: &dyn Store,
    utility: UtilityId,
    id: Uuid,
    fresh: &AccountSnapshot,
    max_age_ms: i64,
    references: &ReferenceSet,
    now: DateTime<Utc>,
) -> Result<bool, OrderError> {
    for _ in 0..MAX_ATTEMPTS {
        let stored: StoredOrder = store.get_order(utility, id).await?;
        let mut doc = WorkOrderDoc::load(&stored.doc)?;
        let office = doc.office()?;
        if office.account.as_ref().map(|a| &a.id) != Some(&fresh.id)
            || !needs_refresh(office.account.as_ref(), fresh, max_age_ms)
        {
            return Ok(false);
        }
        doc.set_actor(super::office_actor());
        let before = doc.heads();
        doc.refresh_account(fresh, fresh.as_of)?;
        // Written by the server itself: no user or device stands behind this change.
        let changes = doc
            .change_infos(&before)
            .into_iter()
            .map(|info| NewChange {
                hash: info.hash.to_string(),
                bytes: info.bytes,
                actor: info.actor,
                user_id: None,
                device_id: None,
                device_time: None,
                received_at: now,
                summary: info.message.unwrap_or_else(|| REFRESH_ACCOUNT.to_string()),
            })
            .collect();
        let update = OrderUpdate {
            projection: project_with(store, utility, &doc, references).await?,
            doc: doc.save(),
            changes,
            updated_at: now,
        };
        match store
            .update_order(utility, id, stored.summary.version, &update)
            .await
        {
            Ok(_) => return Ok(true),
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    tracing::warn!(order_id = %id, "account snapshot left for the next sync: the order kept moving");
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldline_core::AccountStatus;

    const HOUR: i64 = 3_600_000;

    fn snapshot(past_due: i64, as_of: i64) -> AccountSnapshot {
        AccountSnapshot {
            id: "a".into(),
            number: "A-1".into(),
            customer_name: "R. Jones".into(),
            status: AccountStatus::Active,
            balance_cents: past_due,
            past_due_cents: past_due,
            notice_served_at: None,
            medical_hold: false,
            life_support: false,
            payment_plan: false,
            as_of: Timestamp(as_of),
        }
    }

    #[test]
    fn a_snapshot_is_refreshed_when_it_is_past_half_the_limit_or_says_something_else() {
        let limit = 12 * HOUR;
        let now = 100 * HOUR;
        let fresh = snapshot(20_000, now);
        assert!(!needs_refresh(
            Some(&snapshot(20_000, now - 5 * HOUR)),
            &fresh,
            limit
        ));
        assert!(needs_refresh(
            Some(&snapshot(20_000, now - 7 * HOUR)),
            &fresh,
            limit
        ));
        assert!(needs_refresh(
            Some(&snapshot(15_000, now - HOUR)),
            &fresh,
            limit
        ));
        assert!(needs_refresh(None, &fresh, limit));
    }
}
