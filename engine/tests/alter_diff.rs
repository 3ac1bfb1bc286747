//! `ALTER TABLE ... DROP COLUMN`, `ALTER TABLE ... RENAME COLUMN` and `VACUUM` against real
//! SQLite (rusqlite, bundled): the same statements run on both; each must succeed or fail alike
//! (with SQLite's message), and afterwards every table's rows, `PRAGMA table_info` and the
//! stored schema text must be the same, and real SQLite must find embedlite's file intact.

mod oracle;

use std::path::PathBuf;

use embedlite::{Connection, Value};

/// SQLite's message without rusqlite's decoration.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(m)) => m.clone(),
        other => other.to_string(),
    }
}

fn sqlite_rows(c: &rusqlite::Connection, q: &str) -> Vec<Vec<Value>> {
    oracle::sqlite_rows(c, q).unwrap_or_else(|e| panic!("sqlite {q}: {e}"))
}

/// The integrity check of real SQLite on the file at `path`.
fn sqlite_integrity(path: &PathBuf) -> Vec<Vec<Value>> {
    let c = rusqlite::Connection::open(path).expect("sqlite opens embedlite's file");
    sqlite_rows(&c, "PRAGMA integrity_check")
}

fn ok_rows() -> Vec<Vec<Value>> {
    vec![vec![Value::Text("ok".into())]]
}

/// embedlite on a file, SQLite in memory, given the same statements.
struct Pair {
    ours: Connection,
    theirs: rusqlite::Connection,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pair {
    fn new(schema: &[&str]) -> Pair {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("alter.db");
        let mut p = Pair {
            ours: Connection::open(path.to_str().expect("utf-8 path")).expect("open"),
            theirs: rusqlite::Connection::open_in_memory().expect("open"),
            path,
            _dir: dir,
        };
        // As in embedlite, foreign keys are not enforced unless asked for.
        p.theirs.execute_batch("PRAGMA foreign_keys = OFF").expect("pragma");
        for s in schema {
            p.theirs.execute_batch(s).unwrap_or_else(|e| panic!("sqlite schema {s}: {e}"));
            p.ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite schema {s}: {e}"));
        }
        p.same_state("the schema");
        p
    }

    /// Runs `sql` on both: they must agree on success and on the error message, then on the
    /// whole state. Returns whether it succeeded.
    fn step(&mut self, sql: &str) -> bool {
        let a = self.theirs.execute_batch(sql).map_err(|e| sqlite_message(&e));
        let b = self.ours.execute_batch(sql).map_err(|e| e.to_string());
        match (&a, &b) {
            (Ok(()), Ok(())) => {}
            // SQLite may add where it found the error (" in ... at offset N").
            (Err(x), Err(y)) => {
                assert!(x.starts_with(y.as_str()), "{sql}: sqlite {x:?}, embedlite {y:?}");
            }
            _ => panic!("{sql}: sqlite {a:?}, embedlite {b:?}"),
        }
        self.same_state(sql);
        a.is_ok()
    }

    /// Runs `sql` on both: it must fail on both (messages may differ).
    fn both_fail(&mut self, sql: &str) {
        let a = self.theirs.execute_batch(sql).map_err(|e| sqlite_message(&e));
        let b = self.ours.execute_batch(sql).map_err(|e| e.to_string());
        assert!(a.is_err() && b.is_err(), "{sql}: sqlite {a:?}, embedlite {b:?}");
        self.same_state(sql);
    }

    fn query(&mut self, q: &str) {
        let want = sqlite_rows(&self.theirs, q);
        let got = self.ours.query(q, &[]).unwrap_or_else(|e| panic!("embedlite {q}: {e}")).rows;
        assert_eq!(want, got, "{q}");
    }

    fn same_state(&mut self, after: &str) {
        let schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";
        let want = sqlite_rows(&self.theirs, schema);
        let got = self.ours.query(schema, &[]).expect("embedlite schema").rows;
        assert_eq!(want, got, "after {after}: sqlite_schema");
        let tables = sqlite_rows(
            &self.theirs,
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
        );
        for t in tables {
            let Value::Text(t) = &t[0] else { panic!("table name {t:?}") };
            for q in [
                format!("SELECT rowid, * FROM \"{t}\" ORDER BY rowid"),
                format!("PRAGMA table_info(\"{t}\")"),
            ] {
                let want = sqlite_rows(&self.theirs, &q);
                let got = self.ours.query(&q, &[]).unwrap_or_else(|e| panic!("{q}: {e}")).rows;
                assert_eq!(want, got, "after {after}: {q}");
            }
        }
        assert_eq!(sqlite_integrity(&self.path), ok_rows(), "after {after}: integrity_check");
        let ours = self.ours.query("PRAGMA integrity_check", &[]).expect("check").rows;
        assert_eq!(ours, ok_rows(), "after {after}: embedlite's integrity_check");
    }
}

const DROP_SCHEMA: &[&str] = &[
    "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE, c, d INT, e, f, g CHECK(g > 0), h, \
     FOREIGN KEY(h) REFERENCES p(x), UNIQUE(e))",
    "CREATE INDEX i1 ON t(d)",
    "CREATE INDEX i2 ON t(a) WHERE f > 0",
    "CREATE TABLE k(k1, k2 NOT NULL, k3 UNIQUE, PRIMARY KEY(k1, k2))",
    "CREATE UNIQUE INDEX ku ON k(k2)",
    "CREATE TABLE u(a, b, \"c c\" DEFAULT 'x', [d]  , x /* note */ , z)",
    "CREATE VIEW v AS SELECT b FROM u",
    "CREATE TABLE w(id INTEGER PRIMARY KEY, p, q, r)",
    "CREATE INDEX wq ON w(q)",
    "CREATE TRIGGER w_r AFTER UPDATE ON w BEGIN SELECT new.r; END",
    "CREATE TABLE one(only_col)",
    "INSERT INTO t VALUES (1, 'one', 1.5, 3, 'e1', 1, 5, NULL), (2, 'two', X'0102', 4, 'e2', -1, 6, 7), \
     (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
    "INSERT INTO u VALUES (1, 2, 3, 4, 5, 6), ('a', 'b', 'c', 'd', 'e', 'f')",
    "INSERT INTO w(p, q, r) VALUES (1, 2, 3), (4, 5, 6), (7, 8, 9)",
    "DELETE FROM w WHERE id = 2",
    "ALTER TABLE u ADD COLUMN late INT DEFAULT 42",
    "INSERT INTO u(a, late) VALUES ('after', 7)",
];

#[test]
fn drop_column_matches_sqlite() {
    let mut p = Pair::new(DROP_SCHEMA);
    for (sql, ok) in [
        ("ALTER TABLE t DROP COLUMN a", false),
        ("ALTER TABLE t DROP COLUMN b", false),
        ("ALTER TABLE t DROP COLUMN d", false),
        ("ALTER TABLE t DROP COLUMN e", false),
        ("ALTER TABLE t DROP COLUMN f", false),
        ("ALTER TABLE t DROP COLUMN h", false),
        ("ALTER TABLE t DROP COLUMN zz", false),
        ("ALTER TABLE t DROP COLUMN \"zz\"", false),
        ("ALTER TABLE t DROP zz", false),
        ("ALTER TABLE nosuch DROP COLUMN c", false),
        ("ALTER TABLE v DROP COLUMN b", false),
        ("ALTER TABLE sqlite_schema DROP COLUMN sql", false),
        ("ALTER TABLE one DROP COLUMN only_col", false),
        ("ALTER TABLE k DROP COLUMN k2", false),
        ("ALTER TABLE k DROP COLUMN k3", false),
        ("ALTER TABLE u DROP COLUMN b", false),
        ("ALTER TABLE w DROP COLUMN r", false),
        ("ALTER TABLE t DROP COLUMN g", true),
        ("ALTER TABLE t DROP COLUMN c", true),
        ("ALTER TABLE u DROP COLUMN [d]", true),
        ("ALTER TABLE u DROP COLUMN \"c c\"", true),
        ("ALTER TABLE u DROP COLUMN late", true),
        ("ALTER TABLE u DROP COLUMN z", true),
        ("ALTER TABLE u DROP a", true),
        ("ALTER TABLE w DROP COLUMN p", true),
        ("ALTER TABLE k DROP COLUMN k1", false),
    ] {
        assert_eq!(p.step(sql), ok, "{sql}");
    }
    // The tables stay usable, and their indexes are still used and right.
    for sql in [
        "INSERT INTO t VALUES (9, 'nine', 33, 'e9', 2, NULL)",
        "INSERT INTO u VALUES ('new', 'row')",
        "INSERT INTO w(q, r) VALUES (5, 10)",
        "UPDATE w SET r = r + 1 WHERE q = 5",
    ] {
        assert!(p.step(sql), "{sql}");
    }
    p.query("SELECT a, b FROM t WHERE d = 33");
    p.query("SELECT id, r FROM w WHERE q = 5 ORDER BY id");
    let plan = p.ours.query("EXPLAIN QUERY PLAN SELECT a FROM t WHERE d = 33", &[]).expect("eqp");
    assert!(format!("{:?}", plan.rows).contains("i1"), "index i1 not used: {:?}", plan.rows);
    let plan = p.ours.query("EXPLAIN QUERY PLAN SELECT id FROM w WHERE q = 5", &[]).expect("eqp");
    assert!(format!("{:?}", plan.rows).contains("wq"), "index wq not used: {:?}", plan.rows);
}

#[test]
fn drop_column_keeps_rowids_and_rewrites_rows() {
    let mut p = Pair::new(&[
        "CREATE TABLE big(id INTEGER PRIMARY KEY, pad TEXT, n INT, tail)",
        "CREATE INDEX big_n ON big(n)",
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) \
         INSERT INTO big SELECT i * 7, printf('%.300c', 'x'), i % 17, i FROM c",
        "DELETE FROM big WHERE id % 3 = 0",
    ]);
    assert!(p.step("ALTER TABLE big DROP COLUMN pad"));
    p.query("SELECT count(*), sum(n), sum(tail) FROM big WHERE n = 5");
    // The rows really lost the column: the table shrank to a fraction of its pages.
    let pages = |c: &mut Connection| match c.query("PRAGMA page_count", &[]).expect("pc").rows[0][0]
    {
        Value::Integer(n) => n,
        ref other => panic!("page_count {other:?}"),
    };
    assert!(p.step("VACUUM"));
    let after = pages(&mut p.ours);
    assert!(after < 60, "{after} pages after dropping the padding and VACUUM");
}

const RENAME_SCHEMA: &[&str] = &[
    "CREATE TABLE t(a INTEGER PRIMARY KEY, \"b\" TEXT, c CHECK(c > a), UNIQUE(b, c))",
    "CREATE INDEX i1 ON t(b, c DESC) WHERE c > 0",
    "CREATE INDEX i2 ON t(lower(b) COLLATE nocase)",
    "CREATE TABLE p(x, y REFERENCES t(b), FOREIGN KEY(x) REFERENCES t(c))",
    "CREATE VIEW v AS SELECT a, b AS bee, t.c FROM t WHERE b > 'x'",
    "CREATE VIEW v2 AS SELECT x.b FROM t AS x JOIN p ON p.x = x.c",
    "CREATE TABLE log(x)",
    "CREATE TRIGGER tr AFTER UPDATE OF b ON t BEGIN INSERT INTO log(x) VALUES (new.b); \
     UPDATE t SET c = old.c WHERE b = 1; END",
    "CREATE TABLE text(text TEXT, other INT)",
    "INSERT INTO t VALUES (1, 'one', 2), (2, 'two', 3), (3, 'zzz', 4)",
    "INSERT INTO text VALUES ('hello', 1)",
];

#[test]
fn rename_column_matches_sqlite() {
    let mut p = Pair::new(RENAME_SCHEMA);
    for (sql, ok) in [
        ("ALTER TABLE t RENAME COLUMN b TO bb", true),
        ("ALTER TABLE t RENAME COLUMN c TO \"c c\"", true),
        ("ALTER TABLE t RENAME COLUMN zz TO q", false),
        ("ALTER TABLE t RENAME COLUMN \"zz\" TO q", false),
        ("ALTER TABLE t RENAME COLUMN a TO bb", false),
        ("ALTER TABLE t RENAME COLUMN a TO BB", false),
        ("ALTER TABLE t RENAME a TO A", true),
        ("ALTER TABLE v RENAME COLUMN a TO z", false),
        ("ALTER TABLE nosuch RENAME COLUMN a TO z", false),
        ("ALTER TABLE sqlite_master RENAME COLUMN name TO z", false),
        ("ALTER TABLE t RENAME COLUMN \"bb\" TO b2", true),
        ("ALTER TABLE t RENAME COLUMN A TO [select]", true),
        ("ALTER TABLE text RENAME COLUMN text TO body", true),
        ("ALTER TABLE p RENAME COLUMN x TO xx", true),
    ] {
        assert_eq!(p.step(sql), ok, "{sql}");
    }
    for q in [
        "SELECT * FROM v ORDER BY 1",
        "SELECT * FROM v2 ORDER BY 1",
        "SELECT \"select\", b2 FROM t WHERE b2 = 'two'",
        "SELECT * FROM text",
    ] {
        p.query(q);
    }
    // The trigger still fires with the new names, and the indexes hold the rows.
    assert!(p.step("UPDATE t SET b2 = 'uno' WHERE \"select\" = 1"));
    assert!(p.step("INSERT INTO t VALUES (10, 'ten', 11)"));
    p.query("SELECT \"select\" FROM t WHERE lower(b2) = 'ten' COLLATE nocase");
    p.query("SELECT \"select\" FROM t WHERE b2 = 'ten' AND \"c c\" = 11");
    let plan = p
        .ours
        .query("EXPLAIN QUERY PLAN SELECT \"select\" FROM t WHERE b2 = 'ten' AND \"c c\" > 0", &[])
        .expect("eqp");
    assert!(format!("{:?}", plan.rows).contains("INDEX"), "no index used: {:?}", plan.rows);
    // A column UNIQUE or CHECK names still guards the rows.
    p.both_fail("INSERT INTO t VALUES (11, 'ten', 11)");
    p.both_fail("INSERT INTO t VALUES (12, 'x', -1)");
}

/// `ALTER TABLE ... RENAME TO` rewrites what SQLite rewrites: the table's statement, its
/// indexes and triggers, other tables' `REFERENCES`, views and trigger bodies (also qualified
/// columns and comma joins), automatic index names and the `AUTOINCREMENT` counter, each
/// written `"new"`. `same_state` compares every row of `sqlite_schema` after each step.
#[test]
fn rename_table_matches_sqlite() {
    let mut p = Pair::new(&[
        "CREATE TABLE t(a INTEGER PRIMARY KEY AUTOINCREMENT, b UNIQUE, c)",
        "CREATE INDEX t_c ON t(c)",
        "CREATE TABLE child(x REFERENCES t(a), y, t, FOREIGN KEY (y) REFERENCES \"t\" (b))",
        "CREATE TABLE log(msg)",
        "CREATE TRIGGER t_ins AFTER INSERT ON t BEGIN \
         INSERT INTO log SELECT 'n=' || count(*) FROM t; UPDATE t SET c = c WHERE 0; END",
        "CREATE TRIGGER child_ins AFTER INSERT ON child BEGIN \
         INSERT INTO log SELECT t.b FROM t WHERE t.a = new.x; END",
        "CREATE VIEW v AS SELECT t.a, child.t FROM child, t WHERE child.x = t.a",
        "CREATE VIEW w AS SELECT b FROM main.t JOIN log ON log.msg = t.b",
        "CREATE TABLE tt(t)",
        "INSERT INTO t(b, c) VALUES ('one', 1), ('two', 2)",
        "INSERT INTO child VALUES (1, 'two', 'col'), (2, 'one', NULL)",
        "INSERT INTO tt VALUES ('t')",
    ]);
    for (sql, ok) in [
        ("ALTER TABLE t RENAME TO u", true),
        ("ALTER TABLE u RENAME TO tt", false),
        ("ALTER TABLE nosuch RENAME TO z", false),
        ("ALTER TABLE u RENAME TO \"x y\"", true),
        ("ALTER TABLE \"x y\" RENAME TO [T2]", true),
        ("ALTER TABLE tt RENAME TO tt3", true),
    ] {
        assert_eq!(p.step(sql), ok, "{sql}");
    }
    for q in ["SELECT * FROM v ORDER BY 1", "SELECT * FROM w", "SELECT * FROM tt3"] {
        p.query(q);
    }
    // The triggers fire through the new names, and the counter goes on.
    assert!(p.step("INSERT INTO T2(b, c) VALUES ('three', 3)"));
    assert!(p.step("INSERT INTO child VALUES (3, 'three', 'c3')"));
    p.query("SELECT * FROM log ORDER BY rowid");
    p.query("SELECT name, seq FROM sqlite_sequence");
}

#[test]
fn rename_and_drop_survive_reopen_in_sqlite() {
    let mut p = Pair::new(RENAME_SCHEMA);
    assert!(p.step("ALTER TABLE t RENAME COLUMN b TO name"));
    assert!(p.step("ALTER TABLE text DROP COLUMN other"));
    let c = rusqlite::Connection::open(&p.path).expect("sqlite opens the file");
    c.execute_batch(
        "PRAGMA foreign_keys = OFF; UPDATE t SET name = 'ONE' WHERE a = 1; \
         INSERT INTO text VALUES ('x')",
    )
    .expect("sqlite writes through the renamed schema");
    assert_eq!(sqlite_rows(&c, "PRAGMA integrity_check"), ok_rows());
    drop(c);
    let rows = p.ours.query("SELECT name FROM t WHERE a = 1", &[]).expect("read").rows;
    assert_eq!(rows, vec![vec![Value::Text("ONE".into())]]);
}

fn int(c: &mut Connection, q: &str) -> i64 {
    match c.query(q, &[]).unwrap_or_else(|e| panic!("{q}: {e}")).rows[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{q}: {other:?}"),
    }
}

#[test]
fn vacuum_shrinks_the_file_and_keeps_everything() {
    let mut p = Pair::new(&[
        "PRAGMA user_version = 7",
        "PRAGMA application_id = 1234",
        "CREATE TABLE docs(id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT, tag INT)",
        "CREATE INDEX docs_tag ON docs(tag, body)",
        "CREATE TABLE plain(x)",
        "CREATE VIEW recent AS SELECT id FROM docs WHERE id > 100",
        "CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN INSERT INTO plain VALUES (new.id); END",
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 4000) \
         INSERT INTO docs(body, tag) SELECT printf('%.500c', char(65 + i % 26)), i % 13 FROM c",
        "INSERT INTO docs(body, tag) VALUES (zeroblob(20000), 99)",
        "DELETE FROM docs WHERE id % 10 <> 0",
        "DELETE FROM plain WHERE x > 50",
    ]);
    let pages_before = int(&mut p.ours, "PRAGMA page_count");
    assert!(int(&mut p.ours, "PRAGMA freelist_count") > pages_before / 2);
    let size_before = std::fs::metadata(&p.path).expect("size").len();
    assert!(p.step("VACUUM"));
    assert_eq!(int(&mut p.ours, "PRAGMA freelist_count"), 0);
    let pages_after = int(&mut p.ours, "PRAGMA page_count");
    assert!(pages_after * 4 < pages_before, "{pages_after} pages after, {pages_before} before");
    let size_after = std::fs::metadata(&p.path).expect("size").len();
    assert_eq!(size_after, u64::try_from(pages_after).expect("pages") * 4096);
    assert!(size_after * 4 < size_before, "{size_after} bytes after, {size_before} before");
    for q in [
        "PRAGMA user_version",
        "PRAGMA application_id",
        "SELECT * FROM sqlite_sequence",
        "SELECT id, tag FROM docs WHERE tag = 3 ORDER BY body, id",
        "SELECT count(*) FROM recent",
    ] {
        p.query(q);
    }
    let c = rusqlite::Connection::open(&p.path).expect("sqlite opens the file");
    assert_eq!(sqlite_rows(&c, "PRAGMA freelist_count"), vec![vec![Value::Integer(0)]]);
    assert_eq!(sqlite_rows(&c, "PRAGMA user_version"), vec![vec![Value::Integer(7)]]);
    drop(c);
    // Still a working database: the trigger fires, AUTOINCREMENT goes on from its mark.
    assert!(p.step("INSERT INTO docs(body, tag) VALUES ('after', 1)"));
    assert!(p.step("VACUUM main"));
    p.both_fail("VACUUM other");
}

#[test]
fn vacuum_is_refused_inside_a_transaction() {
    let mut p = Pair::new(&["CREATE TABLE t(x)", "INSERT INTO t VALUES (1)"]);
    assert!(p.step("BEGIN"));
    assert!(!p.step("VACUUM"));
    assert!(p.step("INSERT INTO t VALUES (2)"));
    assert!(p.step("COMMIT"));
    assert!(p.step("VACUUM"));
}

#[test]
fn vector_index_answers_after_vacuum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vec.db");
    let mut c = Connection::open(path.to_str().expect("utf-8")).expect("open");
    c.execute_batch(
        "CREATE TABLE items(id INTEGER PRIMARY KEY, emb F32_BLOB(3), note TEXT); \
         CREATE INDEX items_idx ON items (libsql_vector_idx(emb, 'metric=l2'));",
    )
    .expect("schema");
    for i in 0..600i64 {
        let f = i as f32;
        let v = [(f * 1.3).sin() * 10.0, (f * 0.7).cos() * 10.0, (f * 0.37).sin() * 10.0];
        c.execute(
            "INSERT INTO items VALUES (?, vector(?), ?)",
            &[
                Value::Integer(i),
                Value::Text(format!("[{}, {}, {}]", v[0], v[1], v[2])),
                Value::Text("n".repeat(300)),
            ],
        )
        .expect("insert");
    }
    c.execute_batch("DELETE FROM items WHERE id % 3 <> 0").expect("delete");
    let q = "SELECT id FROM vector_top_k('items_idx', vector('[1, 2, 3]'), 5) ORDER BY id";
    let before = c.query(q, &[]).expect("search").rows;
    assert_eq!(before.len(), 5);
    let pages = int(&mut c, "PRAGMA page_count");
    c.execute_batch("VACUUM").expect("vacuum");
    assert!(int(&mut c, "PRAGMA page_count") < pages);
    assert_eq!(c.query(q, &[]).expect("search after vacuum").rows, before);
    // A fresh connection reads the index from the copied shadow table.
    let mut fresh = Connection::open(path.to_str().expect("utf-8")).expect("reopen");
    assert_eq!(fresh.query(q, &[]).expect("search in a new connection").rows, before);
    // And the index takes writes at its new place.
    c.execute("INSERT INTO items VALUES (10000, vector('[1, 2, 3]'), 'x')", &[])
        .expect("insert after vacuum");
    let top = c
        .query("SELECT id FROM vector_top_k('items_idx', vector('[1, 2, 3]'), 1)", &[])
        .expect("search")
        .rows;
    assert_eq!(top, vec![vec![Value::Integer(10000)]]);
    let sqlite = rusqlite::Connection::open(&path).expect("sqlite opens the file");
    assert_eq!(sqlite_rows(&sqlite, "PRAGMA integrity_check"), ok_rows());
}

/// A power cut at every point of a `VACUUM` (through the simulated disk) leaves the rows as they
/// were: the old file or the compact one, never a mix.
#[test]
fn a_power_cut_during_vacuum_loses_nothing() {
    use embedlite::storage::io::{SimConfig, SimIo};
    use embedlite::storage::OpenOptions;
    use std::sync::Arc;

    const PATH: &str = "vacuum.db";
    let opts = || OpenOptions { page_size: 1024, ..OpenOptions::default() };
    let setup = |sim: &SimIo| -> Connection {
        let mut c = Connection::open_with_io(Arc::new(sim.clone()), PATH, opts()).expect("open");
        c.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT); CREATE INDEX t_body ON t(body); \
             WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 400) \
             INSERT INTO t SELECT i, printf('%.150c', char(65 + i % 26)) || i FROM c; \
             DELETE FROM t WHERE id % 4 <> 0;",
        )
        .expect("setup");
        c
    };
    let q = "SELECT id, body FROM t ORDER BY id";
    let dry = SimIo::new(SimConfig::new(7));
    let mut c = setup(&dry);
    let want = c.query(q, &[]).expect("rows").rows;
    let start = dry.ops_done();
    c.execute_batch("VACUUM").expect("vacuum");
    let total = dry.ops_done() - start;
    assert!(total > 3, "VACUUM made only {total} I/O operations");
    for at in 1..=total {
        let sim = SimIo::new(SimConfig::new(7));
        let mut c = setup(&sim);
        sim.crash_after_ops(at);
        let r = c.execute_batch("VACUUM");
        drop(c);
        sim.power_cut();
        sim.reboot();
        let mut c = Connection::open_with_io(Arc::new(sim.clone()), PATH, opts())
            .unwrap_or_else(|e| panic!("cut at op {at}/{total} ({r:?}): reopen: {e}"));
        let got = c.query(q, &[]).unwrap_or_else(|e| panic!("cut at op {at}/{total}: {e}")).rows;
        assert_eq!(got, want, "cut at op {at}/{total}: rows differ");
        let check = c.query("PRAGMA integrity_check", &[]).expect("check").rows;
        assert_eq!(check, ok_rows(), "cut at op {at}/{total}");
    }
}

/// A vector index follows its table through `RENAME TO`: its metadata names the new table, it
/// answers and takes writes under the new name, in this connection and in a new one.
#[test]
fn vector_index_follows_a_renamed_table() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("vec.db");
    let mut c = Connection::open(path.to_str().expect("utf-8")).expect("open");
    c.execute_batch(
        "CREATE TABLE items(k INTEGER PRIMARY KEY, emb F32_BLOB(2)); \
         CREATE INDEX items_idx ON items (libsql_vector_idx(emb, 'metric=l2')); \
         INSERT INTO items VALUES (1, vector('[0, 0]')), (2, vector('[5, 5]')), (3, vector('[9, 9]'));",
    )
    .expect("schema");
    c.execute_batch("ALTER TABLE items RENAME TO things").expect("rename");
    let q = "SELECT things.k FROM vector_top_k('items_idx', vector('[8, 8]'), 2) \
             JOIN things ON things.rowid = id";
    let want = vec![vec![Value::Integer(3)], vec![Value::Integer(2)]];
    assert_eq!(c.query(q, &[]).expect("search after rename").rows, want);
    c.execute("INSERT INTO things VALUES (4, vector('[8, 8]'))", &[]).expect("insert");
    let want = vec![vec![Value::Integer(4)], vec![Value::Integer(3)]];
    assert_eq!(c.query(q, &[]).expect("search after insert").rows, want);
    let mut fresh = Connection::open(path.to_str().expect("utf-8")).expect("reopen");
    assert_eq!(fresh.query(q, &[]).expect("search in a new connection").rows, want);
    let meta =
        fresh.query("SELECT tbl_name, sql FROM embedlite_vector_meta", &[]).expect("meta").rows;
    assert_eq!(
        meta,
        vec![vec![
            Value::Text("things".into()),
            Value::Text(
                "CREATE INDEX items_idx ON \"things\" (libsql_vector_idx(emb, 'metric=l2'))".into()
            ),
        ]]
    );
    let sqlite = rusqlite::Connection::open(&path).expect("sqlite opens the file");
    assert_eq!(sqlite_rows(&sqlite, "PRAGMA integrity_check"), ok_rows());
}
