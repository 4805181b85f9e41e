//! Blind re-reads and verification reads. The order's document is blind (no previous read, no
//! limits, never the disputed value); the server keeps those values beside the order and, when
//! the re-read's reading arrives, compares: a re-read below the previous read is a
//! `meter_problem`, one below the disputed read (beyond one unit) shows the `original_misread`,
//! anything else is `original_confirmed`. A misread or a meter problem creates its follow-up
//! (an inspection, a meter test). An audit re-read is never given to the reader it audits.

use super::create::{account_snapshot, build_order, due_at_for, meter_snapshot, premise_snapshot};
use super::follow_ups::create_one;
use super::{OrderDetail, OrderError, assignable_user, detail_of};
use crate::store::{
    HiddenRegister, ReReadOutcome, Store, StoreError, StoredOrder, User, UtilityId,
};
use chrono::{DateTime, Utc};
use fieldline_core::model::OrderDetails;
use fieldline_core::{
    FieldAction, FollowUp, FollowUpKind, OfficeData, OrderRecord, OrderType, Priority, Refusal,
    Source, Timestamp,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// The re-read confirmed the read under dispute.
pub const ORIGINAL_CONFIRMED: &str = "original_confirmed";
/// The re-read shows the read under dispute was wrong.
pub const ORIGINAL_MISREAD: &str = "original_misread";
/// The re-read is below the previous read: the meter (or its register) is suspect.
pub const METER_PROBLEM: &str = "meter_problem";
/// Longest disputed value accepted.
const MAX_VALUE_BYTES: usize = 32;

/// One register's read under dispute.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputedRead {
    /// Register number.
    pub register: u32,
    /// The value billed (a non-negative decimal number).
    pub value: String,
}

/// What the office sends to create a blind re-read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReReadRequest {
    /// The meter to read again.
    pub meter_id: Uuid,
    /// The reads under dispute, per register (kept on the server, never sent to the device).
    pub disputed: Vec<DisputedRead>,
    /// A supervisor's audit: it must be done by another reader than `original_reader`.
    #[serde(default)]
    pub audit: bool,
    /// Username of the reader whose read is checked (required for an audit).
    pub original_reader: Option<String>,
    /// Reason code (`billing_dispute`, `exception`, `audit`).
    pub reason: Option<String>,
    /// `low`, `normal` (default), `high`, `urgent` or `emergency`.
    #[schema(value_type = Option<String>)]
    pub priority: Option<Priority>,
    /// The reader to assign it to right away.
    pub assignee: Option<String>,
}

/// Refuses giving an audit re-read to the reader it audits.
pub fn check_assignee(office: &OfficeData, assignee: &str) -> Result<(), OrderError> {
    let details = &office.details;
    if office.order_type == OrderType::ReRead
        && details.audit
        && details.original_reader.as_deref() == Some(assignee)
    {
        return Err(OrderError::Refused(Refusal::new(
            "re_read.other_reader",
            "assignee",
            format!("`{assignee}` made the read this audit checks: assign another reader"),
        )));
    }
    Ok(())
}

/// Validates `request` and stores the blind re-read with its hidden values.
pub async fn create_re_read(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    request: ReReadRequest,
    now: DateTime<Utc>,
) -> Result<OrderDetail, OrderError> {
    let meter = match store.get_meter(utility, request.meter_id).await {
        Ok(meter) => meter,
        Err(StoreError::NotFound) => {
            return Err(OrderError::invalid(
                "meter_id",
                "there is no meter with that id",
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let Some(premise_id) = meter.premise_id else {
        return Err(OrderError::invalid(
            "meter_id",
            "that meter is not installed at a premise",
        ));
    };
    if request.disputed.is_empty() {
        return Err(OrderError::invalid(
            "disputed",
            "name the read under dispute of at least one register",
        ));
    }
    let mut disputed: BTreeMap<u32, String> = BTreeMap::new();
    for read in &request.disputed {
        if !meter.registers.iter().any(|r| r.number == read.register) {
            return Err(OrderError::invalid(
                "disputed",
                format!("meter {} has no register {}", meter.serial, read.register),
            ));
        }
        let valid = read.value.len() <= MAX_VALUE_BYTES
            && read
                .value
                .parse::<f64>()
                .is_ok_and(|v| v.is_finite() && v >= 0.0);
        if !valid {
            return Err(OrderError::invalid(
                "disputed",
                format!(
                    "register {}: a read is a non-negative number of at most {MAX_VALUE_BYTES} bytes",
                    read.register
                ),
            ));
        }
        if disputed.insert(read.register, read.value.clone()).is_some() {
            return Err(OrderError::invalid(
                "disputed",
                format!("register {} is named twice", read.register),
            ));
        }
    }
    if request.audit && request.original_reader.is_none() {
        return Err(OrderError::invalid(
            "original_reader",
            "an audit names the reader whose read it checks",
        ));
    }
    if let Some(original) = &request.original_reader {
        match store.get_user_by_username(utility, original).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(OrderError::invalid(
                    "original_reader",
                    format!("there is no user `{original}` in this utility"),
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    let assignee = match &request.assignee {
        Some(username) => Some(assignable_user(store, utility, username).await?),
        None => None,
    };
    let premise = store.get_premise(utility, premise_id).await?;
    let account = store
        .accounts_for_premise(utility, premise_id)
        .await?
        .into_iter()
        .next();
    let priority = request.priority.unwrap_or(Priority::Normal);
    let office = OfficeData {
        order_type: OrderType::ReRead,
        reason: request.reason.clone(),
        priority,
        source: Source::BillingException,
        created_by: by.username.clone(),
        created_at: Timestamp(now.timestamp_millis()),
        due_at: Some(Timestamp(due_at_for(priority, now).timestamp_millis())),
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        premise: Some(premise_snapshot(&premise)),
        account: account.as_ref().map(account_snapshot),
        meter: Some(meter_snapshot(&meter)),
        instructions: None,
        details: OrderDetails {
            audit: request.audit,
            original_reader: request.original_reader.clone(),
            service_area: premise.service_area.clone(),
            ..Default::default()
        },
    }
    .blind();
    if let Some(user) = &assignee {
        check_assignee(&office, &user.username)?;
    }
    let hidden: Vec<HiddenRegister> = meter
        .registers
        .iter()
        .map(|r| HiddenRegister {
            register: r.number,
            disputed: disputed.get(&r.number).cloned(),
            previous: r.last_read.clone(),
            low_limit: r.low_limit,
            high_limit: r.high_limit,
        })
        .collect();
    let new = build_order(Uuid::new_v4(), &office, assignee.as_ref(), by, None, now)?;
    let summary = store.insert_re_read(utility, &new, &hidden).await?;
    let stored = StoredOrder {
        summary,
        doc: new.doc,
    };
    detail_of(store, utility, stored).await
}

/// The latest value read for each register in a record, with the entry that read it.
fn latest_readings(record: &OrderRecord) -> BTreeMap<u32, (f64, String)> {
    let mut out = BTreeMap::new();
    for entry in &record.field {
        if let FieldAction::Reading { readings, .. } = &entry.action {
            for input in readings {
                if let Ok(value) = input.value.parse::<f64>() {
                    out.insert(input.register, (value, entry.id.clone()));
                }
            }
        }
    }
    out
}

/// The outcome of comparing re-read values with the hidden ones: per register and overall.
pub fn compare(
    hidden: &[HiddenRegister],
    read: &BTreeMap<u32, (f64, String)>,
) -> Option<(String, String)> {
    let mut worst = ORIGINAL_CONFIRMED;
    let mut detail = Vec::new();
    let mut judged = false;
    for h in hidden {
        let Some(disputed) = h.disputed.as_deref().and_then(|v| v.parse::<f64>().ok()) else {
            continue;
        };
        let Some((value, _)) = read.get(&h.register) else {
            // Every disputed register must be read before judging.
            return None;
        };
        judged = true;
        let previous = h.previous.as_deref().and_then(|v| v.parse::<f64>().ok());
        let outcome = if previous.is_some_and(|p| *value < p) {
            METER_PROBLEM
        } else if *value < disputed - 1.0 {
            ORIGINAL_MISREAD
        } else {
            ORIGINAL_CONFIRMED
        };
        detail.push(format!(
            "register {}: read {value}, disputed {disputed}: {outcome}",
            h.register
        ));
        worst = match (worst, outcome) {
            (METER_PROBLEM, _) | (_, METER_PROBLEM) => METER_PROBLEM,
            (ORIGINAL_MISREAD, _) | (_, ORIGINAL_MISREAD) => ORIGINAL_MISREAD,
            _ => ORIGINAL_CONFIRMED,
        };
    }
    judged.then(|| (worst.to_string(), detail.join("; ")))
}

/// When `record` is a re-read whose disputed registers are all read, records the comparison
/// (replacing an earlier one) and creates the follow-up a misread or meter problem calls for.
pub async fn judge(
    store: &dyn Store,
    utility: UtilityId,
    order: Uuid,
    number: i64,
    record: &OrderRecord,
    by: &User,
    now: DateTime<Utc>,
) -> Result<Option<ReReadOutcome>, OrderError> {
    if record.office.order_type != OrderType::ReRead {
        return Ok(None);
    }
    let hidden = store.re_read_values(utility, order).await?;
    let read = latest_readings(record);
    let Some((outcome, detail)) = compare(&hidden, &read) else {
        return Ok(None);
    };
    // The entry judged on: the latest reading entry of a disputed register.
    let entry_id = hidden
        .iter()
        .filter(|h| h.disputed.is_some())
        .filter_map(|h| read.get(&h.register).map(|(_, id)| id.clone()))
        .max_by_key(|id| record.field.iter().position(|e| &e.id == id))
        .unwrap_or_default();
    let known = store.re_read_outcome(utility, order).await?;
    let judged = ReReadOutcome {
        order_id: order,
        outcome,
        entry_id,
        detail,
        judged_at: now,
    };
    if known
        .as_ref()
        .is_none_or(|k| k.outcome != judged.outcome || k.entry_id != judged.entry_id)
    {
        store.record_re_read_outcome(utility, &judged).await?;
    }
    let kind = match judged.outcome.as_str() {
        ORIGINAL_MISREAD => Some(FollowUpKind::Inspection),
        METER_PROBLEM => Some(FollowUpKind::MeterTest),
        _ => None,
    };
    if let Some(kind) = kind {
        let follow_up = FollowUp {
            kind,
            reason: judged.outcome.clone(),
            entry_id: judged.entry_id.clone(),
        };
        create_one(
            store,
            utility,
            order,
            number,
            &record.office,
            &follow_up,
            by,
            now,
        )
        .await?;
    }
    Ok(Some(judged))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden(disputed: &str, previous: &str) -> Vec<HiddenRegister> {
        vec![HiddenRegister {
            register: 1,
            disputed: Some(disputed.into()),
            previous: Some(previous.into()),
            low_limit: None,
            high_limit: None,
        }]
    }

    fn read(value: f64) -> BTreeMap<u32, (f64, String)> {
        BTreeMap::from([(1, (value, "e1".to_string()))])
    }

    #[test]
    fn a_re_read_at_or_above_the_disputed_read_confirms_it() {
        let h = hidden("1450", "1000");
        assert_eq!(
            compare(&h, &read(1450.0)).map(|c| c.0).as_deref(),
            Some(ORIGINAL_CONFIRMED)
        );
        assert_eq!(
            compare(&h, &read(1449.0)).map(|c| c.0).as_deref(),
            Some(ORIGINAL_CONFIRMED)
        );
        assert_eq!(
            compare(&h, &read(1460.0)).map(|c| c.0).as_deref(),
            Some(ORIGINAL_CONFIRMED)
        );
    }

    #[test]
    fn a_re_read_below_the_disputed_read_shows_a_misread() {
        let h = hidden("1450", "1000");
        assert_eq!(
            compare(&h, &read(1045.0)).map(|c| c.0).as_deref(),
            Some(ORIGINAL_MISREAD)
        );
    }

    #[test]
    fn a_re_read_below_the_previous_read_is_a_meter_problem() {
        let h = hidden("1450", "1000");
        assert_eq!(
            compare(&h, &read(900.0)).map(|c| c.0).as_deref(),
            Some(METER_PROBLEM)
        );
    }

    #[test]
    fn nothing_is_judged_before_every_disputed_register_is_read() {
        let h = hidden("1450", "1000");
        assert_eq!(compare(&h, &BTreeMap::new()), None);
        assert_eq!(compare(&[], &read(1450.0)), None);
    }
}
