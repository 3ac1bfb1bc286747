//! Differential tests of window functions against real SQLite (rusqlite, bundled): ranking,
//! value and aggregate window functions, default and explicit frames, named windows, windows
//! over grouped queries, and the errors SQLite gives for misuse. A query's rows are compared in
//! order when the query ends with its own ORDER BY (not one inside an OVER clause), else as
//! multisets.

mod oracle;

use embedlite::{Connection, Value};
use oracle::sqlite_rows;

/// Whether the query's own ORDER BY decides the row order: its last ORDER BY is not inside
/// parentheses (an OVER clause or a subquery).
fn ordered(q: &str) -> bool {
    let up = q.to_ascii_uppercase();
    up.rfind("ORDER BY").is_some_and(|at| !up[at..].contains(')'))
}

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

const SETUP: &[&str] = &[
    "CREATE TABLE emp(id INTEGER PRIMARY KEY, dept TEXT, name TEXT COLLATE NOCASE, salary INT, bonus REAL)",
    "INSERT INTO emp VALUES
        (1, 'eng', 'ann', 100, 1.5), (2, 'eng', 'Bob', 120, NULL), (3, 'eng', 'cid', 100, 2.25),
        (4, 'eng', 'dee', NULL, 0.5), (5, 'ops', 'Eve', 90, 1.0), (6, 'ops', 'fay', 90, 3.0),
        (7, 'ops', 'gus', 95, NULL), (8, 'sales', 'hal', 70, 4.5), (9, 'sales', 'ivy', 130, 0.25),
        (10, 'sales', 'jon', 70, 1.25), (11, 'sales', 'kim', 130, NULL), (12, NULL, 'lee', 80, 2.0),
        (13, NULL, 'Mo', NULL, NULL), (14, 'eng', 'ned', 120, 5.5)",
    "CREATE TABLE nums(k INTEGER PRIMARY KEY, g INT, v)",
    "INSERT INTO nums VALUES (1, 1, 3), (2, 1, 1.5), (3, 1, NULL), (4, 1, '7'), (5, 2, 10),
        (6, 2, -2), (7, 2, 10), (8, 3, NULL), (9, 3, 'x'), (10, 2, 4), (11, 1, 2), (12, 3, 6)",
    "CREATE TABLE empty(a, b)",
    "CREATE TABLE big(x INTEGER PRIMARY KEY)",
    "INSERT INTO big WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) SELECT i * 7 % 3001 FROM c",
];

const QUERIES: &[&str] = &[
    // Ranking functions.
    "SELECT id, row_number() OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, row_number() OVER (PARTITION BY dept ORDER BY salary, id) FROM emp ORDER BY id",
    "SELECT id, rank() OVER (ORDER BY salary) FROM emp ORDER BY id",
    "SELECT id, rank() OVER (PARTITION BY dept ORDER BY salary DESC) FROM emp ORDER BY id",
    "SELECT id, dense_rank() OVER (PARTITION BY dept ORDER BY salary) FROM emp ORDER BY id",
    "SELECT id, dense_rank() OVER (ORDER BY salary DESC NULLS FIRST) FROM emp ORDER BY id",
    "SELECT id, percent_rank() OVER (PARTITION BY dept ORDER BY salary) FROM emp ORDER BY id",
    "SELECT id, cume_dist() OVER (PARTITION BY dept ORDER BY salary) FROM emp ORDER BY id",
    "SELECT id, percent_rank() OVER (), cume_dist() OVER (), rank() OVER () FROM emp ORDER BY id",
    "SELECT id, ntile(3) OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, ntile(4) OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, ntile(20) OVER (ORDER BY id), ntile('2') OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT name, rank() OVER (ORDER BY name) FROM emp ORDER BY id",
    "SELECT id, row_number() OVER (ORDER BY name COLLATE BINARY) FROM emp ORDER BY id",
    "SELECT id, rank() OVER (PARTITION BY upper(name) < 'F' ORDER BY bonus) FROM emp ORDER BY id",
    // lag and lead.
    "SELECT id, lag(salary) OVER (ORDER BY id), lead(salary) OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, lag(salary, 2) OVER (PARTITION BY dept ORDER BY id), lead(name, 2, 'none') OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, lag(id, 0) OVER (ORDER BY id), lag(id, -1) OVER (ORDER BY id), lead(id, -2, 0) OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, lag(id, NULL, 99) OVER (ORDER BY id), lag(id, '1') OVER (ORDER BY id), lag(id, 1.0) OVER (ORDER BY id), lag(id, 1.5, -1) OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, lead(bonus, 1, salary) OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    // first_value, last_value, nth_value.
    "SELECT id, first_value(name) OVER (PARTITION BY dept ORDER BY salary, id) FROM emp ORDER BY id",
    "SELECT id, last_value(name) OVER (PARTITION BY dept ORDER BY salary) FROM emp ORDER BY id",
    "SELECT id, last_value(id) OVER (PARTITION BY dept ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, nth_value(name, 2) OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, nth_value(id, 3) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 3 FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, first_value(id) OVER w, last_value(id) OVER w FROM emp WINDOW w AS (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) ORDER BY id",
    // Aggregates with the default frame.
    "SELECT id, sum(salary) OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, sum(salary) OVER (ORDER BY salary) FROM emp ORDER BY id",
    "SELECT id, count(*) OVER (PARTITION BY dept), count(salary) OVER (PARTITION BY dept) FROM emp ORDER BY id",
    "SELECT id, total(bonus) OVER (PARTITION BY dept ORDER BY bonus), avg(bonus) OVER (PARTITION BY dept ORDER BY bonus) FROM emp ORDER BY id",
    "SELECT id, min(name) OVER (ORDER BY id), max(name) OVER (ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, min(salary) OVER (PARTITION BY dept ORDER BY id DESC), max(bonus) OVER (PARTITION BY dept) FROM emp ORDER BY id",
    "SELECT id, group_concat(name) OVER (PARTITION BY dept ORDER BY id), group_concat(name, '|') OVER (ORDER BY salary, id) FROM emp ORDER BY id",
    "SELECT id, json_group_array(salary) OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, json_group_object(name, salary) OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    "SELECT k, sum(v) OVER (PARTITION BY g ORDER BY k), avg(v) OVER (PARTITION BY g), count(v) OVER () FROM nums ORDER BY k",
    "SELECT k, count() OVER (ORDER BY v), sum(k) FILTER (WHERE v > 2) OVER (ORDER BY k) FROM nums ORDER BY k",
    "SELECT id, count(*) OVER (ORDER BY dept), sum(salary) OVER (ORDER BY dept DESC NULLS LAST) FROM emp ORDER BY id",
    // Explicit frames.
    "SELECT id, sum(salary) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, sum(salary) OVER (PARTITION BY dept ORDER BY id ROWS 2 PRECEDING) FROM emp ORDER BY id",
    "SELECT id, count(*) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, group_concat(id) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) FROM emp ORDER BY id",
    "SELECT id, group_concat(id) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 2 FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, sum(id) OVER (PARTITION BY dept ORDER BY id ROWS UNBOUNDED PRECEDING) FROM emp ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY salary RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, sum(id) OVER (ORDER BY salary RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM emp ORDER BY id",
    "SELECT id, count(*) OVER (ORDER BY salary RANGE CURRENT ROW), min(id) OVER (ORDER BY salary RANGE BETWEEN CURRENT ROW AND CURRENT ROW) FROM emp ORDER BY id",
    "SELECT id, max(bonus) OVER (PARTITION BY dept ORDER BY salary ROWS BETWEEN CURRENT ROW AND CURRENT ROW) FROM emp ORDER BY id",
    "SELECT id, avg(salary) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 PRECEDING) FROM emp ORDER BY id",
    "SELECT id, sum(salary) OVER (ORDER BY id ROWS BETWEEN 100 PRECEDING AND 100 FOLLOWING) FROM emp ORDER BY id",
    "SELECT k, total(v) OVER (ORDER BY k ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), count(v) OVER (ORDER BY k ROWS 0 PRECEDING) FROM nums ORDER BY k",
    // Named windows.
    "SELECT id, rank() OVER w, sum(salary) OVER w FROM emp WINDOW w AS (PARTITION BY dept ORDER BY salary) ORDER BY id",
    "SELECT id, sum(salary) OVER (w ORDER BY id) FROM emp WINDOW w AS (PARTITION BY dept) ORDER BY id",
    "SELECT id, sum(salary) OVER (w ROWS 1 PRECEDING) FROM emp WINDOW w AS (ORDER BY id) ORDER BY id",
    "SELECT id, count(*) OVER w2 FROM emp WINDOW w1 AS (ORDER BY salary), w2 AS (PARTITION BY dept) ORDER BY id",
    // Grouped queries.
    "SELECT dept, sum(salary), rank() OVER (ORDER BY sum(salary) DESC) FROM emp GROUP BY dept ORDER BY dept",
    "SELECT dept, count(*), sum(count(*)) OVER (ORDER BY dept) FROM emp GROUP BY dept ORDER BY dept",
    "SELECT dept, max(salary), row_number() OVER (ORDER BY max(salary), dept) FROM emp GROUP BY dept HAVING count(*) > 2 ORDER BY 1",
    "SELECT g, sum(v), lag(sum(v)) OVER (ORDER BY g), avg(count(v)) OVER () FROM nums GROUP BY g ORDER BY g",
    "SELECT count(*), row_number() OVER () FROM emp",
    "SELECT count(*), sum(count(*)) OVER () FROM empty",
    "SELECT dept, salary, dense_rank() OVER (PARTITION BY dept ORDER BY salary) FROM emp GROUP BY dept, salary ORDER BY dept, salary",
    // Windows with ORDER BY, LIMIT, DISTINCT, subqueries and expressions.
    "SELECT id FROM emp ORDER BY row_number() OVER (ORDER BY salary DESC, id) LIMIT 5",
    "SELECT id, rank() OVER (ORDER BY salary) AS r FROM emp ORDER BY r, id LIMIT 4 OFFSET 2",
    "SELECT DISTINCT dept, count(*) OVER (PARTITION BY dept) FROM emp",
    "SELECT id, salary - avg(salary) OVER (PARTITION BY dept), 100 * salary / sum(salary) OVER () FROM emp ORDER BY id",
    "SELECT * FROM (SELECT id, dept, row_number() OVER (PARTITION BY dept ORDER BY salary DESC, id) AS rn FROM emp) WHERE rn <= 2 ORDER BY dept, rn",
    "SELECT id, (SELECT count(*) FROM emp e2 WHERE e2.dept = emp.dept) - row_number() OVER (PARTITION BY dept ORDER BY id) FROM emp ORDER BY id",
    "SELECT id, row_number() OVER (ORDER BY id) FROM emp WHERE salary > 90 ORDER BY id",
    "SELECT e.id, n.k, rank() OVER (PARTITION BY e.dept ORDER BY n.v) FROM emp e JOIN nums n ON n.k = e.id ORDER BY 1",
    "SELECT a, row_number() OVER () FROM empty",
    "SELECT id, row_number() OVER (ORDER BY id) FROM emp UNION ALL SELECT k, rank() OVER (ORDER BY g) FROM nums",
    "SELECT id, sum(salary) OVER (ORDER BY dept, salary), rank() OVER (ORDER BY id DESC) FROM emp",
    "SELECT id, rank() OVER (ORDER BY id DESC), sum(salary) OVER (PARTITION BY dept ORDER BY id) FROM emp",
    "SELECT salary AS s, rank() OVER (ORDER BY salary) AS r FROM emp ORDER BY r + 0, s DESC, id",
    "SELECT id, CASE WHEN row_number() OVER (ORDER BY id) % 2 = 0 THEN 'even' ELSE coalesce(lag(name) OVER (ORDER BY id), '-') END FROM emp ORDER BY id",
    "WITH r AS (SELECT dept, salary, rank() OVER (PARTITION BY dept ORDER BY salary DESC) AS rk FROM emp) SELECT dept, group_concat(salary) FROM r WHERE rk = 1 GROUP BY dept ORDER BY dept",
    "SELECT x, sum(x) OVER (ORDER BY x / 100), count(*) OVER (ORDER BY x % 7 ROWS BETWEEN 3 PRECEDING AND 3 FOLLOWING), lag(x, 50) OVER (ORDER BY x) FROM big ORDER BY x",
    "SELECT x % 10, max(x), rank() OVER (ORDER BY max(x) % 13, x % 10), sum(sum(x)) OVER (ORDER BY x % 10 ROWS 2 PRECEDING) FROM big GROUP BY x % 10 ORDER BY 1",
];

const ERRORS: &[&str] = &[
    "SELECT row_number() FROM emp",
    "SELECT id FROM emp WHERE row_number() OVER () > 1",
    "SELECT id FROM emp WHERE sum(salary) OVER () > 1",
    "SELECT sum(row_number() OVER ()) FROM emp",
    "SELECT sum(rank() OVER ()) OVER () FROM emp",
    "SELECT id FROM emp GROUP BY row_number() OVER ()",
    "SELECT dept FROM emp GROUP BY dept HAVING rank() OVER () > 0",
    "SELECT abs(id) OVER () FROM emp",
    "SELECT nosuch(id) OVER () FROM emp",
    "SELECT row_number(id) OVER () FROM emp",
    "SELECT lag() OVER () FROM emp",
    "SELECT ntile(0) OVER () FROM emp",
    "SELECT ntile('x') OVER () FROM emp",
    "SELECT nth_value(id, 0) OVER () FROM emp",
    "SELECT count(DISTINCT dept) OVER () FROM emp",
    "SELECT rank() FILTER (WHERE id > 1) OVER () FROM emp",
    "SELECT sum(id) OVER (ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM emp",
    "SELECT sum(id) OVER (ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM emp",
    "SELECT sum(id) OVER (ROWS BETWEEN 1.5 PRECEDING AND CURRENT ROW) FROM emp",
    "SELECT sum(id) OVER (ROWS BETWEEN CURRENT ROW AND -2 FOLLOWING) FROM emp",
    "SELECT sum(id) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM emp",
    "SELECT sum(id) OVER (ORDER BY id, dept RANGE 1 PRECEDING) FROM emp",
    "SELECT sum(id) OVER (ORDER BY id ROWS salary PRECEDING) FROM emp",
    "SELECT sum(id) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND NULL FOLLOWING) FROM emp",
    "SELECT sum(id) OVER w FROM emp",
    "SELECT sum(id) OVER (w PARTITION BY dept) FROM emp WINDOW w AS (ORDER BY id)",
    "SELECT sum(id) OVER (w ORDER BY dept) FROM emp WINDOW w AS (ORDER BY id)",
    "SELECT sum(id) OVER (w) FROM emp WINDOW w AS (ORDER BY id ROWS 1 PRECEDING)",
    "SELECT id, rank() OVER (ORDER BY id) AS r FROM emp WHERE r > 2",
    "SELECT sum(v) OVER (ORDER BY k) FROM nums WHERE 0 UNION SELECT row_number() FROM nums",
];

#[test]
fn window_queries_match_sqlite() {
    let mut ours = Connection::open(":memory:").expect("open");
    let theirs = rusqlite::Connection::open_in_memory().expect("open");
    for s in SETUP {
        theirs.execute_batch(s).expect("sqlite setup");
        ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite setup {s:?}: {e}"));
    }
    let mut bad = Vec::new();
    for q in QUERIES {
        let want = sqlite_rows(&theirs, q);
        let got = ours.query(q, &[]).map(|r| r.rows).map_err(|e| e.to_string());
        match (&want, &got) {
            (Ok(w), Ok(g)) if same(w, g, ordered(q)) => {}
            _ => bad.push(format!("{q}\n  sqlite:    {want:?}\n  embedlite: {got:?}")),
        }
    }
    // SQLite's messages go on with the statement and offset ("... in SELECT ... at offset 7").
    for q in ERRORS {
        let want = sqlite_rows(&theirs, q);
        let got = ours.query(q, &[]).map(|r| r.rows).map_err(|e| e.to_string());
        match (&want, &got) {
            (Err(w), Err(g)) if w.starts_with(g.as_str()) => {}
            _ => bad.push(format!("{q} should fail\n  sqlite:    {want:?}\n  embedlite: {got:?}")),
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        QUERIES.len() + ERRORS.len(),
        bad.join("\n")
    );
}

#[test]
fn insert_from_a_windowed_select_matches_sqlite() {
    let mut ours = Connection::open(":memory:").expect("open");
    let theirs = rusqlite::Connection::open_in_memory().expect("open");
    let script = [
        SETUP[0],
        SETUP[1],
        "CREATE TABLE ranked(id, r, running)",
        "INSERT INTO ranked SELECT id, dense_rank() OVER (PARTITION BY dept ORDER BY salary), \
         sum(salary) OVER (ORDER BY id ROWS 1 PRECEDING) FROM emp",
        "UPDATE ranked SET r = r * 10 WHERE id IN (SELECT id FROM (SELECT id, row_number() \
         OVER (ORDER BY salary DESC, id) AS n FROM emp) WHERE n <= 3)",
    ];
    for s in script {
        theirs.execute_batch(s).expect("sqlite");
        ours.execute_batch(s).unwrap_or_else(|e| panic!("embedlite {s:?}: {e}"));
    }
    let q = "SELECT * FROM ranked ORDER BY id";
    let want = sqlite_rows(&theirs, q).expect("sqlite");
    let got = ours.query(q, &[]).expect("embedlite").rows;
    assert!(same(&want, &got, true), "sqlite: {want:?}\nembedlite: {got:?}");
}

/// What embedlite leaves out, SQLite supports: GROUPS frames, RANGE frames with offsets, and
/// EXCLUDE. They fail with an error rather than giving a wrong answer.
#[test]
fn unsupported_frames_fail_clearly() {
    let mut ours = Connection::open(":memory:").expect("open");
    ours.execute_batch(SETUP[0]).expect("setup");
    ours.execute_batch(SETUP[1]).expect("setup");
    for (q, msg) in [
        ("SELECT sum(id) OVER (ORDER BY id GROUPS 1 PRECEDING) FROM emp", "GROUPS"),
        (
            "SELECT sum(id) OVER (ORDER BY id RANGE 1 PRECEDING) FROM emp",
            "RANGE frames with an offset",
        ),
        ("SELECT sum(id) OVER (ORDER BY id ROWS 1 PRECEDING EXCLUDE CURRENT ROW) FROM emp", ""),
    ] {
        let e = ours.query(q, &[]).expect_err(q).to_string();
        assert!(e.contains(msg), "{q}: {e}");
    }
}
