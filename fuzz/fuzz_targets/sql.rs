//! Fuzz target: the input is SQL text (lossy UTF-8). An in-memory database gets the fixed schema
//! of `sql_schema.sql` (tables, indexes, a view, triggers, a vector index, a few rows), then each
//! statement of the input runs through `execute_batch`, the next one also when one fails (a batch
//! would stop at the first error, and most mutated inputs have one early). Any error is fine; a
//! panic, a stack overflow or a hang (`-timeout`) is a bug.
//!
//! `engine/tests/sql_fuzz_corpus.rs` replays `corpus/sql` the same way in every test run.

#![no_main]

use embedlite::sql::parse::split_statements;
use embedlite::Connection;
use libfuzzer_sys::fuzz_target;

/// Longer inputs are skipped: they mostly repeat what short ones reach, and keep each run short.
const MAX_INPUT: usize = 4096;

const SCHEMA: &str = include_str!("../sql_schema.sql");

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let sql = String::from_utf8_lossy(data);
    let mut conn = Connection::open(":memory:").expect("opening an in-memory database");
    conn.execute_batch(SCHEMA).expect("the fixed schema runs");
    for statement in split_statements(&sql) {
        let _ = conn.execute_batch(statement);
    }
});
