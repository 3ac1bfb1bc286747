//! The storage engine: I/O, pager, B-trees, records and the schema table.

pub mod btree;
mod database;
pub mod format;
pub mod header;
pub mod io;
mod journal;
pub mod pager;
pub mod record;
pub mod schema;
pub mod vacuum;

pub use database::{Connection, Database, OpenOptions};
pub use format::PageNo;
pub use record::{Collation, KeyInfo, Value, ValueRef};
