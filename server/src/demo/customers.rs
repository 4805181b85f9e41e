//! The demo's customer accounts, one per premise: mostly active and paid up, some vacant
//! (inactive) or shut off (locked), about 8 % delinquent with notices served, and a few
//! medical holds, life-support registrations and payment plans.

use super::clock::DemoClock;
use super::town::Lot;
use crate::store::{Account, UtilityId};
use fieldline_core::model::AccountStatus;
use rand::Rng;
use rand::rngs::StdRng;

/// Share of premises with no customer of record.
const VACANT_SHARE: f64 = 0.04;
/// Share of premises shut off and locked for non-payment.
const LOCKED_SHARE: f64 = 0.02;
/// Share of active accounts that are past due.
const DELINQUENT_SHARE: f64 = 0.085;
/// Share of delinquent accounts already served a disconnect notice.
const NOTICED_SHARE: f64 = 0.8;

const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "Robert", "Linda", "Michael", "Patricia", "David", "Susan", "William",
    "Karen", "Joseph", "Nancy", "Thomas", "Lisa", "Daniel", "Betty", "Mark", "Sandra", "Paul",
    "Ashley", "Steven", "Donna", "Kevin", "Carol", "Brian", "Michelle", "Jason", "Emily",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nelson",
    "Baker",
    "Running Horse",
    "Whiteplume",
    "Oldman",
];

/// One account per lot, in lot order.
pub fn accounts(
    rng: &mut StdRng,
    utility: UtilityId,
    lots: &[Lot],
    clock: &DemoClock,
) -> Vec<Account> {
    let as_of = clock.local(0, 5, 30);
    lots.iter()
        .enumerate()
        .map(|(i, lot)| {
            let roll: f64 = rng.r#gen();
            let status = if roll < VACANT_SHARE {
                AccountStatus::Inactive
            } else if roll < VACANT_SHARE + LOCKED_SHARE {
                AccountStatus::Locked
            } else {
                AccountStatus::Active
            };
            let current_bill: i64 = rng.gen_range(2_800..12_500);
            let delinquent = match status {
                AccountStatus::Locked => true,
                AccountStatus::Active => rng.gen_bool(DELINQUENT_SHARE),
                AccountStatus::Inactive => false,
            };
            let (balance_cents, past_due_cents, notice_served_at) = if delinquent {
                let past_due = rng.gen_range(6_000..48_000);
                let noticed = status == AccountStatus::Locked || rng.gen_bool(NOTICED_SHARE);
                let served = noticed.then(|| clock.local(-rng.gen_range(3..30), 10, 15));
                (past_due + current_bill, past_due, served)
            } else if status == AccountStatus::Active {
                (current_bill, 0, None)
            } else {
                (0, 0, None)
            };
            let customer_name = if status == AccountStatus::Inactive {
                "VACANT".to_string()
            } else {
                format!(
                    "{} {}",
                    FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())],
                    LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())]
                )
            };
            let occupied = status != AccountStatus::Inactive;
            Account {
                id: super::random_uuid(rng),
                utility_id: utility,
                number: format!("{:06}-{:02}", 100_000 + i * 7, lot.street + 1),
                premise_id: lot.premise.id,
                customer_name,
                status,
                balance_cents,
                past_due_cents,
                notice_served_at,
                medical_hold: occupied && rng.gen_bool(if delinquent { 0.08 } else { 0.01 }),
                life_support: occupied && rng.gen_bool(0.005),
                payment_plan: delinquent && status == AccountStatus::Active && rng.gen_bool(0.15),
                as_of,
            }
        })
        .collect()
}
