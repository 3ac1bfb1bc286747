//! Differential tests of the SQL engine against real SQLite (rusqlite, bundled): the same
//! statements run on both and every query must give the same rows (order-insensitive where the
//! query has no ORDER BY), and files written through SQL pass SQLite's integrity check.

mod oracle;

use embedlite::{Connection, Value};
use oracle::sqlite_rows;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn same(a: &[Vec<Value>], b: &[Vec<Value>], ordered: bool) -> bool {
    let norm = |rows: &[Vec<Value>]| -> Vec<String> {
        let mut v: Vec<String> = rows.iter().map(|r| format!("{r:?}")).collect();
        if !ordered {
            v.sort();
        }
        v
    };
    norm(a) == norm(b)
}

/// Runs `setup` on both engines, then each query; returns the mismatches.
fn compare(setup: &[&str], queries: &[String]) -> Vec<String> {
    let mut ours = Connection::open(":memory:").expect("open");
    let theirs = rusqlite::Connection::open_in_memory().expect("open");
    for s in setup {
        theirs.execute_batch(s).expect("sqlite setup");
        ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite setup {s:?}: {e}"));
    }
    let mut bad = Vec::new();
    for q in queries {
        let want = sqlite_rows(&theirs, q);
        let got = ours.query(q, &[]).map(|r| r.rows).map_err(|e| e.to_string());
        let ordered = q.to_ascii_uppercase().contains("ORDER BY");
        match (&want, &got) {
            (Ok(w), Ok(g)) if same(w, g, ordered) => {}
            (Err(_), Err(_)) => {}
            _ => bad.push(format!("{q}\n  sqlite:    {want:?}\n  embedlite: {got:?}")),
        }
    }
    bad
}

/// Runs `setup` and `queries` on both engines and fails on any difference; returns an
/// embedlite connection with `setup` run, for further checks.
fn assert_same_answers(setup: &[String], queries: &[String]) -> Connection {
    let setup_refs: Vec<&str> = setup.iter().map(String::as_str).collect();
    let bad = compare(&setup_refs, queries);
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        queries.len(),
        bad.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
    let mut c = Connection::open(":memory:").expect("open");
    for s in setup {
        c.execute_batch(s).expect("setup");
    }
    c
}

/// Runs `sql` on both engines: both must succeed, or both fail with the same message (one
/// containing the other). Returns whether it failed.
fn step_both(ours: &mut Connection, theirs: &rusqlite::Connection, sql: &str) -> bool {
    let t = theirs.execute_batch(sql).map_err(|e| e.to_string());
    let o = ours.execute_batch(sql).map_err(|e| e.to_string());
    assert_eq!(o.is_ok(), t.is_ok(), "{sql}: {o:?} vs {t:?}");
    if let (Err(a), Err(b)) = (&o, &t) {
        assert!(a.contains(b.as_str()) || b.contains(a.as_str()), "{sql}: {a} vs {b}");
    }
    o.is_err()
}

const SETUP: &[&str] = &[
    "CREATE TABLE t1(a INTEGER PRIMARY KEY, b TEXT, c REAL, d, e INT NOT NULL DEFAULT 0)",
    "CREATE TABLE t2(x INT, y TEXT COLLATE NOCASE, z BLOB)",
    "CREATE INDEX t2x ON t2(x)",
    "CREATE UNIQUE INDEX t1b ON t1(b)",
    "INSERT INTO t1 VALUES (1, 'one', 1.5, NULL, 10), (2, 'two', 2.5, 'x', 20), (3, 'Three', NULL, 3, 30), (4, NULL, -4.25, 4.0, 40), (5, 'five', 5, X'0102', 50)",
    "INSERT INTO t1(b, c, d) VALUES ('six', 6e0, '6'), ('seven', 7.25, ' 7 ')",
    "INSERT INTO t2 VALUES (1, 'a', NULL), (1, 'B', X'00'), (2, 'c', X'ff'), (NULL, 'A', NULL), (3, NULL, 'text'), (5, 'e', NULL), (9, 'Z', NULL)",
];

#[test]
fn handwritten_queries_match_sqlite() {
    let queries: Vec<String> = [
        "SELECT * FROM t1",
        "SELECT t1.a, t2.x FROM t1 RIGHT JOIN t2 ON t1.a = t2.x ORDER BY 2, 1",
        "SELECT * FROM t2 RIGHT JOIN t1 ON t1.a = t2.x",
        "SELECT count(*) FROM t1 RIGHT OUTER JOIN t2 ON t1.a = t2.x WHERE t1.a IS NULL",
        "SELECT t1.b, t2.y FROM t1 RIGHT JOIN t2 ON t1.a = t2.x AND t1.c > 2",
        "SELECT t1.a, t2.x, u.b FROM t1 RIGHT JOIN t2 ON t1.a = t2.x JOIN t1 AS u ON u.a = t2.x",
        "SELECT * FROM t1 RIGHT JOIN t2 USING (a)",
        "SELECT count(DISTINCT *) FROM t1",
        "SELECT count(a, *) FROM t1",
        "SELECT group_concat(DISTINCT b, ':') FROM t1",
        "SELECT a, b FROM t1 WHERE a > 2 ORDER BY a DESC",
        "SELECT a + c, a * 2, a / 2, a % 3, -a, c / 0, 7 / 2, 7.0 / 2, 9223372036854775807 + 1 FROM t1",
        "SELECT b || '-' || a, length(b), upper(b), typeof(d), typeof(c), coalesce(d, c, 'none') FROM t1",
        "SELECT count(*), count(d), sum(a), avg(c), min(b), max(b), total(c), group_concat(b) FROM t1",
        "SELECT e, count(*) FROM t1 GROUP BY e HAVING count(*) > 0 ORDER BY e",
        "SELECT x, count(*), sum(x) FROM t2 GROUP BY x ORDER BY x",
        "SELECT y, count(*) FROM t2 GROUP BY y ORDER BY 1",
        "SELECT * FROM t2 WHERE y = 'a'",
        "SELECT * FROM t2 WHERE x = '1'",
        "SELECT * FROM t1 WHERE d = 3",
        "SELECT * FROM t1 WHERE d = '3'",
        "SELECT * FROM t1 WHERE d > 2 ORDER BY a",
        "SELECT a FROM t1 WHERE b LIKE 't%' ORDER BY a",
        "SELECT a FROM t1 WHERE b GLOB 't*' ORDER BY a",
        "SELECT a FROM t1 WHERE b NOT GLOB 't*' ORDER BY a",
        "SELECT a FROM t1 WHERE a BETWEEN 2 AND 4",
        "SELECT a FROM t1 WHERE a IN (1, 3, 5, NULL)",
        "SELECT a FROM t1 WHERE a NOT IN (1, 3, NULL)",
        "SELECT a FROM t1 WHERE a IN (SELECT x FROM t2)",
        "SELECT a FROM t1 WHERE a NOT IN (SELECT x FROM t2 WHERE x IS NOT NULL)",
        "SELECT a, (SELECT count(*) FROM t2 WHERE t2.x = t1.a) FROM t1 ORDER BY a",
        "SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE x = a)",
        "SELECT t1.a, t2.y FROM t1, t2 WHERE t1.a = t2.x ORDER BY 1, 2",
        "SELECT t1.a, t2.y FROM t1 JOIN t2 ON t1.a = t2.x ORDER BY 1, 2",
        "SELECT t1.a, t2.y FROM t1 LEFT JOIN t2 ON t1.a = t2.x ORDER BY 1, 2",
        "SELECT t1.a, t2.y FROM t1 LEFT JOIN t2 ON t1.a = t2.x WHERE t2.y IS NULL ORDER BY 1",
        "SELECT DISTINCT x FROM t2 ORDER BY x",
        "SELECT a FROM t1 UNION SELECT x FROM t2",
        "SELECT a FROM t1 UNION ALL SELECT x FROM t2",
        "SELECT a FROM t1 INTERSECT SELECT x FROM t2",
        "SELECT a FROM t1 EXCEPT SELECT x FROM t2",
        "SELECT a FROM t1 ORDER BY a LIMIT 2 OFFSET 1",
        "SELECT a FROM t1 ORDER BY a LIMIT 3",
        "SELECT CASE WHEN a < 3 THEN 'small' WHEN a < 5 THEN 'mid' ELSE 'big' END FROM t1",
        "SELECT CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END FROM t1",
        "SELECT CAST(c AS INTEGER), CAST(b AS REAL), CAST('12abc' AS INTEGER), CAST(a AS TEXT) FROM t1",
        "SELECT NULL = NULL, NULL IS NULL, 1 IS 1, 1 IS NOT 2, NULL AND 0, NULL OR 1, NOT NULL",
        "SELECT 1 < 'a', 'a' < X'00', 2 = 2.0, '2' = 2",
        "SELECT a FROM t1 WHERE rowid = 3",
        "SELECT rowid, * FROM t2 ORDER BY rowid",
        "SELECT max(a) FROM t1 WHERE a < 0",
        "SELECT count(*) FROM t1 WHERE 0",
        "WITH c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 10) SELECT sum(n) FROM c",
        "WITH big AS (SELECT a FROM t1 WHERE a > 3) SELECT * FROM big ORDER BY a",
        "SELECT * FROM (SELECT a, b FROM t1 WHERE a < 4) AS s ORDER BY a DESC",
        "SELECT y FROM t2 ORDER BY y COLLATE BINARY",
        "SELECT y FROM t2 ORDER BY y",
        "SELECT a, b FROM t1 ORDER BY b NULLS LAST, a",
        "SELECT abs(-5), abs(c), round(2.5), round(-2.5), round(1.2345, 2), substr('hello', 2, 3), replace('aaa', 'a', 'bb'), instr('hello', 'l')",
        "SELECT hex(b), quote(b), quote(c), nullif(a, 3), ifnull(d, 'n'), iif(a > 2, 'y', 'n') FROM t1",
        "SELECT count(DISTINCT x), sum(DISTINCT x) FROM t2",
        "SELECT x, y FROM t2 WHERE x IS NULL OR y IS NULL",
        "SELECT 10 & 6, 10 | 6, 1 << 4, -16 >> 2, ~5",
        "SELECT * FROM t1 WHERE b IN ('one', 'two') AND c > 2",
        "SELECT sqlite_version() IS NOT NULL",
        "SELECT a, b FROM t1 WHERE b > 'o' ORDER BY b",
        "SELECT (SELECT max(x) FROM t2), (SELECT y FROM t2 WHERE x = 99)",
        "VALUES (1, 'a'), (2, 'b')",
        "SELECT * FROM t1 NATURAL JOIN t2",
        "SELECT typeof(1), typeof(1.0), typeof('a'), typeof(x'00'), typeof(null)",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let bad = compare(SETUP, &queries);
    assert!(
        bad.is_empty(),
        "{} of {} queries differ:\n{}",
        bad.len(),
        queries.len(),
        bad.join("\n")
    );
}

#[test]
fn dml_matches_sqlite() {
    let steps: &[&str] = &[
        "UPDATE t1 SET c = c * 2 WHERE a < 3",
        "DELETE FROM t2 WHERE x = 1",
        "INSERT OR REPLACE INTO t1(a, b) VALUES (2, 'deux')",
        "INSERT OR IGNORE INTO t1(a, b) VALUES (2, 'zwei')",
        "UPDATE t1 SET a = a + 100 WHERE a = 5",
        "INSERT INTO t2 SELECT a, b, NULL FROM t1 WHERE a > 3",
        "DELETE FROM t1 WHERE b IS NULL",
        "INSERT INTO t1(a, b) VALUES (50, 'fifty') ON CONFLICT(a) DO UPDATE SET b = excluded.b",
        "INSERT INTO t1(a, b) VALUES (50, 'FIFTY') ON CONFLICT(a) DO UPDATE SET b = excluded.b",
        "INSERT INTO t1(a, b) VALUES (51, 'fifty') ON CONFLICT DO NOTHING",
    ];
    let mut ours = Connection::open(":memory:").expect("open");
    let theirs = rusqlite::Connection::open_in_memory().expect("open");
    for s in SETUP {
        theirs.execute_batch(s).expect("sqlite");
        ours.execute_batch(s).expect("embedlite");
    }
    for s in steps {
        let a = theirs.execute_batch(s).map_err(|e| e.to_string());
        let b = ours.execute_batch(s).map_err(|e| e.to_string());
        assert_eq!(a.is_ok(), b.is_ok(), "{s}: sqlite {a:?} embedlite {b:?}");
        for q in
            ["SELECT rowid, * FROM t1 ORDER BY rowid", "SELECT rowid, * FROM t2 ORDER BY rowid"]
        {
            let want = sqlite_rows(&theirs, q).expect("sqlite");
            let got = ours.query(q, &[]).expect("embedlite").rows;
            assert!(
                same(&want, &got, true),
                "after {s}: {q}\n sqlite {want:?}\n embedlite {got:?}"
            );
        }
    }
    // Constraint errors name the constraint and undo only the failing statement.
    ours.execute_batch("BEGIN").expect("begin");
    ours.execute_batch("INSERT INTO t1(a, b) VALUES (1000, 'new')").expect("insert");
    let e = ours
        .execute_batch("INSERT INTO t1(a, b) VALUES (1001, 'x'), (1002, 'new')")
        .expect_err("unique");
    assert!(e.to_string().contains("UNIQUE constraint failed: t1.b"), "{e}");
    let e = ours.execute_batch("INSERT INTO t1(a, e) VALUES (1003, NULL)").expect_err("not null");
    assert!(e.to_string().contains("NOT NULL constraint failed: t1.e"), "{e}");
    ours.execute_batch("COMMIT").expect("commit");
    let n = ours.query("SELECT count(*) FROM t1 WHERE a >= 1000", &[]).expect("count").rows;
    assert_eq!(n, vec![vec![Value::Integer(1)]]);
}

#[test]
fn files_written_through_sql_pass_sqlite_integrity_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sql.db");
    let p = path.to_str().expect("utf-8");
    {
        let mut c = Connection::open(p).expect("open");
        c.execute_batch(
            "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE, c); CREATE INDEX tc ON t(c, b);",
        )
        .expect("ddl");
        c.execute_batch("BEGIN").expect("begin");
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for i in 0..3000 {
            let c_val = rng.gen_range(0..100);
            c.execute(
                "INSERT INTO t(b, c) VALUES (?1, ?2)",
                &[Value::Text(format!("row-{i}-{}", "x".repeat(i % 50))), Value::Integer(c_val)],
            )
            .expect("insert");
        }
        c.execute_batch(
            "COMMIT; DELETE FROM t WHERE c < 30; UPDATE t SET c = c + 1000 WHERE c > 90;",
        )
        .expect("dml");
        let r = c.query("PRAGMA integrity_check", &[]).expect("check");
        assert_eq!(r.rows, vec![vec![Value::Text("ok".into())]]);
    }
    let s = rusqlite::Connection::open(&path).expect("sqlite open");
    let ok: String = s.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
    let n: i64 =
        s.query_row("SELECT count(*) FROM t WHERE c > 1000", [], |r| r.get(0)).expect("count");
    let mut c = Connection::open(p).expect("reopen");
    let ours = c.query("SELECT count(*) FROM t WHERE c > 1000", &[]).expect("count").rows;
    assert_eq!(ours, vec![vec![Value::Integer(n)]]);
}

/// Random expressions over random rows: embedlite and SQLite must agree on every value.
#[test]
fn generated_expressions_match_sqlite() {
    let mut rng = ChaCha8Rng::seed_from_u64(0xE4B);
    let atoms = [
        "a",
        "b",
        "c",
        "d",
        "1",
        "0",
        "-3",
        "2.5",
        "'7'",
        "'x'",
        "NULL",
        "'3.0'",
        "9223372036854775807",
        "-9223372036854775808",
    ];
    let ops = ["+", "-", "*", "/", "%", "=", "<>", "<", ">=", "AND", "OR", "||", "IS", "IS NOT"];
    let mut queries = Vec::new();
    for _ in 0..400 {
        let mut e = atoms[rng.gen_range(0..atoms.len())].to_string();
        for _ in 0..rng.gen_range(1..4) {
            let op = ops[rng.gen_range(0..ops.len())];
            let rhs = atoms[rng.gen_range(0..atoms.len())];
            e = format!("({e} {op} {rhs})");
        }
        queries.push(format!("SELECT {e} FROM g ORDER BY rowid"));
    }
    let setup = [
        "CREATE TABLE g(a INTEGER, b TEXT, c REAL, d)",
        "INSERT INTO g VALUES (1, '1', 1.0, 1), (NULL, NULL, NULL, NULL), (-7, 'abc', 2.75, 'abc'), (42, ' 42', -0.5, x'2a'), (0, '', 0.0, 0.0)",
    ];
    let setup: Vec<String> = setup.iter().map(ToString::to_string).collect();
    assert_same_answers(&setup, &queries);
}

#[test]
fn schema_changes_savepoints_and_comments_behave_like_sqlite() {
    let mut c = Connection::open(":memory:").expect("open");
    // Rows written before ADD COLUMN read its default.
    c.execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (1); ALTER TABLE t ADD COLUMN b DEFAULT 5; ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'x';").expect("alter");
    c.execute_batch("INSERT INTO t(a) VALUES (2)").expect("insert");
    let r = c.query("SELECT a, b, c FROM t ORDER BY a", &[]).expect("select").rows;
    assert_eq!(
        r,
        vec![
            vec![Value::Integer(1), Value::Integer(5), Value::Text("x".into())],
            vec![Value::Integer(2), Value::Integer(5), Value::Text("x".into())]
        ]
    );
    // RELEASE of the outermost savepoint inside BEGIN does not end the transaction.
    c.execute_batch("BEGIN; SAVEPOINT s1; INSERT INTO t(a) VALUES (3); RELEASE s1;")
        .expect("savepoint");
    assert!(c.in_transaction());
    c.execute_batch(
        "SAVEPOINT s2; INSERT INTO t(a) VALUES (4); ROLLBACK TO s2; RELEASE s2; COMMIT;",
    )
    .expect("rollback to");
    let r = c.query("SELECT group_concat(a) FROM t", &[]).expect("select").rows;
    assert_eq!(r, vec![vec![Value::Text("1,2,3".into())]]);
    // A transaction opened by SAVEPOINT commits when its outermost savepoint is released.
    c.execute_batch("SAVEPOINT outer_sp; INSERT INTO t(a) VALUES (5); RELEASE outer_sp;")
        .expect("savepoint txn");
    assert!(!c.in_transaction());
    // Comments before and between statements.
    c.execute_batch("-- a comment\nSELECT 1; /* block */ SELECT 2; -- trailing comment")
        .expect("comments");
    let r = c.query("-- leading comment\nSELECT count(*) FROM t", &[]).expect("select").rows;
    assert_eq!(r, vec![vec![Value::Integer(4)]]);
}

#[test]
fn index_seeks_cover_and_update_through_indexes() {
    let setup = [
        "CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, v INT, w TEXT)",
        "CREATE INDEX p_name ON p(name)",
        "CREATE INDEX p_vw ON p(v, w)",
        "INSERT INTO p VALUES (1, 'a', 10, 'x'), (2, 'b', 20, 'y'), (3, 'a', 30, 'z'), (4, 'c', 10, 'x'), (5, NULL, 10, NULL)",
        "CREATE TABLE q(k TEXT, n INT)",
        "INSERT INTO q VALUES ('a', 1), ('b', 2), ('zz', 3), (NULL, 4)",
    ];
    let queries: Vec<String> = [
        "SELECT id FROM p WHERE name = 'a'",
        "SELECT id, name FROM p WHERE name = 'a'",
        "SELECT count(*) FROM q JOIN p ON p.name = q.k",
        "SELECT q.n, p.id, p.v FROM q JOIN p ON p.name = q.k ORDER BY 1, 2",
        "SELECT w FROM p WHERE v = 10 AND w = 'x'",
        "SELECT id, w FROM p WHERE v = '10'",
        "SELECT q.n, p.id FROM q LEFT JOIN p ON p.name = q.k ORDER BY 1, 2",
        "SELECT id FROM p WHERE id BETWEEN 2 AND 4",
        "SELECT id FROM p WHERE id > 2 AND id <= 5",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let bad = compare(&setup, &queries);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // UPDATE found through an index must rewrite whole rows.
    let mut c = Connection::open(":memory:").expect("open");
    for s in setup {
        c.execute_batch(s).expect("setup");
    }
    c.execute_batch("UPDATE p SET w = 'updated' WHERE name = 'a'").expect("update");
    let r = c
        .query("SELECT id, name, v, w FROM p WHERE name = 'a' ORDER BY id", &[])
        .expect("select")
        .rows;
    assert_eq!(
        r[0],
        vec![
            Value::Integer(1),
            Value::Text("a".into()),
            Value::Integer(10),
            Value::Text("updated".into())
        ]
    );
    let ok = c.query("PRAGMA integrity_check", &[]).expect("check").rows;
    assert_eq!(ok, vec![vec![Value::Text("ok".into())]]);
}

/// Many-table joins written in an unhelpful order are reordered: the answers equal SQLite's,
/// the plan starts from the constrained table and seeks the others, and a 12-table chain join
/// that would be a cross product in the written order finishes at once.
#[test]
fn joins_are_reordered_to_use_seeks() {
    let mut setup: Vec<String> = Vec::new();
    for t in 0..12 {
        setup.push(format!("CREATE TABLE t{t}(a INTEGER PRIMARY KEY, b INT, x TEXT)"));
        let rows: Vec<String> =
            (1..=20).map(|r| format!("({r}, {}, 't{t} row {r}')", (r * 7 + t) % 20 + 1)).collect();
        setup.push(format!("INSERT INTO t{t} VALUES {}", rows.join(", ")));
    }
    setup.push("CREATE TABLE big(k INT, v TEXT)".into());
    setup.push("CREATE INDEX big_k ON big(k)".into());
    setup.push(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
         INSERT INTO big SELECT i % 50, 'v' || i FROM n"
            .into(),
    );
    let setup_refs: Vec<&str> = setup.iter().map(String::as_str).collect();
    // The chain t11.a = 3, t10.a = t11.b, t9.a = t10.b, ... written from the other end.
    let tables: Vec<String> = (0..12).map(|t| format!("t{t}")).collect();
    let links: Vec<String> = (0..11).map(|t| format!("t{t}.a = t{}.b", t + 1)).collect();
    let chain = format!(
        "SELECT t0.x, t5.x, t11.x FROM {} WHERE {} AND t11.a = 3",
        tables.join(", "),
        links.join(" AND ")
    );
    let queries = vec![
        chain.clone(),
        "SELECT t1.x, t2.x FROM t1, t2 WHERE t2.a = 5 AND t1.a = t2.b".to_string(),
        "SELECT count(*) FROM t1, t2, t3 WHERE t3.b = t2.a AND t2.b = t1.a AND t1.a < 4"
            .to_string(),
        "SELECT t1.x, big.v FROM big, t1 WHERE big.k = t1.b AND t1.a = 7 ORDER BY 2".to_string(),
        "SELECT count(*) FROM t1 JOIN t2 ON t1.b = t2.b LEFT JOIN t3 ON t3.a = t2.a".to_string(),
    ];
    let started = std::time::Instant::now();
    let bad = compare(&setup_refs, &queries);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the chain join took {:?}: not reordered?",
        started.elapsed()
    );
    let mut c = Connection::open(":memory:").expect("open");
    for s in &setup {
        c.execute_batch(s).expect("setup");
    }
    let plan = |c: &mut Connection, sql: &str| -> Vec<String> {
        c.query(&format!("EXPLAIN QUERY PLAN {sql}"), &[])
            .expect("explain")
            .rows
            .into_iter()
            .map(|r| match &r[3] {
                Value::Text(s) => s.clone(),
                v => panic!("detail {v:?}"),
            })
            .collect()
    };
    let p = plan(&mut c, &chain);
    assert!(p[0].starts_with("SEARCH t11"), "{p:?}");
    assert!(p[1..].iter().all(|d| d.starts_with("SEARCH")), "{p:?}");
    let p = plan(&mut c, "SELECT t1.x, big.v FROM big, t1 WHERE big.k = t1.b AND t1.a = 7");
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].starts_with("SEARCH t1 USING INTEGER PRIMARY KEY"), "{p:?}");
    assert!(p[1].starts_with("SEARCH big USING INDEX big_k"), "{p:?}");
    // Nothing to gain: the written order stays.
    let p = plan(&mut c, "SELECT * FROM t1, t2 WHERE t1.b = t2.b");
    assert!(p[0].contains("t1") && p[1].contains("t2"), "{p:?}");
}

/// Range conditions seek an index, and `ORDER BY` is answered by scanning an index or the
/// rowid in either direction (no sort, `LIMIT` stops early): generated ranges and orders over
/// columns of every affinity, with mixed-type bounds, NULLs, collations and `DESC` index
/// columns, give SQLite's rows in SQLite's order; EXPLAIN QUERY PLAN shows the index in use.
#[test]
fn index_ranges_and_index_order_match_sqlite() {
    let mut setup = vec![
        "CREATE TABLE r(id INTEGER PRIMARY KEY, a INT, b TEXT COLLATE NOCASE, c REAL, d)"
            .to_string(),
        "CREATE INDEX r_a ON r(a)".into(),
        "CREATE INDEX r_b ON r(b)".into(),
        "CREATE INDEX r_ac ON r(a, c DESC)".into(),
        "CREATE INDEX r_d ON r(d)".into(),
        "CREATE INDEX r_c_part ON r(c) WHERE c > 0".into(),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(0x0DE);
    let texts = ["'apple'", "'Apple'", "'b'", "'B '", "'10'", "'9'", "''", "'zz'", "'3.5'"];
    let mut rows = Vec::new();
    for id in 1..=300 {
        let a = match rng.gen_range(0..10) {
            0 => "NULL".to_string(),
            1 => texts[rng.gen_range(0..texts.len())].to_string(),
            _ => rng.gen_range(-20..20).to_string(),
        };
        let b = match rng.gen_range(0..8) {
            0 => "NULL".to_string(),
            1 => rng.gen_range(0..30).to_string(),
            _ => texts[rng.gen_range(0..texts.len())].to_string(),
        };
        let c = match rng.gen_range(0..8) {
            0 => "NULL".to_string(),
            _ => format!("{:.2}", rng.gen_range(-5.0..5.0)),
        };
        let d = match rng.gen_range(0..5) {
            0 => "NULL".to_string(),
            1 => texts[rng.gen_range(0..texts.len())].to_string(),
            2 => "x'0a'".to_string(),
            3 => format!("{:.1}", rng.gen_range(-5.0..5.0)),
            _ => rng.gen_range(-5..5).to_string(),
        };
        rows.push(format!("({id}, {a}, {b}, {c}, {d})"));
    }
    setup.push(format!("INSERT INTO r VALUES {}", rows.join(", ")));
    let cols = ["a", "b", "c", "d", "id"];
    let bounds = ["3", "-2.5", "'5'", "'apple'", "'B'", "NULL", "x'00'", "0", "'3.5'"];
    let ops = ["<", "<=", ">", ">=", "="];
    let mut queries = Vec::new();
    for _ in 0..1500 {
        let mut conds = Vec::new();
        if rng.gen_bool(0.2) {
            // Equality on the first column of r_ac, a range on its DESC second column.
            let op = ops[rng.gen_range(0..ops.len())];
            let b = bounds[rng.gen_range(0..bounds.len())];
            conds.push(format!("a = {} AND c {op} {b}", rng.gen_range(-3..3)));
        }
        for _ in 0..rng.gen_range(0..3) {
            let col = cols[rng.gen_range(0..cols.len())];
            let b = bounds[rng.gen_range(0..bounds.len())];
            conds.push(if rng.gen_bool(0.15) {
                let b2 = bounds[rng.gen_range(0..bounds.len())];
                format!("{col} BETWEEN {b} AND {b2}")
            } else {
                format!("{col} {} {b}", ops[rng.gen_range(0..ops.len())])
            });
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let mut order = Vec::new();
        for _ in 0..rng.gen_range(0..3) {
            let col = cols[rng.gen_range(0..cols.len() - 1)];
            let dir =
                ["", " ASC", " DESC", " DESC NULLS FIRST", " NULLS LAST"][rng.gen_range(0..5)];
            order.push(format!("{col}{dir}"));
        }
        // The rowid last makes every order total, so both engines must agree row by row.
        order.push(["id", "rowid DESC", "id ASC"][rng.gen_range(0..3)].to_string());
        let limit = match rng.gen_range(0..3) {
            0 => String::new(),
            1 => format!(" LIMIT {}", rng.gen_range(0..8)),
            _ => format!(" LIMIT {} OFFSET {}", rng.gen_range(1..6), rng.gen_range(0..4)),
        };
        let what = ["id", "a, id", "b, c, id", "*"][rng.gen_range(0..4)];
        queries.push(format!("SELECT {what} FROM r{filter} ORDER BY {}{limit}", order.join(", ")));
        if rng.gen_bool(0.1) {
            // The first loop's order carries through a join.
            queries.push(format!(
                "SELECT r.id, s.id FROM r JOIN r AS s ON s.a = r.a + 1{} ORDER BY {}{limit}",
                filter
                    .split(' ')
                    .map(|w| if cols.contains(&w) { format!("r.{w}") } else { w.to_string() })
                    .collect::<Vec<_>>()
                    .join(" "),
                order.iter().map(|o| format!("r.{o}")).collect::<Vec<_>>().join(", ") + ", s.id"
            ));
        }
    }
    let mut c = assert_same_answers(&setup, &queries);
    let plan = |c: &mut Connection, sql: &str| -> String {
        let rows = c.query(&format!("EXPLAIN QUERY PLAN {sql}"), &[]).expect("explain").rows;
        let details: Vec<String> = rows
            .iter()
            .map(|r| match &r[3] {
                Value::Text(s) => s.clone(),
                v => panic!("detail {v:?}"),
            })
            .collect();
        details.join("; ")
    };
    for (sql, want) in [
        (
            "SELECT id FROM r WHERE a > 3 AND a <= 10",
            "SEARCH r USING COVERING INDEX r_a (a>? AND a<?)",
        ),
        (
            "SELECT a, c FROM r WHERE a = 3 AND c < 0",
            "SEARCH r USING COVERING INDEX r_ac (a=? AND c<?)",
        ),
        ("SELECT id FROM r WHERE b >= 'b'", "SEARCH r USING COVERING INDEX r_b (b>?)"),
        ("SELECT id FROM r ORDER BY a LIMIT 3", "SCAN r USING COVERING INDEX r_a"),
        ("SELECT d FROM r ORDER BY a LIMIT 3", "SCAN r USING INDEX r_a"),
        ("SELECT a FROM r ORDER BY a DESC", "SCAN r USING COVERING INDEX r_a"),
        ("SELECT c FROM r WHERE a = 1 ORDER BY c DESC", "SEARCH r USING COVERING INDEX r_ac (a=?)"),
        ("SELECT id FROM r ORDER BY id DESC LIMIT 2", "SCAN r"),
        (
            "SELECT id FROM r WHERE id > 5 ORDER BY id DESC",
            "SEARCH r USING INTEGER PRIMARY KEY (rowid>?)",
        ),
        ("SELECT id FROM r ORDER BY c LIMIT 2", "SCAN r; USE TEMP B-TREE FOR ORDER BY"),
        (
            "SELECT id FROM r ORDER BY b COLLATE BINARY LIMIT 2",
            "SCAN r; USE TEMP B-TREE FOR ORDER BY",
        ),
        ("SELECT id FROM r ORDER BY a NULLS LAST LIMIT 2", "SCAN r; USE TEMP B-TREE FOR ORDER BY"),
    ] {
        assert_eq!(plan(&mut c, sql), want, "{sql}");
    }
}

/// A recursive CTE that would not end by itself stops when the query reading it has its rows
/// (an outer `LIMIT`), as in SQLite, where it used to run until the step guard.
#[test]
fn recursive_ctes_stop_at_an_outer_limit() {
    let inf = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)";
    let fib = "WITH RECURSIVE f(a, b) AS (SELECT 0, 1 UNION ALL SELECT b, a + b FROM f)";
    let queries: Vec<String> = [
        format!("{inf} SELECT x FROM c LIMIT 5"),
        format!("{inf} SELECT x FROM c LIMIT 3 OFFSET 4"),
        format!("{inf} SELECT x * 2 FROM c WHERE x % 3 = 0 LIMIT 4"),
        format!("{inf} SELECT x FROM c LIMIT 0"),
        format!("{fib} SELECT a FROM f LIMIT 12"),
        format!("{inf} SELECT (SELECT count(*) FROM t1 WHERE a <= x) FROM c LIMIT 9"),
        // Finite ones, read twice and joined, and with UNION's duplicate removal.
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4) \
         SELECT p.x, q.x FROM c AS p, c AS q ORDER BY 1, 2"
            .to_string(),
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x % 5 + 1 FROM c) SELECT x FROM c"
            .to_string(),
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 6) \
         SELECT sum(x) FROM c"
            .to_string(),
    ]
    .into();
    let bad = compare(SETUP, &queries);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// An equality seek stands in for its condition (the condition is not checked again on the
/// rows it finds), so it must find exactly the rows the condition keeps: every pair of columns
/// of different affinities and collations is joined, and compared with constants, over values
/// of every type, and each answer must be SQLite's.
#[test]
fn equality_seeks_find_exactly_the_rows_their_conditions_keep() {
    let kinds =
        ["INT", "TEXT", "REAL", "NUMERIC", "BLOB", "", "TEXT COLLATE NOCASE", "TEXT COLLATE RTRIM"];
    let cols: Vec<String> = (0..kinds.len()).map(|i| format!("c{i}")).collect();
    let decl = |t: &str| {
        let defs: Vec<String> =
            cols.iter().zip(kinds).map(|(c, k)| format!("{c} {k}").trim().to_string()).collect();
        format!("CREATE TABLE {t}(id INTEGER PRIMARY KEY, {})", defs.join(", "))
    };
    let mut setup = vec![decl("p"), decl("q")];
    for c in &cols {
        setup.push(format!("CREATE INDEX q_{c} ON q({c})"));
    }
    let values = [
        "NULL",
        "1",
        "1.0",
        "'1'",
        "' 1'",
        "'1.0'",
        "2.5",
        "'2.5'",
        "'abc'",
        "'ABC'",
        "'abc '",
        "x'616263'",
        "x'31'",
        "-0.0",
        "0",
        "'0'",
        "9223372036854775807",
        "'x'",
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EE);
    for t in ["p", "q"] {
        let rows: Vec<String> = (1..=60)
            .map(|id| {
                let vals: Vec<&str> =
                    cols.iter().map(|_| values[rng.gen_range(0..values.len())]).collect();
                format!("({id}, {})", vals.join(", "))
            })
            .collect();
        setup.push(format!("INSERT INTO {t} VALUES {}", rows.join(", ")));
    }
    let mut queries = Vec::new();
    for a in &cols {
        for b in &cols {
            queries.push(format!("SELECT p.id, q.id FROM p JOIN q ON q.{b} = p.{a}"));
            queries.push(format!("SELECT count(*) FROM p, q WHERE p.{a} = q.{b}"));
        }
        for v in values {
            queries.push(format!("SELECT id FROM q WHERE {a} = {v}"));
            queries.push(format!("SELECT id FROM q WHERE {v} = {a} COLLATE NOCASE"));
        }
    }
    // The seeks are used (the test would prove little otherwise).
    let mut c = assert_same_answers(&setup, &queries);
    let plan = c
        .query("EXPLAIN QUERY PLAN SELECT count(*) FROM p JOIN q ON q.c1 = p.c1", &[])
        .expect("explain")
        .rows;
    assert!(
        plan.iter().any(
            |r| matches!(&r[3], Value::Text(s) if s.contains("USING COVERING INDEX q_c1 (c1=?)"))
        ),
        "{plan:?}"
    );
}

/// RIGHT JOIN runs when its left side is one table and it has an ON clause; the other shapes,
/// and FULL OUTER JOIN, are refused with an error that says so (never a wrong answer).
#[test]
fn unsupported_outer_joins_are_clear_errors() {
    let mut c = Connection::open(":memory:").expect("open");
    for s in SETUP {
        c.execute_batch(s).expect("setup");
    }
    for (sql, want) in [
        ("SELECT * FROM t2, t1 RIGHT JOIN t2 AS v ON t1.a = v.x", "RIGHT JOIN is supported only"),
        ("SELECT * FROM t1 JOIN t2 ON 1 RIGHT JOIN t1 AS u ON 1", "RIGHT JOIN is supported only"),
        ("SELECT * FROM t1 RIGHT JOIN t1 AS u USING (a)", "RIGHT JOIN is supported only"),
        ("SELECT * FROM t1 FULL JOIN t2 ON t1.a = t2.x", "FULL OUTER JOIN is not supported"),
    ] {
        let e = c.query(sql, &[]).expect_err(sql).to_string();
        assert!(e.contains(want), "{sql}: {e}");
    }
}

/// SQLite stores a whole REAL in a REAL column as an integer; it reads back as REAL, from the
/// table (scan and rowid seek) and from a covering index, in a file SQLite wrote.
#[test]
fn whole_reals_that_sqlite_stored_as_integers_read_back_as_real() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("reals.db");
    let path = path.to_str().expect("utf-8");
    let sq = rusqlite::Connection::open(path).expect("sqlite open");
    let setup = "CREATE TABLE r(id INTEGER PRIMARY KEY, x REAL, y NUMERIC);
         CREATE INDEX r_x ON r(x);
         INSERT INTO r VALUES (1, 350.0, 2.0), (2, 2.5, 3.5), (3, -7.0, 4.0), (4, NULL, 'a');";
    sq.execute_batch(setup).expect("sqlite write");
    let mut c = Connection::open(path).expect("open");
    for sql in [
        "SELECT id, x, typeof(x), y, typeof(y) FROM r ORDER BY id",
        "SELECT x, typeof(x) FROM r WHERE x > 0 ORDER BY x",
        "SELECT x, typeof(x), y FROM r WHERE id = 3",
        "SELECT x, typeof(x) FROM r WHERE x BETWEEN -10 AND 400 ORDER BY x DESC",
    ] {
        let want = sqlite_rows(&sq, sql).expect(sql);
        assert_eq!(c.query(sql, &[]).expect(sql).rows, want, "{sql}");
    }
    // A row read to be changed (an upsert's existing row): the new values are computed from
    // its REALs. The oracle is a copy
    // in SQLite's memory, since `c` changes the shared file.
    let copy = rusqlite::Connection::open_in_memory().expect("sqlite");
    copy.execute_batch(setup).expect("sqlite copy");
    let change = "INSERT INTO r VALUES (1, 0, 0), (3, 0, 0) \
                  ON CONFLICT (id) DO UPDATE SET y = typeof(x) || ':' || (x / 4)";
    c.execute_batch(change).expect(change);
    copy.execute_batch(change).expect(change);
    let sql = "SELECT id, x, typeof(x), y FROM r ORDER BY id";
    assert_eq!(c.query(sql, &[]).expect(sql).rows, sqlite_rows(&copy, sql).expect(sql), "{change}");
}

/// `INSERT OR FAIL` stops at the row that breaks a constraint but keeps the rows it inserted
/// before it (`OR ABORT` undoes them), in autocommit and inside a transaction, as in SQLite.
#[test]
fn or_fail_keeps_the_rows_changed_before_the_error() {
    let sq = rusqlite::Connection::open_in_memory().expect("sqlite");
    let mut c = Connection::open(":memory:").expect("open");
    let steps = [
        "CREATE TABLE f(a INTEGER PRIMARY KEY, b UNIQUE, c NOT NULL CHECK (c <> 'bad'))",
        "INSERT INTO f VALUES (1, 10, 'x')",
        "INSERT OR FAIL INTO f VALUES (2, 20, 'y'), (3, 10, 'z'), (4, 40, 'w')",
        "INSERT OR ABORT INTO f VALUES (5, 50, 'y'), (6, 10, 'z')",
        "INSERT OR FAIL INTO f VALUES (7, 70, 'y'), (8, 80, NULL), (9, 90, 'w')",
        "INSERT OR FAIL INTO f SELECT a + 100, b + 1, CASE WHEN a = 7 THEN 'bad' ELSE c END FROM f",
        "UPDATE OR ABORT f SET b = 31 WHERE a >= 1",
        "BEGIN",
        "INSERT OR FAIL INTO f VALUES (10, 100, 'y'), (11, 100, 'z')",
        "INSERT OR FAIL INTO f SELECT a + 1000, b + 1000, c FROM f WHERE a > 100 UNION ALL SELECT 7, 0, 'q'",
        "COMMIT",
    ];
    for sql in steps {
        step_both(&mut c, &sq, sql);
        let q = "SELECT a, b, c FROM f ORDER BY a";
        assert_eq!(c.query(q, &[]).expect(q).rows, sqlite_rows(&sq, q).expect(q), "after {sql}");
    }
}

/// `UPDATE OR FAIL` stops at the row that breaks a UNIQUE (one or more columns), NOT NULL,
/// CHECK or primary key constraint but keeps the rows it updated before it, and leaves the
/// failing row and its index entries as they were; a foreign key error still undoes the
/// statement. In autocommit and inside a transaction, with triggers, as in SQLite: after each
/// statement every table and `PRAGMA integrity_check` match, and, outside the transaction,
/// SQLite finds the file embedlite wrote sound.
#[test]
fn update_or_fail_keeps_the_rows_updated_before_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fail.db");
    let p = path.to_str().expect("utf-8");
    let sq = rusqlite::Connection::open_in_memory().expect("sqlite");
    let mut c = Connection::open(p).expect("open");
    let setup = [
        "PRAGMA foreign_keys = ON",
        "CREATE TABLE u(id INTEGER PRIMARY KEY, a INT UNIQUE, b TEXT, c INT, d INT, UNIQUE (c, d))",
        "CREATE INDEX ub ON u(b)",
        "INSERT INTO u VALUES (1, 10, 'r1', 1, 1), (2, 20, 'r2', 1, 2), (3, 30, 'r3', 2, 1), \
         (4, 40, 'r4', 2, 2), (5, 50, 'r5', 3, 1)",
        "CREATE TABLE n(id INTEGER PRIMARY KEY, v TEXT NOT NULL, w INT CHECK (w < 100))",
        "CREATE INDEX nvw ON n(v, w)",
        "INSERT INTO n VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', 50), (4, 'd', 80)",
        "CREATE TABLE k(k INTEGER PRIMARY KEY, x TEXT UNIQUE)",
        "INSERT INTO k VALUES (1, 'p'), (2, 'q'), (3, 's'), (12, 't')",
        "CREATE TABLE wr(p TEXT, q INT, r TEXT UNIQUE, PRIMARY KEY (p, q)) WITHOUT ROWID",
        "INSERT INTO wr VALUES ('a', 1, 'x1'), ('a', 2, 'x2'), ('b', 1, 'x3'), ('c', 1, 'x4')",
        "CREATE TABLE log(what TEXT, id INT, val)",
        "CREATE TABLE g(id INTEGER PRIMARY KEY, a INT UNIQUE)",
        "INSERT INTO g VALUES (1, 1), (2, 2), (3, 3), (4, 4)",
        "CREATE TRIGGER gb BEFORE UPDATE ON g BEGIN INSERT INTO log VALUES ('before', old.id, new.a); END",
        "CREATE TRIGGER ga AFTER UPDATE ON g BEGIN INSERT INTO log VALUES ('after', old.id, new.a); END",
        "CREATE TABLE parent(id INTEGER PRIMARY KEY)",
        "INSERT INTO parent VALUES (1), (2)",
        "CREATE TABLE child(id INTEGER PRIMARY KEY, pid INT REFERENCES parent, n INT UNIQUE)",
        "INSERT INTO child VALUES (1, 1, 1), (2, 1, 2), (3, 2, 3)",
    ];
    let steps = [
        // UNIQUE on one column: the first, a middle and the last row.
        "UPDATE OR FAIL u SET a = a + 10, b = b || '!'",
        "UPDATE OR FAIL u SET a = CASE id WHEN 3 THEN 21 ELSE a + 1 END, b = b || '?'",
        "UPDATE OR FAIL u SET a = CASE id WHEN 5 THEN 121 ELSE a + 100 END, b = b || '#'",
        // UNIQUE on two columns.
        "UPDATE OR FAIL u SET b = b || '+', c = CASE WHEN id = 5 THEN 1 ELSE c END",
        "UPDATE OR FAIL u SET d = d + 1, b = upper(b)",
        "UPDATE OR FAIL u SET d = d + 10 WHERE b LIKE '%#%'",
        // NOT NULL and CHECK.
        "UPDATE OR FAIL n SET v = CASE WHEN id = 3 THEN NULL ELSE v || '+' END, w = w + 1",
        "UPDATE OR FAIL n SET v = NULL",
        "UPDATE OR FAIL n SET w = w * 10",
        "UPDATE OR FAIL n SET w = w + 20, v = v || '*'",
        // INTEGER PRIMARY KEY.
        "UPDATE OR FAIL k SET k = k + 1",
        "UPDATE OR FAIL k SET k = k + 10, x = x || 'y'",
        "UPDATE OR FAIL k SET x = CASE k WHEN 12 THEN 'qz' ELSE x || 'z' END",
        // WITHOUT ROWID: its primary key and a UNIQUE column.
        "UPDATE OR FAIL wr SET q = q + 1, r = r || '.'",
        "UPDATE OR FAIL wr SET r = CASE p WHEN 'b' THEN 'x1-' ELSE r || '-' END",
        "UPDATE OR FAIL wr SET p = 'b', r = r || ':' WHERE q = 1",
        // Triggers: their changes for the rows before the error stay.
        "UPDATE OR FAIL g SET a = CASE id WHEN 3 THEN 12 ELSE a + 10 END",
        "UPDATE OR FAIL g SET a = CASE id WHEN 4 THEN 103 ELSE a + 100 END",
        // A foreign key error undoes the statement; OR ABORT undoes it too.
        "UPDATE OR FAIL child SET n = n + 10, pid = CASE id WHEN 2 THEN 7 ELSE pid END",
        "UPDATE OR ABORT u SET a = CASE id WHEN 4 THEN 112 ELSE a + 1 END",
        "UPDATE OR FAIL child SET n = CASE id WHEN 2 THEN 13 ELSE n + 10 END",
        // Inside a transaction.
        "BEGIN",
        "UPDATE u SET b = 'tx' || b",
        "UPDATE OR FAIL u SET a = CASE id WHEN 2 THEN 1000 + (SELECT min(a) FROM u) ELSE a + 1000 END",
        "UPDATE OR FAIL n SET w = w - 1, v = CASE id WHEN 4 THEN NULL ELSE v END",
        "UPDATE OR FAIL k SET k = CASE k WHEN 11 THEN 2 ELSE k - 1 END, x = x || '!'",
        "UPDATE OR FAIL wr SET r = CASE WHEN p = 'c' THEN 'x1-~' ELSE r || '~' END",
        "UPDATE OR FAIL g SET a = CASE id WHEN 4 THEN 211 ELSE a + 100 END",
        "UPDATE OR ABORT u SET a = CASE id WHEN 5 THEN 1112 ELSE a + 1 END",
        "COMMIT",
    ];
    for sql in setup {
        sq.execute_batch(sql).expect(sql);
        c.execute_batch(sql).expect(sql);
    }
    let tables = [
        "SELECT * FROM u ORDER BY id",
        "SELECT * FROM n ORDER BY id",
        "SELECT * FROM k ORDER BY k",
        "SELECT * FROM wr ORDER BY p, q",
        "SELECT * FROM log ORDER BY rowid",
        "SELECT * FROM g ORDER BY id",
        "SELECT * FROM child ORDER BY id",
        // Through the indexes.
        "SELECT id, a FROM u WHERE a > 0 ORDER BY a",
        "SELECT id, b FROM u WHERE b > '' ORDER BY b",
        "SELECT id, c, d FROM u WHERE c > 0 ORDER BY c, d",
        "SELECT id, v, w FROM n WHERE v > '' ORDER BY v, w",
        "SELECT k, x FROM k WHERE x > '' ORDER BY x",
        "SELECT p, q, r FROM wr WHERE r > '' ORDER BY r",
        "PRAGMA integrity_check",
    ];
    let mut failed = 0;
    let mut in_txn = false;
    for sql in steps {
        if step_both(&mut c, &sq, sql) {
            failed += 1;
        }
        for q in tables {
            assert_eq!(
                c.query(q, &[]).expect(q).rows,
                sqlite_rows(&sq, q).expect(q),
                "after {sql}"
            );
        }
        in_txn = match sql {
            "BEGIN" => true,
            "COMMIT" => false,
            _ => in_txn,
        };
        if !in_txn {
            let s = rusqlite::Connection::open(&path).expect("sqlite open");
            let ok: String =
                s.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
            assert_eq!(ok, "ok", "after {sql}");
        }
    }
    assert!(failed >= 26, "only {failed} statements failed");
}
