//! The two databases the corpus runs against, behind one small trait, and the adapter that lets
//! the `sqllogictest` crate drive either of them.
//!
//! The crate's `DB::run(sql)` does not see the record it runs, but SQLite's runner both executes
//! and prints by record kind: a `statement` runs through `sqlite3_exec` (several statements,
//! rows discarded), a `query` is prepared once and its values are printed by the column types
//! the record expects. So the worker shares the current record's kind and types with the
//! adapter through [`RecordTypes`] before running each record.

use std::fmt;
use std::sync::{Arc, Mutex};

use embedlite::Value;
use sqllogictest::{DBOutput, DefaultColumnType};

use crate::format::format_value;

/// A database under test.
pub trait Backend: Send + Sized + 'static {
    /// Opens a fresh in-memory database.
    fn open() -> Result<Self, String>;

    /// Runs every statement in `sql` as `sqlite3_exec` does: in order, each to completion, rows
    /// discarded, stopping at the first error.
    fn execute(&mut self, sql: &str) -> Result<(), String>;

    /// Runs one query. `Err` means it did not prepare; an error while stepping is not an error
    /// here: it ends the rows (SQLite's runner ignores `sqlite3_step`'s error the same way).
    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String>;
}

/// The reference: real SQLite through `rusqlite` (bundled).
pub struct Sqlite(rusqlite::Connection);

impl Backend for Sqlite {
    fn open() -> Result<Self, String> {
        rusqlite::Connection::open_in_memory().map(Sqlite).map_err(|e| e.to_string())
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        let mut batch = rusqlite::Batch::new(&self.0, sql);
        while let Some(mut stmt) = batch.next().map_err(|e| e.to_string())? {
            let mut rows = stmt.raw_query();
            while rows.next().map_err(|e| e.to_string())?.is_some() {}
        }
        Ok(())
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.0.prepare(sql).map_err(|e| e.to_string())?;
        let width = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        // `Err` from `next()` is a stepping error: it ends the rows.
        while let Ok(Some(row)) = rows.next() {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                let value = match row.get_ref(i).map_err(|e| e.to_string())? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(i) => Value::Integer(i),
                    ValueRef::Real(r) => Value::Real(r),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Value::Blob(b.to_vec()),
                };
                values.push(value);
            }
            out.push(values);
        }
        Ok(out)
    }
}

/// The engine under test, through its public API.
pub struct Embedlite(embedlite::Connection);

impl Backend for Embedlite {
    fn open() -> Result<Self, String> {
        embedlite::Connection::open(":memory:").map(Embedlite).map_err(|e| e.to_string())
    }

    fn execute(&mut self, sql: &str) -> Result<(), String> {
        self.0.execute_batch(sql).map_err(|e| e.to_string())
    }

    fn query(&mut self, sql: &str) -> Result<Vec<Vec<Value>>, String> {
        let stmt = self.0.prepare(sql).map_err(|e| e.to_string())?;
        // `query_prepared` fails as a whole when stepping fails, so the rows produced before the
        // error are lost; SQLite's runner would print them. A record whose expected answer is
        // such a partial result therefore fails here even if the engine is right.
        Ok(self.0.query_prepared(&stmt, &[]).map(|result| result.rows).unwrap_or_default())
    }
}

/// The column types of the record being run: `Some` for a `query`, `None` for a `statement`.
pub type RecordTypes = Arc<Mutex<Option<Vec<DefaultColumnType>>>>;

/// An error from the database, as text (the corpus never matches error messages).
#[derive(Debug, Clone)]
pub struct SltError(pub String);

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

/// Adapts a [`Backend`] to the `sqllogictest` crate.
pub struct SltDb<B> {
    backend: B,
    types: RecordTypes,
}

impl<B: Backend> SltDb<B> {
    pub fn open(types: RecordTypes) -> Result<Self, SltError> {
        Ok(SltDb { backend: B::open().map_err(SltError)?, types })
    }
}

impl<B: Backend> sqllogictest::DB for SltDb<B> {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let types = self
            .types
            .lock()
            .expect("the worker thread does not panic while holding the lock")
            .clone();
        let Some(types) = types else {
            self.backend.execute(sql).map_err(SltError)?;
            return Ok(DBOutput::StatementComplete(0));
        };
        let rows = self.backend.query(sql).map_err(SltError)?;
        let mut printed = Vec::with_capacity(rows.len());
        for row in rows {
            if row.len() != types.len() {
                return Err(SltError(format!(
                    "the query returned {} columns, the record expects {}",
                    row.len(),
                    types.len()
                )));
            }
            printed.push(row.iter().zip(&types).map(|(v, t)| format_value(v, t)).collect());
        }
        Ok(DBOutput::Rows { types, rows: printed })
    }

    /// `skipif sqlite` / `onlyif sqlite` select what SQLite itself ran: embedlite answers as
    /// SQLite does, so it takes SQLite's branches.
    fn engine_name(&self) -> &'static str {
        "sqlite"
    }
}
