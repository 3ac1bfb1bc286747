//! embedlite: an embedded, SQLite-compatible SQL database whose rows and vector indexes live in
//! one file.
//!
//! This crate is layered as `Database`/`Connection` → `storage::btree` → `storage::pager` →
//! `storage::io`. The storage layer reads and writes the SQLite 3 file format byte for byte, so a
//! file made here opens in the real `sqlite3` and the other way round.
//!
//! ```
//! use embedlite::storage::{Database, Value};
//!
//! let db = Database::open_in_memory()?;
//! let mut conn = db.connect()?;
//! conn.begin_write()?;
//! let table = conn.create_table("CREATE TABLE t(a, b)")?;
//! conn.table_insert(table, 1, &[Value::Integer(7), Value::Text("seven".into())])?;
//! conn.commit()?;
//! let rows = conn.table_rows(table)?;
//! assert_eq!(rows, vec![(1, vec![Value::Integer(7), Value::Text("seven".into())])]);
//! # Ok::<(), embedlite::Error>(())
//! ```

pub mod connection;
pub mod error;
pub mod exec;
pub mod functions;
pub mod sql;
pub mod storage;
pub mod vector_index;

pub use connection::{Connection, QueryResult, Statement};
pub use error::{Error, ErrorCode, RaiseAction, Result};
pub use storage::Value;
