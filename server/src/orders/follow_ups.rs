//! Follow-up orders: new work a field outcome calls for (a utility-side leak, a meter-test
//! recommendation, a tamper or seal mismatch, unauthorized use, an original misread). When a
//! change carrying such an outcome reaches the server, the order it calls for is created once:
//! the store keys it by (utility, origin order, origin entry, kind), so repeated and concurrent
//! syncs of the same entry find the link and write nothing.

use super::OrderError;
use super::create::{build_order, due_at_for};
use crate::store::{FollowUpLink, OrderSummary, Store, StoreError, StoredOrder, User, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::{
    FollowUp, FollowUpKind, OfficeData, OrderRecord, OrderType, Priority, Source, Timestamp,
    WorkOrderDoc,
};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// The order type a follow-up kind is worked as.
pub fn order_type_for(kind: FollowUpKind) -> OrderType {
    match kind {
        // Tamper, unauthorized use, seal mismatch: an inspector looks.
        FollowUpKind::Inspection => OrderType::Inspection,
        // A meter test is done by taking the meter out: an exchange.
        FollowUpKind::MeterTest => OrderType::MeterExchange,
        // A crew checks the utility-side leak on site before the repair is scheduled.
        FollowUpKind::UtilityRepair => OrderType::Inspection,
        // Another blind read.
        FollowUpKind::ReRead => OrderType::ReRead,
    }
}

/// How urgent a follow-up of `kind` is at least; the origin's priority when that is higher.
fn priority_for(kind: FollowUpKind, origin: Priority) -> Priority {
    let least = match kind {
        FollowUpKind::UtilityRepair => Priority::Urgent,
        FollowUpKind::Inspection => Priority::High,
        FollowUpKind::MeterTest | FollowUpKind::ReRead => Priority::Normal,
    };
    if rank(origin) > rank(least) {
        origin
    } else {
        least
    }
}

fn rank(p: Priority) -> u8 {
    match p {
        Priority::Low => 0,
        Priority::Normal => 1,
        Priority::High => 2,
        Priority::Urgent => 3,
        Priority::Emergency => 4,
    }
}

/// The office data of the follow-up `follow_up` of the order `origin` (office number
/// `origin_number`): same premise, account and meter; a re-read is blind.
pub fn follow_up_office(
    origin: &OfficeData,
    origin_number: i64,
    follow_up: &FollowUp,
    by: &User,
    now: DateTime<Utc>,
) -> OfficeData {
    let order_type = order_type_for(follow_up.kind);
    let priority = priority_for(follow_up.kind, origin.priority);
    let mut details = fieldline_core::model::OrderDetails {
        service_area: origin.details.service_area.clone(),
        ..Default::default()
    };
    if order_type == OrderType::ReRead {
        details.original_reader = Some(by.username.clone());
    }
    let office = OfficeData {
        order_type,
        reason: Some(follow_up.reason.clone()),
        priority,
        source: Source::FieldFound,
        created_by: by.username.clone(),
        created_at: Timestamp(now.timestamp_millis()),
        due_at: Some(Timestamp(due_at_for(priority, now).timestamp_millis())),
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        premise: origin.premise.clone(),
        account: origin.account.clone(),
        meter: origin.meter.clone(),
        instructions: Some(format!(
            "Follow-up of order #{origin_number} ({}): {}",
            origin.order_type, follow_up.reason
        )),
        details,
    };
    if order_type == OrderType::ReRead {
        office.blind()
    } else {
        office
    }
}

/// Creates the follow-ups `record` (order `origin`, office number `origin_number`) calls for
/// that do not exist yet, attributed to `by` (the user whose sync brought the entries). Returns
/// the orders it created; the ones another request created first are skipped.
pub async fn create_missing(
    store: &dyn Store,
    utility: UtilityId,
    origin: Uuid,
    origin_number: i64,
    record: &OrderRecord,
    by: &User,
    now: DateTime<Utc>,
) -> Result<Vec<OrderSummary>, OrderError> {
    let wanted = fieldline_core::derive(record).follow_ups;
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let existing: HashSet<(String, FollowUpKind)> = store
        .follow_ups_of(utility, origin)
        .await?
        .into_iter()
        .map(|l| (l.origin_entry_id, l.kind))
        .collect();
    let mut created = Vec::new();
    for follow_up in wanted {
        if existing.contains(&(follow_up.entry_id.clone(), follow_up.kind)) {
            continue;
        }
        if let Some(summary) = create_one(
            store,
            utility,
            origin,
            origin_number,
            &record.office,
            &follow_up,
            by,
            now,
        )
        .await?
        {
            created.push(summary);
        }
    }
    Ok(created)
}

/// Creates one follow-up of `origin` unless its key exists (then `None`).
#[allow(clippy::too_many_arguments)]
pub async fn create_one(
    store: &dyn Store,
    utility: UtilityId,
    origin: Uuid,
    origin_number: i64,
    origin_office: &OfficeData,
    follow_up: &FollowUp,
    by: &User,
    now: DateTime<Utc>,
) -> Result<Option<OrderSummary>, OrderError> {
    let office = follow_up_office(origin_office, origin_number, follow_up, by, now);
    let id = Uuid::new_v4();
    let new = build_order(id, &office, None, by, None, now)?;
    let link = FollowUpLink {
        origin_order_id: origin,
        origin_entry_id: follow_up.entry_id.clone(),
        kind: follow_up.kind,
        reason: follow_up.reason.clone(),
        order_id: id,
        created_at: now,
    };
    let created = store.insert_follow_up(utility, &link, &new).await?;
    if created.is_some() {
        tracing::info!(
            origin = %origin,
            order_id = %id,
            kind = ?follow_up.kind,
            reason = %follow_up.reason,
            "follow-up order created"
        );
    }
    Ok(created)
}

/// Whether a merged order has office work to do once stored: follow-ups to create, a re-read
/// to judge, a served disconnect notice to record on its account, a meter exchange to record
/// in the meter records, or installed seals and meters to record (see [`super::equipment`]).
/// Most orders have none, and skip the pass after the upload.
pub fn has_office_work(record: &OrderRecord) -> bool {
    record.office.order_type == OrderType::ReRead
        || super::notices::served_at(record).is_some()
        || super::exchanges::recorded(record).is_some()
        || !fieldline_core::derive(record).follow_ups.is_empty()
        || !super::equipment::installs(record).is_empty()
}

/// After a sync batch is stored: creates the follow-ups (judges the re-reads, records served
/// notices and meter exchanges) of the orders it changed that have office work, from the records
/// the merge read (`changed`), and of the orders the device re-sent unchanged (a device that
/// never got the answer of a sync the server stored retries it; that is where follow-ups a
/// crash lost are created).
pub async fn after_upload(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    changed: &[(Uuid, Arc<OrderRecord>)],
    stored: &[OrderSummary],
    unchanged: &[Uuid],
    now: DateTime<Utc>,
) -> Result<Vec<OrderSummary>, OrderError> {
    let mut created = Vec::new();
    // Matched by id: the store need not answer in batch order.
    let numbers: HashMap<Uuid, i64> = stored.iter().map(|o| (o.id, o.number)).collect();
    for (id, record) in changed {
        let Some(&number) = numbers.get(id) else {
            continue;
        };
        created.extend(create_missing(store, utility, *id, number, record, by, now).await?);
        super::re_read::judge(store, utility, *id, number, record, by, now).await?;
        super::notices::record_served(store, utility, record, now).await?;
        super::exchanges::record_exchange(store, utility, record, now).await?;
        super::equipment::after_upload(store, utility, *id, record, now).await?;
    }
    for id in unchanged {
        let stored: StoredOrder = match store.get_order(utility, *id).await {
            Ok(stored) => stored,
            Err(StoreError::NotFound) => continue,
            Err(other) => return Err(other.into()),
        };
        let doc = WorkOrderDoc::load(&stored.doc)?;
        let record = super::projection::server_record(store, utility, &doc).await?;
        created.extend(
            create_missing(
                store,
                utility,
                stored.summary.id,
                stored.summary.number,
                &record,
                by,
                now,
            )
            .await?,
        );
        super::re_read::judge(
            store,
            utility,
            stored.summary.id,
            stored.summary.number,
            &record,
            by,
            now,
        )
        .await?;
        super::notices::record_served(store, utility, &record, now).await?;
        super::exchanges::record_exchange(store, utility, &record, now).await?;
        super::equipment::after_upload(store, utility, stored.summary.id, &record, now).await?;
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_maps_to_a_workable_order_type() {
        assert_eq!(
            order_type_for(FollowUpKind::Inspection),
            OrderType::Inspection
        );
        assert_eq!(
            order_type_for(FollowUpKind::MeterTest),
            OrderType::MeterExchange
        );
        assert_eq!(
            order_type_for(FollowUpKind::UtilityRepair),
            OrderType::Inspection
        );
        assert_eq!(order_type_for(FollowUpKind::ReRead), OrderType::ReRead);
    }

    #[test]
    fn a_follow_up_is_at_least_as_urgent_as_its_origin() {
        assert_eq!(
            priority_for(FollowUpKind::MeterTest, Priority::Low),
            Priority::Normal
        );
        assert_eq!(
            priority_for(FollowUpKind::MeterTest, Priority::Emergency),
            Priority::Emergency
        );
        assert_eq!(
            priority_for(FollowUpKind::UtilityRepair, Priority::Normal),
            Priority::Urgent
        );
    }
}
