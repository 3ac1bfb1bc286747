//! Fuzz target: the input is a database file. Open it through a simulated disk and walk
//! everything in it — schema, rows, index entries, backward scans, the integrity check, a write
//! transaction. Any error is fine; a panic, a hang (`-timeout`) or a huge allocation
//! (`-malloc_limit_mb`, `-rss_limit_mb`) is a bug.
//!
//! This is a short copy of the walk in `engine/tests/common/mod.rs`: this crate lives outside
//! the workspace and cannot use that test module. Keep the two in step; the corpus is replayed
//! through the full walk by `engine/tests/fuzz_corpus.rs`.

#![no_main]

use std::sync::Arc;
use std::time::Duration;

use embedlite::storage::btree::{Cursor, TreeKind};
use embedlite::storage::io::{SimConfig, SimIo};
use embedlite::storage::{Connection, Database, OpenOptions, PageNo, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sim = SimIo::new(SimConfig::new(0));
    sim.set_file_bytes("fuzz.db", data);
    let opts = OpenOptions {
        cache_pages: 64,
        busy_timeout: Duration::from_millis(10),
        ..OpenOptions::default()
    };
    if let Ok(db) = Database::open_with(Arc::new(sim), "fuzz.db", opts) {
        if let Ok(mut conn) = db.connect() {
            walk(&mut conn);
        }
    }
});

fn walk(conn: &mut Connection) {
    let Ok(schema) = conn.schema() else { return };
    let objects: Vec<(String, PageNo, TreeKind)> = schema
        .iter()
        .filter(|e| e.rootpage != 0 && (e.kind == "table" || e.kind == "index"))
        .map(|e| {
            let without_rowid =
                e.sql.as_deref().is_some_and(|s| s.to_ascii_uppercase().contains("WITHOUT ROWID"));
            let table = e.kind == "table" && !without_rowid;
            let kind = if table { TreeKind::Table } else { TreeKind::Index };
            (e.name.clone(), PageNo(e.rootpage), kind)
        })
        .collect();
    let mut rowids = Vec::new();
    for &(_, root, kind) in &objects {
        if kind == TreeKind::Table {
            if let Ok(rows) = conn.table_rows(root) {
                rowids.extend(rows.into_iter().map(|(r, _)| (root, r)).step_by(7));
            }
        } else {
            let _ = conn.index_entries(root);
        }
        if conn.begin_read().is_ok() {
            let pager = conn.pager();
            let mut cur = Cursor::new(root, kind);
            let mut more = cur.last(pager);
            while let Ok(true) = more {
                more = cur.prev(pager);
            }
            let _ = conn.commit();
        }
    }
    let _ = conn.integrity_check();
    if conn.begin_write().is_err() {
        return;
    }
    let blob = |n: i64| Value::Blob(vec![n as u8; if n % 2 == 0 { 5000 } else { 10 }]);
    let written = (|| {
        for (i, &(root, r)) in rowids.iter().take(32).enumerate() {
            if i % 2 == 0 {
                conn.table_insert(root, r, &[Value::Integer(r), blob(r)])?;
            } else {
                conn.table_delete(root, r)?;
            }
        }
        for &(_, root, kind) in &objects {
            for n in 0..4 {
                match kind {
                    TreeKind::Table => conn.table_insert(root, i64::MAX - n, &[blob(n)])?,
                    TreeKind::Index => conn.index_insert(root, &[Value::Integer(n), blob(n)])?,
                }
            }
        }
        if let Some((name, _, _)) = objects.last() {
            conn.drop_object(name)?;
        }
        conn.commit()
    })();
    if written.is_ok() {
        let _ = conn.integrity_check();
    } else {
        let _ = conn.rollback();
    }
}
