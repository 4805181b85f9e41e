//! The rule engine's tables (every rule of every order type, passing and refusing) and its
//! laws, on order records built directly: the rules never need the document. `day.rs` records
//! whole days of work through the document instead.

mod actions;
mod cycle_captures;
mod day;
mod disconnect;
mod exchange;
mod field_found;
mod fixtures;
mod follow_ups;
mod high_bill;
mod inspection;
mod notice;
mod properties;
mod re_read;
mod readings;
mod reconnect;
mod sizes;
mod special_read;
mod table;
mod turn_off;
mod turn_on;
