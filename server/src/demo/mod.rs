//! Demo data: a plausible small water utility ("Riverton Water"), generated deterministically
//! from a seed and a date — a street grid of about 3,000 premises, their accounts, meters with a
//! year of read history and limits computed from it, the readers' routes and a day of work.
//!
//! [`generate`] returns plain rows; [`seed`] stores them (users included) and hands back the
//! day's orders as [`DemoOrder`]s for the order service to turn into documents.

mod clock;
mod customers;
pub mod limits;
mod meters;
mod orders;
mod routes;
mod seed;
mod town;

#[cfg(test)]
mod tests;

pub use clock::DemoClock;
pub use meters::{UNIT, format_reading};
pub use orders::{DemoOrder, ORDERS_CREATED_BY};
pub use routes::DemoRoute;
pub use seed::{SeedOptions, SeededDemo, seed};

use crate::store::{Account, Meter, MeterRead, Premise, UtilityId};
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// The demo utility's sign-in slug.
pub const DEMO_UTILITY_SLUG: &str = "riverton";
/// The demo utility's name.
pub const DEMO_UTILITY_NAME: &str = "Riverton Water";
/// The seed `fieldline demo` generates from.
pub const DEMO_SEED: u64 = 2026;
/// Every demo user's password.
pub const DEMO_PASSWORD: &str = "demo";

/// The demo users: (username, role as its wire name, display name). All have the password
/// [`DEMO_PASSWORD`].
pub const DEMO_USERS: &[(&str, &str, &str)] = &[
    ("admin", "admin", "Alex Admin"),
    ("dispatcher", "dispatcher", "Dana Dispatcher"),
    ("supervisor", "supervisor", "Sam Supervisor"),
    ("reader1", "reader", "Riley Reader"),
    ("reader2", "reader", "Rowan Reader"),
    ("reader3", "reader", "Reese Reader"),
    ("inspector1", "inspector", "Indra Inspector"),
    ("inspector2", "inspector", "Ivan Inspector"),
];

/// Everything the generator makes, as plain rows.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoDataset {
    /// The utility the rows belong to.
    pub utility_id: UtilityId,
    /// Service addresses, street by street.
    pub premises: Vec<Premise>,
    /// One account per premise.
    pub accounts: Vec<Account>,
    /// One meter per premise, with registers, last reads and limits.
    pub meters: Vec<Meter>,
    /// A year of monthly reads per register.
    pub reads: Vec<MeterRead>,
    /// One route per book; today's three name their reader.
    pub routes: Vec<DemoRoute>,
    /// Today's work: route reads in walk order, then inspector orders.
    pub orders: Vec<DemoOrder>,
}

impl DemoDataset {
    /// The orders that are not route reads (the inspectors' day).
    pub fn service_orders(&self) -> impl Iterator<Item = &DemoOrder> {
        self.orders.iter().filter(|o| o.route_id.is_none())
    }
}

/// Generates the demo utility's data for `today` from `seed`. The same arguments give the
/// same data, ids included.
pub fn generate(utility: UtilityId, seed: u64, today: NaiveDate) -> DemoDataset {
    let mut rng = StdRng::seed_from_u64(seed);
    let clock = DemoClock { today };
    let lots = town::lay_out(&mut rng, utility);
    let accounts = customers::accounts(&mut rng, utility, &lots, &clock);
    let metered = meters::meters(
        &mut rng,
        utility,
        &lots,
        &accounts,
        &clock,
        routes::next_read_day,
    );
    let mut meters = Vec::with_capacity(metered.len());
    let mut reads = Vec::new();
    for m in metered {
        meters.push(m.meter);
        reads.extend(m.reads);
    }
    let routes = routes::routes(&mut rng, utility, &clock);
    let targets = orders::Targets {
        lots: &lots,
        accounts: &accounts,
        meters: &meters,
    };
    let mut orders = orders::route_reads(&mut rng, &targets, &routes, &clock);
    orders.extend(orders::service_orders(&mut rng, &targets, &clock));
    DemoDataset {
        utility_id: utility,
        premises: lots.into_iter().map(|l| l.premise).collect(),
        accounts,
        meters,
        reads,
        routes,
        orders,
    }
}

/// A random (v4) id drawn from the seeded generator, so ids are the same on every run.
fn random_uuid(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid()
}
