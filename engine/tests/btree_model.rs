//! Property tests: random insert/delete/seek sequences on table and index b-trees checked
//! against a `BTreeMap` model, with the integrity check after every sequence.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use embedlite::storage::btree::{Cursor, SeekOp, TreeKind};
use embedlite::storage::io::MemIo;
use embedlite::storage::{Database, KeyInfo, OpenOptions, Value, ValueRef};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Insert(i64, usize),
    Delete(i64),
    Commit,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0i64..400, prop_oneof![8 => 0usize..60, 2 => 60usize..700, 1 => 700usize..5000]).prop_map(|(k, n)| Op::Insert(k, n)),
        3 => (0i64..400).prop_map(Op::Delete),
        1 => Just(Op::Commit),
    ]
}

fn payload(key: i64, len: usize) -> Value {
    Value::Blob((0..len).map(|i| (i as i64 * 31 + key) as u8).collect())
}

fn open(page_size: u32) -> Database {
    let opts = OpenOptions { page_size, cache_pages: 16, ..OpenOptions::default() };
    Database::open_with(Arc::new(MemIo::new()), "model.db", opts).expect("open")
}

fn check_table(
    conn: &mut embedlite::storage::Connection,
    root: embedlite::storage::PageNo,
    model: &BTreeMap<i64, Value>,
) {
    let rows = conn.table_rows(root).expect("scan");
    let got: Vec<(i64, Value)> = rows.into_iter().map(|(k, mut v)| (k, v.remove(0))).collect();
    let want: Vec<(i64, Value)> = model.iter().map(|(k, v)| (*k, v.clone())).collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "table contents differ from the model");
    let problems = conn.integrity_check().expect("check");
    assert!(problems.is_empty(), "{problems:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn table_btree_matches_model(ops in prop::collection::vec(op(), 1..400), big_pages in any::<bool>()) {
        let db = open(if big_pages { 4096 } else { 512 });
        let mut conn = db.connect().expect("connect");
        let root = conn.create_table("CREATE TABLE t(v)").expect("create");
        let mut model = BTreeMap::new();
        conn.begin_write().expect("begin");
        for op in &ops {
            match *op {
                Op::Insert(k, n) => {
                    let v = payload(k, n);
                    conn.table_insert(root, k, std::slice::from_ref(&v)).expect("insert");
                    model.insert(k, v);
                }
                Op::Delete(k) => {
                    let existed = conn.table_delete(root, k).expect("delete");
                    prop_assert_eq!(existed, model.remove(&k).is_some());
                }
                Op::Commit => {
                    conn.commit().expect("commit");
                    conn.begin_write().expect("begin");
                }
            }
        }
        conn.commit().expect("commit");
        check_table(&mut conn, root, &model);
        // A second connection reads the same rows; seeks and backward scans agree.
        let mut c2 = db.connect().expect("connect");
        check_table(&mut c2, root, &model);
        c2.begin_read().expect("read");
        let pager = c2.pager();
        let mut cur = Cursor::new(root, TreeKind::Table);
        for probe in [-1i64, 0, 57, 199, 200, 399, 400] {
            let found = cur.seek_rowid(pager, probe).expect("seek");
            prop_assert_eq!(found, model.contains_key(&probe));
            let next = model.range(probe..).next().map(|(k, _)| *k);
            let at = if cur.is_valid() { Some(cur.rowid(pager).expect("rowid")) } else { None };
            prop_assert_eq!(at, next);
        }
        let mut back = Vec::new();
        let mut ok = cur.last(pager).expect("last");
        while ok {
            back.push(cur.rowid(pager).expect("rowid"));
            ok = cur.prev(pager).expect("prev");
        }
        let want: Vec<i64> = model.keys().rev().copied().collect();
        prop_assert_eq!(back, want);
        c2.commit().expect("end");
    }

    #[test]
    fn index_btree_matches_model(
        ops in prop::collection::vec((any::<bool>(), 0i64..300, 0usize..3, any::<bool>()), 1..500),
        rollback_at in 0usize..500,
    ) {
        let db = open(512);
        let mut conn = db.connect().expect("connect");
        let root = conn.create_index("CREATE INDEX i ON t(a, b)", "t").expect("create");
        let mut model: BTreeSet<(i64, String)> = BTreeSet::new();
        conn.begin_write().expect("begin");
        let mut committed = model.clone();
        for (n, &(insert, k, width, big)) in ops.iter().enumerate() {
            let text = format!("{k:05}-{}", "x".repeat(if big { 900 } else { width * 20 }));
            let key = [Value::Integer(k % 50), Value::Text(text.clone())];
            if insert {
                conn.index_insert(root, &key).expect("insert");
                model.insert((k % 50, text));
            } else {
                let existed = conn.index_delete(root, &key).expect("delete");
                prop_assert_eq!(existed, model.remove(&(k % 50, text)));
            }
            if n == rollback_at {
                conn.rollback().expect("rollback");
                model = committed.clone();
                conn.begin_write().expect("begin");
            } else if n % 97 == 96 {
                conn.commit().expect("commit");
                committed = model.clone();
                conn.begin_write().expect("begin");
            }
        }
        conn.commit().expect("commit");
        let got: Vec<(i64, String)> = conn
            .index_entries(root)
            .expect("scan")
            .into_iter()
            .map(|v| match (&v[0], &v[1]) {
                (Value::Integer(a), Value::Text(b)) => (*a, b.clone()),
                other => panic!("unexpected entry {other:?}"),
            })
            .collect();
        let want: Vec<(i64, String)> = model.iter().cloned().collect();
        prop_assert!(got == want, "index contents differ from the model");
        let problems = conn.integrity_check().expect("check");
        prop_assert!(problems.is_empty(), "{:?}", problems);
        // Prefix seeks on the first column.
        conn.begin_read().expect("read");
        let pager = conn.pager();
        let info = KeyInfo::binary();
        let mut cur = Cursor::new(root, TreeKind::Index);
        for probe in [0i64, 7, 25, 49, 50] {
            let key = [ValueRef::Integer(probe)];
            let ge = model.iter().find(|(a, _)| *a >= probe).map(|e| e.0);
            cur.seek_key(pager, &key, &info, SeekOp::Ge).expect("seek");
            let at = first_col(&mut cur, pager);
            prop_assert_eq!(at, ge);
            let gt = model.iter().find(|(a, _)| *a > probe).map(|e| e.0);
            cur.seek_key(pager, &key, &info, SeekOp::Gt).expect("seek");
            prop_assert_eq!(first_col(&mut cur, pager), gt);
            let le = model.iter().rev().find(|(a, _)| *a <= probe).map(|e| e.0);
            cur.seek_key(pager, &key, &info, SeekOp::Le).expect("seek");
            prop_assert_eq!(first_col(&mut cur, pager), le);
            let lt = model.iter().rev().find(|(a, _)| *a < probe).map(|e| e.0);
            cur.seek_key(pager, &key, &info, SeekOp::Lt).expect("seek");
            prop_assert_eq!(first_col(&mut cur, pager), lt);
        }
        // Seeks in key order with steady and changing strides, then backwards, as joins make
        // them (the search within the cursor's leaf starts where the last seek landed): each
        // entry's own key, and a key just above it.
        let entries: Vec<(i64, String)> = model.iter().cloned().collect();
        let mut order: Vec<usize> = Vec::new();
        for stride in [1, 2, 3, 7] {
            order.extend((0..entries.len()).step_by(stride));
        }
        order.extend((0..entries.len()).rev().step_by(2));
        for i in order {
            let (a, t) = &entries[i];
            let above = format!("{t}!");
            for (text, want) in [
                (t.as_str(), Some(&entries[i])),
                (above.as_str(), model.range((*a, above.clone())..).next()),
            ] {
                let key = [ValueRef::Integer(*a), ValueRef::Text(text.as_bytes())];
                cur.seek_key(pager, &key, &info, SeekOp::Ge).expect("seek");
                let got = entry(&mut cur, pager);
                prop_assert_eq!(got.as_ref(), want, "seek to ({}, {})", a, text);
            }
        }
        conn.commit().expect("end");
    }
}

fn entry(cur: &mut Cursor, pager: &mut embedlite::storage::pager::Pager) -> Option<(i64, String)> {
    if !cur.is_valid() {
        return None;
    }
    let rec = embedlite::storage::record::decode_record(&cur.payload(pager).expect("payload"))
        .expect("decode");
    match (&rec[0], &rec[1]) {
        (Value::Integer(a), Value::Text(t)) => Some((*a, t.clone())),
        _ => None,
    }
}

fn first_col(cur: &mut Cursor, pager: &mut embedlite::storage::pager::Pager) -> Option<i64> {
    if !cur.is_valid() {
        return None;
    }
    let rec = embedlite::storage::record::decode_record(&cur.payload(pager).expect("payload"))
        .expect("decode");
    match rec[0] {
        Value::Integer(a) => Some(a),
        _ => None,
    }
}

#[test]
fn many_rows_many_levels_then_delete_all() {
    let db = open(512);
    let mut conn = db.connect().expect("connect");
    let root = conn.create_table("CREATE TABLE t(v)").expect("create");
    conn.begin_write().expect("begin");
    for i in 0..20_000i64 {
        let k = (i * 7919) % 20_000;
        conn.table_insert(
            root,
            k,
            &[Value::Integer(k), Value::Text("row".repeat((k % 7) as usize))],
        )
        .expect("insert");
    }
    conn.commit().expect("commit");
    assert!(conn.integrity_check().expect("check").is_empty());
    assert_eq!(conn.table_rows(root).expect("rows").len(), 20_000);
    conn.begin_write().expect("begin");
    for k in 0..20_000i64 {
        assert!(conn.table_delete(root, k).expect("delete"));
    }
    conn.commit().expect("commit");
    assert!(conn.table_rows(root).expect("rows").is_empty());
    let problems = conn.integrity_check().expect("check");
    assert!(problems.is_empty(), "{problems:?}");
    // Freed pages are reused: inserting again does not grow the file.
    let size_before = conn.pager().db_size();
    for k in 0..2000i64 {
        conn.table_insert(root, k, &[Value::Integer(k)]).expect("insert");
    }
    conn.begin_read().expect("read");
    assert_eq!(conn.pager().db_size(), size_before);
    conn.commit().expect("end");
}

#[test]
fn sequential_index_appends_pack_leaves() {
    let db = open(1024);
    let mut conn = db.connect().expect("connect");
    let root = conn.create_index("CREATE INDEX i ON t(a)", "t").expect("create");
    conn.begin_write().expect("begin");
    for k in 0..20_000i64 {
        conn.index_insert(root, &[Value::Text(format!("key-{k:08}")), Value::Integer(k)])
            .expect("insert");
    }
    conn.commit().expect("commit");
    let problems = conn.integrity_check().expect("check");
    assert!(problems.is_empty(), "{problems:?}");
    let entries = conn.index_entries(root).expect("scan");
    assert_eq!(entries.len(), 20_000);
    assert!(entries.windows(2).all(|w| w[0][1] != w[1][1]));
    // Each entry is ~20 bytes: 20k entries fit in well under 700 pages of 1 KiB when leaves are
    // packed (half-full leaves would need about 800).
    conn.begin_read().expect("read");
    let pages = conn.pager().db_size();
    conn.commit().expect("end");
    assert!(pages < 700, "{pages} pages");
}
