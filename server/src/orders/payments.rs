//! Posting a payment: the account's balance goes down, and when the past-due amount no longer
//! justifies a cut, every open disconnect-for-non-payment order of the account is cancelled by
//! the office (`customer_paid`), so the crew's device learns it on its next sync. A cut the
//! crew already made offline still merges; the order then shows `completed_after_cancel`.

use super::{AssigneeChange, OrderError, apply_office_action_traced};
use crate::store::{Account, NewPayment, Store, StoreError, User, UtilityId};
use chrono::{DateTime, Utc};
use fieldline_core::reference::ReferenceData;
use fieldline_core::{OfficeAction, OrderType};
use serde::Deserialize;
use uuid::Uuid;

/// The office cancel reason of a disconnect a payment made unnecessary.
pub const CUSTOMER_PAID: &str = "customer_paid";
/// The largest single payment accepted, in cents (ten million dollars).
pub const MAX_PAYMENT_CENTS: i64 = 1_000_000_000;
/// Longest payment reference accepted.
pub const MAX_REFERENCE_BYTES: usize = 64;

/// A payment the office posts to an account.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// How much, in cents (1 to 1,000,000,000).
    pub amount_cents: i64,
    /// The billing system's receipt number; posting the same one to the account twice is
    /// refused (409), so a retried request is not counted twice.
    pub reference: Option<String>,
}

/// What posting a payment did.
#[derive(Debug, Clone)]
pub struct PaymentPosted {
    /// The payment's id.
    pub payment_id: Uuid,
    /// The account after the payment.
    pub account: Account,
    /// The disconnect orders it cancelled.
    pub cancelled: Vec<Uuid>,
    /// Whose assignments the cancellations changed (to poke).
    pub assignees: Vec<AssigneeChange>,
}

/// Validates and posts a payment for `by`, then cancels the account's open disconnects when
/// its past-due amount is at or below the disconnect threshold of `reference`.
pub async fn post_payment(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    account_id: Uuid,
    request: PaymentRequest,
    reference: &ReferenceData,
    now: DateTime<Utc>,
) -> Result<PaymentPosted, OrderError> {
    if !(1..=MAX_PAYMENT_CENTS).contains(&request.amount_cents) {
        return Err(OrderError::invalid(
            "amount_cents",
            format!("a payment is between 1 and {MAX_PAYMENT_CENTS} cents"),
        ));
    }
    if let Some(r) = &request.reference
        && (r.trim().is_empty() || r.len() > MAX_REFERENCE_BYTES)
    {
        return Err(OrderError::invalid(
            "reference",
            format!("a reference is 1 to {MAX_REFERENCE_BYTES} bytes"),
        ));
    }
    let payment = NewPayment {
        id: Uuid::new_v4(),
        account_id,
        amount_cents: request.amount_cents,
        reference: request.reference,
        posted_by: by.id,
        posted_at: now,
    };
    let account = match store.post_payment(utility, &payment).await {
        Ok(account) => account,
        Err(StoreError::NotFound) => {
            return Err(OrderError::NotFound);
        }
        Err(StoreError::Conflict(_)) => {
            return Err(OrderError::Store(StoreError::Conflict(
                "that reference was already posted to this account".into(),
            )));
        }
        Err(other) => return Err(other.into()),
    };
    let mut posted = PaymentPosted {
        payment_id: payment.id,
        account,
        cancelled: Vec::new(),
        assignees: Vec::new(),
    };
    if posted.account.past_due_cents > reference.policy.disconnect.min_past_due_cents {
        return Ok(posted);
    }
    let disconnects = store
        .account_orders(utility, account_id, OrderType::Disconnect)
        .await?;
    for order in disconnects
        .into_iter()
        .filter(|o| !o.projection.status.is_terminal())
    {
        let cancel = OfficeAction::Cancel {
            reason: CUSTOMER_PAID.to_string(),
        };
        match apply_office_action_traced(store, utility, by, order.id, cancel, now).await {
            Ok((_, assignees)) => {
                posted.cancelled.push(order.id);
                posted.assignees.push(assignees);
            }
            // Finished meanwhile (a crew synced its cut): the cut stands.
            Err(OrderError::Refused(_)) => {}
            Err(other) => return Err(other),
        }
    }
    tracing::info!(
        account_id = %account_id,
        cancelled = posted.cancelled.len(),
        "payment posted"
    );
    Ok(posted)
}
