//! The demo's work for today as plain data: one cycle-read order per meter on the three routes
//! read today, in walk order, and a day of inspector orders of several types. The order
//! service turns each [`DemoOrder`] into an automerge work order document.

use super::clock::DemoClock;
use super::routes::{DemoRoute, READERS, TODAY_BOOKS, walk_order};
use super::town::Lot;
use crate::orders::{account_snapshot, meter_snapshot, premise_snapshot};
use crate::store::{Account, Meter};
use chrono::{DateTime, Datelike, Utc};
use fieldline_core::model::{AccountStatus, OfficeData, OrderType, Priority, Source, Timestamp};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::HashSet;
use uuid::Uuid;

/// The user recorded as having created the demo's orders.
pub const ORDERS_CREATED_BY: &str = "dispatcher";
/// The demo inspectors, who share the day's service orders.
pub const INSPECTORS: [&str; 2] = ["inspector1", "inspector2"];
/// A disconnect is dispatched only this many days after the notice was served.
const NOTICE_DAYS: i64 = 10;

/// One order to create: its id, the office section of its document, and who it goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOrder {
    /// The document id to create it under.
    pub id: Uuid,
    /// What the office asks for (target snapshots, schedule, instructions).
    pub office: OfficeData,
    /// Username of the field user to assign it to; `None` leaves it unassigned.
    pub assignee: Option<String>,
    /// The route's id, for route reads (`office.route` holds its code).
    pub route_id: Option<Uuid>,
}

/// The rows an order is about, by lot index.
pub struct Targets<'a> {
    /// Premises' grid positions.
    pub lots: &'a [Lot],
    /// Accounts, in lot order.
    pub accounts: &'a [Account],
    /// Meters, in lot order.
    pub meters: &'a [Meter],
}

fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp(t.timestamp_millis())
}

/// The office data of an order of `order_type` at the lot with index `i`.
fn office(
    t: &Targets<'_>,
    i: usize,
    order_type: OrderType,
    source: Source,
    priority: Priority,
    created_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> OfficeData {
    OfficeData {
        order_type,
        reason: None,
        priority,
        source,
        created_by: ORDERS_CREATED_BY.into(),
        created_at: ts(created_at),
        due_at: Some(ts(due_at)),
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        premise: t.lots.get(i).map(|l| premise_snapshot(&l.premise)),
        account: t.accounts.get(i).map(account_snapshot),
        meter: t.meters.get(i).map(meter_snapshot),
        instructions: None,
        details: Default::default(),
    }
}

/// One cycle-read order per meter on today's routes, in walk order.
pub fn route_reads(
    rng: &mut StdRng,
    t: &Targets<'_>,
    routes: &[DemoRoute],
    clock: &DemoClock,
) -> Vec<DemoOrder> {
    let mut out = Vec::new();
    for (reader, street) in READERS.iter().zip(TODAY_BOOKS) {
        let Some(route) = routes
            .iter()
            .find(|r| r.route.book == Some(super::town::book_code(street)))
        else {
            continue;
        };
        for (seq, i) in walk_order(t.lots, street).into_iter().enumerate() {
            let mut data = office(
                t,
                i,
                OrderType::CycleRead,
                Source::Cycle,
                Priority::Normal,
                clock.local(0, 5, 45),
                clock.local(0, 17, 0),
            );
            data.reason = Some("cycle".into());
            data.route = Some(route.route.code.clone());
            data.sequence = u32::try_from(seq + 1).ok();
            out.push(DemoOrder {
                id: super::random_uuid(rng),
                office: data,
                assignee: Some((*reader).to_string()),
                route_id: Some(route.route.id),
            });
        }
    }
    out
}

/// What kind of service order to make, how many, and for which accounts.
struct Kind {
    order_type: OrderType,
    reason: &'static str,
    source: Source,
    priority: Priority,
    count: usize,
    instructions: &'static str,
    eligible: fn(&Account, &Meter, &DemoClock) -> bool,
}

fn delinquent(a: &Account) -> bool {
    a.status == AccountStatus::Active && a.past_due_cents > 0
}

fn protected(a: &Account) -> bool {
    a.medical_hold || a.life_support || a.payment_plan
}

const KINDS: &[Kind] = &[
    Kind {
        order_type: OrderType::Disconnect,
        reason: "non_payment",
        source: Source::BillingException,
        priority: Priority::Normal,
        count: 5,
        instructions: "Disconnect for non-payment. Check eligibility on the handheld before \
                       the cut; lock and seal the curb stop, photo of lock and register.",
        eligible: |a, _, clock| {
            delinquent(a)
                && !protected(a)
                && a.notice_served_at
                    .is_some_and(|at| at <= clock.local(-NOTICE_DAYS, 23, 59))
        },
    },
    Kind {
        order_type: OrderType::DisconnectNotice,
        reason: "past_due",
        source: Source::BillingException,
        priority: Priority::Normal,
        count: 2,
        instructions: "Deliver the disconnect notice: hand it to an adult or post it on the \
                       front door, photo of the posted notice.",
        eligible: |a, _, _| delinquent(a) && a.notice_served_at.is_none(),
    },
    Kind {
        order_type: OrderType::Reconnect,
        reason: "payment_received",
        source: Source::CallCenter,
        priority: Priority::Urgent,
        count: 3,
        instructions: "Payment posted this morning. Verify the seal number, reconnect, check \
                       for leaks and tell the customer.",
        eligible: |a, _, _| a.status == AccountStatus::Locked,
    },
    Kind {
        order_type: OrderType::TurnOn,
        reason: "move_in",
        source: Source::CallCenter,
        priority: Priority::High,
        count: 3,
        instructions: "New customer moving in. Verify the serial, opening read, remove the \
                       seal, turn on and check for leaks.",
        eligible: |a, _, _| a.status == AccountStatus::Inactive,
    },
    Kind {
        order_type: OrderType::TurnOff,
        reason: "move_out",
        source: Source::CallCenter,
        priority: Priority::Normal,
        count: 2,
        instructions: "Customer moving out. Final read, valve off, seal, door hanger.",
        eligible: |a, _, _| a.status == AccountStatus::Active && a.past_due_cents == 0,
    },
    Kind {
        order_type: OrderType::HighBillInvestigation,
        reason: "customer_call",
        source: Source::CallCenter,
        priority: Priority::Low,
        count: 3,
        instructions: "Customer disputes a high bill. Verify the read with a photo, leak \
                       indicator with fixtures off, low-flow test, advise the customer.",
        eligible: |a, m, _| {
            a.status == AccountStatus::Active && m.registers.len() == 1 && m.size == "5/8\""
        },
    },
    Kind {
        order_type: OrderType::MeterExchange,
        reason: "end_of_life",
        source: Source::BillingException,
        priority: Priority::Normal,
        count: 2,
        instructions: "Meter past its service life. Final read of the old meter, install a \
                       same-size meter from stock, initial read, photos of both.",
        eligible: |a, m, _| {
            a.status == AccountStatus::Active && m.installed_at.is_some_and(|t| t.year() <= 2008)
        },
    },
    Kind {
        order_type: OrderType::Inspection,
        reason: "unauthorized_use",
        source: Source::MeterAlarm,
        priority: Priority::Normal,
        count: 2,
        instructions: "Endpoint reports flow at a locked or vacant premise. Inspect for \
                       tamper or bypass, photos of the seal and the curb stop.",
        eligible: |a, _, _| a.status != AccountStatus::Active,
    },
];

/// A day of inspector orders: each kind drawn from the accounts it applies to, no premise
/// twice (nor a premise on today's routes); two of every three assigned, alternating between
/// the inspectors, the rest unassigned for the dispatcher. Reconnects are always assigned.
pub fn service_orders(rng: &mut StdRng, t: &Targets<'_>, clock: &DemoClock) -> Vec<DemoOrder> {
    let mut used: HashSet<usize> = (0..t.lots.len())
        .filter(|&i| TODAY_BOOKS.contains(&t.lots[i].street))
        .collect();
    let mut out = Vec::new();
    let mut handed_out = 0usize;
    for kind in KINDS {
        let mut candidates: Vec<usize> =
            (0..t.lots.len().min(t.accounts.len()).min(t.meters.len()))
                .filter(|i| {
                    !used.contains(i) && (kind.eligible)(&t.accounts[*i], &t.meters[*i], clock)
                })
                .collect();
        candidates.shuffle(rng);
        for i in candidates.into_iter().take(kind.count) {
            used.insert(i);
            let created_at = clock.local(0, 7, (out.len() as u32 * 2) % 60);
            let due_at = match kind.priority {
                Priority::Emergency | Priority::Urgent => clock.local(0, 12, 0),
                Priority::Low => clock.local(2, 17, 0),
                _ => clock.local(0, 17, 0),
            };
            let mut data = office(
                t,
                i,
                kind.order_type,
                kind.source,
                kind.priority,
                created_at,
                due_at,
            );
            data.reason = Some(kind.reason.into());
            data.instructions = Some(kind.instructions.into());
            if kind.order_type == OrderType::TurnOn {
                data.appointment_start = Some(ts(clock.local(0, 10, 0)));
                data.appointment_end = Some(ts(clock.local(0, 12, 0)));
            }
            let assigned = kind.priority == Priority::Urgent || out.len() % 3 != 2;
            let assignee = assigned.then(|| {
                handed_out += 1;
                INSPECTORS[handed_out % INSPECTORS.len()].to_string()
            });
            out.push(DemoOrder {
                id: super::random_uuid(rng),
                office: data,
                assignee,
                route_id: None,
            });
        }
    }
    out
}
