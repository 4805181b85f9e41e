//! The demo town's street grid: east-west streets crossed by numbered avenues, blocks of about
//! 100 m, houses on both sides of each street numbered by hundred-block (even on the north
//! side, odd on the south), each with a position a map would put there.

use crate::store::{Premise, UtilityId};
use fieldline_core::model::Hazard;
use rand::Rng;
use rand::rngs::StdRng;

/// The town the demo utility serves.
pub const CITY: &str = "Riverton";
/// Latitude of the south-west corner of the grid (Main St at 1st Ave).
const ORIGIN_LAT: f64 = 43.0180;
/// Longitude of the south-west corner of the grid.
const ORIGIN_LON: f64 = -108.3950;
/// One block, in metres.
const BLOCK_M: f64 = 100.0;
/// Metres per degree of latitude.
const M_PER_DEG_LAT: f64 = 111_320.0;
/// Houses are set back this far from the street's centre line.
const SETBACK_M: f64 = 15.0;
/// House lots per side of one block.
pub const LOTS_PER_SIDE: u32 = 10;
/// Blocks along each street (between the avenues).
pub const BLOCKS: u32 = 12;
/// Share of lots that are empty (parks, vacant land, churches without service).
const EMPTY_LOT_SHARE: f64 = 0.15;

/// East-west streets, south to north. Each street is one meter-reading book.
pub const STREETS: &[&str] = &[
    "Main St",
    "Park St",
    "Lincoln St",
    "Washington St",
    "Jefferson St",
    "Madison St",
    "Monroe St",
    "Adams St",
    "Jackson St",
    "Pershing St",
    "Fremont St",
    "Sunset St",
    "Aspen St",
    "Cedar St",
    "Willow St",
];

/// A premise with where it sits on the grid, which the routes and orders need.
#[derive(Debug, Clone, PartialEq)]
pub struct Lot {
    /// The stored row.
    pub premise: Premise,
    /// Index of its street in [`STREETS`] (also its book).
    pub street: usize,
    /// House number.
    pub house_number: u32,
    /// North side (even numbers) or south side (odd).
    pub north_side: bool,
}

/// The book code of a street.
pub fn book_code(street: usize) -> String {
    format!("B{:02}", street + 1)
}

/// The name of the `n`th avenue (1-based), west to east.
pub fn avenue_name(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix} Ave")
}

const ACCESS_NOTES: &[&str] = &[
    "Gate code 4417",
    "Meter behind side gate, latch sticks",
    "Call ahead, customer works nights",
    "Key in lock box at office",
    "Box under gravel by driveway",
];

const HAZARDS: &[(&str, &str)] = &[
    ("dog in yard", "caution"),
    ("aggressive dog", "danger"),
    ("steep icy steps", "caution"),
    ("wasp nest near box", "caution"),
];

/// Lays out the premises street by street, west to east, north side then south side.
pub fn lay_out(rng: &mut StdRng, utility: UtilityId) -> Vec<Lot> {
    let m_per_deg_lon = M_PER_DEG_LAT * ORIGIN_LAT.to_radians().cos();
    let lot_width = BLOCK_M / f64::from(LOTS_PER_SIDE);
    let mut lots = Vec::new();
    for (street, name) in STREETS.iter().enumerate() {
        let street_north_m = street as f64 * BLOCK_M;
        for block in 0..BLOCKS {
            for north_side in [true, false] {
                for lot in 0..LOTS_PER_SIDE {
                    if rng.gen_bool(EMPTY_LOT_SHARE) {
                        continue;
                    }
                    let house_number = (block + 1) * 100 + lot * 2 + u32::from(!north_side);
                    let east_m = f64::from(block) * BLOCK_M + (f64::from(lot) + 0.5) * lot_width;
                    let north_m = street_north_m + if north_side { SETBACK_M } else { -SETBACK_M };
                    let access_notes = rng
                        .gen_bool(0.05)
                        .then(|| ACCESS_NOTES[rng.gen_range(0..ACCESS_NOTES.len())].to_string());
                    let hazards = if rng.gen_bool(0.04) {
                        let (description, level) = HAZARDS[rng.gen_range(0..HAZARDS.len())];
                        vec![Hazard {
                            description: description.into(),
                            level: level.into(),
                        }]
                    } else {
                        Vec::new()
                    };
                    lots.push(Lot {
                        premise: Premise {
                            id: super::random_uuid(rng),
                            utility_id: utility,
                            address: format!("{house_number} {name}"),
                            city: CITY.into(),
                            lat: Some(round6(ORIGIN_LAT + north_m / M_PER_DEG_LAT)),
                            lon: Some(round6(ORIGIN_LON + east_m / m_per_deg_lon)),
                            access_notes,
                            hazards,
                            service_area: Some(
                                if street < STREETS.len() / 2 {
                                    "south"
                                } else {
                                    "north"
                                }
                                .into(),
                            ),
                            book: Some(book_code(street)),
                        },
                        street,
                        house_number,
                        north_side,
                    });
                }
            }
        }
    }
    lots
}

/// Rounds degrees to six decimals (about 10 cm), as GIS exports do.
fn round6(deg: f64) -> f64 {
    (deg * 1e6).round() / 1e6
}

/// Distance in metres between two points (equirectangular; fine within a town).
#[cfg(test)]
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let mean_lat = ((a.0 + b.0) / 2.0).to_radians();
    let dy = (a.0 - b.0) * M_PER_DEG_LAT;
    let dx = (a.1 - b.1) * M_PER_DEG_LAT * mean_lat.cos();
    (dx * dx + dy * dy).sqrt()
}
