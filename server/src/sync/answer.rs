//! The answer half of a sync: everything the device may see since its cursor, from the change
//! feed. Orders that became the user's come whole, orders that stayed theirs come as the changes
//! appended since the cursor, orders that stopped being theirs are revoked. Large answers are
//! paged by feed entries and by bytes; a cursor ahead of the feed asks for reconciliation.

use super::upload::Uploaded;
use super::{Session, SyncError};
use crate::store::{AssigneeFilter, FeedEntry, OrderFilter, PageRequest};
use fieldline_core::WorkOrderDoc;
use fieldline_core::document::automerge::ChangeHash;
use fieldline_core::sync::{DocChanges, DocHeads, DocSnapshot, SyncResponse};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the device gets for one order of the feed window.
#[derive(Debug)]
enum Delivery {
    /// It became the user's in the window: the whole document.
    Document,
    /// It stayed the user's: the changes appended in the window.
    Changes,
    /// It stopped being the user's.
    Revoke,
}

/// Builds the answer for a device at `cursor` (`None`: it never synced). What the device just
/// uploaded (`uploaded`) is not sent back.
pub async fn answer(
    s: &Session<'_>,
    cursor: Option<u64>,
    holdings: &[DocHeads],
    uploaded: &Uploaded,
) -> Result<SyncResponse, SyncError> {
    // Read first: every entry up to `head` is visible from here on (see store/sql/feed.rs).
    let head = s.store.feed_head(s.utility).await?;
    if !holdings.is_empty() {
        return by_heads(s, head, holdings).await;
    }
    match cursor {
        None => whole_route(s, head).await,
        Some(c) if c > head => {
            tracing::warn!(device_id = %s.device.id, cursor = c, head, "device cursor ahead of the feed");
            Ok(SyncResponse {
                reconcile: true,
                ..SyncResponse::empty(head)
            })
        }
        Some(c) => from_feed(s, c, head, uploaded).await,
    }
}

/// The ids of every order now assigned to the user, by number.
async fn my_orders(s: &Session<'_>) -> Result<Vec<Uuid>, SyncError> {
    let filter = OrderFilter {
        assignee: Some(AssigneeFilter::User(s.user.id)),
        ..OrderFilter::default()
    };
    let mut ids = Vec::new();
    loop {
        let page = PageRequest {
            limit: PageRequest::MAX_LIMIT,
            offset: u32::try_from(ids.len()).unwrap_or(u32::MAX),
        };
        let found = s.store.list_orders(s.utility, &filter, page).await?;
        let got = found.items.len();
        ids.extend(found.items.into_iter().map(|o| o.id));
        if got == 0 || i64::try_from(ids.len()).unwrap_or(i64::MAX) >= found.total {
            return Ok(ids);
        }
    }
}

/// First sync: every order assigned to the user, whole, and the cursor moves to `head`: one
/// round trip for a route that fits in `sync.page_bytes`. A larger one is paged through the feed
/// instead: the answer is empty with cursor 0 and `more`, and the device follows the feed from
/// its start, where every order it holds became its own (the feed covers every order from
/// position 1, see migration 0002).
async fn whole_route(s: &Session<'_>, head: u64) -> Result<SyncResponse, SyncError> {
    let mut response = SyncResponse::empty(head);
    let mut bytes = 0usize;
    for id in my_orders(s).await? {
        let stored = s.store.get_order(s.utility, id).await?;
        bytes += stored.doc.len();
        if bytes > s.config.page_bytes && !response.documents.is_empty() {
            tracing::info!(device_id = %s.device.id, "first sync paged through the feed");
            return Ok(SyncResponse {
                more: true,
                ..SyncResponse::empty(0)
            });
        }
        response.documents.push(DocSnapshot {
            order_id: id.to_string(),
            doc: stored.doc,
        });
    }
    Ok(response)
}

/// Reconciliation: the device listed the heads of what it holds. It gets what it lacks of each
/// order that is the user's (the whole document when it holds none), and revocations for what it
/// holds that is not; the cursor moves to `head`.
async fn by_heads(
    s: &Session<'_>,
    head: u64,
    holdings: &[DocHeads],
) -> Result<SyncResponse, SyncError> {
    let mut response = SyncResponse::empty(head);
    let held: HashMap<String, Vec<ChangeHash>> = holdings
        .iter()
        .map(|h| {
            let id = h
                .order_id
                .parse::<Uuid>()
                .map(|u| u.to_string())
                .unwrap_or_else(|_| h.order_id.clone());
            (id, h.heads.iter().map(|x| ChangeHash(*x)).collect())
        })
        .collect();
    let mine = my_orders(s).await?;
    let mine_set: HashSet<String> = mine.iter().map(Uuid::to_string).collect();
    for id in mine {
        let order_id = id.to_string();
        let stored = s.store.get_order(s.utility, id).await?;
        match held.get(&order_id) {
            Some(heads) => {
                let doc =
                    WorkOrderDoc::load(&stored.doc).map_err(crate::orders::OrderError::from)?;
                let known: Vec<ChangeHash> = heads
                    .iter()
                    .filter(|h| doc.at(std::slice::from_ref(h)).is_ok())
                    .copied()
                    .collect();
                let changes = doc.changes_since(&known);
                if !changes.is_empty() {
                    response.changes.push(DocChanges { order_id, changes });
                }
            }
            None => response.documents.push(DocSnapshot {
                order_id,
                doc: stored.doc,
            }),
        }
    }
    response.revoked = holdings
        .iter()
        .filter(|h| !held_is_mine(&h.order_id, &mine_set))
        .map(|h| h.order_id.clone())
        .collect();
    Ok(response)
}

fn held_is_mine(order_id: &str, mine: &HashSet<String>) -> bool {
    order_id
        .parse::<Uuid>()
        .is_ok_and(|u| mine.contains(&u.to_string()))
}

/// The feed from `cursor` to `head`, paged.
async fn from_feed(
    s: &Session<'_>,
    cursor: u64,
    head: u64,
    uploaded: &Uploaded,
) -> Result<SyncResponse, SyncError> {
    let limits = &s.config;
    let page = limits.page_entries.max(1);
    let mut entries = s
        .store
        .feed_for_user(s.utility, s.user.id, cursor, head, page.saturating_add(1))
        .await?;
    let mut more = entries.len() > page as usize;
    entries.truncate(page as usize);
    let mut end = match (more, entries.last()) {
        (true, Some(last)) => last.position,
        _ => head,
    };
    let mut response = SyncResponse::empty(end);
    let mut bytes = 0usize;
    for (order_id, window) in by_order(&entries) {
        let first = window.first().map_or(end, |e| e.position);
        if bytes >= limits.page_bytes && first > cursor + 1 {
            // Cut before this order: every order with an entry at or before the new cursor was
            // answered in full; the rest come on the next page.
            end = first - 1;
            more = true;
            break;
        }
        let delivery = delivery(s.user.id, &window);
        tracing::debug!(order_id = %order_id, ?delivery, "deliver");
        match delivery {
            Delivery::Document => {
                let stored = s.store.get_order(s.utility, order_id).await?;
                bytes += stored.doc.len();
                response.documents.push(DocSnapshot {
                    order_id: order_id.to_string(),
                    doc: stored.doc,
                });
            }
            // The window's only entry for the order is the one this upload wrote: nothing in it
            // is new to the device (a route's shift-end sync would otherwise re-read every
            // order's log only to filter all of it out).
            Delivery::Changes if window.len() == 1 && uploaded.changed.contains(&order_id) => {}
            Delivery::Changes => {
                let skip = uploaded.sent.get(&order_id);
                let changes: Vec<Vec<u8>> = s
                    .store
                    .order_changes_after(s.utility, order_id, cursor, end)
                    .await?
                    .into_iter()
                    .filter(|c| !skip.is_some_and(|skip| skip.contains(&c.hash)))
                    .map(|c| c.bytes)
                    .collect();
                bytes += changes.iter().map(Vec::len).sum::<usize>();
                if !changes.is_empty() {
                    response.changes.push(DocChanges {
                        order_id: order_id.to_string(),
                        changes,
                    });
                }
            }
            Delivery::Revoke => response.revoked.push(order_id.to_string()),
        }
    }
    response.cursor = end;
    response.more = more;
    Ok(response)
}

/// The window's entries grouped per order, orders in the order of their first entry.
fn by_order(entries: &[FeedEntry]) -> Vec<(Uuid, Vec<&FeedEntry>)> {
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    let mut groups: Vec<(Uuid, Vec<&FeedEntry>)> = Vec::new();
    for entry in entries {
        let slot = *index.entry(entry.order_id).or_insert_with(|| {
            groups.push((entry.order_id, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(entry);
    }
    groups
}

/// What one order's entries in the window mean for `user`. The entries are those whose assignee
/// before or after is the user, so the last one says whether the order is the user's at the end
/// of the window (a later change that made it theirs would be among them).
fn delivery(user: Uuid, window: &[&FeedEntry]) -> Delivery {
    let mine_now = window
        .last()
        .is_some_and(|e| e.assignee_after == Some(user));
    let became_mine = window
        .iter()
        .any(|e| e.assignee_after == Some(user) && e.assignee_before != Some(user));
    match (mine_now, became_mine) {
        (true, true) => Delivery::Document,
        (true, false) => Delivery::Changes,
        (false, _) => Delivery::Revoke,
    }
}
