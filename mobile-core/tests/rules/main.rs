//! The rule engine's tables (every rule of every order type, passing and refusing) and its
//! laws, on order records built directly: the rules never need the document. `day.rs` records
//! whole days of work through the document instead.

mod actions;
mod day;
mod disconnect;
mod fixtures;
mod inspection;
mod investigation;
mod properties;
mod readings;
mod service;
mod sizes;
mod table;
mod turn_on;
