//! Seals and meters installed on more than one order. The core's `seal.unique` rule knows only
//! the seals the office listed and the order's own entries, and `meter_exchange.new_meter` only
//! the stock the device was given: a seal another crew used, or a stock meter another crew
//! fitted, passes on the device and on the server's trust check (both judge what the device had
//! seen). DOMAIN.md: such a conflict "raises an exception for the office; it never refuses
//! field work done in good faith". So after an upload is stored, the installs its orders record
//! are kept per utility (`Store::record_installs`), and a number found on another order puts a
//! `seal_in_use` / `meter_in_use` exception on both orders' projections.
//!
//! The exceptions are a function of the installs table and the document, like every other
//! projection column: each projection of an order that installed something reads the installs
//! of its numbers elsewhere, so they are never written twice and no later edit drops them.

use super::{OrderError, project};
use crate::store::{
    EquipmentKind, Install, InstalledElsewhere, OrderUpdate, Store, StoreError, UtilityId,
};
use chrono::{DateTime, Utc};
use fieldline_core::status::{METER_IN_USE, SEAL_IN_USE};
use fieldline_core::{Capture, FieldAction, OrderException, OrderRecord, WorkOrderDoc};
use std::collections::BTreeSet;
use uuid::Uuid;

/// How often re-projecting an order retries when it moved under it.
const MAX_ATTEMPTS: usize = 4;

/// The seals and new meters the record's field entries installed, numbers trimmed and
/// upper-cased (as the rules compare them).
pub fn installs(record: &OrderRecord) -> Vec<Install> {
    let canon = |n: &str| n.trim().to_ascii_uppercase();
    let mut out = Vec::new();
    for entry in &record.field {
        let FieldAction::Capture { capture, .. } = &entry.action else {
            continue;
        };
        let (kind, number) = match capture {
            Capture::SealInstalled { number } => (EquipmentKind::Seal, canon(number)),
            Capture::Exchange { new, .. } => (EquipmentKind::Meter, canon(&new.serial)),
            _ => continue,
        };
        if number.is_empty() {
            continue;
        }
        out.push(Install {
            kind,
            number,
            entry_id: entry.id.clone(),
        });
    }
    out
}

/// The exceptions of an order whose `installs` are also found on the orders `elsewhere`: one
/// per installing entry and number, naming the other orders.
pub fn exceptions(installs: &[Install], elsewhere: &[InstalledElsewhere]) -> Vec<OrderException> {
    let mut out = Vec::new();
    for install in installs {
        let others: BTreeSet<i64> = elsewhere
            .iter()
            .filter(|e| e.kind == install.kind && e.number == install.number)
            .map(|e| e.order_number)
            .collect();
        if others.is_empty() {
            continue;
        }
        let (code, what) = match install.kind {
            EquipmentKind::Seal => (SEAL_IN_USE, "seal"),
            EquipmentKind::Meter => (METER_IN_USE, "meter"),
        };
        let orders: Vec<String> = others.iter().map(|n| format!("#{n}")).collect();
        out.push(OrderException {
            code: code.to_string(),
            entries: vec![install.entry_id.clone()],
            register: None,
            detail: Some(format!(
                "{what} {} is also installed on order {}",
                install.number,
                orders.join(", ")
            )),
        });
    }
    out.sort();
    out.dedup();
    out
}

/// The `seal_in_use` / `meter_in_use` exceptions of order `id` as its projection carries them:
/// nothing to read for an order that installed nothing (most orders).
pub async fn exceptions_of(
    store: &dyn Store,
    utility: UtilityId,
    record: &OrderRecord,
) -> Result<Vec<OrderException>, StoreError> {
    let installs = installs(record);
    if installs.is_empty() {
        return Ok(Vec::new());
    }
    let Ok(id) = record.order_id.parse::<Uuid>() else {
        return Ok(Vec::new());
    };
    let elsewhere = store.installed_elsewhere(utility, id, &installs).await?;
    Ok(exceptions(&installs, &elsewhere))
}

/// After an upload stored order `id` (read as `record`): records its installs and, when another
/// order holds one of the numbers, projects both orders again so each shows the exception (the
/// upload's projection could not see installs committed after it read). Idempotent.
pub async fn after_upload(
    store: &dyn Store,
    utility: UtilityId,
    id: Uuid,
    record: &OrderRecord,
    now: DateTime<Utc>,
) -> Result<(), OrderError> {
    let installs = installs(record);
    if installs.is_empty() {
        return Ok(());
    }
    let elsewhere = store.record_installs(utility, id, &installs, now).await?;
    if elsewhere.is_empty() {
        return Ok(());
    }
    let others: BTreeSet<Uuid> = elsewhere.iter().map(|e| e.order_id).collect();
    tracing::warn!(
        order_id = %id,
        others = others.len(),
        "installed seal or meter also installed on another order"
    );
    for order in std::iter::once(id).chain(others) {
        reproject(store, utility, order, now).await?;
    }
    Ok(())
}

/// Stores the order's projection again if it changed (no document change, no feed entry).
/// An order that keeps moving is left alone: whoever moves it projects it from the same
/// installs.
async fn reproject(
    store: &dyn Store,
    utility: UtilityId,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), OrderError> {
    for _ in 0..MAX_ATTEMPTS {
        let stored = store.get_order(utility, id).await?;
        let doc = WorkOrderDoc::load(&stored.doc)?;
        let projection = project(store, utility, &doc).await?;
        if projection == stored.summary.projection {
            return Ok(());
        }
        let update = OrderUpdate {
            doc: stored.doc,
            projection,
            changes: Vec::new(),
            updated_at: now,
        };
        match store
            .update_order(utility, id, stored.summary.version, &update)
            .await
        {
            Ok(_) => return Ok(()),
            // Whoever moved it projected it too, from the same installs.
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    // Left for the order's next projection, which reads the same installs.
    tracing::warn!(order_id = %id, "installed-elsewhere exception left for the next projection");
    Ok(())
}
