//! What the handheld shows: the route in walk order, one order as the crew may see it, and where
//! the device stands (pending work, last sync, rejections). All offline, all from the store.

use super::dao::{self, Account, DocRow};
use super::error::ClientError;
use super::views::{ClientStatus, OrderSummary, OrderView, RejectionInfo};
use super::{FieldClient, account_info, outbox, require_account};
use crate::document::WorkOrderDoc;
use crate::model::{Role, Timestamp};
use rusqlite::Connection;
use std::cmp::Ordering;

impl FieldClient {
    /// The signed-in user's orders in walk order: route and walk sequence, then due time.
    /// Orders taken from the user (revoked, waiting to upload) are left out.
    pub fn orders(&self) -> Result<Vec<OrderSummary>, ClientError> {
        let mut orders = self.store.read(|tx| {
            let account = require_account(tx)?;
            let mut orders = Vec::new();
            for row in dao::documents(tx, account.id)? {
                if row.revoked {
                    continue;
                }
                // One unreadable document (a partial replica) must not hide the whole route;
                // `order` reports its error.
                let Ok(doc) = outbox::load(&row) else {
                    continue;
                };
                let Ok(record) = doc.record() else {
                    continue;
                };
                let derived = crate::status::derive(&record);
                let office = record.office;
                orders.push(OrderSummary {
                    position: 0,
                    order_id: record.order_id,
                    order_type: office.order_type.as_str().to_string(),
                    route: office.route,
                    sequence: office.sequence,
                    due_at: office.due_at,
                    address: office.premise.map(|p| p.address),
                    status: derived.status,
                    exceptions: derived.exceptions.into_iter().map(|e| e.code).collect(),
                    pending_changes: pending_count(&row, &doc),
                });
            }
            Ok(orders)
        })?;
        orders.sort_by(walk_order);
        for (index, order) in orders.iter_mut().enumerate() {
            order.position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        }
        Ok(orders)
    }

    /// One order with its derived status and exceptions, limits shown only as the user's role
    /// may see them.
    pub fn order(&self, order_id: &str) -> Result<OrderView, ClientError> {
        self.store.read(|tx| {
            let account = require_account(tx)?;
            let row = dao::document(tx, account.id, order_id)?.ok_or_else(|| {
                ClientError::NotFound(format!("order {order_id} is not on this device"))
            })?;
            let doc = outbox::load(&row)?;
            let record = doc.record()?;
            let derived = crate::status::derive(&record);
            let role = Role::parse(&account.role).unwrap_or(Role::Reader);
            Ok(OrderView::build(
                record,
                derived,
                (&self.reference().policy, role),
                row.revoked,
                pending_count(&row, &doc),
            ))
        })
    }

    /// Where the device stands for the signed-in user.
    pub fn status(&self) -> Result<ClientStatus, ClientError> {
        self.store.read(|tx| {
            let Some(account) = dao::active_account(tx)? else {
                return Ok(ClientStatus {
                    account: None,
                    sign_in_needed: true,
                    token_expires_at: None,
                    orders: 0,
                    pending_changes: 0,
                    pending_orders: 0,
                    actions_logged: 0,
                    last_sync_at: None,
                    last_error: None,
                    cursor: None,
                    rejections: Vec::new(),
                    waiting_users: Vec::new(),
                });
            };
            let (pending_changes, pending_orders) = pending_totals(tx, &account)?;
            let token = dao::token(tx, account.id)?;
            let state = dao::sync_state(tx, account.id)?;
            let mut waiting_users = Vec::new();
            for other in dao::accounts(tx)? {
                if other.id != account.id && pending_totals(tx, &other)?.0 > 0 {
                    waiting_users.push(other.username);
                }
            }
            let rejections = dao::rejections(tx, account.id)?
                .into_iter()
                .map(|r| RejectionInfo {
                    order_id: r.order_id,
                    code: r.code,
                    message: r.message,
                    changes: r.hashes,
                    received_at: Timestamp(r.received_at),
                })
                .collect();
            Ok(ClientStatus {
                account: Some(account_info(&account)),
                // An expired access token is no reason to sign in while a refresh token can
                // renew it; a refused one is.
                sign_in_needed: !token.as_ref().is_some_and(|t| {
                    t.valid && (t.expires_at > self.now() || t.refresh_token.is_some())
                }),
                token_expires_at: token.map(|t| Timestamp(t.expires_at)),
                orders: dao::documents(tx, account.id)?
                    .iter()
                    .filter(|row| !row.revoked)
                    .count(),
                pending_changes,
                pending_orders,
                actions_logged: dao::intent_count(tx, account.id, None)?,
                last_sync_at: state.last_sync_at.map(Timestamp),
                last_error: state.last_error,
                cursor: state.cursor,
                rejections,
                waiting_users,
            })
        })
    }
}

/// Changes of one document the server has not acknowledged.
fn pending_count(row: &DocRow, doc: &WorkOrderDoc) -> usize {
    if row.heads == row.acked {
        0
    } else {
        outbox::pending(doc, &row.acked).len()
    }
}

/// Pending changes and orders with pending changes, for one account.
fn pending_totals(conn: &Connection, account: &Account) -> Result<(usize, usize), ClientError> {
    let mut changes = 0;
    let mut orders = 0;
    for order_id in dao::unacked_order_ids(conn, account.id)? {
        if let Some(row) = dao::document(conn, account.id, &order_id)? {
            let count = outbox::pending(&outbox::load(&row)?, &row.acked).len();
            if count > 0 {
                changes += count;
                orders += 1;
            }
        }
    }
    Ok((changes, orders))
}

/// Route, walk sequence, due time, id; unknowns last.
fn walk_order(a: &OrderSummary, b: &OrderSummary) -> Ordering {
    fn last<T: Ord>(a: &Option<T>, b: &Option<T>) -> Ordering {
        match (a, b) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
    last(&a.route, &b.route)
        .then_with(|| last(&a.sequence, &b.sequence))
        .then_with(|| last(&a.due_at, &b.due_at))
        .then_with(|| a.order_id.cmp(&b.order_id))
}

impl FieldClient {
    /// A copy of the stored document of one of the signed-in user's orders (for support and
    /// for convergence checks: two replicas that synced hold equal `to_json()`).
    pub fn document(&self, order_id: &str) -> Result<WorkOrderDoc, ClientError> {
        self.store.read(|tx| {
            let account = require_account(tx)?;
            let row = dao::document(tx, account.id, order_id)?.ok_or_else(|| {
                ClientError::NotFound(format!("order {order_id} is not on this device"))
            })?;
            outbox::load(&row)
        })
    }
}
