//! The SQL engine against SQLite through prepared statements, same run: 100k inserts in one
//! transaction, 10k point selects by primary key, 1k range scans, 10k secondary-index lookups, a
//! GROUP BY over 100k rows, and a join of 10k × 100k rows through an index.

use std::time::Duration;

use criterion::{criterion_group, BatchSize, Criterion};
use embedlite::{Connection, Value};
use embedlite_bench::print_ratios;
use rand::{Rng, SeedableRng};

const ROWS: i64 = 100_000;

fn setup_sql() -> &'static str {
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, x REAL); CREATE INDEX t_name ON t(name);"
}

fn load_embedlite(c: &mut Connection) {
    c.execute_batch(setup_sql()).expect("ddl");
    c.execute_batch("BEGIN").expect("begin");
    let st = c.prepare("INSERT INTO t(id, name, grp, x) VALUES (?1, ?2, ?3, ?4)").expect("prepare");
    for i in 1..=ROWS {
        c.query_prepared(
            &st,
            &[
                Value::Integer(i),
                Value::Text(format!("name-{i:08}")),
                Value::Integer(i % 100),
                Value::Real(i as f64 / 7.0),
            ],
        )
        .expect("insert");
    }
    c.execute_batch("COMMIT").expect("commit");
}

fn load_sqlite(c: &rusqlite::Connection) {
    c.execute_batch(setup_sql()).expect("ddl");
    c.execute_batch("BEGIN").expect("begin");
    {
        let mut st =
            c.prepare("INSERT INTO t(id, name, grp, x) VALUES (?1, ?2, ?3, ?4)").expect("prepare");
        for i in 1..=ROWS {
            st.execute(rusqlite::params![i, format!("name-{i:08}"), i % 100, i as f64 / 7.0])
                .expect("insert");
        }
    }
    c.execute_batch("COMMIT").expect("commit");
}

fn open_pair(dir: &std::path::Path) -> (Connection, rusqlite::Connection) {
    let ours = Connection::open(dir.join("e.db").to_str().expect("utf-8")).expect("open");
    let theirs = rusqlite::Connection::open(dir.join("s.db")).expect("open");
    theirs.execute_batch("PRAGMA cache_size=-8192").expect("pragma");
    (ours, theirs)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sql_insert_100k_one_txn");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("embedlite", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let (mut ours, _) = open_pair(dir.path());
                load_embedlite(&mut ours);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("sqlite", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let (_, theirs) = open_pair(dir.path());
                load_sqlite(&theirs);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    let (mut ours, theirs) = open_pair(dir.path());
    load_embedlite(&mut ours);
    load_sqlite(&theirs);
    ours.execute_batch("CREATE TABLE small(k INTEGER PRIMARY KEY, name TEXT)").expect("ddl");
    theirs.execute_batch("CREATE TABLE small(k INTEGER PRIMARY KEY, name TEXT)").expect("ddl");
    ours.execute_batch("INSERT INTO small SELECT id, name FROM t WHERE id % 10 = 0").expect("fill");
    theirs
        .execute_batch("INSERT INTO small SELECT id, name FROM t WHERE id % 10 = 0")
        .expect("fill");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
    let keys: Vec<i64> = (0..10_000).map(|_| rng.gen_range(1..=ROWS)).collect();

    let cases: [(&str, &str, usize); 5] = [
        ("sql_point_select_10k", "SELECT name, x FROM t WHERE id = ?1", 10_000),
        ("sql_range_scan_1k", "SELECT sum(x) FROM t WHERE id BETWEEN ?1 AND ?1 + 100", 1_000),
        (
            "sql_index_lookup_10k",
            "SELECT id FROM t WHERE name = 'name-' || substr('0000000' || ?1, -8, 8)",
            10_000,
        ),
        ("sql_group_by_100k", "SELECT grp, count(*), avg(x) FROM t GROUP BY grp", 3),
        ("sql_join_10k_100k", "SELECT count(*) FROM small JOIN t ON t.name = small.name", 1),
    ];
    for (name, sql, n) in cases {
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        let st = ours.prepare(sql).expect("prepare");
        g.bench_function("embedlite", |b| {
            b.iter(|| {
                for &k in &keys[..n] {
                    let params =
                        if st.parameter_count() > 0 { vec![Value::Integer(k)] } else { Vec::new() };
                    ours.query_prepared(&st, &params).expect("query");
                }
            });
        });
        g.bench_function("sqlite", |b| {
            let mut st = theirs.prepare_cached(sql).expect("prepare");
            let nparams = st.parameter_count();
            b.iter(|| {
                for &k in &keys[..n] {
                    let mut rows = if nparams > 0 {
                        st.query([k]).expect("query")
                    } else {
                        st.query([]).expect("query")
                    };
                    while rows.next().expect("row").is_some() {}
                }
            });
        });
        g.finish();
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios(
        &[
            "sql_insert_100k_one_txn",
            "sql_point_select_10k",
            "sql_range_scan_1k",
            "sql_index_lookup_10k",
            "sql_group_by_100k",
            "sql_join_10k_100k",
        ],
        "embedlite",
        "sqlite",
    );
}
