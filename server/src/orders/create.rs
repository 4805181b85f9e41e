//! Creating orders: validate what the office asked for against the utility's premises, meters,
//! accounts, routes and users, snapshot them into the order's office data, and store the new
//! document with its projection and first changes.

use super::details::{OrderDetailsRequest, order_details};
use super::projection::projection_of;
use super::{OrderDetail, OrderError, assignable_user, detail_of, office_actor, office_changes};
use crate::store::{
    Account, Meter, NewOrder, Premise, Store, StoreError, StoredOrder, User, UtilityId,
};
use chrono::{DateTime, Duration, Utc};
use fieldline_core::document::MAX_TEXT_BYTES;
use fieldline_core::{
    AccountSnapshot, GeoPoint, MeterSnapshot, OfficeAction, OfficeData, OrderType, PremiseSnapshot,
    Priority, Register, Source, Timestamp, WorkOrderDoc,
};
use serde::Deserialize;
use uuid::Uuid;

/// Longest reason code accepted.
const MAX_REASON_BYTES: usize = 64;

/// What the office sends to create an order. Unknown fields are refused, so a typo in a field
/// name is an error rather than silently ignored.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrderRequest {
    /// The kind of work (`cycle_read`, `turn_on`, `disconnect`...).
    #[schema(value_type = String, example = "turn_on")]
    pub order_type: OrderType,
    /// `low`, `normal` (default), `high`, `urgent` or `emergency`.
    #[schema(value_type = Option<String>, example = "normal")]
    pub priority: Option<Priority>,
    /// Reason code (`move_in`, `non_payment`...).
    pub reason: Option<String>,
    /// Where the work came from; `call_center` by default.
    #[schema(value_type = Option<String>, example = "call_center")]
    pub source: Option<Source>,
    /// The premise; taken from the meter when only the meter is given.
    pub premise_id: Option<Uuid>,
    /// The meter; required for work on a meter (reads, turn-on/off, disconnects, exchanges).
    pub meter_id: Option<Uuid>,
    /// The account; the premise's current account when omitted.
    pub account_id: Option<Uuid>,
    /// Due time; computed from priority when omitted.
    pub due_at: Option<DateTime<Utc>>,
    /// Appointment window start.
    pub appointment_start: Option<DateTime<Utc>>,
    /// Appointment window end.
    pub appointment_end: Option<DateTime<Utc>>,
    /// Route code, for route work.
    pub route: Option<String>,
    /// Walk sequence within the route.
    pub sequence: Option<u32>,
    /// Instructions to the crew.
    pub instructions: Option<String>,
    /// Username of the field user to assign it to right away.
    pub assignee: Option<String>,
    /// What the order's type needs beyond the common envelope (which special read, the seal
    /// recorded at shut-off, the checklist, the meters issued for an exchange).
    pub details: Option<OrderDetailsRequest>,
}

/// Order types whose work is on a meter.
fn needs_meter(order_type: OrderType) -> bool {
    !matches!(
        order_type,
        OrderType::DisconnectNotice | OrderType::Inspection | OrderType::FieldFound
    )
}

/// Order types that act on an account's service.
fn needs_account(order_type: OrderType) -> bool {
    matches!(
        order_type,
        OrderType::Disconnect | OrderType::DisconnectNotice | OrderType::Reconnect
    )
}

/// When an order is due if the office did not say: sooner for higher priorities.
pub fn due_at_for(priority: Priority, created: DateTime<Utc>) -> DateTime<Utc> {
    let hours = match priority {
        Priority::Emergency => 4,
        Priority::Urgent => 12,
        Priority::High => 48,
        Priority::Normal => 5 * 24,
        Priority::Low => 10 * 24,
    };
    created + Duration::hours(hours)
}

/// Validates `request`, creates the order's document and stores it.
pub async fn create_order(
    store: &dyn Store,
    utility: UtilityId,
    by: &User,
    request: NewOrderRequest,
    now: DateTime<Utc>,
) -> Result<OrderDetail, OrderError> {
    if request.order_type == OrderType::FieldFound {
        return Err(OrderError::invalid(
            "order_type",
            "field-found orders are created on a handheld in the field",
        ));
    }
    check_text("reason", request.reason.as_deref(), MAX_REASON_BYTES)?;
    check_text(
        "instructions",
        request.instructions.as_deref(),
        MAX_TEXT_BYTES,
    )?;
    if request.sequence.is_some() && request.route.is_none() {
        return Err(OrderError::invalid(
            "sequence",
            "a walk sequence needs a route",
        ));
    }
    if let (Some(start), Some(end)) = (request.appointment_start, request.appointment_end)
        && end <= start
    {
        return Err(OrderError::invalid(
            "appointment_end",
            "the appointment must end after it starts",
        ));
    }

    let meter = match request.meter_id {
        Some(id) => Some(found(
            store.get_meter(utility, id).await,
            "meter_id",
            "meter with that id",
        )?),
        None => None,
    };
    let premise_id = request
        .premise_id
        .or(meter.as_ref().and_then(|m| m.premise_id));
    let premise = match premise_id {
        Some(id) => Some(found(
            store.get_premise(utility, id).await,
            "premise_id",
            "premise with that id",
        )?),
        None => None,
    };
    let meter = match (meter, &premise) {
        (Some(meter), _) => Some(meter),
        (None, Some(premise)) if needs_meter(request.order_type) => {
            let mut meters = store.meters_for_premise(utility, premise.id).await?;
            if meters.len() == 1 {
                meters.pop()
            } else {
                None
            }
        }
        _ => None,
    };
    if needs_meter(request.order_type) && meter.is_none() {
        return Err(OrderError::invalid(
            "meter_id",
            format!("a {} order needs the meter it is for", request.order_type),
        ));
    }
    let Some(premise) = premise else {
        return Err(OrderError::invalid(
            "premise_id",
            "name the premise (or a meter installed at one)",
        ));
    };
    if let (Some(meter), Some(at)) = (&meter, meter.as_ref().and_then(|m| m.premise_id))
        && at != premise.id
    {
        return Err(OrderError::invalid(
            "meter_id",
            format!("meter {} is not installed at that premise", meter.serial),
        ));
    }
    let account = match request.account_id {
        Some(id) => {
            let account = found(
                store.get_account(utility, id).await,
                "account_id",
                "account with that id",
            )?;
            if account.premise_id != premise.id {
                return Err(OrderError::invalid(
                    "account_id",
                    "that account is not at that premise",
                ));
            }
            Some(account)
        }
        None => store
            .accounts_for_premise(utility, premise.id)
            .await?
            .into_iter()
            .next(),
    };
    if needs_account(request.order_type) && account.is_none() {
        return Err(OrderError::invalid(
            "account_id",
            format!("a {} order needs the account it is for", request.order_type),
        ));
    }
    let route_id = match &request.route {
        Some(code) => Some(
            found(
                store.get_route_by_code(utility, code).await,
                "route",
                "route with that code",
            )?
            .id,
        ),
        None => None,
    };
    let assignee = match &request.assignee {
        Some(username) => Some(assignable_user(store, utility, username).await?),
        None => None,
    };

    let reference = crate::reference::current(store, utility).await?;
    let mut details = order_details(
        request.order_type,
        request.details.as_ref(),
        &reference,
        meter.as_ref().map(|m| m.serial.as_str()),
    )?;
    super::seal_history::fill(
        store,
        utility,
        request.order_type,
        meter.as_ref().map(|m| m.id),
        premise.id,
        &mut details,
    )
    .await?;

    let priority = request.priority.unwrap_or(Priority::Normal);
    let office = OfficeData {
        order_type: request.order_type,
        reason: request.reason.clone(),
        priority,
        source: request.source.unwrap_or(Source::CallCenter),
        created_by: by.username.clone(),
        created_at: millis(now),
        due_at: Some(millis(
            request.due_at.unwrap_or_else(|| due_at_for(priority, now)),
        )),
        appointment_start: request.appointment_start.map(millis),
        appointment_end: request.appointment_end.map(millis),
        route: request.route.clone(),
        sequence: request.sequence,
        premise: Some(premise_snapshot(&premise)),
        account: account.as_ref().map(account_snapshot),
        meter: meter.as_ref().map(meter_snapshot),
        instructions: request.instructions.clone(),
        details,
    };
    // A re-read is blind: no previous reads or limits on the device.
    let office = if office.order_type == OrderType::ReRead {
        office.blind()
    } else {
        office
    };
    let new = build_order(
        Uuid::new_v4(),
        &office,
        assignee.as_ref(),
        by,
        route_id,
        now,
    )?;
    let summary = store.insert_order(utility, &new).await?;
    let stored = StoredOrder {
        summary,
        doc: new.doc,
    };
    detail_of(store, utility, stored).await
}

/// The document, projection and change log of a new order, assigned to `assignee` if given.
/// Pure: the caller resolved the ids (so seeding thousands of orders needs no lookups).
pub fn build_order(
    id: Uuid,
    office: &OfficeData,
    assignee: Option<&User>,
    by: &User,
    route_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<NewOrder, OrderError> {
    let mut doc = WorkOrderDoc::create(&id.to_string(), office, office_actor(), millis(now))?;
    if let Some(user) = assignee {
        doc.apply_office_action(
            OfficeAction::Assign {
                assignee: user.username.clone(),
                reason: None,
            },
            &by.username,
            millis(now),
        )?;
    }
    let derived = doc.derive()?;
    Ok(NewOrder {
        id,
        projection: projection_of(office, derived, assignee.map(|u| u.id), route_id),
        changes: office_changes(&doc.change_infos(&[]), by, now),
        doc: doc.save(),
        created_at: now,
    })
}

/// The office's snapshot of a premise.
pub fn premise_snapshot(premise: &Premise) -> PremiseSnapshot {
    PremiseSnapshot {
        id: premise.id.to_string(),
        address: format!("{}, {}", premise.address, premise.city),
        location: match (premise.lat, premise.lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
            _ => None,
        },
        access_notes: premise.access_notes.clone(),
        hazards: premise.hazards.clone(),
    }
}

/// The office's snapshot of an account, as of when it was read.
pub fn account_snapshot(account: &Account) -> AccountSnapshot {
    AccountSnapshot {
        id: account.id.to_string(),
        number: account.number.clone(),
        customer_name: account.customer_name.clone(),
        status: account.status,
        balance_cents: account.balance_cents,
        past_due_cents: account.past_due_cents,
        notice_served_at: account.notice_served_at.map(millis),
        medical_hold: account.medical_hold,
        life_support: account.life_support,
        payment_plan: account.payment_plan,
        as_of: millis(account.as_of),
    }
}

/// The office's snapshot of a meter with its registers' last reads and limits.
pub fn meter_snapshot(meter: &Meter) -> MeterSnapshot {
    MeterSnapshot {
        id: meter.id.to_string(),
        serial: meter.serial.clone(),
        size: meter.size.clone(),
        location_code: meter.location_code.clone(),
        registers: meter
            .registers
            .iter()
            .map(|r| Register {
                number: r.number,
                dials_left: r.dials_left,
                dials_right: r.dials_right,
                multiplier: r.multiplier,
                unit: r.unit.clone(),
                previous_read: r.last_read.as_deref().and_then(|v| v.trim().parse().ok()),
                previous_read_at: r.last_read_at.map(millis),
                low_limit: r.low_limit,
                high_limit: r.high_limit,
            })
            .collect(),
    }
}

fn millis(t: DateTime<Utc>) -> Timestamp {
    Timestamp(t.timestamp_millis())
}

fn check_text(field: &str, text: Option<&str>, max: usize) -> Result<(), OrderError> {
    match text {
        Some(text) if text.len() > max => Err(OrderError::invalid(
            field,
            format!("longer than {max} bytes: shorten it"),
        )),
        _ => Ok(()),
    }
}

fn found<T>(result: Result<T, StoreError>, field: &str, what: &str) -> Result<T, OrderError> {
    match result {
        Ok(value) => Ok(value),
        Err(StoreError::NotFound) => Err(OrderError::invalid(
            field,
            format!("there is no {what} in this utility"),
        )),
        Err(other) => Err(other.into()),
    }
}
