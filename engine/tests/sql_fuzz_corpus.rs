//! Replays the SQL fuzz corpus (`fuzz/corpus/sql/`: seed statements taken from the sqllogictest
//! files and the engine's tests, and every input the `sql` fuzz target found that once panicked,
//! overflowed the stack or hung) the way the target runs them: an in-memory database gets the
//! fixed schema of `fuzz/sql_schema.sql`, then each statement of the file runs through
//! `execute_batch`, the next one also when one fails. Each file must finish within the time limit
//! without panicking; whatever errors it returns are fine.

use std::ops::Add;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use embedlite::sql::dialect::MAX_EXPR_DEPTH;
use embedlite::sql::parse::split_statements;
use embedlite::Connection;

/// The schema the fuzz target runs every input against.
const SCHEMA: &str = include_str!("../../fuzz/sql_schema.sql");

/// How long one file may run before it counts as a hang. Generous: each takes milliseconds.
const LIMIT: Duration = Duration::from_secs(10);

/// The stack of the thread a file runs on: the size of a main thread's stack on Linux, which is
/// where libFuzzer runs its inputs.
const STACK: usize = 8 << 20;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/sql")
}

/// Runs one input on its own thread; `Ok(true)` when every statement of it ran without error.
fn run_input(path: &Path) -> Result<bool, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("reading: {e}"))?;
    let (tx, rx) = mpsc::channel();
    // Named after the file, so that a stack overflow, which aborts the test process, says which.
    let worker = thread::Builder::new()
        .name(path.display().to_string())
        .stack_size(STACK)
        .spawn(move || {
            let sql = String::from_utf8_lossy(&bytes);
            let mut conn = Connection::open(":memory:").expect("opening an in-memory database");
            conn.execute_batch(SCHEMA).expect("the fixed schema runs");
            let mut ok = true;
            for statement in split_statements(&sql) {
                ok &= conn.execute_batch(statement).is_ok();
            }
            // The receiver only goes away after a timeout, when the test fails anyway.
            let _ = tx.send(ok);
        })
        .expect("spawning the input thread");
    match rx.recv_timeout(LIMIT) {
        Ok(ok) => {
            worker.join().expect("the input thread ended after sending its result");
            Ok(ok)
        }
        Err(RecvTimeoutError::Timeout) => Err(format!("did not finish within {LIMIT:?} (a hang)")),
        Err(RecvTimeoutError::Disconnected) => Err("panicked (its message is above)".into()),
    }
}

#[test]
fn every_sql_corpus_file_runs_without_panic_or_hang() {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(files.len() >= 100, "the corpus in {} has its seed statements", dir.display());
    let mut failures = Vec::new();
    let mut clean = 0;
    for path in &files {
        match run_input(path) {
            Ok(true) => clean += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    println!("{} corpus files run, {clean} of them without error", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(clean >= files.len() / 2, "most seed statements run without error");
}

/// Runs `sql` after the fuzz schema on a thread of its own; its error message.
fn run_on_thread(sql: String) -> Option<String> {
    thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let mut conn = Connection::open(":memory:").expect("opening an in-memory database");
            conn.execute_batch(SCHEMA).expect("the fixed schema runs");
            conn.execute_batch(&sql).err().map(|e| e.to_string())
        })
        .expect("spawning")
        .join()
        .expect("no panic, no stack overflow")
}

/// Deep nesting of every kind is an error naming the cause (as SQLite's "Expression tree is too
/// large"), not a stack overflow. Before the limit on operator chains, `1+1+...` overflowed.
#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let n = 100_000;
    let shapes = [
        format!("SELECT {}1{}", "(".repeat(n), ")".repeat(n)),
        format!("SELECT 1{}", "+1".repeat(n)),
        format!("SELECT 'a'{}", "||'a'".repeat(n)),
        format!("SELECT * FROM pa WHERE a=1{}", " AND a=1".repeat(n)),
        format!("SELECT {}1", "- ".repeat(n)),
        format!("SELECT {}1{}", "(SELECT ".repeat(n), ")".repeat(n)),
        format!("SELECT 1{}", " IS NULL".repeat(n)),
        format!("SELECT 1{}", " IN (1)".repeat(n)),
        format!("SELECT {}1{}", "1+".repeat(999).add("(").repeat(n / 1000), ")".repeat(n / 1000)),
        format!("INSERT INTO pa(a) VALUES (1{})", "*1".repeat(n)),
        format!("CREATE VIEW deep AS SELECT 1{}", "-1".repeat(n)),
    ];
    for sql in shapes {
        let e = run_on_thread(sql.clone()).unwrap_or_else(|| panic!("{sql:.60} is an error"));
        assert!(e.contains("nested too deeply"), "{sql:.60}: {e}");
    }
    let longest = format!("SELECT 1{}", "+1".repeat(MAX_EXPR_DEPTH));
    assert_eq!(run_on_thread(longest), None, "a chain at the limit runs");
    let too_long = format!("SELECT 1{}", "+1".repeat(MAX_EXPR_DEPTH + 1));
    assert!(run_on_thread(too_long).is_some(), "a chain past the limit is an error");
}
