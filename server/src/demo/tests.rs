//! Tests of the demo generator: determinism, sizes and mix, walk order, limits from history,
//! and seeding into a real store.

use super::limits::{HistoryRead, limits};
use super::routes::{READERS, TODAY_BOOKS};
use super::*;
use crate::orders::meter_snapshot;
use crate::store::testing::fresh_test_store;
use crate::store::{PageRequest, ReadKind};
use fieldline_core::model::{AccountStatus, OrderType};
use std::collections::HashMap;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap_or_default()
}

fn dataset() -> DemoDataset {
    generate(UtilityId(Uuid::from_u128(7)), DEMO_SEED, today())
}

#[test]
fn same_seed_and_day_give_the_same_dataset() {
    let a = dataset();
    assert_eq!(a, dataset());
    let other = generate(UtilityId(Uuid::from_u128(7)), DEMO_SEED + 1, today());
    assert_ne!(a.premises, other.premises);
}

#[test]
fn dataset_looks_like_a_small_utility() {
    let d = dataset();
    let n = d.premises.len();
    assert!((2_500..=3_500).contains(&n), "{n} premises");
    assert_eq!(d.accounts.len(), n);
    assert_eq!(d.meters.len(), n);

    let share =
        |f: &dyn Fn(&Account) -> bool| d.accounts.iter().filter(|a| f(a)).count() as f64 / n as f64;
    let delinquent = share(&|a| a.past_due_cents > 0);
    assert!(
        (0.06..=0.12).contains(&delinquent),
        "{delinquent} delinquent"
    );
    assert!(share(&|a| a.status == AccountStatus::Inactive) > 0.01);
    assert!(share(&|a| a.status == AccountStatus::Locked) > 0.005);
    assert!(d.accounts.iter().any(|a| a.medical_hold));
    assert!(d.accounts.iter().any(|a| a.life_support));
    assert!(d.accounts.iter().any(|a| a.payment_plan));
    assert!(
        d.accounts
            .iter()
            .filter(|a| a.past_due_cents > 0)
            .any(|a| a.notice_served_at.is_some())
    );

    for size in ["5/8\"", "3/4\"", "1\"", "2\""] {
        assert!(d.meters.iter().any(|m| m.size == size), "no {size} meter");
    }
    assert!(
        d.meters.iter().any(|m| m.registers.len() == 2),
        "no compound meter"
    );
    assert!(
        d.meters
            .iter()
            .flat_map(|m| &m.registers)
            .all(|r| (4..=6).contains(&r.dials_left) && r.dials_right <= 1 && r.unit == UNIT)
    );
    let registers: usize = d.meters.iter().map(|m| m.registers.len()).sum();
    assert_eq!(d.reads.len(), registers * 12, "a year of monthly reads");
    assert!(d.reads.iter().any(|r| r.kind == ReadKind::Estimated));

    let history = histories(&d);
    let rollovers = history
        .values()
        .filter(|h| h.windows(2).any(|w| w[1].1 < w[0].1 && w[1].2 && w[0].2))
        .count();
    assert!(rollovers > 0, "no rollover in the history");
    let flat = history
        .values()
        .filter(|h| h.windows(2).all(|w| w[0].1 == w[1].1))
        .count();
    assert!(flat > 0, "no zero-consumption premise");
}

#[test]
fn routes_and_service_orders_fill_a_day() {
    let d = dataset();
    assert_eq!(d.routes.len(), super::town::STREETS.len());
    for reader in READERS {
        let on_route = d
            .orders
            .iter()
            .filter(|o| o.route_id.is_some() && o.assignee.as_deref() == Some(reader))
            .count();
        assert!(
            (150..=250).contains(&on_route),
            "{reader}: {on_route} meters"
        );
    }
    let service: Vec<&DemoOrder> = d.service_orders().collect();
    assert!(
        (15..=25).contains(&service.len()),
        "{} service orders",
        service.len()
    );
    let types: std::collections::HashSet<OrderType> =
        service.iter().map(|o| o.office.order_type).collect();
    assert!(types.len() >= 6, "{types:?}");
    for who in [Some("inspector1"), Some("inspector2"), None] {
        assert!(
            service.iter().any(|o| o.assignee.as_deref() == who),
            "nothing for {who:?}"
        );
    }
    for o in service
        .iter()
        .filter(|o| o.office.order_type == OrderType::Disconnect)
    {
        let a = o
            .office
            .account
            .as_ref()
            .expect("a disconnect has an account");
        assert!(a.past_due_cents > 0 && a.notice_served_at.is_some());
        assert!(!a.medical_hold && !a.life_support && !a.payment_plan);
    }
}

#[test]
fn every_route_walks_up_one_side_of_its_street_and_back_down_the_other() {
    let d = dataset();
    for route in d.routes.iter().filter(|r| r.reader.is_some()) {
        let mut stops: Vec<&DemoOrder> = d
            .orders
            .iter()
            .filter(|o| o.route_id == Some(route.route.id))
            .collect();
        stops.sort_by_key(|o| o.office.sequence);
        let seqs: Vec<u32> = stops.iter().filter_map(|o| o.office.sequence).collect();
        assert_eq!(seqs, (1..=stops.len() as u32).collect::<Vec<_>>());
        let addresses: Vec<(u32, String)> = stops
            .iter()
            .filter_map(|o| o.office.premise.as_ref())
            .filter_map(|p| {
                let street_and_city = p.address.split_once(' ')?;
                let street = street_and_city.1.split(',').next()?.to_string();
                Some((street_and_city.0.parse().ok()?, street))
            })
            .collect();
        assert_eq!(addresses.len(), stops.len());
        assert!(
            addresses.iter().all(|(_, s)| *s == addresses[0].1),
            "one street"
        );
        let numbers: Vec<u32> = addresses.iter().map(|(n, _)| *n).collect();
        // Even numbers are on the north side, odd on the south: the walk turns at the first odd.
        let turn = numbers
            .iter()
            .position(|n| n % 2 == 1)
            .unwrap_or(numbers.len());
        assert!(turn > 0 && turn < numbers.len(), "both sides are walked");
        let (north, south) = numbers.split_at(turn);
        assert!(north.windows(2).all(|w| w[0] < w[1]), "up the north side");
        assert!(south.windows(2).all(|w| w[0] > w[1]), "down the south side");
        assert!(north.iter().all(|n| n % 2 == 0), "north side is even");
        assert!(south.iter().all(|n| n % 2 == 1), "south side is odd");
        let points: Vec<(f64, f64)> = stops
            .iter()
            .filter_map(|o| o.office.premise.as_ref()?.location)
            .map(|g| (g.lat, g.lon))
            .collect();
        let longest = points
            .windows(2)
            .map(|w| super::town::distance_m(w[0], w[1]))
            .fold(0.0, f64::max);
        assert!(longest < 150.0, "a {longest} m jump between stops");
    }
    assert_eq!(TODAY_BOOKS.len(), READERS.len());
}

/// One register's reads as (time, value, actual), oldest first.
type History = Vec<(chrono::DateTime<chrono::Utc>, f64, bool)>;

/// Per register, its reads.
fn histories(d: &DemoDataset) -> HashMap<(Uuid, u32), History> {
    let mut out: HashMap<_, Vec<_>> = HashMap::new();
    for r in &d.reads {
        let value: f64 = r.value.parse().unwrap_or(f64::NAN);
        out.entry((r.meter_id, r.register)).or_default().push((
            r.read_at,
            value,
            r.kind == ReadKind::Actual,
        ));
    }
    for h in out.values_mut() {
        h.sort_by_key(|r| r.0);
    }
    out
}

#[test]
fn register_limits_are_computed_from_their_history() {
    let d = dataset();
    let history = histories(&d);
    let mut checked = 0;
    for route_order in d.orders.iter().filter(|o| o.route_id.is_some()) {
        let Some(meter) = route_order.office.meter.as_ref() else {
            continue;
        };
        let meter_id: Uuid = meter.id.parse().expect("meter id");
        for reg in &meter.registers {
            let reads: Vec<HistoryRead> = history[&(meter_id, reg.number)]
                .iter()
                .map(|&(at, value, actual)| HistoryRead { at, value, actual })
                .collect();
            let due = route_order.office.due_at.expect("due").0;
            let next = clock::DemoClock { today: today() }.local(0, 12, 0);
            assert!(next.timestamp_millis() < due);
            let expected = limits(&reads, reg.full_scale(), next).expect("limits");
            assert_eq!(reg.low_limit, Some(expected.low));
            assert_eq!(reg.high_limit, Some(expected.high));
            assert_eq!(
                reg.previous_read_at.map(|t| t.0),
                Some(expected.last_read_at.timestamp_millis())
            );
            // Twice the use over the same dates doubles the band above the last read.
            let doubled: Vec<HistoryRead> = reads
                .iter()
                .map(|r| HistoryRead {
                    value: reads[0].value + 2.0 * (r.value - reads[0].value),
                    ..*r
                })
                .collect();
            if reads.windows(2).all(|w| w[1].value >= w[0].value) {
                let twice = limits(&doubled, f64::MAX, next).expect("limits");
                let band = expected.high - expected.last_read;
                if band > super::limits::MIN_HIGH_ALLOWANCE * 2.0 {
                    let twice_band = twice.high - twice.last_read;
                    assert!(
                        (twice_band - 2.0 * band).abs() < 0.05,
                        "{band} {twice_band}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked} registers checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_stores_the_whole_dataset() {
    let (store, guard) = fresh_test_store().await.expect("test store");
    let started = std::time::Instant::now();
    let seeded = seed(
        store.as_ref(),
        &SeedOptions {
            slug: DEMO_UTILITY_SLUG,
            name: DEMO_UTILITY_NAME,
            seed: DEMO_SEED,
            today: today(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        },
    )
    .await
    .expect("seed");
    eprintln!(
        "seeded {} premises, {} meters, {} reads on {} in {:?}",
        seeded.premises,
        seeded.meters,
        seeded.reads,
        store.backend(),
        started.elapsed()
    );
    let u = seeded.utility.id;
    assert_eq!(seeded.users.len(), DEMO_USERS.len());
    assert_eq!(
        store.list_users(u).await.expect("users").len(),
        DEMO_USERS.len()
    );
    let premises = store
        .search_premises(u, None, PageRequest::first(1))
        .await
        .expect("premises");
    assert_eq!(premises.total, seeded.premises as i64);
    let routes = store.list_routes(u).await.expect("routes");
    assert_eq!(routes.len(), seeded.routes.len());
    let walked = routes
        .iter()
        .filter(|r| r.default_assignee.is_some())
        .count();
    assert_eq!(walked, READERS.len());
    let some_meter = seeded.orders[0].office.meter.as_ref().expect("meter");
    let stored = store
        .get_meter_by_serial(u, &some_meter.serial)
        .await
        .expect("meter");
    assert_eq!(meter_snapshot(&stored), *some_meter);
    assert_eq!(
        store.meter_reads(u, stored.id).await.expect("reads").len(),
        12 * stored.registers.len()
    );
    guard.cleanup().await;
}
