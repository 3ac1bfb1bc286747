//! `WITHOUT ROWID` tables against real SQLite (rusqlite, bundled): the same schema and
//! statements run on both — composite, `DESC` and `NOCASE` primary keys over integer, text and
//! real keys, NULLs in the other columns, secondary and unique indexes. Each statement must
//! succeed or fail alike (constraint messages included) and leave the same rows; queries
//! (primary key equality, prefixes and ranges, secondary index seeks, scans, joins) must return
//! the same rows. Files move both ways: SQLite checks and reads what embedlite wrote, and
//! embedlite reads and writes what SQLite wrote, after which SQLite's `integrity_check` passes.

mod oracle;

use std::path::Path;

use embedlite::{Connection, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SCHEMA: &[&str] = &[
    "CREATE TABLE t1(a INT, b TEXT COLLATE NOCASE, c REAL, d, PRIMARY KEY(a, b DESC)) WITHOUT ROWID",
    "CREATE INDEX t1_d ON t1(d)",
    "CREATE INDEX t1_cb ON t1(c, b)",
    "CREATE TABLE t2(k TEXT PRIMARY KEY COLLATE NOCASE, v INT UNIQUE, w) WITHOUT ROWID",
    "CREATE TABLE t3(x REAL, y INT, z, PRIMARY KEY(y DESC, x)) WITHOUT ROWID",
    "CREATE UNIQUE INDEX t3_z ON t3(z)",
    "CREATE TABLE t4(id INTEGER PRIMARY KEY, v TEXT DEFAULT 'dv', n INT NOT NULL DEFAULT 0) WITHOUT ROWID",
];

/// Each table with the order that makes its rows' order total (its primary key).
const TABLES: &[(&str, &str)] =
    &[("t1", "a, b DESC"), ("t2", "k"), ("t3", "y DESC, x"), ("t4", "id")];

/// embedlite and SQLite side by side.
struct Pair {
    ours: Connection,
    theirs: rusqlite::Connection,
}

impl Pair {
    /// Both on files in `dir` (or in memory), with the schema.
    fn new(dir: Option<&Path>) -> Pair {
        let (ours, theirs) = match dir {
            Some(d) => (
                Connection::open(&path(d, "ours.db")).expect("open"),
                rusqlite::Connection::open(d.join("theirs.db")).expect("open"),
            ),
            None => (
                Connection::open(":memory:").expect("open"),
                rusqlite::Connection::open_in_memory().expect("open"),
            ),
        };
        let mut p = Pair { ours, theirs };
        for s in SCHEMA {
            p.theirs.execute_batch(s).expect("sqlite schema");
            p.ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite schema {s}: {e}"));
        }
        p
    }

    /// Runs `sql` on both: they must agree on success, on the message of a failure, and on
    /// every table's rows after it. Returns whether it succeeded.
    fn step(&mut self, sql: &str) -> bool {
        let a = self.theirs.execute_batch(sql).map_err(|e| e.to_string());
        let b = self.ours.execute_batch(sql).map_err(|e| e.to_string());
        match (&a, &b) {
            (Ok(()), Ok(())) => {}
            (Err(x), Err(y)) => {
                assert!(x.contains(y.as_str()), "{sql}: sqlite {x:?} embedlite {y:?}");
            }
            _ => panic!("{sql}: sqlite {a:?} embedlite {b:?}"),
        }
        self.same_tables(sql);
        a.is_ok()
    }

    fn same_tables(&mut self, after: &str) {
        for (t, order) in TABLES {
            let q = format!("SELECT * FROM {t} ORDER BY {order}");
            let want = oracle::sqlite_rows(&self.theirs, &q).expect("sqlite query");
            let got = self.ours.query(&q, &[]).expect("embedlite query").rows;
            assert_rows_eq(&want, &got, &format!("after {after}: table {t}"));
        }
    }

    /// Runs a query on both: the same rows (in the same order when `ordered`), or both fail.
    /// Of `EXPLAIN QUERY PLAN` only the details are compared (SQLite numbers its rows its own way).
    fn query(&mut self, sql: &str, ordered: bool) {
        let detail = |rows: Vec<Vec<Value>>| -> Vec<Vec<Value>> {
            if sql.starts_with("EXPLAIN") {
                rows.into_iter().map(|r| r.into_iter().skip(3).collect()).collect()
            } else {
                rows
            }
        };
        let want = oracle::sqlite_rows(&self.theirs, sql).map(detail);
        let got = self.ours.query(sql, &[]).map(|r| detail(r.rows)).map_err(|e| e.to_string());
        match (want, got) {
            (Ok(mut w), Ok(mut g)) => {
                if !ordered {
                    w.sort_by_key(|r| format!("{r:?}"));
                    g.sort_by_key(|r| format!("{r:?}"));
                }
                assert_rows_eq(&w, &g, sql);
            }
            (Err(x), Err(y)) => {
                assert!(x.contains(y.as_str()), "{sql}: sqlite {x:?} embedlite {y:?}");
            }
            (w, g) => panic!("{sql}: sqlite {w:?} embedlite {g:?}"),
        }
    }
}

/// `want == got`, reporting the first row that differs rather than both lists.
fn assert_rows_eq(want: &[Vec<Value>], got: &[Vec<Value>], what: &str) {
    if want == got {
        return;
    }
    let i = want.iter().zip(got).position(|(w, g)| w != g).unwrap_or(want.len().min(got.len()));
    panic!(
        "{what}: {} rows from sqlite, {} from embedlite; first difference at row {i}: sqlite {:?} embedlite {:?}",
        want.len(),
        got.len(),
        want.get(i),
        got.get(i)
    );
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().expect("utf-8 path").to_string()
}

fn int_key(rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..12) {
        0 => "NULL".into(),
        1 => format!("'{}'", rng.gen_range(0..6)),
        2 => format!("{}.0", rng.gen_range(0..6)),
        3 => "2.5".into(),
        _ => rng.gen_range(0..6).to_string(),
    }
}

fn text_key(rng: &mut ChaCha8Rng) -> String {
    const WORDS: &[&str] = &["x", "X", "y", "Y", "zz", "Zz", "a b", "7"];
    match rng.gen_range(0..14) {
        0 => "NULL".into(),
        1 => rng.gen_range(0..4).to_string(),
        _ => format!("'{}'", WORDS[rng.gen_range(0..WORDS.len())]),
    }
}

fn real_key(rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..10) {
        0 => "NULL".into(),
        1 => rng.gen_range(0..4).to_string(),
        2 => "'1.5'".into(),
        _ => format!("{}.5", rng.gen_range(-2..3)),
    }
}

fn any(rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..6) {
        0 => "NULL".into(),
        1 => int_key(rng),
        2 => text_key(rng),
        3 => real_key(rng),
        4 => "x'4142'".into(),
        _ => format!("{}", rng.gen_range(0..100)),
    }
}

/// One random statement or query; `true` with a query that fixes its rows' order.
fn random_statement(rng: &mut ChaCha8Rng) -> (String, Option<bool>) {
    let (a, b, c, d) = (int_key(rng), text_key(rng), real_key(rng), any(rng));
    let (k, v, w) = (text_key(rng), int_key(rng), any(rng));
    let (x, y, z) = (real_key(rng), int_key(rng), any(rng));
    // Not `OR FAIL`: embedlite undoes a failing statement whole, as `OR ABORT` (for rowid
    // tables too), where SQLite keeps the rows written before the failure.
    let or = ["", "OR REPLACE ", "OR IGNORE ", "OR ABORT ", "OR ROLLBACK "][rng.gen_range(0..5)];
    let stmt = match rng.gen_range(0..34) {
        0..=3 => format!("INSERT {or}INTO t1 VALUES ({a}, {b}, {c}, {d})"),
        4 => format!("INSERT {or}INTO t1(a, b) VALUES ({a}, {b}), ({y}, {k})"),
        5 => format!(
            "INSERT INTO t1 VALUES ({a}, {b}, {c}, {d}) ON CONFLICT(a, b) DO UPDATE SET d = coalesce(d, 0) || '+' || excluded.d"
        ),
        6 => format!("INSERT INTO t1 VALUES ({a}, {b}, {c}, {d}) ON CONFLICT DO NOTHING"),
        7..=8 => format!("INSERT {or}INTO t2 VALUES ({k}, {v}, {w})"),
        9 => format!(
            "INSERT INTO t2 VALUES ({k}, {v}, {w}) ON CONFLICT(k) DO UPDATE SET w = excluded.w, v = excluded.v + 10"
        ),
        10 => format!("INSERT INTO t2 VALUES ({k}, {v}, {w}) ON CONFLICT(v) DO UPDATE SET w = 'dup'"),
        11..=12 => format!("INSERT {or}INTO t3 VALUES ({x}, {y}, {z})"),
        13 => format!("INSERT {or}INTO t4(id, v) VALUES ({a}, {b})"),
        14 => format!("INSERT {or}INTO t4 VALUES ({a}, {b}, {v})"),
        15 => format!("INSERT {or}INTO t3 SELECT c, a, d FROM t1 WHERE a = {a}"),
        16 => format!("UPDATE {or}t1 SET d = {d} WHERE a = {a}"),
        17 => format!("UPDATE {or}t1 SET b = {b} WHERE a = {a} AND b = {k}"),
        18 => format!("UPDATE {or}t1 SET a = a + 1 WHERE a >= {a}"),
        19 => format!("UPDATE {or}t2 SET k = {k} WHERE v = {v}"),
        20 => format!("UPDATE {or}t2 SET v = {v}, w = {w} WHERE k > {k}"),
        21 => format!("UPDATE {or}t3 SET y = {y}, z = {z} WHERE x = {x}"),
        22 => format!("UPDATE {or}t4 SET id = id * 2, v = {b} WHERE id BETWEEN {a} AND {y}"),
        23 => format!("DELETE FROM t1 WHERE a = {a} AND b = {b}"),
        24 => format!("DELETE FROM t1 WHERE d = {d} OR c < {c}"),
        25 => format!("DELETE FROM t2 WHERE k = {k}"),
        26 => format!("DELETE FROM t3 WHERE y < {y}"),
        27 => format!("DELETE FROM t4 WHERE id % 3 = {}", rng.gen_range(0..3)),
        28 => {
            let q = match rng.gen_range(0..8) {
                0 => format!("SELECT * FROM t1 WHERE a = {a} AND b = {b}"),
                1 => format!("SELECT * FROM t1 WHERE a = {a}"),
                2 => format!("SELECT a, b FROM t1 WHERE a > {a} AND a <= {y}"),
                3 => format!("SELECT * FROM t1 WHERE b = {b}"),
                4 => format!("SELECT d, a FROM t1 WHERE d = {d}"),
                5 => format!("SELECT * FROM t1 WHERE c = {c} AND b > {b}"),
                6 => format!("SELECT count(*), sum(a), group_concat(b) FROM t1 WHERE a < {a}"),
                _ => format!("SELECT t1.a, t2.v FROM t1 JOIN t2 ON t2.k = t1.b WHERE t1.a <> {a}"),
            };
            return (q, Some(false));
        }
        29 => {
            let q = match rng.gen_range(0..5) {
                0 => format!("SELECT * FROM t2 WHERE k = {k}"),
                1 => format!("SELECT k, w FROM t2 WHERE v = {v}"),
                2 => format!("SELECT * FROM t2 WHERE k BETWEEN {k} AND 'zzz'"),
                3 => format!("SELECT * FROM t3 WHERE y = {y} AND x >= {x}"),
                _ => format!("SELECT * FROM t3 WHERE z = {z}"),
            };
            return (q, Some(false));
        }
        30 => {
            let q = match rng.gen_range(0..5) {
                0 => "SELECT * FROM t1 ORDER BY a, b DESC".to_string(),
                1 => "SELECT a, b FROM t1 ORDER BY a DESC, b LIMIT 5".to_string(),
                2 => format!("SELECT * FROM t3 WHERE y = {y} ORDER BY y DESC, x"),
                3 => "SELECT k FROM t2 ORDER BY k DESC".to_string(),
                _ => format!("SELECT id, v FROM t4 WHERE id > {a} ORDER BY id LIMIT 3"),
            };
            return (q, Some(true));
        }
        31 => format!("REPLACE INTO t2(k, v) VALUES ({k}, {v})"),
        32 => "BEGIN; DELETE FROM t1 WHERE a = 1; INSERT INTO t1 VALUES (1, 'tx', 0, 0); ROLLBACK"
            .to_string(),
        _ => format!("INSERT {or}INTO t1 SELECT y, x, y, z FROM t3 WHERE y > {y}"),
    };
    (stmt, None)
}

fn run_random(p: &mut Pair, seed: u64, steps: usize) {
    println!("seed {seed} (EMBEDLITE_WOR_SEED to replay)");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..steps {
        match random_statement(&mut rng) {
            (q, Some(ordered)) => p.query(&q, ordered),
            (s, None) => {
                if p.step(&s) {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
        }
    }
    // Both kinds happened: a workload that only failed (or never failed) tests little.
    assert!(ok > steps / 4 && failed > steps / 50, "{ok} succeeded, {failed} failed");
    let check = p.ours.query("PRAGMA integrity_check", &[]).expect("integrity_check").rows;
    assert_eq!(check, vec![vec![Value::Text("ok".into())]]);
}

fn seed() -> u64 {
    std::env::var("EMBEDLITE_WOR_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(11)
}

#[test]
fn random_workloads_match_sqlite() {
    let mut p = Pair::new(None);
    run_random(&mut p, seed(), 1500);
}

#[test]
fn schema_pragmas_and_plans_match_sqlite() {
    let mut p = Pair::new(None);
    p.step("INSERT INTO t1 VALUES (1, 'x', 1.5, 'd'), (1, 'Y', NULL, NULL), (2, 'x', 2.5, 3)");
    for q in [
        "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        "PRAGMA table_info(t1)",
        "PRAGMA table_info(t3)",
        "PRAGMA table_info(t4)",
        "PRAGMA index_list(t1)",
        "PRAGMA index_list(t2)",
        "PRAGMA index_list(t3)",
        "PRAGMA index_info(t1_cb)",
    ] {
        p.query(q, true);
    }
    for q in [
        "SELECT * FROM t1 WHERE a = 1 AND b = 'x'",
        "SELECT * FROM t1 WHERE a = 1",
        "SELECT * FROM t1 WHERE a > 1",
        "SELECT * FROM t3 WHERE y = 1 AND x = 2.5",
        "SELECT * FROM t2 WHERE k = 'x'",
        "SELECT * FROM t4 WHERE id = 3",
        "SELECT * FROM t2 WHERE v = 3",
        "SELECT * FROM t1 ORDER BY a, b DESC",
    ] {
        p.query(&format!("EXPLAIN QUERY PLAN {q}"), true);
    }
    p.step("INSERT INTO t2 VALUES ('p', 1, 1)");
    // Errors worded as SQLite words them.
    for s in [
        "SELECT rowid FROM t1",
        "SELECT _rowid_, oid FROM t2",
        "UPDATE t1 SET rowid = 5",
        "INSERT INTO t1(rowid, a, b) VALUES (1, 2, 'q')",
        "CREATE INDEX bad ON t1(d, rowid)",
        "CREATE TABLE nokey(a, b) WITHOUT ROWID",
        "CREATE TABLE ai(a INTEGER PRIMARY KEY AUTOINCREMENT) WITHOUT ROWID",
        "INSERT INTO t1 VALUES (NULL, 'x', 0, 0)",
        "INSERT INTO t1 VALUES (9, NULL, 0, 0)",
        "INSERT INTO t1 VALUES (1, 'X', 0, 0)",
        "INSERT INTO t2 VALUES ('q', 1, 1), ('Q', 2, 2)",
        "INSERT INTO t2 VALUES ('r', 1, 1)",
        "INSERT INTO t4(v) VALUES ('no key')",
    ] {
        assert!(!p.step(s), "{s} succeeded");
    }
    // The primary key's automatic index is the table itself, without a schema entry.
    assert!(!p.step("DROP INDEX sqlite_autoindex_t2_1"));
    assert!(!p.step("DROP INDEX sqlite_autoindex_t2_2"));
    p.step("ALTER TABLE t1 RENAME COLUMN d TO dd");
    p.step("ALTER TABLE t2 RENAME TO t2x; ALTER TABLE t2x RENAME TO t2");
    p.query("PRAGMA index_list(t2)", true);
    p.step("INSERT INTO t1(a, b, dd) VALUES (7, 'renamed', 1)");
    p.step("DROP INDEX t1_d");
    p.step(
        "DROP TABLE t3; CREATE TABLE t3(x REAL, y INT, z, PRIMARY KEY(y DESC, x)) WITHOUT ROWID",
    );
    p.step("ALTER TABLE t3 ADD COLUMN extra DEFAULT 'e'");
    p.query("SELECT sql FROM sqlite_schema WHERE name = 't3'", true);
    // (SQLite quotes a renamed table's name in its text; embedlite does not.)
    p.query("SELECT type, name, tbl_name FROM sqlite_schema ORDER BY name", true);
}

#[test]
fn vector_indexes_are_refused_on_without_rowid_tables() {
    let mut c = Connection::open(":memory:").expect("open");
    c.execute_batch("CREATE TABLE v(k TEXT PRIMARY KEY, e F32_BLOB(3)) WITHOUT ROWID")
        .expect("create");
    let e = c
        .execute_batch("CREATE INDEX v_e ON v(libsql_vector_idx(e))")
        .expect_err("vector index on a WITHOUT ROWID table");
    assert!(e.to_string().contains("WITHOUT ROWID"), "{e}");
    c.execute_batch("INSERT INTO v VALUES ('a', vector('[1,2,3]'))").expect("insert");
    let rows = c
        .query("SELECT k FROM v ORDER BY vector_distance_cos(e, vector('[1,2,3]')) LIMIT 1", &[])
        .expect("exact nearest")
        .rows;
    assert_eq!(rows, vec![vec![Value::Text("a".into())]]);
}

#[test]
fn triggers_and_foreign_keys_on_without_rowid_tables_match_sqlite() {
    let mut p = Pair::new(None);
    for s in [
        "PRAGMA foreign_keys = ON",
        "CREATE TABLE log(n INTEGER PRIMARY KEY, what, k, v)",
        "CREATE TRIGGER t2_ai AFTER INSERT ON t2 BEGIN INSERT INTO log(what, k, v) VALUES ('ins', NEW.k, NEW.v); END",
        "CREATE TRIGGER t2_bu BEFORE UPDATE ON t2 WHEN NEW.v < 0 BEGIN SELECT RAISE(ABORT, 'negative'); END",
        "CREATE TRIGGER t2_ad AFTER DELETE ON t2 BEGIN INSERT INTO log(what, k, v) VALUES ('del', OLD.k, OLD.v); DELETE FROM t4 WHERE id = OLD.v; END",
        "CREATE TABLE child(ck INTEGER PRIMARY KEY, pk TEXT REFERENCES t2(k) ON DELETE CASCADE ON UPDATE CASCADE) WITHOUT ROWID",
        "CREATE TABLE gchild(g INT PRIMARY KEY, c INT REFERENCES child(ck) ON DELETE SET NULL) WITHOUT ROWID",
        "INSERT INTO t2 VALUES ('a', 1, 'w1'), ('B', 2, 'w2'), ('c', 3, NULL)",
        "INSERT INTO t4 VALUES (1, 'x', 1), (2, 'y', 2), (3, 'z', 3)",
        "INSERT INTO child VALUES (10, 'a'), (11, 'b'), (12, 'C'), (13, NULL)",
        "INSERT INTO child VALUES (14, 'nope')",
        "INSERT INTO gchild VALUES (1, 10), (2, 11), (3, 12)",
        "INSERT INTO gchild VALUES (4, 99)",
        "UPDATE t2 SET v = -1 WHERE k = 'a'",
        "UPDATE t2 SET k = 'bb' WHERE k = 'b'",
        "DELETE FROM t2 WHERE k = 'a'",
        "DELETE FROM child WHERE ck = 12",
        "UPDATE OR REPLACE t2 SET v = 3 WHERE k = 'bb'",
    ] {
        p.step(s);
    }
    for t in ["log", "child", "gchild"] {
        p.query(&format!("SELECT * FROM {t}"), false);
    }
}

/// Writes embedlite's file with a workload, then SQLite checks it and reads the same rows.
#[test]
fn files_written_by_embedlite_pass_sqlite_integrity_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut p = Pair::new(Some(dir.path()));
    // Enough rows for several levels of b-tree pages, with long keys that spill.
    p.step(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) \
         INSERT INTO t1 SELECT i % 97, printf('%.*c', i % 40 + 1, 'k') || i, i * 0.5, \
         CASE WHEN i % 5 = 0 THEN NULL ELSE hex(i * 31) || i END FROM n",
    );
    p.step(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) \
         INSERT INTO t2 SELECT 'key-' || i || printf('%.*c', i % 300, 'z'), i, zeroblob(i % 700) FROM n",
    );
    p.step("DELETE FROM t1 WHERE a % 3 = 0");
    p.step("UPDATE t2 SET k = upper(k) WHERE v % 2 = 0");
    run_random(&mut p, seed() + 1, 400);
    drop(p.ours);
    let sq = rusqlite::Connection::open(dir.path().join("ours.db")).expect("sqlite opens ours");
    let check = oracle::sqlite_rows(&sq, "PRAGMA integrity_check").expect("integrity_check");
    assert_eq!(check, vec![vec![Value::Text("ok".into())]]);
    for (t, order) in TABLES {
        let q = format!("SELECT * FROM {t} ORDER BY {order}");
        assert_rows_eq(
            &oracle::sqlite_rows(&p.theirs, &q).expect("theirs"),
            &oracle::sqlite_rows(&sq, &q).expect("ours read by sqlite"),
            t,
        );
    }
    let plan =
        oracle::sqlite_rows(&sq, "EXPLAIN QUERY PLAN SELECT * FROM t1 WHERE a = 5").expect("plan");
    assert_eq!(plan[0][3], Value::Text("SEARCH t1 USING PRIMARY KEY (a=?)".into()));
}

/// SQLite writes the file; embedlite reads it alike, writes to it, and SQLite checks the result.
#[test]
fn files_written_by_sqlite_read_and_write_in_embedlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let theirs = dir.path().join("theirs.db");
    let ours = dir.path().join("ours.db");
    {
        let sq = rusqlite::Connection::open(&theirs).expect("open");
        for s in SCHEMA {
            sq.execute_batch(s).expect("schema");
        }
        sq.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
             INSERT INTO t1 SELECT i % 50, 'b' || (i * 7919 % 2000), i / 3.0, \
             CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN i WHEN 2 THEN 'd' || i ELSE x'01' END FROM n; \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
             INSERT INTO t3 SELECT i * 1.5, i % 17, 'z' || i FROM n; \
             INSERT INTO t2 VALUES ('Alpha', 1, NULL), ('beta', 2, 2.5), ('GAMMA', 3, x'00');",
        )
        .expect("rows");
    }
    std::fs::copy(&theirs, &ours).expect("copy");
    let mut p = Pair {
        ours: Connection::open(ours.to_str().expect("utf-8")).expect("embedlite opens it"),
        theirs: rusqlite::Connection::open(&theirs).expect("open"),
    };
    p.same_tables("opening SQLite's file");
    p.query("SELECT * FROM t1 WHERE a = 7 AND b = 'B1234'", true);
    p.query("SELECT * FROM t1 WHERE d = 'd10'", false);
    p.query("SELECT * FROM t3 WHERE z = 'z77'", false);
    p.query("PRAGMA integrity_check", true);
    p.step("INSERT INTO t1 VALUES (7, 'new', 1.0, 'n')");
    p.step("UPDATE t1 SET a = a + 100 WHERE a % 5 = 0");
    p.step("DELETE FROM t1 WHERE c > 300 AND c < 400");
    p.step("UPDATE t3 SET z = z || '!' WHERE y = 3");
    p.step("CREATE INDEX t2_w ON t2(w)");
    p.step("ALTER TABLE t2 ADD COLUMN extra DEFAULT 'e'");
    p.step("INSERT INTO t2 VALUES ('delta', 4, 'w', 'x')");
    p.step("UPDATE t2 SET w = 'changed' WHERE k = 'alpha'");
    p.step("ALTER TABLE t4 DROP COLUMN n");
    p.query("SELECT * FROM t1 WHERE a = 105", false);
    run_random(&mut p, seed() + 2, 300);
    drop(p.ours);
    let sq = rusqlite::Connection::open(&ours).expect("sqlite opens it again");
    let check = oracle::sqlite_rows(&sq, "PRAGMA integrity_check").expect("integrity_check");
    assert_eq!(check, vec![vec![Value::Text("ok".into())]]);
    for (t, order) in TABLES {
        let q = format!("SELECT * FROM {t} ORDER BY {order}");
        assert_rows_eq(
            &oracle::sqlite_rows(&p.theirs, &q).expect("theirs"),
            &oracle::sqlite_rows(&sq, &q).expect("ours read by sqlite"),
            t,
        );
    }
}
