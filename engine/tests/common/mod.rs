//! Shared by `corrupt.rs` and `fuzz_corpus.rs`: builders of real database images (made by
//! embedlite and by real SQLite) and the "walk everything" that opens an image through a
//! simulated disk and touches every part of it — schema, rows, index entries, seeks and
//! backward scans, the integrity check, a write transaction and a rolled-back drop — collecting
//! errors instead of stopping at the first, so that a corrupt file exercises as much code as it
//! can. The fuzz target `fuzz/fuzz_targets/open_and_walk.rs` lives outside the workspace and
//! keeps its own short copy of this walk.
//!
//! A walk on a crafted file may return any error; it must never panic, hang or allocate without
//! bound. [`walk_image`] runs it on its own thread under a time limit so that a hang fails the
//! test instead of stalling it, and a panic fails it too (nothing here catches unwinding).

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use embedlite::storage::btree::{Cursor, SeekOp, TreeKind};
use embedlite::storage::io::{SimConfig, SimIo};
use embedlite::storage::schema::SchemaEntry;
use embedlite::storage::{Connection, Database, KeyInfo, OpenOptions, PageNo, Value};
use embedlite::{Error, Result};

/// The path every image is planted at.
pub const DB_PATH: &str = "image.db";

/// How long one walk may take before it counts as a hang. Generous: a walk of the largest test
/// image takes well under a second.
pub const WALK_LIMIT: Duration = Duration::from_secs(5);

/// What a walk saw.
#[derive(Debug, Default)]
pub struct Walk {
    /// Every error returned, in order, opening included.
    pub errors: Vec<Error>,
    /// The problems `integrity_check` reported (over all its runs).
    pub problems: Vec<String>,
    /// Rows and index entries read.
    pub entries: usize,
    /// Whether the write transaction committed.
    pub committed: bool,
}

impl Walk {
    /// Whether a `Corrupt` error was returned or the integrity check found a problem.
    #[must_use]
    pub fn found_corruption(&self) -> bool {
        self.errors.iter().any(|e| matches!(e, Error::Corrupt { .. })) || !self.problems.is_empty()
    }

    /// Whether the walk saw nothing wrong at all.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty() && self.problems.is_empty()
    }

    /// A short description for assertion messages.
    #[must_use]
    pub fn summary(&self) -> String {
        let errors: Vec<String> = self.errors.iter().take(5).map(ToString::to_string).collect();
        let problems: Vec<&String> = self.problems.iter().take(5).collect();
        format!(
            "{} errors {errors:?}, {} integrity problems {problems:?}, {} entries read",
            self.errors.len(),
            self.problems.len(),
            self.entries
        )
    }
}

/// Options for opening crafted images: a small cache so that eviction is exercised, and a short
/// busy timeout (nothing else holds a lock, so it never matters).
#[must_use]
pub fn open_options(page_size: u32) -> OpenOptions {
    OpenOptions {
        page_size,
        cache_pages: 64,
        busy_timeout: Duration::from_millis(100),
        ..OpenOptions::default()
    }
}

/// Plants `bytes` as the database file on a fresh simulated disk and walks everything.
#[must_use]
pub fn open_and_walk(bytes: &[u8]) -> Walk {
    let sim = SimIo::new(SimConfig::new(0));
    sim.set_file_bytes(DB_PATH, bytes);
    let mut w = Walk::default();
    match Database::open_with(Arc::new(sim), DB_PATH, open_options(4096)) {
        Ok(db) => walk_database(&db, &mut w),
        Err(e) => w.errors.push(e),
    }
    w
}

/// [`open_and_walk`] on its own thread: panics (failing the test) if the walk panics or takes
/// longer than `limit`. `context` (e.g. the seed and case) goes into the failure message, with
/// the path of a copy of the image saved for replaying (or adding to the fuzz corpus).
#[must_use]
pub fn walk_image(bytes: Vec<u8>, limit: Duration, context: &str) -> Walk {
    let (tx, rx) = mpsc::channel();
    let image = bytes.clone();
    let worker = thread::Builder::new()
        .name("walk".into())
        .spawn(move || {
            // The receiver only goes away after a timeout, when the test fails anyway.
            let _ = tx.send(open_and_walk(&bytes));
        })
        .expect("spawning the walk thread");
    let failure = match rx.recv_timeout(limit) {
        Ok(w) => {
            worker.join().expect("the walk thread ended after sending its result");
            return w;
        }
        Err(RecvTimeoutError::Timeout) => format!("did not finish within {limit:?} (a hang)"),
        Err(RecvTimeoutError::Disconnected) => "panicked (its message is above)".to_string(),
    };
    let saved = save_failing_image(&image);
    panic!("{context}: the walk {failure}; the image is saved in {saved}")
}

/// Writes an image that broke a walk to the temporary directory, named by its hash.
fn save_failing_image(image: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    image.hash(&mut h);
    let path = std::env::temp_dir().join(format!("embedlite-walk-failure-{:016x}.db", h.finish()));
    match std::fs::write(&path, image) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(nowhere: writing {} failed: {e})", path.display()),
    }
}

/// One b-tree named in the schema.
#[derive(Debug, Clone)]
struct Object {
    name: String,
    root: PageNo,
    /// `Table` for rowid tables; `Index` for indexes and `WITHOUT ROWID` tables.
    kind: TreeKind,
}

fn objects(schema: &[SchemaEntry]) -> Vec<Object> {
    schema
        .iter()
        .filter(|e| e.rootpage != 0 && (e.kind == "table" || e.kind == "index"))
        .map(|e| {
            let without_rowid =
                e.sql.as_deref().is_some_and(|s| s.to_ascii_uppercase().contains("WITHOUT ROWID"));
            let rowid_table = e.kind == "table" && !without_rowid;
            Object {
                name: e.name.clone(),
                root: PageNo(e.rootpage),
                kind: if rowid_table { TreeKind::Table } else { TreeKind::Index },
            }
        })
        .collect()
}

/// Pushes the error of `r` (if any) and returns its value.
fn note<T>(w: &mut Walk, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            w.errors.push(e);
            None
        }
    }
}

/// What the read pass collected, for the write pass to aim at.
#[derive(Debug, Default)]
struct Seen {
    rowids: Vec<Vec<i64>>,
    keys: Vec<Vec<Vec<Value>>>,
}

/// Walks an open database (see the module docs).
pub fn walk_database(db: &Database, w: &mut Walk) {
    let Some(mut conn) = note(w, db.connect()) else { return };
    let Some(schema) = note(w, conn.schema()) else { return };
    let objs = objects(&schema);
    let seen = read_pass(&mut conn, &objs, w);
    cursor_pass(&mut conn, &objs, &seen, w);
    if let Some(p) = note(w, conn.integrity_check()) {
        w.problems.extend(p);
    }
    write_pass(&mut conn, &objs, &seen, w);
    drop_pass(&mut conn, &objs, w);
    if w.committed {
        // What the write left behind is read again.
        read_pass(&mut conn, &objs, w);
        if let Some(p) = note(w, conn.integrity_check()) {
            w.problems.extend(p);
        }
    }
}

/// Every table's rows and every index's entries, in order.
fn read_pass(conn: &mut Connection, objs: &[Object], w: &mut Walk) -> Seen {
    let mut seen = Seen::default();
    for o in objs {
        if o.kind == TreeKind::Table {
            let rows = note(w, conn.table_rows(o.root)).unwrap_or_default();
            w.entries += rows.len();
            seen.rowids.push(rows.into_iter().map(|(r, _)| r).collect());
            seen.keys.push(Vec::new());
        } else {
            let keys = note(w, conn.index_entries(o.root)).unwrap_or_default();
            w.entries += keys.len();
            seen.rowids.push(Vec::new());
            seen.keys.push(keys);
        }
    }
    seen
}

/// At most `n` items spread evenly over `items`.
fn spread<T: Clone>(items: &[T], n: usize) -> Vec<T> {
    let step = items.len().div_ceil(n.max(1)).max(1);
    items.iter().step_by(step).cloned().collect()
}

/// Backward scans and seeks through cursors, in one read transaction.
fn cursor_pass(conn: &mut Connection, objs: &[Object], seen: &Seen, w: &mut Walk) {
    if note(w, conn.begin_read()).is_none() {
        return;
    }
    for (o, (rowids, keys)) in objs.iter().zip(seen.rowids.iter().zip(&seen.keys)) {
        let pager = conn.pager();
        let mut cur = Cursor::new(o.root, o.kind);
        let r = (|| -> Result<usize> {
            let mut n = 0;
            let mut ok = cur.last(pager)?;
            while ok {
                n += 1;
                ok = cur.prev(pager)?;
            }
            if o.kind == TreeKind::Table {
                let mut probes = spread(rowids, 8);
                probes.extend([i64::MIN, -1, 0, 1, i64::MAX]);
                for p in probes {
                    cur.seek_rowid(pager, p)?;
                    if cur.is_valid() {
                        cur.rowid(pager)?;
                        cur.next(pager)?;
                    }
                }
            } else {
                for key in spread(keys, 6) {
                    let probe: Vec<_> = key.iter().take(1).map(Value::as_ref).collect();
                    for op in [SeekOp::Ge, SeekOp::Gt, SeekOp::Le, SeekOp::Lt] {
                        if cur.seek_key(pager, &probe, &KeyInfo::binary(), op)? {
                            cur.payload(pager)?;
                            cur.prev(pager)?;
                        }
                    }
                }
            }
            Ok(n)
        })();
        if let Some(n) = note(w, r) {
            w.entries += n;
        }
    }
    let end = conn.commit();
    note(w, end);
}

/// The payload written by the write pass: small, or large enough to overflow any page size.
fn write_values(n: i64) -> Vec<Value> {
    let blob = if n % 3 == 0 { vec![n as u8; 5000] } else { vec![n as u8; 12] };
    vec![Value::Integer(n), Value::Text(format!("written-{n}")), Value::Blob(blob)]
}

/// Replaces, deletes and appends rows and inserts and deletes index entries, then commits; on
/// the first error, rolls back.
fn write_pass(conn: &mut Connection, objs: &[Object], seen: &Seen, w: &mut Walk) {
    if note(w, conn.begin_write()).is_none() {
        return;
    }
    let r = (|| -> Result<()> {
        for (o, (rowids, keys)) in objs.iter().zip(seen.rowids.iter().zip(&seen.keys)) {
            if o.kind == TreeKind::Table {
                for (i, r) in spread(rowids, 24).into_iter().enumerate() {
                    if i % 2 == 0 {
                        conn.table_insert(o.root, r, &write_values(r))?;
                    } else {
                        conn.table_delete(o.root, r)?;
                    }
                }
                let last = rowids.iter().copied().max().unwrap_or(0).min(i64::MAX - 16);
                for r in last + 1..=last + 8 {
                    conn.table_insert(o.root, r, &write_values(r))?;
                }
            } else {
                for (i, key) in spread(keys, 24).into_iter().enumerate() {
                    if i % 2 == 0 {
                        conn.index_delete(o.root, &key)?;
                    } else {
                        let mut k = key.clone();
                        k.push(Value::Integer(i as i64));
                        conn.index_insert(o.root, &k)?;
                    }
                }
                for n in 0..8 {
                    conn.index_insert(o.root, &write_values(n))?;
                }
            }
        }
        Ok(())
    })();
    match r {
        Ok(()) => match conn.commit() {
            Ok(()) => w.committed = true,
            Err(e) => {
                w.errors.push(e);
                let rb = conn.rollback();
                note(w, rb);
            }
        },
        Err(e) => {
            w.errors.push(e);
            let rb = conn.rollback();
            note(w, rb);
        }
    }
}

/// Drops the last object (freeing its pages and overflow chains), then rolls back.
fn drop_pass(conn: &mut Connection, objs: &[Object], w: &mut Walk) {
    let Some(o) = objs.last() else { return };
    if note(w, conn.begin_write()).is_none() {
        return;
    }
    let r = conn.drop_object(&o.name);
    note(w, r);
    let rb = conn.rollback();
    note(w, rb);
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/// The text column of row `r`: short, or long enough to overflow an index page every 37 rows.
#[must_use]
pub fn name_of(r: i64) -> String {
    if r % 37 == 0 {
        format!("name-{r:06}-{}", "n".repeat(300))
    } else {
        format!("name-{r:06}")
    }
}

/// The blob column of row `r`: overflowing (1500 bytes) every 10 rows, else 8 bytes.
#[must_use]
pub fn blob_of(r: i64) -> Vec<u8> {
    let len = if r % 10 == 0 { 1500 } else { 8 };
    (0..len).map(|i| (i as i64 * 7 + r) as u8).collect()
}

/// A database made by embedlite: table `t(a, b, c)` with `rows` rows (some with overflowing
/// blobs), index `t_b` on `b` (some keys overflowing), a small table `u`, then every third row
/// and every twentieth overflowing row of the first two thirds deleted so that pages and
/// overflow chains land on the freelist.
#[must_use]
pub fn embedlite_image(page_size: u32, rows: i64) -> Vec<u8> {
    let sim = SimIo::new(SimConfig::new(1));
    let db = Database::open_with(Arc::new(sim.clone()), DB_PATH, open_options(page_size))
        .expect("creating the image database");
    let mut conn = db.connect().expect("connecting");
    conn.begin_write().expect("begin");
    let t = conn.create_table("CREATE TABLE t(a INTEGER, b TEXT, c BLOB)").expect("create t");
    let i = conn.create_index("CREATE INDEX t_b ON t(b)", "t").expect("create t_b");
    let u = conn.create_table("CREATE TABLE u(x)").expect("create u");
    for r in 1..=rows {
        let b = name_of(r);
        let row = [Value::Integer(r * 7), Value::Text(b.clone()), Value::Blob(blob_of(r))];
        conn.table_insert(t, r, &row).expect("insert row");
        conn.index_insert(i, &[Value::Text(b), Value::Integer(r)]).expect("insert key");
    }
    for r in 1..=20 {
        conn.table_insert(u, r, &[Value::Integer(r)]).expect("insert into u");
    }
    conn.commit().expect("commit");
    conn.begin_write().expect("begin");
    for r in (1..=rows * 2 / 3).filter(|r| r % 3 == 0 || r % 20 == 10) {
        assert!(conn.table_delete(t, r).expect("delete row"));
        let key = [Value::Text(name_of(r)), Value::Integer(r)];
        assert!(conn.index_delete(i, &key).expect("delete key"));
    }
    conn.commit().expect("commit");
    let problems = conn.integrity_check().expect("integrity check of the fresh image");
    assert!(problems.is_empty(), "fresh image: {problems:?}");
    drop(conn);
    sim.file_bytes(DB_PATH).expect("the image file exists")
}

/// A database made by real SQLite (rusqlite, bundled): a rowid table with an `INTEGER PRIMARY
/// KEY`, a table with a `UNIQUE` constraint (an automatic index), an explicit two-column index,
/// overflowing rows and keys, and deleted rows on the freelist. Rollback-journal mode, so that
/// embedlite reads it.
#[must_use]
pub fn sqlite_image(page_size: u32, rows: i64) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("sqlite.db");
    {
        let c = rusqlite::Connection::open(&path).expect("sqlite open");
        c.execute_batch(&format!(
            "PRAGMA page_size={page_size}; PRAGMA journal_mode=DELETE; PRAGMA auto_vacuum=NONE;
             CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, body BLOB, score REAL);
             CREATE INDEX items_name_score ON items(name, score);
             CREATE TABLE tags(tag TEXT UNIQUE, n INTEGER);"
        ))
        .expect("sqlite schema");
        let tx = c.unchecked_transaction().expect("sqlite begin");
        for r in 1..=rows {
            tx.execute(
                "INSERT INTO items(id, name, body, score) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![r, name_of(r), blob_of(r), r as f64 / 3.0],
            )
            .expect("sqlite insert");
            if r % 4 == 0 {
                tx.execute("INSERT INTO tags VALUES (?1, ?2)", rusqlite::params![name_of(r), r])
                    .expect("sqlite insert tag");
            }
        }
        tx.commit().expect("sqlite commit");
        c.execute(
            "DELETE FROM items WHERE (id % 3 = 0 OR id % 20 = 10) AND id <= ?1",
            [rows * 2 / 3],
        )
        .expect("sqlite delete");
        let check: String =
            c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("sqlite check");
        assert_eq!(check, "ok");
    }
    std::fs::read(&path).expect("reading the SQLite image")
}

/// The freelist page count in an image's header.
#[must_use]
pub fn freelist_count(image: &[u8]) -> u32 {
    u32::from_be_bytes([image[36], image[37], image[38], image[39]])
}
