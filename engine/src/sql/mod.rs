//! The SQL layer: SQLite's value conversions and comparison rules, parsing, binding, planning.

mod access;
pub mod bind;
pub mod catalog;
pub mod coerce;
pub mod dialect;
pub mod lex;
pub mod parse;
pub mod plan;
