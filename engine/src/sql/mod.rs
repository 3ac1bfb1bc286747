//! The SQL layer: SQLite's value conversions and comparison rules, parsing, binding, planning.

pub mod coerce;
pub mod catalog;
pub mod dialect;
pub mod parse;
pub mod bind;
pub mod plan;
