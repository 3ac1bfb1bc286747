//! Differential tests with the real SQLite (rusqlite, `bundled`) as the oracle for the file format:
//!
//! 1. files written by SQLite are read identically by embedlite (every table and index, every
//!    value type, overflow chains, a freelist with several trunks);
//! 2. files written by embedlite pass SQLite's `PRAGMA integrity_check`, read identically in
//!    SQLite, and survive a round trip of writes in both directions;
//! 3. a hot journal left by either engine is rolled back by the other;
//! 4. the two engines' file locks exclude each other inside one process;
//! 5. WAL-mode files are refused with a message that says so.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use embedlite::storage::io::{SimConfig, SimIo};
use embedlite::storage::{Connection, Database, OpenOptions, PageNo, Value};
use embedlite::{Error, ErrorCode};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::types::Value as SqlValue;

// ---- Values compared exactly --------------------------------------------------------------

/// A value compared exactly: reals by their bits (so `-0.0` is not `0.0`); long texts and blobs
/// are printed shortened so that a failure message stays readable.
#[derive(Clone, PartialEq, Eq)]
enum V {
    Null,
    Int(i64),
    Real(u64),
    Text(String),
    Blob(Vec<u8>),
}

impl fmt::Debug for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Null => write!(f, "NULL"),
            V::Int(i) => write!(f, "{i}"),
            V::Real(bits) => write!(f, "{:?}", f64::from_bits(*bits)),
            V::Text(s) if s.len() > 48 => {
                let head: String = s.chars().take(16).collect();
                write!(f, "text[{} bytes]({head:?}..)", s.len())
            }
            V::Text(s) => write!(f, "{s:?}"),
            V::Blob(b) => write!(f, "blob[{} bytes]({:02x?}..)", b.len(), &b[..b.len().min(8)]),
        }
    }
}

impl From<&Value> for V {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => V::Null,
            Value::Integer(i) => V::Int(*i),
            Value::Real(r) => V::Real(r.to_bits()),
            Value::Text(s) => V::Text(s.clone()),
            Value::Blob(b) => V::Blob(b.clone()),
        }
    }
}

impl From<SqlValue> for V {
    fn from(v: SqlValue) -> Self {
        match v {
            SqlValue::Null => V::Null,
            SqlValue::Integer(i) => V::Int(i),
            SqlValue::Real(r) => V::Real(r.to_bits()),
            SqlValue::Text(s) => V::Text(s),
            SqlValue::Blob(b) => V::Blob(b),
        }
    }
}

fn to_sql(v: &Value) -> SqlValue {
    match v {
        Value::Null => SqlValue::Null,
        Value::Integer(i) => SqlValue::Integer(*i),
        Value::Real(r) => SqlValue::Real(*r),
        Value::Text(s) => SqlValue::Text(s.clone()),
        Value::Blob(b) => SqlValue::Blob(b.clone()),
    }
}

fn canon(values: &[Value]) -> Vec<V> {
    values.iter().map(V::from).collect()
}

type Row = (i64, Vec<V>);

/// Asserts two sequences are equal, reporting the first difference rather than both sequences.
fn assert_seq_eq<T: PartialEq + fmt::Debug>(what: &str, got: &[T], want: &[T]) {
    if let Some(i) = (0..got.len().min(want.len())).find(|&i| got[i] != want[i]) {
        panic!(
            "{what}: first difference at position {i} of {}/{}:\n  embedlite: {:?}\n  sqlite:    {:?}",
            got.len(),
            want.len(),
            got[i],
            want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: lengths differ (embedlite vs sqlite)");
}

// ---- Test data ------------------------------------------------------------------------------

const INTS: [i64; 24] = [
    0,
    1,
    -1,
    2,
    127,
    -128,
    128,
    255,
    32767,
    -32768,
    32768,
    8_388_607,
    -8_388_608,
    2_147_483_647,
    -2_147_483_648,
    2_147_483_648,
    140_737_488_355_327,
    -140_737_488_355_328,
    140_737_488_355_328,
    i64::MAX,
    i64::MIN,
    i64::MAX - 1,
    i64::MIN + 1,
    1 << 56,
];

const REALS: [f64; 14] = [
    0.0,
    -0.0,
    1.5,
    -2.25,
    1e308,
    -1e308,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    5e-324,
    3.0,
    1e15,
    0.1,
    -123_456.789,
];

const TEXTS: [&str; 7] =
    ["", "a", "héllo wörld", "日本語のテキスト", "🦀 crab ✓", "Ünïcödé\u{2028}line", "z"];

fn random_text(rng: &mut ChaCha8Rng, len: usize) -> String {
    const ALPHABET: [char; 12] = ['a', 'b', 'Z', '0', ' ', 'é', 'ß', 'Ω', '中', '文', '🦀', '~'];
    (0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())]).collect()
}

fn random_blob(rng: &mut ChaCha8Rng, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    rng.fill(&mut b[..]);
    b
}

/// A value of any type, with the edge cases of every serial type and some ~5 KB texts.
fn any_value(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..14) {
        0 => Value::Null,
        1 | 2 => Value::Integer(INTS[rng.gen_range(0..INTS.len())]),
        3 => Value::Integer(rng.gen()),
        4 => Value::Integer(rng.gen_range(-1000..1000)),
        5 => Value::Real(REALS[rng.gen_range(0..REALS.len())]),
        6 => Value::Real(rng.gen::<f64>() * 1e6 - 5e5),
        7 => Value::Text(TEXTS[rng.gen_range(0..TEXTS.len())].to_string()),
        8 => {
            let len = rng.gen_range(0..60);
            Value::Text(random_text(rng, len))
        }
        9 => Value::Blob(Vec::new()),
        10 => {
            let len = rng.gen_range(1..40);
            Value::Blob(random_blob(rng, len))
        }
        11 => {
            let len = rng.gen_range(4800..5200);
            Value::Text(random_text(rng, len / 2))
        }
        12 => {
            let len = rng.gen_range(200..3000);
            Value::Blob(random_blob(rng, len))
        }
        _ => Value::Text(format!("key-{}", rng.gen_range(0..50))),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn temp_path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn journal_of(p: &Path) -> PathBuf {
    PathBuf::from(format!("{}-journal", path_str(p)))
}

// ---- Comparing what embedlite and SQLite read ----------------------------------------------

fn sql_rows(sq: &rusqlite::Connection, sql: &str) -> Vec<Vec<V>> {
    let mut stmt = sq.prepare(sql).expect(sql);
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| (0..n).map(|i| r.get::<_, SqlValue>(i).map(V::from)).collect())
        .expect(sql);
    rows.collect::<rusqlite::Result<Vec<Vec<V>>>>().expect(sql)
}

fn sql_i64(sq: &rusqlite::Connection, sql: &str) -> i64 {
    sq.query_row(sql, [], |r| r.get(0)).expect(sql)
}

fn sqlite_integrity(sq: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = sq.prepare("PRAGMA integrity_check").expect("integrity_check");
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).expect("integrity_check");
    rows.collect::<rusqlite::Result<_>>().expect("integrity_check rows")
}

fn assert_sqlite_ok(sq: &rusqlite::Connection, what: &str) {
    let res = sqlite_integrity(sq);
    assert_eq!(res, vec!["ok".to_string()], "{what}: SQLite's integrity_check");
}

fn assert_embedlite_ok(conn: &mut Connection, what: &str) {
    let problems = conn.integrity_check().expect("embedlite integrity_check");
    assert!(problems.is_empty(), "{what}: embedlite's integrity_check: {problems:?}");
}

/// The column of a rowid table that aliases the rowid (`INTEGER PRIMARY KEY`): SQLite stores it
/// as NULL in the record.
fn rowid_alias(sq: &rusqlite::Connection, table: &str) -> Option<usize> {
    let info = sql_rows(sq, &format!("PRAGMA table_info({})", quote(table)));
    let pks: Vec<&Vec<V>> = info.iter().filter(|c| c[5] != V::Int(0)).collect();
    match pks.as_slice() {
        [c] if matches!(&c[2], V::Text(t) if t.eq_ignore_ascii_case("INTEGER")) => {
            let V::Int(cid) = c[0] else { panic!("table_info cid is an integer") };
            Some(cid as usize)
        }
        _ => None,
    }
}

fn is_without_rowid(sql: Option<&str>) -> bool {
    sql.is_some_and(|s| s.to_ascii_uppercase().contains("WITHOUT ROWID"))
}

#[derive(Debug, Default)]
struct Compared {
    tables: usize,
    rows: usize,
    indexes: usize,
    entries: usize,
    without_rowid: usize,
}

/// Every table and index of embedlite's schema read through embedlite equals what SQLite returns:
/// `SELECT rowid, * ... ORDER BY rowid` for rowid tables, `(indexed columns.., rowid)` in SQLite's
/// `ORDER BY` order for indexes, and `(primary key.., other columns..)` for WITHOUT ROWID tables.
fn assert_reads_like_sqlite(conn: &mut Connection, sq: &rusqlite::Connection) -> Compared {
    let schema = conn.schema().expect("schema");
    let mut done = Compared::default();
    for e in &schema {
        if e.rootpage == 0 {
            continue;
        }
        let root = PageNo(e.rootpage);
        let name = quote(&e.name);
        match e.kind.as_str() {
            "table" if is_without_rowid(e.sql.as_deref()) => {
                // The record holds the primary key columns first, then the others in order.
                let info = sql_rows(sq, &format!("PRAGMA table_info({name})"));
                let col = |c: &Vec<V>| match &c[1] {
                    V::Text(t) => quote(t),
                    other => panic!("column name {other:?}"),
                };
                let mut pk: Vec<(i64, String)> = info
                    .iter()
                    .filter_map(|c| match c[5] {
                        V::Int(k) if k > 0 => Some((k, col(c))),
                        _ => None,
                    })
                    .collect();
                pk.sort();
                let mut cols: Vec<String> = pk.iter().map(|(_, c)| c.clone()).collect();
                let order: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
                cols.extend(info.iter().filter(|c| c[5] == V::Int(0)).map(col));
                let want = sql_rows(
                    sq,
                    &format!(
                        "SELECT {} FROM {name} ORDER BY {}",
                        cols.join(", "),
                        order.join(", ")
                    ),
                );
                let got: Vec<Vec<V>> = conn
                    .index_entries(root)
                    .expect("walk a WITHOUT ROWID table")
                    .iter()
                    .map(|r| canon(r))
                    .collect();
                assert_seq_eq(&format!("WITHOUT ROWID table {name}"), &got, &want);
                done.without_rowid += 1;
            }
            "table" => {
                let alias = rowid_alias(sq, &e.name);
                let want: Vec<Row> =
                    sql_rows(sq, &format!("SELECT rowid, * FROM {name} ORDER BY rowid"))
                        .into_iter()
                        .map(|mut r| {
                            let V::Int(rowid) = r.remove(0) else { panic!("rowid not an integer") };
                            if let Some(c) = alias {
                                r[c] = V::Null;
                            }
                            (rowid, r)
                        })
                        .collect();
                let got: Vec<Row> = conn
                    .table_rows(root)
                    .expect("scan a table")
                    .into_iter()
                    .map(|(rowid, r)| (rowid, canon(&r)))
                    .collect();
                assert_seq_eq(&format!("table {name}"), &got, &want);
                done.tables += 1;
                done.rows += got.len();
            }
            "index" => {
                let table = schema
                    .iter()
                    .find(|t| t.kind == "table" && t.name.eq_ignore_ascii_case(&e.tbl_name))
                    .expect("the index's table is in the schema");
                if is_without_rowid(table.sql.as_deref()) {
                    // The primary key "index" of a WITHOUT ROWID table is the table itself.
                    continue;
                }
                let cols: Vec<String> = sql_rows(sq, &format!("PRAGMA index_info({name})"))
                    .into_iter()
                    .map(|c| match &c[2] {
                        V::Text(t) => quote(t),
                        other => panic!("index {name} on an expression ({other:?})"),
                    })
                    .collect();
                let order: Vec<String> = (1..=cols.len() + 1).map(|i| i.to_string()).collect();
                let want = sql_rows(
                    sq,
                    &format!(
                        "SELECT {}, rowid FROM {} ORDER BY {}",
                        cols.join(", "),
                        quote(&table.name),
                        order.join(", ")
                    ),
                );
                let got: Vec<Vec<V>> = conn
                    .index_entries(root)
                    .expect("walk an index")
                    .iter()
                    .map(|r| canon(r))
                    .collect();
                assert_seq_eq(&format!("index {name}"), &got, &want);
                done.indexes += 1;
                done.entries += got.len();
            }
            _ => {}
        }
    }
    done
}

/// The header fields embedlite reads agree with SQLite's pragmas, and embedlite's freelist walk
/// finds as many pages as the header counts. Returns (page count, freelist count).
fn assert_header_agrees(conn: &mut Connection, sq: &rusqlite::Connection) -> (u32, u32) {
    conn.begin_read().expect("begin_read");
    let hdr = conn.pager().header().expect("header");
    let size = conn.pager().db_size();
    let walked = conn.pager().freelist_pages().expect("freelist walk").len();
    conn.commit().expect("end read");
    let page_count = sql_i64(sq, "PRAGMA page_count");
    let freelist = sql_i64(sq, "PRAGMA freelist_count");
    assert_eq!(i64::from(size), page_count, "page count");
    assert_eq!(hdr.db_size, size, "header page count");
    assert_eq!(i64::from(hdr.freelist_count), freelist, "freelist count");
    assert_eq!(walked, hdr.freelist_count as usize, "freelist pages walked");
    assert_eq!(i64::from(hdr.page_size), sql_i64(sq, "PRAGMA page_size"), "page size");
    (size, hdr.freelist_count)
}

// ---- 1. Files made by SQLite ----------------------------------------------------------------

/// Builds a SQLite file with every value type, rowid aliases, multi-column and automatic indexes,
/// a WITHOUT ROWID table, megabyte blobs, then deletes a good share of it without `VACUUM`.
fn make_sqlite_file(path: &Path, page_size: u32, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut sq = rusqlite::Connection::open(path).expect("sqlite open");
    sq.execute_batch(&format!(
        "PRAGMA page_size={page_size}; PRAGMA journal_mode=DELETE; PRAGMA auto_vacuum=NONE;
         CREATE TABLE plain(a, b, c);
         CREATE TABLE alias(id INTEGER PRIMARY KEY, name TEXT, v);
         CREATE TABLE big(k INTEGER, data);
         CREATE TABLE u(k TEXT UNIQUE, v);
         CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID;
         CREATE INDEX plain_a ON plain(a);
         CREATE INDEX plain_bc ON plain(b, c);
         CREATE INDEX alias_name_v ON alias(name, v);
         CREATE INDEX big_k ON big(k);"
    ))
    .expect("schema");
    let tx = sq.transaction().expect("begin");
    {
        let mut ins = tx.prepare("INSERT INTO plain(a, b, c) VALUES (?1, ?2, ?3)").expect("prep");
        for _ in 0..1200 {
            let (a, b, c) = (any_value(&mut rng), any_value(&mut rng), any_value(&mut rng));
            ins.execute([to_sql(&a), to_sql(&b), to_sql(&c)]).expect("insert plain");
        }
        let mut ins = tx.prepare("INSERT INTO alias(id, name, v) VALUES (?1, ?2, ?3)").expect("p");
        for i in 0..600 {
            let name = SqlValue::Text(format!("name-{}", i % 37));
            ins.execute([SqlValue::Null, name, to_sql(&any_value(&mut rng))]).expect("alias");
        }
        // Explicit rowids at the extremes, after the automatic ones.
        for id in [i64::MIN, i64::MIN + 1, -1, 0, 1 << 40, i64::MAX] {
            let name = SqlValue::Text(format!("extreme {id}"));
            ins.execute([SqlValue::Integer(id), name, to_sql(&any_value(&mut rng))])
                .expect("alias extreme");
        }
        let mut ins = tx.prepare("INSERT INTO big(k, data) VALUES (?1, ?2)").expect("prep");
        for k in 0..6 {
            let blob = random_blob(&mut rng, 1_500_000 + k * 1000);
            ins.execute([SqlValue::Integer(k as i64), SqlValue::Blob(blob)]).expect("big");
        }
        let mut ins = tx.prepare("INSERT INTO u(k, v) VALUES (?1, ?2)").expect("prep");
        for i in 0..500 {
            let k = if i % 50 == 0 { SqlValue::Null } else { SqlValue::Text(format!("k{i}")) };
            ins.execute([k, to_sql(&any_value(&mut rng))]).expect("u");
        }
        let mut ins = tx.prepare("INSERT INTO w(k, v) VALUES (?1, ?2)").expect("prep");
        for i in 0..400 {
            let k = if i % 2 == 0 {
                SqlValue::Integer(i * 7919 % 1009)
            } else {
                SqlValue::Text(random_text(&mut rng, 8) + &i.to_string())
            };
            ins.execute([k, to_sql(&any_value(&mut rng))]).expect("w");
        }
    }
    tx.commit().expect("commit");
    sq.execute_batch(
        "DELETE FROM plain WHERE rowid % 3 = 0;
         DELETE FROM big WHERE k % 2 = 0;
         DELETE FROM alias WHERE id % 4 = 1;
         DELETE FROM u WHERE rowid % 5 = 0;
         DELETE FROM w WHERE length(v) > 100 OR (typeof(k) = 'integer' AND k % 3 = 0);",
    )
    .expect("deletes");
    assert_sqlite_ok(&sq, "SQLite's own file");
}

#[test]
fn files_made_by_sqlite_read_identically() {
    for (i, page_size) in [512u32, 4096, 65536].into_iter().enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_path(&dir, "sqlite.db");
        make_sqlite_file(&path, page_size, 100 + i as u64);
        let sq = rusqlite::Connection::open(&path).expect("sqlite open");
        let db = Database::open(path_str(&path)).expect("embedlite opens SQLite's file");
        let mut conn = db.connect().expect("connect");
        let done = assert_reads_like_sqlite(&mut conn, &sq);
        let ctx = format!("page size {page_size}: {done:?}");
        assert_eq!(done.tables, 4, "{ctx}");
        assert_eq!(done.indexes, 5, "{ctx}: plain_a, plain_bc, alias_name_v, big_k, autoindex");
        assert_eq!(done.without_rowid, 1, "{ctx}");
        assert!(done.rows > 1500 && done.entries > 2000, "{ctx}");
        assert_embedlite_ok(&mut conn, &ctx);
        let (_, free) = assert_header_agrees(&mut conn, &sq);
        // SQLite fills a trunk with `usable/4 - 8` leaves before starting another, so more free
        // pages than that means the freelist has several trunks.
        let trunk_leaves = page_size / 4 - 8;
        if page_size <= 4096 {
            assert!(free > trunk_leaves + 1, "{ctx}: {free} free pages, want several trunks");
        } else {
            assert!(free > 1, "{ctx}: {free} free pages, want trunk and leaves");
        }
        drop(sq);
    }
}

// ---- 2. Files made by embedlite -------------------------------------------------------------

/// A SQL-style equality (integers equal reals of the same value) for the model's answers.
fn sql_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Real(y)) | (Value::Real(y), Value::Integer(x)) => {
            *y == *x as f64 && y.fract() == 0.0 && (*y as i64) == *x
        }
        (Value::Real(x), Value::Real(y)) => x == y,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => a == b,
    }
}

/// The model of table `t(a, b, c)`: rowid → values.
type Model = BTreeMap<i64, Vec<Value>>;

/// Indexes maintained by hand: name, root and the columns of `t` they hold.
struct Indexes(Vec<(String, PageNo, Vec<usize>)>);

impl Indexes {
    fn key(cols: &[usize], rowid: i64, row: &[Value]) -> Vec<Value> {
        let mut k: Vec<Value> = cols.iter().map(|&c| row[c].clone()).collect();
        k.push(Value::Integer(rowid));
        k
    }

    fn insert(&self, conn: &mut Connection, rowid: i64, row: &[Value]) {
        for (name, root, cols) in &self.0 {
            conn.index_insert(*root, &Self::key(cols, rowid, row)).expect(name);
        }
    }

    fn delete(&self, conn: &mut Connection, rowid: i64, row: &[Value]) {
        for (name, root, cols) in &self.0 {
            assert!(conn.index_delete(*root, &Self::key(cols, rowid, row)).expect(name), "{name}");
        }
    }
}

fn put_row(
    conn: &mut Connection,
    t: PageNo,
    ix: &Indexes,
    m: &mut Model,
    rowid: i64,
    row: Vec<Value>,
) {
    if let Some(old) = m.get(&rowid) {
        ix.delete(conn, rowid, old);
    }
    conn.table_insert(t, rowid, &row).expect("table_insert");
    ix.insert(conn, rowid, &row);
    m.insert(rowid, row);
}

fn remove_row(conn: &mut Connection, t: PageNo, ix: &Indexes, m: &mut Model, rowid: i64) {
    let old = m.remove(&rowid).expect("row in the model");
    assert!(conn.table_delete(t, rowid).expect("table_delete"), "row {rowid} existed");
    ix.delete(conn, rowid, &old);
}

/// Row `i` of the embedlite-written table: `a` mixes every type with probe keys (integers
/// 1000..1097 and texts `key-N`) that an index lookup is checked with; `b` is a small group
/// number; `c` holds the large values (≈5 KB texts, 1.2 MB blobs).
fn embedlite_row(rng: &mut ChaCha8Rng, i: i64) -> Vec<Value> {
    let a = match i % 4 {
        0 => Value::Integer(1000 + i % 97),
        1 => Value::Text(format!("key-{}", i % 50)),
        _ => any_value(rng),
    };
    let b = if i % 3 == 0 { Value::Text(format!("g{}", i % 7)) } else { Value::Integer(i % 13) };
    let c = if i % 4000 == 17 {
        Value::Blob(random_blob(rng, 1_200_000))
    } else if i % 50 == 3 {
        Value::Text(random_text(rng, 2600))
    } else if i % 2 == 0 {
        any_value(rng)
    } else {
        Value::Null
    };
    vec![a, b, c]
}

fn model_rows(m: &Model) -> Vec<Row> {
    m.iter().map(|(k, v)| (*k, canon(v))).collect()
}

/// The depth of a b-tree, following right-most children from the root.
fn tree_depth(conn: &mut Connection, root: PageNo) -> usize {
    conn.begin_read().expect("begin_read");
    let mut depth = 1;
    let mut pg = root;
    loop {
        let page = conn.pager().get(pg).expect("page");
        let hdr = if pg.0 == 1 { 100 } else { 0 };
        if page[hdr] != 2 && page[hdr] != 5 {
            break;
        }
        pg = PageNo(u32::from_be_bytes(page[hdr + 8..hdr + 12].try_into().expect("4 bytes")));
        depth += 1;
    }
    conn.commit().expect("end read");
    depth
}

fn sqlite_table_rows(sq: &rusqlite::Connection) -> Vec<Row> {
    sql_rows(sq, "SELECT rowid, a, b, c FROM t ORDER BY rowid")
        .into_iter()
        .map(|mut r| {
            let V::Int(rowid) = r.remove(0) else { panic!("rowid not an integer") };
            (rowid, r)
        })
        .collect()
}

fn check_index_lookup(sq: &rusqlite::Connection, m: &Model, probe: &Value, ctx: &str) {
    let mut stmt = sq
        .prepare("EXPLAIN QUERY PLAN SELECT rowid FROM t WHERE a = ?1 ORDER BY rowid")
        .expect("explain");
    let plan: Vec<String> = stmt
        .query_map([to_sql(probe)], |r| r.get(3))
        .expect("explain")
        .collect::<rusqlite::Result<_>>()
        .expect("plan rows");
    assert!(
        plan.iter().any(|d| d.contains("INDEX t_a (a=?)")),
        "{ctx}: the lookup does not use t_a: {plan:?}"
    );
    let mut stmt = sq.prepare("SELECT rowid FROM t WHERE a = ?1 ORDER BY rowid").expect("prep");
    let got: Vec<i64> = stmt
        .query_map([to_sql(probe)], |r| r.get(0))
        .expect("lookup")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let want: Vec<i64> = m.iter().filter(|(_, r)| sql_eq(&r[0], probe)).map(|(k, _)| *k).collect();
    assert!(!want.is_empty(), "{ctx}: probe {probe:?} should match rows");
    assert_eq!(got, want, "{ctx}: rows with a = {probe:?}");
}

#[test]
fn files_made_by_embedlite_pass_sqlite_checks_and_round_trip() {
    for (i, page_size) in [512u32, 4096, 65536].into_iter().enumerate() {
        let ctx = format!("page size {page_size}");
        let mut rng = ChaCha8Rng::seed_from_u64(200 + i as u64);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_path(&dir, "embedlite.db");
        let opts = OpenOptions { page_size, ..OpenOptions::default() };
        let db = Database::open_with_options(path_str(&path), opts).expect("open");
        let mut conn = db.connect().expect("connect");
        let mut m = Model::new();

        // Commit 1: the schema and 20,000 rows.
        conn.begin_write().expect("begin");
        let t = conn.create_table("CREATE TABLE t(a, b, c)").expect("create t");
        let t_a = conn.create_index("CREATE INDEX t_a ON t(a)", "t").expect("t_a");
        let t_ba = conn.create_index("CREATE INDEX t_ba ON t(b, a)", "t").expect("t_ba");
        let mut ix = Indexes(vec![("t_a".into(), t_a, vec![0]), ("t_ba".into(), t_ba, vec![1, 0])]);
        let scratch = conn.create_table("CREATE TABLE scratch(x)").expect("scratch");
        for rowid in 1..=20_000 {
            let row = embedlite_row(&mut rng, rowid);
            put_row(&mut conn, t, &ix, &mut m, rowid, row);
        }
        for rowid in 1..=300 {
            conn.table_insert(scratch, rowid, &[Value::Blob(random_blob(&mut rng, 700))])
                .expect("scratch row");
        }
        conn.commit().expect("commit 1");
        if page_size == 512 {
            assert!(tree_depth(&mut conn, t) >= 3, "{ctx}: t should have 3+ levels");
        }

        // Commit 2: delete 60% of the rows (big blobs included) and drop a table.
        conn.begin_write().expect("begin");
        let doomed: Vec<i64> = m.keys().copied().filter(|k| k % 5 < 3).collect();
        for rowid in doomed {
            remove_row(&mut conn, t, &ix, &mut m, rowid);
        }
        conn.drop_object("scratch").expect("drop scratch");
        conn.commit().expect("commit 2");
        conn.begin_read().expect("read");
        let free_after_delete = conn.pager().header().expect("header").freelist_count;
        conn.commit().expect("end read");
        assert!(free_after_delete > 50, "{ctx}: {free_after_delete} free pages after deleting");

        // Commit 3: new rows (reusing freed pages), replaced rows, extreme rowids.
        conn.begin_write().expect("begin");
        for rowid in 20_001..=25_000 {
            let row = embedlite_row(&mut rng, rowid);
            put_row(&mut conn, t, &ix, &mut m, rowid, row);
        }
        let replaced: Vec<i64> = m.keys().copied().filter(|k| k % 10 == 4).collect();
        for rowid in replaced {
            let row = embedlite_row(&mut rng, rowid + 1);
            put_row(&mut conn, t, &ix, &mut m, rowid, row);
        }
        for rowid in [i64::MIN, -7, 0, i64::MAX] {
            let row = vec![Value::Integer(rowid), Value::Real(-0.0), Value::Text("edge".into())];
            put_row(&mut conn, t, &ix, &mut m, rowid, row);
        }
        conn.commit().expect("commit 3");
        conn.begin_read().expect("read");
        let free_after_reuse = conn.pager().header().expect("header").freelist_count;
        conn.commit().expect("end read");
        assert!(
            free_after_reuse < free_after_delete,
            "{ctx}: freed pages were not reused ({free_after_delete} → {free_after_reuse})"
        );
        assert_embedlite_ok(&mut conn, &ctx);

        // SQLite reads it.
        let sq = rusqlite::Connection::open(&path).expect("sqlite open");
        assert_sqlite_ok(&sq, &ctx);
        assert_seq_eq(&format!("{ctx}: SQLite reads t"), &sqlite_table_rows(&sq), &model_rows(&m));
        assert_eq!(sql_i64(&sq, "SELECT count(*) FROM t"), m.len() as i64, "{ctx}");
        for probe in [Value::Integer(1003), Value::Integer(1096), Value::Text("key-7".into())] {
            check_index_lookup(&sq, &m, &probe, &ctx);
        }
        let done = assert_reads_like_sqlite(&mut conn, &sq);
        assert_eq!((done.tables, done.indexes), (1, 2), "{ctx}: {done:?}");
        assert_header_agrees(&mut conn, &sq);

        // SQLite writes to it: inserts, deletes, a new index; embedlite reads the result.
        sq.execute_batch(
            "INSERT INTO t(a, b, c) SELECT a, b, randomblob(300) FROM t WHERE rowid % 9 = 1;
             INSERT INTO t(a, b, c) VALUES (1003, 'sqlite', zeroblob(1100000));
             DELETE FROM t WHERE rowid % 7 = 0;
             UPDATE t SET c = 'updated by sqlite' WHERE rowid % 11 = 2;
             CREATE INDEX t_c ON t(c);",
        )
        .expect("SQLite writes");
        assert_sqlite_ok(&sq, &format!("{ctx}: after SQLite wrote"));
        let done = assert_reads_like_sqlite(&mut conn, &sq);
        assert_eq!((done.tables, done.indexes), (1, 3), "{ctx}: {done:?}");
        assert_eq!(done.rows as i64, sql_i64(&sq, "SELECT count(*) FROM t"), "{ctx}");
        assert_embedlite_ok(&mut conn, &format!("{ctx}: after SQLite wrote"));
        assert_header_agrees(&mut conn, &sq);

        // And embedlite writes again on top of SQLite's changes.
        m = conn.table_rows(t).expect("rows").into_iter().collect::<BTreeMap<i64, Vec<Value>>>();
        let t_c = PageNo(
            conn.schema()
                .expect("schema")
                .iter()
                .find(|e| e.name == "t_c")
                .expect("SQLite's index is in the schema")
                .rootpage,
        );
        ix.0.push(("t_c".into(), t_c, vec![2]));
        conn.begin_write().expect("begin");
        let last = *m.keys().filter(|&&k| k < i64::MAX).max().expect("rows");
        for rowid in last + 1..last + 500 {
            let row = embedlite_row(&mut rng, rowid);
            put_row(&mut conn, t, &ix, &mut m, rowid, row);
        }
        let doomed: Vec<i64> = m.keys().copied().filter(|k| k % 13 == 5).collect();
        for rowid in doomed {
            remove_row(&mut conn, t, &ix, &mut m, rowid);
        }
        conn.commit().expect("commit 4");
        assert_sqlite_ok(&sq, &format!("{ctx}: after embedlite wrote again"));
        assert_seq_eq(&format!("{ctx}: final rows"), &sqlite_table_rows(&sq), &model_rows(&m));
        check_index_lookup(&sq, &m, &Value::Integer(1003), &ctx);
        assert_header_agrees(&mut conn, &sq);
        drop(sq);
    }
}

// ---- 3a. A hot journal left by embedlite, rolled back by SQLite ------------------------------

/// Builds the pre-crash database on a simulated disk and returns its bytes and rows.
fn sim_base(page_size: u32) -> (Vec<u8>, Model) {
    let mut rng = ChaCha8Rng::seed_from_u64(300 + u64::from(page_size));
    let sim = SimIo::new(SimConfig::new(1));
    let opts = OpenOptions { page_size, ..OpenOptions::default() };
    let db = Database::open_with(Arc::new(sim.clone()), "x.db", opts).expect("open");
    let mut conn = db.connect().expect("connect");
    conn.begin_write().expect("begin");
    let t = conn.create_table("CREATE TABLE t(a, b, c)").expect("create");
    let t_a = conn.create_index("CREATE INDEX t_a ON t(a)", "t").expect("index");
    let ix = Indexes(vec![("t_a".into(), t_a, vec![0])]);
    let mut m = Model::new();
    for rowid in 1..=2000 {
        let row = vec![
            any_value(&mut rng),
            Value::Integer(rowid),
            Value::Text(random_text(&mut rng, (rowid % 60) as usize)),
        ];
        put_row(&mut conn, t, &ix, &mut m, rowid, row);
    }
    conn.commit().expect("commit");
    drop(conn);
    (sim.file_bytes("x.db").expect("db"), m)
}

/// The transaction that gets interrupted: rewrites, deletes and appends rows, so that it changes
/// existing pages all over the file and grows it.
fn sim_transaction(conn: &mut Connection, m: &Model) -> embedlite::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(301);
    let schema = conn.schema()?;
    let root = |n: &str| PageNo(schema.iter().find(|e| e.name == n).expect("object").rootpage);
    let (t, t_a) = (root("t"), root("t_a"));
    conn.begin_write()?;
    for (&rowid, row) in m {
        let mut key = vec![row[0].clone(), Value::Integer(rowid)];
        if rowid % 7 == 0 {
            let new = vec![Value::Integer(-rowid), row[1].clone(), Value::Blob(vec![7; 90])];
            conn.index_delete(t_a, &key)?;
            conn.table_insert(t, rowid, &new)?;
            key[0] = new[0].clone();
            conn.index_insert(t_a, &key)?;
        } else if rowid % 11 == 0 {
            conn.index_delete(t_a, &key)?;
            conn.table_delete(t, rowid)?;
        }
    }
    for rowid in 2001..=2300 {
        let a = Value::Blob(random_blob(&mut rng, 300));
        conn.table_insert(t, rowid, &[a.clone(), Value::Null, Value::Null])?;
        conn.index_insert(t_a, &[a, Value::Integer(rowid)])?;
    }
    let big = Value::Blob(random_blob(&mut rng, 100_000));
    conn.table_insert(t, 5000, &[Value::Null, big, Value::Null])?;
    conn.index_insert(t_a, &[Value::Null, Value::Integer(5000)])?;
    conn.commit()
}

/// What one run of `sim_transaction` left on the simulated disk.
struct CrashImage {
    ops: u64,
    result: embedlite::Result<()>,
    db: Vec<u8>,
    journal: Option<Vec<u8>>,
}

/// Runs `sim_transaction` on a copy of `base`, with a power cut before its `crash_at`-th write,
/// sync, truncate or delete (none if `None`), and returns what is on the disk afterwards.
fn crash_image(base: &[u8], m: &Model, crash_at: Option<u64>, seed: u64) -> CrashImage {
    let sim = SimIo::new(SimConfig::new(seed));
    sim.set_file_bytes("x.db", base);
    let db =
        Database::open_with(Arc::new(sim.clone()), "x.db", OpenOptions::default()).expect("open");
    let mut conn = db.connect().expect("connect");
    let before = sim.ops_done();
    if let Some(n) = crash_at {
        sim.crash_after_ops(n);
    }
    let result = sim_transaction(&mut conn, m);
    let ops = sim.ops_done() - before;
    drop(conn);
    sim.reboot();
    CrashImage {
        ops,
        result,
        db: sim.file_bytes("x.db").expect("db file"),
        journal: sim.file_bytes("x.db-journal"),
    }
}

#[test]
fn sqlite_rolls_back_a_hot_journal_left_by_embedlite() {
    for page_size in [512u32, 4096] {
        let (base, m) = sim_base(page_size);
        let want = model_rows(&m);
        // Dry run: count the commit's operations.
        let dry = crash_image(&base, &m, None, 0);
        dry.result.expect("the transaction commits without a crash");
        assert!(dry.journal.is_none(), "a committed transaction leaves no journal");
        assert_ne!(dry.db, base, "the transaction changes the file");
        // Every cut point of the journal phase, a dozen spread over the database writes, and
        // the last two (the database sync and the journal's deletion).
        let total = dry.ops;
        let mut cuts: Vec<u64> = (1..=8.min(total)).collect();
        cuts.extend((9..total).step_by((total / 12).max(1) as usize));
        cuts.extend([total - 1, total]);
        cuts.sort_unstable();
        cuts.dedup();
        let mut db_written = 0;
        for &n in &cuts {
            let ctx = format!("page size {page_size}, power cut before operation {n}/{total}");
            let img = crash_image(&base, &m, Some(n), n);
            assert!(img.result.is_err(), "{ctx}: the commit should have failed");
            let hot = img.journal.as_ref().is_some_and(|j| j.first().is_some_and(|&b| b != 0));
            let changed = img.db.len() != base.len() || img.db != base;
            if hot && changed {
                db_written += 1;
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let path = temp_path(&dir, "x.db");
            std::fs::write(&path, &img.db).expect("write db");
            if let Some(j) = &img.journal {
                std::fs::write(journal_of(&path), j).expect("write journal");
            }
            let sq = rusqlite::Connection::open(&path).expect("sqlite open");
            assert_seq_eq(&format!("{ctx}: rows"), &sqlite_table_rows(&sq), &want);
            assert_sqlite_ok(&sq, &ctx);
            if hot {
                assert!(!journal_of(&path).exists(), "{ctx}: SQLite left the hot journal");
            }
            drop(sq);
            // embedlite reads the file SQLite recovered.
            let db = Database::open(path_str(&path)).expect("embedlite open");
            let mut conn = db.connect().expect("connect");
            let t = PageNo(conn.schema().expect("schema")[0].rootpage);
            let got: Vec<Row> = conn
                .table_rows(t)
                .expect("rows")
                .into_iter()
                .map(|(k, r)| (k, canon(&r)))
                .collect();
            assert_seq_eq(&format!("{ctx}: embedlite after SQLite's recovery"), &got, &want);
        }
        assert!(
            db_written >= 5,
            "page size {page_size}: only {db_written} of {} cut points fell after database writes",
            cuts.len()
        );
    }
}

// ---- 3b. A hot journal left by SQLite, rolled back by embedlite ------------------------------

/// Offsets (multiples of 512) in a journal where a journal header starts.
fn journal_headers(journal: &[u8]) -> usize {
    const MAGIC: [u8; 8] = [0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7];
    journal.chunks(512).filter(|c| c.starts_with(&MAGIC)).count()
}

/// A crash image of SQLite in the middle of a big write transaction: the database file after
/// SQLite spilled dirty pages into it, and the journal that undoes them. Returns the rows before
/// the transaction, the database bytes and the journal bytes.
fn sqlite_mid_transaction(
    dir: &Path,
    page_size: u32,
    synchronous: &str,
) -> (Vec<Row>, Vec<u8>, Vec<u8>) {
    let path = dir.join("s.db");
    let sq = rusqlite::Connection::open(&path).expect("sqlite open");
    sq.execute_batch(&format!(
        "PRAGMA page_size={page_size}; PRAGMA journal_mode=DELETE; PRAGMA synchronous={synchronous};
         CREATE TABLE t(a, b, c);
         CREATE INDEX t_b ON t(b);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
         INSERT INTO t(a, b, c) SELECT i, printf('row %d %.*c', i, i % 120, 'x'),
                                       randomblob(50 + i % 250) FROM n;"
    ))
    .expect("populate");
    let before = sqlite_table_rows(&sq);
    let before_bytes = std::fs::read(&path).expect("read db");
    sq.execute_batch(
        "PRAGMA cache_size=10;
         BEGIN;
         UPDATE t SET b = b || ' updated', c = randomblob(length(c) + 7) WHERE a % 3 = 0;
         DELETE FROM t WHERE a % 5 = 1;
         INSERT INTO t(a, b, c) SELECT a + 10000, b, randomblob(400) FROM t WHERE a % 4 = 0;",
    )
    .expect("the transaction");
    // Reading the files opens and closes descriptors on them, which drops SQLite's POSIX locks
    // in this process; nobody else uses the file, and the transaction is rolled back next.
    let db = std::fs::read(&path).expect("copy db");
    let journal = std::fs::read(journal_of(&path)).expect("the journal exists mid-transaction");
    sq.execute_batch("ROLLBACK").expect("rollback");
    assert_seq_eq("SQLite's own rollback", &sqlite_table_rows(&sq), &before);
    assert_ne!(db, before_bytes, "SQLite should have spilled pages into the database file");
    assert_ne!(journal.first(), Some(&0), "the journal is hot (its header is written)");
    (before, db, journal)
}

#[test]
fn embedlite_rolls_back_a_hot_journal_left_by_sqlite() {
    for (page_size, synchronous) in [(4096u32, "FULL"), (512, "OFF"), (1024, "NORMAL")] {
        let ctx = format!("page size {page_size}, synchronous={synchronous}");
        let src = tempfile::tempdir().expect("tempdir");
        let (before, db_bytes, journal) =
            sqlite_mid_transaction(src.path(), page_size, synchronous);
        if synchronous == "OFF" {
            // Without syncs SQLite writes one header whose record count means "to the end".
            assert_eq!(journal_headers(&journal), 1, "{ctx}");
            assert_eq!(journal[8..12], [0xff; 4], "{ctx}: record count");
        } else {
            // Every spill syncs the journal and starts a new segment with its own header.
            assert!(journal_headers(&journal) >= 2, "{ctx}: {} headers", journal_headers(&journal));
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = temp_path(&dir, "x.db");
        std::fs::write(&path, &db_bytes).expect("write db");
        std::fs::write(journal_of(&path), &journal).expect("write journal");

        let db = Database::open(path_str(&path)).expect("embedlite opens and recovers");
        assert!(!journal_of(&path).exists(), "{ctx}: the hot journal was not deleted");
        let mut conn = db.connect().expect("connect");
        let t = PageNo(conn.schema().expect("schema")[0].rootpage);
        let got: Vec<Row> =
            conn.table_rows(t).expect("rows").into_iter().map(|(k, r)| (k, canon(&r))).collect();
        assert_seq_eq(&format!("{ctx}: rows after recovery"), &got, &before);
        assert_embedlite_ok(&mut conn, &ctx);

        let sq = rusqlite::Connection::open(&path).expect("sqlite open");
        assert_sqlite_ok(&sq, &format!("{ctx}: after embedlite's recovery"));
        assert_seq_eq(&format!("{ctx}: SQLite's rows"), &sqlite_table_rows(&sq), &before);
        let done = assert_reads_like_sqlite(&mut conn, &sq);
        assert_eq!((done.tables, done.indexes), (1, 1), "{ctx}");
        assert_header_agrees(&mut conn, &sq);
    }
}

// ---- 4. Locks between embedlite and SQLite in one process ----------------------------------

fn is_sqlite_busy(r: &rusqlite::Result<()>) -> bool {
    matches!(r, Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy)
}

#[test]
fn locks_exclude_sqlite_and_embedlite_both_ways() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = temp_path(&dir, "locks.db");
    let opts = OpenOptions { busy_timeout: Duration::from_millis(50), ..OpenOptions::default() };
    let db = Database::open_with_options(path_str(&path), opts).expect("open");
    // Every connection is made before SQLite takes a lock and lives to the end of the test:
    // closing any descriptor of this process on the file would drop SQLite's POSIX locks.
    let mut conn = db.connect().expect("connect");
    let mut reader = db.connect().expect("connect");
    let t = conn.create_table("CREATE TABLE t(x)").expect("create");
    conn.table_insert(t, 1, &[Value::Integer(1)]).expect("insert");

    let sq = rusqlite::Connection::open(&path).expect("sqlite open");
    sq.busy_timeout(Duration::ZERO).expect("busy timeout");
    let count = |sq: &rusqlite::Connection| sql_i64(sq, "SELECT count(*) FROM t");
    assert_eq!(count(&sq), 1);

    // embedlite holds RESERVED with uncommitted changes: SQLite may read, not write.
    conn.begin_write().expect("begin_write");
    conn.table_insert(t, 2, &[Value::Integer(2)]).expect("insert");
    let r = sq.execute_batch("BEGIN IMMEDIATE");
    assert!(is_sqlite_busy(&r), "SQLite's BEGIN IMMEDIATE during our write: {r:?}");
    let r = sq.execute_batch("INSERT INTO t VALUES (99)");
    assert!(is_sqlite_busy(&r), "SQLite's autocommit insert during our write: {r:?}");
    assert_eq!(count(&sq), 1, "SQLite reads the committed state during our write");
    conn.commit().expect("commit once SQLite's reader is gone");
    assert_eq!(count(&sq), 2, "SQLite sees our commit");

    // SQLite holds EXCLUSIVE with a write: embedlite can neither read nor write.
    sq.execute_batch("BEGIN EXCLUSIVE; INSERT INTO t VALUES (3);").expect("sqlite exclusive");
    let start = Instant::now();
    let r = conn.begin_write();
    assert!(matches!(r, Err(Error::Busy)), "begin_write under SQLite's EXCLUSIVE: {r:?}");
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(45), "the busy timeout was not honoured: {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?} for a 50 ms busy timeout");
    assert_eq!(conn.begin_write().expect_err("still busy").code(), ErrorCode::Busy);
    let r = reader.table_rows(t);
    assert!(matches!(r, Err(Error::Busy)), "a read under SQLite's EXCLUSIVE: {r:?}");
    sq.execute_batch("COMMIT").expect("sqlite commit");
    let rows = reader.table_rows(t).expect("read after SQLite's commit");
    assert_eq!(rows.len(), 3, "embedlite sees SQLite's commit: {rows:?}");

    // SQLite holds RESERVED (BEGIN IMMEDIATE + a write): embedlite may read, not write.
    sq.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (4);").expect("sqlite immediate");
    assert_eq!(reader.table_rows(t).expect("read during SQLite's write").len(), 3);
    let r = conn.begin_write();
    assert!(matches!(r, Err(Error::Busy)), "begin_write under SQLite's RESERVED: {r:?}");
    sq.execute_batch("COMMIT").expect("sqlite commit");
    conn.begin_write().expect("free once SQLite committed");
    conn.table_insert(t, 100, &[Value::Integer(5)]).expect("insert");
    conn.commit().expect("commit");
    assert_eq!(count(&sq), 5);
    assert_sqlite_ok(&sq, "after interleaved writers");
    // SQLite closes first, while our descriptors are still open.
    drop(sq);
    drop(reader);
    drop(conn);
}

// ---- 5. WAL mode is refused ----------------------------------------------------------------

fn assert_wal_refused(path: &Path, what: &str) {
    let err = Database::open(path_str(path)).expect_err("a WAL database must be refused");
    assert_eq!(err.code(), ErrorCode::Unsupported, "{what}: {err}");
    assert!(matches!(err, Error::Unsupported(_)), "{what}: {err:?}");
    assert!(err.to_string().contains("WAL"), "{what}: the message should mention WAL: {err}");
}

#[test]
fn wal_databases_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = temp_path(&dir, "wal.db");
    let wal = PathBuf::from(format!("{}-wal", path_str(&path)));
    {
        let sq = rusqlite::Connection::open(&path).expect("sqlite open");
        let mode: String =
            sq.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).expect("journal_mode");
        assert_eq!(mode, "wal");
        sq.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").expect("write");
    }
    assert!(!wal.exists(), "SQLite removes the -wal file when the last connection closes");
    let header = std::fs::read(&path).expect("read");
    assert_eq!(header[18..20], [2, 2], "the header says WAL");
    assert_wal_refused(&path, "WAL header, no -wal file");

    // With a live -wal file (SQLite keeps it while a connection is open).
    let sq = rusqlite::Connection::open(&path).expect("sqlite open");
    sq.execute_batch("INSERT INTO t VALUES (2);").expect("write");
    assert!(wal.exists(), "the -wal file exists while SQLite has the database open");
    assert_wal_refused(&path, "WAL header and a -wal file");

    // A -wal file next to a rollback-journal database is refused too: it may hold commits.
    drop(sq);
    let plain = temp_path(&dir, "plain.db");
    {
        let sq = rusqlite::Connection::open(&plain).expect("sqlite open");
        sq.execute_batch("CREATE TABLE t(x);").expect("create");
    }
    Database::open(path_str(&plain)).expect("a rollback-journal database opens");
    std::fs::write(format!("{}-wal", path_str(&plain)), b"not empty").expect("write -wal");
    assert_wal_refused(&plain, "a -wal file next to a rollback-journal database");
}
