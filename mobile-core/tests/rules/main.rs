//! The rule engine's tables (every cycle-read and common rule, passing and refusing) and its
//! laws, on order records built directly: the rules never need the document.

mod actions;
mod fixtures;
mod properties;
mod readings;
