//! The relational projection of an order: the columns the office lists and filters on, derived
//! from the document by the core, never written by hand.

use super::OrderError;
use crate::store::{OrderProjection, Store, StoreError, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::document::assessment_check;
use fieldline_core::reference::ReferenceSet;
use fieldline_core::{Derived, OfficeData, OrderRecord, Timestamp, WorkOrderDoc};
use std::collections::HashMap;
use uuid::Uuid;

/// Derives the projection of `doc` (status, assignee, exceptions and the dispatch columns),
/// looking up the assignee's and route's ids in the store, and judging `rule_after_merge`
/// under the utility's published reference versions (read here; see [`project_with`]).
pub async fn project(
    store: &dyn Store,
    utility: UtilityId,
    doc: &WorkOrderDoc,
) -> Result<OrderProjection, OrderError> {
    let references = crate::reference::all_versions(store, utility).await?;
    project_with(store, utility, doc, &references).await
}

/// [`project`] under `references`, the utility's published reference versions the caller
/// already holds: each field entry's `rule_after_merge` is judged under the version it
/// recorded, so an entry made under a newer list than the built-in one (a new skip code) is
/// not mistaken for a conflict.
pub async fn project_with(
    store: &dyn Store,
    utility: UtilityId,
    doc: &WorkOrderDoc,
    references: &ReferenceSet,
) -> Result<OrderProjection, OrderError> {
    let mut record = doc.record()?;
    if assessment_check::needs_reassessment(&record) {
        assessment_check::reassess_other_versions(doc, &mut record, references, HashMap::new())?;
    }
    let derived = fieldline_core::derive(&record);
    let assignee_id = match &derived.assignee {
        Some(username) => {
            optional(store.get_user_by_username(utility, username).await)?.map(|u| u.id)
        }
        None => None,
    };
    let route_id = match &record.office.route {
        Some(code) => optional(store.get_route_by_code(utility, code).await)?.map(|r| r.id),
        None => None,
    };
    let mut projection = projection_of(&record.office, derived, assignee_id, route_id);
    // Work that held as its device saw the order but fails a rule merged (trusted merge).
    projection
        .exceptions
        .extend(crate::sync::after_merge_exceptions(&record, references));
    // A seal or meter this order installed that another order installed too.
    projection
        .exceptions
        .extend(super::equipment::exceptions_of(store, utility, &record).await?);
    Ok(projection)
}

/// The record of `doc` the server derives status, exceptions and follow-ups from: as stored,
/// except that an entry recorded under another rules version than the server's carries the
/// server's own assessment, not the one its device stored (which the server cannot verify; see
/// `fieldline_core::document::assessment_check`). Reference data is loaded only for such entries.
pub async fn server_record(
    store: &dyn Store,
    utility: UtilityId,
    doc: &WorkOrderDoc,
) -> Result<OrderRecord, OrderError> {
    let mut record = doc.record()?;
    if assessment_check::needs_reassessment(&record) {
        let references = crate::reference::all_versions(store, utility).await?;
        assessment_check::reassess_other_versions(doc, &mut record, &references, HashMap::new())?;
    }
    Ok(record)
}

/// The projection from an order's office data and derivation, with the ids already resolved.
/// A document naming a user or route this utility does not have (deleted, or a device's
/// field-found order) keeps the order, with `None` there.
pub fn projection_of(
    office: &OfficeData,
    derived: Derived,
    assignee_id: Option<Uuid>,
    route_id: Option<Uuid>,
) -> OrderProjection {
    let location = office.premise.as_ref().and_then(|p| p.location);
    OrderProjection {
        order_type: office.order_type,
        status: derived.status,
        priority: office.priority,
        source: office.source,
        assignee_id,
        route_id,
        sequence: office.sequence,
        premise_id: office
            .premise
            .as_ref()
            .and_then(|p| p.id.parse::<Uuid>().ok()),
        account_id: office
            .account
            .as_ref()
            .and_then(|a| a.id.parse::<Uuid>().ok()),
        meter_id: office
            .meter
            .as_ref()
            .and_then(|m| m.id.parse::<Uuid>().ok()),
        lat: location.map(|l| l.lat),
        lon: location.map(|l| l.lon),
        due_at: office.due_at.and_then(to_utc),
        exceptions: derived.exceptions,
    }
}

fn optional<T>(found: Result<T, StoreError>) -> Result<Option<T>, OrderError> {
    match found {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// A core timestamp as a chrono time.
pub fn to_utc(t: Timestamp) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(t.0)
}
