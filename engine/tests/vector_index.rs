//! The vector index through SQL: libSQL's surface (`libsql_vector_idx`, `vector_top_k`), the
//! planner's use of the index for `ORDER BY vector_distance_xxx(...) LIMIT k`, filtered search,
//! transactions, crashes, and files that real SQLite opens and changes.
//!
//! Random data is seeded; each test prints its seed and sizes on failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use embedlite::storage::io::{SimConfig, SimIo};
use embedlite::storage::OpenOptions;
use embedlite::{Connection, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn blob(v: &[f32]) -> Value {
    Value::Blob(v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

fn ints(conn: &mut Connection, sql: &str, params: &[Value]) -> Vec<i64> {
    let r = conn.query(sql, params).unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows
        .iter()
        .map(|row| match row[0] {
            Value::Integer(i) => i,
            ref other => panic!("{sql}: not an integer: {other:?}"),
        })
        .collect()
}

/// Clustered vectors: graphs matter on them, as on real embeddings.
fn clustered(rng: &mut ChaCha8Rng, n: usize, dims: usize) -> Vec<Vec<f32>> {
    let centers: Vec<Vec<f32>> =
        (0..16).map(|_| (0..dims).map(|_| rng.gen_range(-1.0..1.0)).collect()).collect();
    (0..n)
        .map(|_| {
            let c = &centers[rng.gen_range(0..centers.len())];
            c.iter().map(|x| x + rng.gen_range(-0.3..0.3)).collect()
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    1.0 - ab / (aa * bb).sqrt()
}

fn exact(
    model: &BTreeMap<i64, Vec<f32>>,
    q: &[f32],
    k: usize,
    keep: impl Fn(i64) -> bool,
) -> Vec<i64> {
    let mut d: Vec<(f64, i64)> =
        model.iter().filter(|(id, _)| keep(**id)).map(|(id, v)| (cosine(v, q), *id)).collect();
    d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    d.into_iter().take(k).map(|(_, id)| id).collect()
}

fn recall(got: &[i64], want: &[i64]) -> f64 {
    if want.is_empty() {
        return 1.0;
    }
    got.iter().filter(|g| want.contains(g)).count() as f64 / want.len() as f64
}

#[test]
fn libsql_surface() {
    let mut c = Connection::open(":memory:").expect("open");
    c.execute_batch(
        "CREATE TABLE movies (title TEXT, year INT, emb F32_BLOB(3));
         INSERT INTO movies VALUES ('Napoleon', 2023, vector('[1,2,3]')),
           ('Black Hawk Down', 2001, vector('[10,11,12]')), ('Gladiator', 2000, vector('[7,8,9]')),
           ('Blade Runner', 1982, vector('[4,5,6]')), ('Unknown', 1990, NULL);
         CREATE INDEX movies_idx ON movies (libsql_vector_idx(emb, 'metric=cosine'));",
    )
    .expect("setup");
    // Backfill on create; NULL vectors are not indexed; results come with their distance.
    let r = c
        .query(
            "SELECT title, distance FROM vector_top_k('movies_idx', vector('[4,5,6]'), 10) \
             JOIN movies ON movies.rowid = id",
            &[],
        )
        .expect("top k");
    let titles: Vec<_> = r.rows.iter().map(|row| row[0].clone()).collect();
    assert_eq!(titles.len(), 4, "{titles:?}");
    assert_eq!(titles[0], Value::Text("Blade Runner".into()));
    assert!(matches!(r.rows[0][1], Value::Real(d) if d.abs() < 1e-6));
    // A NULL vector set later is indexed then.
    c.execute("UPDATE movies SET emb = vector('[4,5,6.5]') WHERE title = 'Unknown'", &[])
        .expect("set");
    assert_eq!(
        ints(&mut c, "SELECT count(*) FROM vector_top_k('movies_idx', '[4,5,6]', 10)", &[]),
        [5]
    );
    // Parameters are numbered in the order of the text, whatever order they are bound in.
    let r = c
        .query(
            "SELECT title FROM movies NOT INDEXED ORDER BY vector_distance_cos(emb, ?) LIMIT ?",
            &[Value::Text("[4,5,6]".into()), Value::Integer(1)],
        )
        .expect("exact with parameters");
    assert_eq!(r.rows, vec![vec![Value::Text("Blade Runner".into())]]);
    // The exact scan (no index for l2) computes the same distances, and reports the same
    // errors, as the plain query.
    let plain = c
        .query("SELECT title, vector_distance_l2(emb, '[4,5,6]') AS d FROM movies ORDER BY d", &[])
        .expect("plain");
    let fast = c
        .query(
            "SELECT title, vector_distance_l2(emb, '[4,5,6]') AS d FROM movies ORDER BY d LIMIT 3",
            &[],
        )
        .expect("fast");
    assert_eq!(fast.rows, plain.rows[..3]);
    c.execute("INSERT INTO movies VALUES ('Null', 2024, NULL)", &[]).expect("null row");
    for sql in [
        "SELECT title FROM movies ORDER BY vector_distance_l2(emb, '[4,5,6]')",
        "SELECT title FROM movies ORDER BY vector_distance_l2(emb, '[4,5,6]') LIMIT 2",
    ] {
        let e = c.query(sql, &[]).expect_err("NULL is not a vector");
        assert!(e.to_string().contains("got NULL"), "{sql}: {e}");
    }
    c.execute("DELETE FROM movies WHERE title = 'Null'", &[]).expect("delete");
    // k and the optional search width.
    assert_eq!(
        ints(&mut c, "SELECT id FROM vector_top_k('movies_idx', '[4,5,6]', 2, 100)", &[]).len(),
        2
    );
    assert!(ints(&mut c, "SELECT id FROM vector_top_k('movies_idx', '[4,5,6]', 0)", &[]).is_empty());
    // Errors: wrong dimensions (naming both), unknown index, wrong typed value.
    let e = c.query("SELECT * FROM vector_top_k('movies_idx', '[4,5]', 3)", &[]).expect_err("dims");
    assert!(e.to_string().contains("expected a vector of 3 dimensions, got 2"), "{e}");
    let e = c.query("SELECT * FROM vector_top_k('nope', '[4,5,6]', 3)", &[]).expect_err("index");
    assert!(e.to_string().contains("no such vector index"), "{e}");
    let e =
        c.execute("INSERT INTO movies VALUES ('x', 1, vector('[1,2]'))", &[]).expect_err("dims");
    assert!(e.to_string().contains("3 dimensions"), "{e}");
    let e = c
        .execute("CREATE INDEX bad ON movies (libsql_vector_idx(title))", &[])
        .expect_err("not a vector column");
    assert!(e.to_string().contains("vector type"), "{e}");
    let e = c
        .execute("CREATE INDEX bad ON movies (libsql_vector_idx(emb, 'metric=nope'))", &[])
        .expect_err("bad option");
    assert!(e.to_string().contains("metric"), "{e}");
}

#[test]
fn ties_break_by_rowid() {
    let mut c = Connection::open(":memory:").expect("open");
    c.execute_batch("CREATE TABLE t (emb F32_BLOB(2)); CREATE INDEX i ON t (libsql_vector_idx(emb, 'metric=l2'));")
        .expect("setup");
    for _ in 0..20 {
        c.execute("INSERT INTO t VALUES (vector('[1,1]'))", &[]).expect("insert");
    }
    let ids = ints(&mut c, "SELECT id FROM vector_top_k('i', '[1,1]', 5, 100)", &[]);
    assert_eq!(ids, [1, 2, 3, 4, 5]);
}

#[test]
fn partial_index_and_several_indexes() {
    let mut c = Connection::open(":memory:").expect("open");
    c.execute_batch(
        "CREATE TABLE t (kind TEXT, a F32_BLOB(2), b F32_BLOB(2));
         CREATE INDEX ia ON t (libsql_vector_idx(a)) WHERE kind = 'x';
         CREATE INDEX ib ON t (libsql_vector_idx(b, 'metric=l2'));",
    )
    .expect("setup");
    for i in 0..40 {
        let kind = if i % 2 == 0 { "x" } else { "y" };
        c.execute(
            "INSERT INTO t VALUES (?, ?, ?)",
            &[Value::Text(kind.into()), blob(&[1.0, i as f32]), blob(&[i as f32, 0.0])],
        )
        .expect("insert");
    }
    let ids = ints(&mut c, "SELECT id FROM vector_top_k('ia', '[1,1]', 100, 200)", &[]);
    assert_eq!(ids.len(), 20);
    assert!(ids.iter().all(|id| id % 2 == 1), "only kind 'x' rows (odd rowids): {ids:?}");
    c.execute("UPDATE t SET kind = 'y' WHERE rowid = 1", &[]).expect("update");
    let ids = ints(&mut c, "SELECT id FROM vector_top_k('ia', '[1,1]', 100, 200)", &[]);
    assert_eq!(ids.len(), 19);
    let ids = ints(&mut c, "SELECT id FROM vector_top_k('ib', '[3,0]', 1)", &[]);
    assert_eq!(ids, [4]);
}

#[test]
fn planner_uses_the_index_for_order_by_distance() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (n, dims) = (3000, 16);
    let data = clustered(&mut rng, n, dims);
    let mut c = Connection::open(":memory:").expect("open");
    c.execute_batch("CREATE TABLE t (cat INTEGER, meta TEXT, emb F32_BLOB(16))").expect("create");
    c.execute("BEGIN", &[]).expect("begin");
    let mut model = BTreeMap::new();
    for (i, v) in data.iter().enumerate() {
        let id = i as i64 + 1;
        let cat = (i % 100) as i64;
        let meta = format!("{{\"user\":\"u{}\"}}", i % 10);
        c.execute(
            "INSERT INTO t (rowid, cat, meta, emb) VALUES (?, ?, ?, ?)",
            &[Value::Integer(id), Value::Integer(cat), Value::Text(meta), blob(v)],
        )
        .expect("insert");
        model.insert(id, v.clone());
    }
    c.execute("COMMIT", &[]).expect("commit");
    c.execute("CREATE INDEX i ON t (libsql_vector_idx(emb, 'metric=cosine'))", &[]).expect("index");
    let queries = clustered(&mut rng, 30, dims);
    let (mut r_all, mut r_10, mut r_1) = (0.0, 0.0, 0.0);
    for q in &queries {
        let p = [blob(q)];
        let got =
            ints(&mut c, "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT 10", &p);
        r_all += recall(&got, &exact(&model, q, 10, |_| true));
        let got = ints(
            &mut c,
            "SELECT rowid FROM t WHERE json_extract(meta, '$.user') = 'u3' \
             ORDER BY vector_distance_cos(emb, ?) LIMIT 10",
            &p,
        );
        r_10 += recall(&got, &exact(&model, q, 10, |id| (id - 1) % 10 == 3));
        let got = ints(
            &mut c,
            "SELECT rowid FROM t WHERE cat = 42 ORDER BY vector_distance_cos(emb, ?) LIMIT 10",
            &p,
        );
        assert_eq!(got.len(), 10);
        r_1 += recall(&got, &exact(&model, q, 10, |id| (id - 1) % 100 == 42));
        // NOT INDEXED gives the exact answer.
        let got = ints(
            &mut c,
            "SELECT rowid FROM t NOT INDEXED ORDER BY vector_distance_cos(emb, ?) LIMIT 10",
            &p,
        );
        assert_eq!(got, exact(&model, q, 10, |_| true));
    }
    let nq = queries.len() as f64;
    let (r_all, r_10, r_1) = (r_all / nq, r_10 / nq, r_1 / nq);
    println!(
        "seed 7, n={n}, d={dims}: recall@10 {r_all:.3}, 10% filter {r_10:.3}, 1% filter {r_1:.3}"
    );
    assert!(r_all >= 0.95, "recall@10 {r_all}");
    assert!(r_10 >= 0.9, "recall@10 with a 10% filter {r_10}");
    assert!(r_1 >= 0.9, "recall@10 with a 1% filter {r_1}");
    // EXPLAIN QUERY PLAN shows which path answers.
    let plan = |c: &mut Connection, sql: &str| -> String {
        let r =
            c.query(&format!("EXPLAIN QUERY PLAN {sql}"), &[blob(&queries[0])]).expect("explain");
        r.rows.iter().map(|row| format!("{:?}", row[3])).collect::<Vec<_>>().join("; ")
    };
    let p = plan(&mut c, "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT 10");
    assert!(p.contains("SCAN t USING VECTOR INDEX i"), "{p}");
    let p = plan(
        &mut c,
        "SELECT rowid FROM t WHERE cat = 1 ORDER BY vector_distance_cos(emb, ?) LIMIT 10",
    );
    assert!(p.contains("VECTOR INDEX i FILTERED"), "{p}");
    for exact_sql in [
        "SELECT rowid FROM t NOT INDEXED ORDER BY vector_distance_cos(emb, ?) LIMIT 10",
        "SELECT rowid FROM t ORDER BY vector_distance_l2(emb, ?) LIMIT 10",
        "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) DESC LIMIT 10",
        "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?)",
    ] {
        let p = plan(&mut c, exact_sql);
        assert!(!p.contains("VECTOR"), "{exact_sql}: {p}");
    }
    // The filter's own plan may seek an index; a very selective one is answered exactly.
    c.execute("CREATE INDEX t_cat ON t (cat)", &[]).expect("index on cat");
    for q in &queries[..5] {
        let got = ints(
            &mut c,
            "SELECT rowid FROM t WHERE cat = 42 ORDER BY vector_distance_cos(emb, ?) LIMIT 10",
            &[blob(q)],
        );
        assert_eq!(got, exact(&model, q, 10, |id| (id - 1) % 100 == 42));
    }
    // OFFSET counts into k.
    let p = [blob(&queries[0])];
    let all = ints(&mut c, "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT 10", &p);
    let tail = ints(
        &mut c,
        "SELECT rowid FROM t ORDER BY vector_distance_cos(emb, ?) LIMIT 5 OFFSET 5",
        &p,
    );
    assert_eq!(tail, all[5..]);
}

/// Random inserts, updates, deletes and rollbacks against a brute-force model: the index
/// returns only live rows, and with a search width of n its answers equal exact search.
#[test]
fn model_based_sequences() {
    for seed in 0..4u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dims = 8;
        let mut c = Connection::open(":memory:").expect("open");
        c.execute_batch(
            "CREATE TABLE t (emb F32_BLOB(8)); CREATE INDEX i ON t (libsql_vector_idx(emb));",
        )
        .expect("setup");
        let mut model: BTreeMap<i64, Vec<f32>> = BTreeMap::new();
        let mut next = 1i64;
        for step in 0..300 {
            let in_txn = rng.gen_bool(0.2);
            let mut shadow = model.clone();
            if in_txn {
                c.execute("BEGIN", &[]).expect("begin");
            }
            for _ in 0..rng.gen_range(1..6) {
                let v: Vec<f32> = (0..dims).map(|_| rng.gen_range(-1.0..1.0)).collect();
                match rng.gen_range(0..10) {
                    0..=4 => {
                        c.execute(
                            "INSERT INTO t (rowid, emb) VALUES (?, ?)",
                            &[Value::Integer(next), blob(&v)],
                        )
                        .expect("insert");
                        shadow.insert(next, v);
                        next += 1;
                    }
                    5..=6 if !shadow.is_empty() => {
                        let id = *shadow.keys().nth(rng.gen_range(0..shadow.len())).expect("key");
                        c.execute(
                            "UPDATE t SET emb = ? WHERE rowid = ?",
                            &[blob(&v), Value::Integer(id)],
                        )
                        .expect("update");
                        shadow.insert(id, v);
                    }
                    7..=8 if !shadow.is_empty() => {
                        let id = *shadow.keys().nth(rng.gen_range(0..shadow.len())).expect("key");
                        c.execute("DELETE FROM t WHERE rowid = ?", &[Value::Integer(id)])
                            .expect("delete");
                        shadow.remove(&id);
                    }
                    _ => {
                        // A failing statement changes nothing.
                        let e = c.execute("INSERT INTO t VALUES (vector('[1,2]'))", &[]);
                        assert!(e.is_err());
                    }
                }
            }
            if in_txn {
                if rng.gen_bool(0.3) {
                    c.execute("ROLLBACK", &[]).expect("rollback");
                } else {
                    c.execute("COMMIT", &[]).expect("commit");
                    model = shadow;
                }
            } else {
                model = shadow;
            }
            if step % 10 == 0 || step == 299 {
                let q: Vec<f32> = (0..dims).map(|_| rng.gen_range(-1.0..1.0)).collect();
                let k = 10;
                let got = ints(
                    &mut c,
                    "SELECT id FROM vector_top_k('i', ?, ?, 100000)",
                    &[blob(&q), Value::Integer(k)],
                );
                let want = exact(&model, &q, k as usize, |_| true);
                assert_eq!(got, want, "seed {seed} step {step}: {} live rows", model.len());
            }
        }
    }
}

#[test]
fn reopen_sqlite_compatibility_and_outside_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v.db");
    let path_s = path.to_str().expect("utf-8").to_string();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let data = clustered(&mut rng, 500, 8);
    let q = [blob(&data[3])];
    let before;
    {
        let mut c = Connection::open(&path_s).expect("open");
        c.execute_batch("CREATE TABLE t (name TEXT, emb F32_BLOB(8)); BEGIN;").expect("setup");
        for (i, v) in data.iter().enumerate() {
            c.execute("INSERT INTO t VALUES (?, ?)", &[Value::Text(format!("r{i}")), blob(v)])
                .expect("insert");
        }
        c.execute_batch("COMMIT; CREATE INDEX i ON t (libsql_vector_idx(emb, 'metric=l2'));")
            .expect("index");
        before = ints(&mut c, "SELECT id FROM vector_top_k('i', ?, 10)", &q);
    }
    {
        // A reopened database gives the same answers.
        let mut c = Connection::open(&path_s).expect("reopen");
        assert_eq!(ints(&mut c, "SELECT id FROM vector_top_k('i', ?, 10)", &q), before);
    }
    {
        // Real SQLite: the file checks ok, the table reads and writes normally.
        let s = rusqlite::Connection::open(&path).expect("sqlite open");
        let ok: String = s.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
        assert_eq!(ok, "ok");
        let n: i64 = s.query_row("SELECT count(*) FROM t", [], |r| r.get(0)).expect("count");
        assert_eq!(n, 500);
        // Another program changes the table behind the index's back.
        s.execute("DELETE FROM t WHERE rowid = ?1", [before[0]]).expect("delete");
        let v: Vec<u8> = data[3].iter().flat_map(|x| x.to_le_bytes()).collect();
        s.execute("INSERT INTO t VALUES ('new', ?1)", [v]).expect("insert");
        s.execute("UPDATE t SET emb = NULL WHERE rowid = ?1", [before[1]]).expect("update");
    }
    let mut c = Connection::open(&path_s).expect("reopen");
    let after = ints(&mut c, "SELECT id FROM vector_top_k('i', ?, 10, 1000)", &q);
    assert_eq!(after[0], 501, "the row another program inserted is found: {after:?}");
    assert!(!after.contains(&before[0]) && !after.contains(&before[1]), "{after:?}");
    // The rebuilt index was written back: the shadow table matches the table again.
    let nodes = ints(&mut c, "SELECT count(*) FROM i_shadow", &[]);
    assert_eq!(nodes, [499]);
    // DROP INDEX / DROP TABLE leave a clean file.
    c.execute_batch(
        "DROP INDEX i; CREATE INDEX j ON t (libsql_vector_idx(emb)); REINDEX j; DROP TABLE t;",
    )
    .expect("drop");
    let names =
        c.query("SELECT name FROM sqlite_schema WHERE name LIKE '%shadow'", &[]).expect("schema");
    assert!(names.rows.is_empty(), "{names:?}");
    drop(c);
    let s = rusqlite::Connection::open(&path).expect("sqlite open");
    let ok: String = s.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(ok, "ok");
}

/// A power cut at any point of index writes leaves an index that matches the committed rows.
#[test]
fn crash_during_index_writes() {
    let seeds: u64 =
        std::env::var("EMBEDLITE_VSIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(40);
    let mut checked = 0;
    for seed in 0..seeds {
        let sim = SimIo::new(SimConfig::new(seed));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        sim.crash_after_ops(rng.gen_range(5..400));
        let opts = OpenOptions { page_size: 1024, cache_pages: 16, ..OpenOptions::default() };
        let mut committed: BTreeMap<i64, Vec<f32>> = BTreeMap::new();
        let mut run = || -> Result<(), embedlite::Error> {
            let mut c = Connection::open_with_io(Arc::new(sim.clone()), "v.db", opts.clone())?;
            c.execute_batch("CREATE TABLE t (emb F32_BLOB(4)); CREATE INDEX i ON t (libsql_vector_idx(emb, 'metric=l2'));")?;
            let mut id = 1i64;
            for _ in 0..30 {
                let mut pending = committed.clone();
                c.execute("BEGIN", &[])?;
                for _ in 0..rng.gen_range(1..8) {
                    let v: Vec<f32> = (0..4).map(|_| rng.gen_range(-1.0..1.0)).collect();
                    c.execute(
                        "INSERT INTO t (rowid, emb) VALUES (?, ?)",
                        &[Value::Integer(id), blob(&v)],
                    )?;
                    pending.insert(id, v);
                    id += 1;
                    if id % 3 == 0 {
                        let victim = id / 2;
                        c.execute("DELETE FROM t WHERE rowid = ?", &[Value::Integer(victim)])?;
                        pending.remove(&victim);
                    }
                }
                c.execute("COMMIT", &[])?;
                committed = pending;
            }
            Ok(())
        };
        let _ = run();
        sim.power_cut();
        sim.reboot();
        let mut c = Connection::open_with_io(Arc::new(sim.clone()), "v.db", opts).expect("reopen");
        let exists =
            c.query("SELECT 1 FROM sqlite_schema WHERE name = 'i_shadow'", &[]).expect("schema");
        if exists.rows.is_empty() {
            continue;
        }
        let q = [1.0f32, 0.0, -1.0, 0.5];
        let got = ints(&mut c, "SELECT id FROM vector_top_k('i', ?, 1000, 100000)", &[blob(&q)]);
        let mut want: Vec<(f64, i64)> = committed
            .iter()
            .map(|(id, v)| {
                let d: f64 = v.iter().zip(&q).map(|(a, b)| f64::from(a - b).powi(2)).sum();
                (d, *id)
            })
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let want: Vec<i64> = want.into_iter().map(|(_, id)| id).collect();
        assert_eq!(got, want, "seed {seed}");
        let nodes = ints(&mut c, "SELECT count(*) FROM i_shadow", &[]);
        assert_eq!(nodes, [committed.len() as i64], "seed {seed}");
        checked += usize::from(!committed.is_empty());
    }
    // Most power cuts hit after some transactions committed (so the check above saw rows).
    assert!(checked * 2 >= seeds as usize, "only {checked} of {seeds} seeds had committed rows");
}

/// Two connections to one file share the decoded index, and neither sees the other's
/// uncommitted changes.
#[test]
fn connections_share_committed_indexes_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.db");
    let path = path.to_str().expect("utf-8");
    let mut a = Connection::open(path).expect("open a");
    let mut b = Connection::open(path).expect("open b");
    a.execute_batch("CREATE TABLE t (emb F32_BLOB(2)); CREATE INDEX i ON t (libsql_vector_idx(emb, 'metric=l2'));")
        .expect("setup");
    for i in 0..50 {
        a.execute("INSERT INTO t VALUES (?)", &[blob(&[i as f32, 0.0])]).expect("insert");
    }
    let top = |c: &mut Connection| ints(c, "SELECT id FROM vector_top_k('i', '[100,0]', 3)", &[]);
    assert_eq!(top(&mut b), [50, 49, 48]);
    a.execute("BEGIN", &[]).expect("begin");
    a.execute("INSERT INTO t VALUES (vector('[99,0]'))", &[]).expect("insert");
    assert_eq!(top(&mut a), [51, 50, 49], "a sees its own change");
    assert_eq!(top(&mut b), [50, 49, 48], "b does not see a's uncommitted row");
    a.execute("COMMIT", &[]).expect("commit");
    assert_eq!(top(&mut b), [51, 50, 49], "b sees the committed row");
    b.execute("DELETE FROM t WHERE rowid = 51", &[]).expect("delete");
    assert_eq!(top(&mut a), [50, 49, 48]);
    a.execute("BEGIN", &[]).expect("begin");
    a.execute("DELETE FROM t WHERE rowid = 50", &[]).expect("delete");
    a.execute("ROLLBACK", &[]).expect("rollback");
    assert_eq!(top(&mut a), [50, 49, 48]);
    assert_eq!(top(&mut b), [50, 49, 48]);
}

#[test]
fn compress_neighbors_codes_search_exactly_and_survive_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let (n, dims) = (2000, 24);
    let data = clustered(&mut rng, n, dims);
    let queries = clustered(&mut rng, 20, dims);
    let model: BTreeMap<i64, Vec<f32>> =
        data.iter().enumerate().map(|(i, v)| (i as i64 + 1, v.clone())).collect();
    for code in ["float32", "float16", "floatb16", "float8"] {
        let path = dir.path().join(format!("{code}.db"));
        let path = path.to_str().expect("utf-8");
        let sql = "SELECT v.id, v.distance, vector_distance_cos(t.emb, ?) \
                   FROM vector_top_k('i', ?, 10) AS v JOIN t ON t.rowid = v.id";
        let mut answers = Vec::new();
        {
            let mut c = Connection::open(path).expect("open");
            c.execute_batch(&format!("CREATE TABLE t (emb F32_BLOB({dims})); BEGIN;"))
                .expect("setup");
            for v in &data {
                c.execute("INSERT INTO t (emb) VALUES (?)", &[blob(v)]).expect("insert");
            }
            c.execute_batch(&format!(
                "COMMIT; CREATE INDEX i ON t (libsql_vector_idx(emb, \
                 'metric=cosine,search_l=40,compress_neighbors={code}'));"
            ))
            .expect("index");
            let mut r = 0.0;
            for q in &queries {
                let rows = c.query(sql, &[blob(q), blob(q)]).expect("top k").rows;
                let mut ids = Vec::new();
                for row in &rows {
                    let (Value::Integer(id), Value::Real(d), Value::Real(exact)) =
                        (&row[0], &row[1], &row[2])
                    else {
                        panic!("{code}: unexpected row {row:?}");
                    };
                    // The index reports exact distances, not those of its codes.
                    assert!((d - exact).abs() < 1e-5, "{code}: id {id}: {d} vs {exact}");
                    ids.push(*id);
                }
                r += recall(&ids, &exact(&model, q, 10, |_| true));
                answers.push(ids);
            }
            let r = r / queries.len() as f64;
            assert!(r >= 0.9, "{code}: recall@10 {r} (seed 23, n {n}, dims {dims})");
        }
        // The codes are rebuilt from the vectors on load: a reopened file answers the same.
        let mut c = Connection::open(path).expect("reopen");
        for (q, want) in queries.iter().zip(&answers) {
            let ids = ints(&mut c, "SELECT id FROM vector_top_k('i', ?, 10)", &[blob(q)]);
            assert_eq!(&ids, want, "{code} after reopen");
        }
    }
    let mut c = Connection::open(":memory:").expect("open");
    c.execute_batch("CREATE TABLE t (emb F32_BLOB(2))").expect("create");
    let e = c
        .execute(
            "CREATE INDEX bad ON t (libsql_vector_idx(emb, 'compress_neighbors=float1bit'))",
            &[],
        )
        .expect_err("1-bit codes are not supported");
    assert!(e.to_string().contains("compress_neighbors"), "{e}");
}

/// The exact nearest-k scan (`ORDER BY vector_distance_xxx(col, ?) LIMIT k` without a vector
/// index) on every path it has: leaves read in place when the table is cached, copied in
/// batches straight from the file when it is bigger than the cache, inside a write transaction
/// with changes not yet written, and rows the threads leave to the function (text vectors,
/// vectors spilled to overflow pages). Each answer must equal a plain sort by the same
/// function (`+ 0` keeps the planner from the exact scan).
#[test]
fn exact_scan_matches_a_plain_sort_on_every_path() {
    let seed = 11u64;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("tempdir");
    // 4 KiB pages: 48-d vectors (192 bytes) stay on their page, 1,100-d ones spill.
    for (dims, rows, cache) in [(48usize, 3000usize, 16i64), (48, 3000, 2000), (1100, 200, 16)] {
        let path = dir.path().join(format!("exact-{dims}-{cache}.db"));
        let mut c = Connection::open(path.to_str().expect("utf-8")).expect("open");
        c.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, emb)").expect("ddl");
        c.execute_batch("BEGIN").expect("begin");
        for (i, v) in clustered(&mut rng, rows, dims).into_iter().enumerate() {
            let value = match i % 97 {
                1 => Value::Text(format!(
                    "[{}]",
                    v.iter().map(f32::to_string).collect::<Vec<_>>().join(",")
                )),
                _ => blob(&v),
            };
            c.query("INSERT INTO t(emb) VALUES (?1)", &[value]).expect("insert");
        }
        c.execute_batch("COMMIT").expect("commit");
        // A new connection starts with an empty cache of `cache` pages.
        drop(c);
        let mut c = Connection::open(path.to_str().expect("utf-8")).expect("reopen");
        c.execute_batch(&format!("PRAGMA cache_size = {cache}")).expect("cache_size");
        let q = blob(&clustered(&mut rng, 1, dims)[0]);
        let check = |c: &mut Connection, what: &str| {
            for (func, k) in [("vector_distance_cos", 10), ("vector_distance_l2", 25)] {
                let fast = format!("SELECT id FROM t ORDER BY {func}(emb, ?1) LIMIT {k}");
                let slow = format!("SELECT id FROM t ORDER BY {func}(emb, ?1) + 0 LIMIT {k}");
                let plan = |c: &mut Connection, sql: &str| {
                    let p = c.query(&format!("EXPLAIN QUERY PLAN {sql}"), &[]).expect("plan");
                    format!("{:?}", p.rows).contains("exact nearest k")
                };
                assert!(plan(c, &fast) && !plan(c, &slow), "{what}: plans of {fast} / {slow}");
                let (got, want) = (
                    ints(c, &fast, std::slice::from_ref(&q)),
                    ints(c, &slow, std::slice::from_ref(&q)),
                );
                assert_eq!(got, want, "{what}, {func}, dims {dims}, cache {cache}, seed {seed}");
            }
        };
        check(&mut c, "twice, cold then warm");
        check(&mut c, "twice, cold then warm");
        c.execute_batch("BEGIN").expect("begin");
        c.query("UPDATE t SET emb = ?1 WHERE id % 400 = 3", std::slice::from_ref(&q))
            .expect("update");
        c.execute_batch("DELETE FROM t WHERE id % 350 = 0").expect("delete");
        check(&mut c, "inside a write transaction");
        c.execute_batch("ROLLBACK").expect("rollback");
        check(&mut c, "after the rollback");
    }
}
