//! The relational projection of uploaded orders, as `orders::project` derives it, with the
//! assignee and route lookups remembered for the whole sync (a route's orders name the same
//! crew and route over and over). A device's document may name a premise, account or meter the
//! server does not have (a field-found order at a new address): that column stays empty then,
//! and the document keeps what the crew wrote.

use super::SyncError;
use crate::orders::projection_of;
use crate::store::{OrderProjection, Store, StoreError, UtilityId};
use fieldline_core::OrderRecord;
use fieldline_core::reference::ReferenceSet;
use std::collections::HashMap;
use uuid::Uuid;

/// Username and route-code lookups of one sync, and the utility's reference versions its
/// projections judge `rule_after_merge` under.
#[derive(Debug, Default)]
pub struct Resolver {
    references: ReferenceSet,
    users: HashMap<String, Option<Uuid>>,
    routes: HashMap<String, Option<Uuid>>,
    known: HashMap<(Table, Uuid), bool>,
}

/// The rows a projection refers to by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Table {
    Premise,
    Account,
    Meter,
}

impl Resolver {
    /// A resolver for one sync whose session holds `references` (every published version).
    pub fn new(references: ReferenceSet) -> Resolver {
        Resolver {
            references,
            ..Resolver::default()
        }
    }

    /// The projection of a document already read as `record`. For an order the server already
    /// has, `stored` is its current projection: its premise, account and meter ids were checked
    /// when the order was stored and the field cannot change them, so they are kept without a
    /// lookup (a route of 500 orders would otherwise cost 1,500 queries per sync).
    pub async fn project(
        &mut self,
        store: &dyn Store,
        utility: UtilityId,
        record: &OrderRecord,
        stored: Option<&OrderProjection>,
    ) -> Result<OrderProjection, SyncError> {
        let derived = fieldline_core::derive(record);
        let assignee_id = match &derived.assignee {
            Some(username) => match self.users.get(username) {
                Some(id) => *id,
                None => {
                    let id = optional(store.get_user_by_username(utility, username).await)?
                        .map(|u| u.id);
                    self.users.insert(username.clone(), id);
                    id
                }
            },
            None => None,
        };
        let route_id = match &record.office.route {
            Some(code) => match self.routes.get(code) {
                Some(id) => *id,
                None => {
                    let id = optional(store.get_route_by_code(utility, code).await)?.map(|r| r.id);
                    self.routes.insert(code.clone(), id);
                    id
                }
            },
            None => None,
        };
        let mut projection = projection_of(&record.office, derived, assignee_id, route_id);
        projection
            .exceptions
            .extend(super::trust::after_merge_exceptions(
                record,
                &self.references,
            ));
        if let Some(stored) = stored {
            projection.premise_id = stored.premise_id;
            projection.account_id = stored.account_id;
            projection.meter_id = stored.meter_id;
            return Ok(projection);
        }
        projection.premise_id = self
            .existing(store, utility, Table::Premise, projection.premise_id)
            .await?;
        projection.account_id = self
            .existing(store, utility, Table::Account, projection.account_id)
            .await?;
        projection.meter_id = self
            .existing(store, utility, Table::Meter, projection.meter_id)
            .await?;
        Ok(projection)
    }

    /// `id` if the utility has that row, else `None`.
    async fn existing(
        &mut self,
        store: &dyn Store,
        utility: UtilityId,
        table: Table,
        id: Option<Uuid>,
    ) -> Result<Option<Uuid>, SyncError> {
        let Some(id) = id else {
            return Ok(None);
        };
        if let Some(found) = self.known.get(&(table, id)) {
            return Ok(found.then_some(id));
        }
        let found = match table {
            Table::Premise => optional(store.get_premise(utility, id).await)?.is_some(),
            Table::Account => optional(store.get_account(utility, id).await)?.is_some(),
            Table::Meter => optional(store.get_meter(utility, id).await)?.is_some(),
        };
        self.known.insert((table, id), found);
        Ok(found.then_some(id))
    }
}

fn optional<T>(found: Result<T, StoreError>) -> Result<Option<T>, SyncError> {
    match found {
        Ok(value) => Ok(Some(value)),
        Err(StoreError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}
