//! The demo's meters: one per premise in four sizes (a few large compound meters with two
//! registers), each register with a year of monthly reads — seasonal use, occasional billing
//! estimates, a few rollovers past full scale, nothing at vacant or locked premises — and the
//! limits for its next read computed from that history.

use super::clock::DemoClock;
use super::limits::{HistoryRead, limits};
use super::town::Lot;
use crate::store::{Account, Meter, MeterRead, MeterRegister, ReadKind, UtilityId};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use fieldline_core::model::AccountStatus;
use rand::Rng;
use rand::rngs::StdRng;

/// The demo utility bills in hundreds of cubic feet.
pub const UNIT: &str = "CCF";
/// Monthly reads of history per register.
pub const HISTORY_MONTHS: i64 = 12;
/// Days between cycle reads.
pub const CYCLE_DAYS: i64 = 30;
/// Swing of use between winter and summer (irrigation), as a share of the mean.
const SEASONAL_AMPLITUDE: f64 = 0.45;
/// Day of the year use peaks (mid-July).
const PEAK_DAY_OF_YEAR: f64 = 196.0;
/// Share of reads billing estimated.
const ESTIMATED_SHARE: f64 = 0.03;
/// Share of registers that roll over past full scale during the year.
const ROLLOVER_SHARE: f64 = 0.015;
/// A locked premise's water was shut off this many days ago.
const LOCKED_DAYS_AGO: i64 = 45;

/// Meter sizes with their share of premises and their mean monthly use in billed CCF.
const SIZES: &[(&str, f64, f64, f64)] = &[
    ("5/8\"", 0.80, 3.0, 10.0),
    ("3/4\"", 0.12, 8.0, 18.0),
    ("1\"", 0.06, 15.0, 35.0),
    ("2\"", 0.02, 60.0, 180.0),
];

const LOCATIONS: &[&str] = &[
    "curb box front",
    "curb box front",
    "curb box front",
    "curb box side",
    "meter pit rear",
    "basement",
];

/// Everything generated for one premise's meter.
pub struct MeterWithHistory {
    /// The meter and its registers (with last read and limits).
    pub meter: Meter,
    /// Its reads, oldest first per register.
    pub reads: Vec<MeterRead>,
}

struct RegisterPlan {
    dials_left: u32,
    dials_right: u32,
    multiplier: u32,
    /// Share of the premise's use that flows through this register.
    share: f64,
}

fn plan_registers(rng: &mut StdRng, size: &str) -> Vec<RegisterPlan> {
    let reg = |dials_left, dials_right, multiplier, share| RegisterPlan {
        dials_left,
        dials_right,
        multiplier,
        share,
    };
    match size {
        "2\"" if rng.gen_bool(0.5) => vec![reg(6, 0, 10, 0.85), reg(5, 1, 1, 0.15)],
        "2\"" => vec![reg(6, 0, 10, 1.0)],
        "1\"" => vec![reg(5, 1, 1, 1.0)],
        "3/4\"" => vec![reg(5, u32::from(rng.gen_bool(0.5)), 1, 1.0)],
        _ => {
            if rng.gen_bool(0.5) {
                vec![reg(4, 1, 1, 1.0)]
            } else {
                vec![reg(5, 0, 1, 1.0)]
            }
        }
    }
}

/// How much of the mean monthly use flows in the 30 days ending at `at`.
fn seasonal(at: DateTime<Utc>) -> f64 {
    let day = f64::from(at.ordinal());
    1.0 + SEASONAL_AMPLITUDE
        * (2.0 * std::f64::consts::PI * (day - PEAK_DAY_OF_YEAR) / 365.25).cos()
}

/// The value as the register's dials show it (`0482.3`, `04821`).
pub fn format_reading(value: f64, dials_left: u32, dials_right: u32) -> String {
    let scale = 10f64.powi(dials_right as i32);
    let shown = (value * scale).floor() / scale;
    let width = dials_left as usize
        + if dials_right > 0 {
            1 + dials_right as usize
        } else {
            0
        };
    format!("{shown:0width$.prec$}", prec = dials_right as usize)
}

/// The meter and history of each lot, in lot order. `next_read_day(street)` is the day
/// (relative to today) the lot's book is read next.
pub fn meters(
    rng: &mut StdRng,
    utility: UtilityId,
    lots: &[Lot],
    accounts: &[Account],
    clock: &DemoClock,
    next_read_day: impl Fn(usize) -> i64,
) -> Vec<MeterWithHistory> {
    lots.iter()
        .zip(accounts)
        .enumerate()
        .map(|(i, (lot, account))| {
            let roll: f64 = rng.r#gen();
            let mut acc = 0.0;
            let &(size, _, min_use, max_use) = SIZES
                .iter()
                .find(|(_, share, _, _)| {
                    acc += share;
                    roll < acc
                })
                .unwrap_or(&SIZES[0]);
            let monthly_use = rng.gen_range(min_use..max_use);
            let install_year = rng.gen_range(2006..=2024);
            let installed_at = Utc
                .with_ymd_and_hms(
                    install_year,
                    rng.gen_range(1..=12),
                    rng.gen_range(1..=28),
                    17,
                    0,
                    0,
                )
                .single();
            let next_read_at = clock.local(next_read_day(lot.street), 12, 0);
            let read_times: Vec<DateTime<Utc>> = (1..=HISTORY_MONTHS)
                .rev()
                .map(|k| {
                    let day = next_read_day(lot.street) - CYCLE_DAYS * k + rng.gen_range(-1..=1);
                    clock.local(day, rng.gen_range(9..15), rng.gen_range(0..60))
                })
                .collect();
            let shut_off_at = match account.status {
                AccountStatus::Locked => Some(clock.local(-LOCKED_DAYS_AGO, 10, 0)),
                _ => None,
            };
            let vacant = account.status == AccountStatus::Inactive;
            let meter_id = super::random_uuid(rng);
            let mut registers = Vec::new();
            let mut reads = Vec::new();
            for (n, plan) in plan_registers(rng, size).into_iter().enumerate() {
                let number = n as u32 + 1;
                let full_scale = 10f64.powi(plan.dials_left as i32);
                let units_per_month = monthly_use * plan.share / f64::from(plan.multiplier);
                let mut value = if rng.gen_bool(ROLLOVER_SHARE) {
                    full_scale - units_per_month * rng.gen_range(2.0..10.0)
                } else {
                    rng.gen_range(0.0..full_scale * 0.85)
                };
                let mut history = Vec::new();
                let mut shown_prev: Option<f64> = None;
                for (k, &at) in read_times.iter().enumerate() {
                    if k > 0 {
                        let running = !vacant && shut_off_at.is_none_or(|off| at < off);
                        if running {
                            let used = units_per_month * seasonal(at) * rng.gen_range(0.85..1.15);
                            value = (value + used) % full_scale;
                        }
                    }
                    let estimated = k > 0 && rng.gen_bool(ESTIMATED_SHARE);
                    let recorded = match (estimated, shown_prev) {
                        (true, Some(prev)) => (prev + units_per_month) % full_scale,
                        _ => value,
                    };
                    let text = format_reading(recorded, plan.dials_left, plan.dials_right);
                    let shown: f64 = text.parse().unwrap_or(recorded);
                    shown_prev = Some(shown);
                    history.push(HistoryRead {
                        at,
                        value: shown,
                        actual: !estimated,
                    });
                    reads.push(MeterRead {
                        meter_id,
                        register: number,
                        value: text,
                        read_at: at,
                        kind: if estimated {
                            ReadKind::Estimated
                        } else {
                            ReadKind::Actual
                        },
                    });
                }
                let l = limits(&history, full_scale, next_read_at);
                registers.push(MeterRegister {
                    number,
                    dials_left: plan.dials_left,
                    dials_right: plan.dials_right,
                    multiplier: plan.multiplier,
                    unit: UNIT.into(),
                    last_read: l
                        .map(|l| format_reading(l.last_read, plan.dials_left, plan.dials_right)),
                    last_read_at: l.map(|l| l.last_read_at),
                    low_limit: l.map(|l| l.low),
                    high_limit: l.map(|l| l.high),
                });
            }
            let location_code = if size == "2\"" {
                "vault".to_string()
            } else {
                LOCATIONS[rng.gen_range(0..LOCATIONS.len())].to_string()
            };
            MeterWithHistory {
                meter: Meter {
                    id: meter_id,
                    utility_id: utility,
                    serial: format!("{:02}{:06}", install_year % 100, 100_000 + i),
                    premise_id: Some(lot.premise.id),
                    size: size.into(),
                    location_code: Some(location_code),
                    status: "active".into(),
                    installed_at,
                    registers,
                },
                reads,
            }
        })
        .collect()
}
