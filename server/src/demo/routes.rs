//! The readers' routes: one book per street, read on a schedule across the month. Three books
//! are read today, one per demo reader, walked up the north side of the street (house numbers
//! increasing) and back down the south side.

use super::clock::DemoClock;
use super::town::{BLOCKS, Lot, STREETS, avenue_name, book_code};
use crate::store::{Route, UtilityId};
use rand::rngs::StdRng;

/// The streets (books) read today, one per demo reader, in reader order.
pub const TODAY_BOOKS: [usize; 3] = [2, 7, 11];
/// The demo readers, in the order of [`TODAY_BOOKS`].
pub const READERS: [&str; 3] = ["reader1", "reader2", "reader3"];

/// A route and the username of the reader who walks it, if any (resolved to a user id when
/// seeding).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoRoute {
    /// The route row (its `default_assignee` is filled in by `seed`).
    pub route: Route,
    /// The reader who walks it.
    pub reader: Option<String>,
}

/// Days from today until the book on `street` is read next: 0 for today's books, then the
/// other books on the following days, one a day.
pub fn next_read_day(street: usize) -> i64 {
    if TODAY_BOOKS.contains(&street) {
        return 0;
    }
    let later = (0..street).filter(|s| !TODAY_BOOKS.contains(s)).count();
    later as i64 + 1
}

/// The route code of a street's book.
pub fn route_code(street: usize) -> String {
    format!("C{:02}-{}", next_read_day(street) + 1, book_code(street))
}

/// One route per book.
pub fn routes(rng: &mut StdRng, utility: UtilityId, clock: &DemoClock) -> Vec<DemoRoute> {
    STREETS
        .iter()
        .enumerate()
        .map(|(street, name)| {
            let day = next_read_day(street);
            let reader = TODAY_BOOKS
                .iter()
                .position(|&b| b == street)
                .map(|i| READERS[i].to_string());
            DemoRoute {
                route: Route {
                    id: super::random_uuid(rng),
                    utility_id: utility,
                    code: route_code(street),
                    name: format!("{name}, {} to {}", avenue_name(1), avenue_name(BLOCKS + 1)),
                    cycle: Some(format!("{:02}", day + 1)),
                    book: Some(book_code(street)),
                    scheduled_day: Some(clock.today + chrono::Duration::days(day)),
                    default_assignee: None,
                },
                reader,
            }
        })
        .collect()
}

/// Indices into `lots` of the premises on `street`, in walk order: up the north side by
/// increasing house number, then back down the south side.
pub fn walk_order(lots: &[Lot], street: usize) -> Vec<usize> {
    let mut north: Vec<usize> = (0..lots.len())
        .filter(|&i| lots[i].street == street && lots[i].north_side)
        .collect();
    let mut south: Vec<usize> = (0..lots.len())
        .filter(|&i| lots[i].street == street && !lots[i].north_side)
        .collect();
    north.sort_by_key(|&i| lots[i].house_number);
    south.sort_by_key(|&i| std::cmp::Reverse(lots[i].house_number));
    north.extend(south);
    north
}
