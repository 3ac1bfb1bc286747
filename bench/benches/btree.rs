//! The storage engine against SQLite's own b-tree layer, as closely as rusqlite allows:
//! 100k inserts in one transaction, 100k random point reads by rowid, a full scan.
//! Same page size (4096), same cache size (8 MiB), same durability (rollback journal, full sync).

use std::time::Duration;

use criterion::{criterion_group, BatchSize, Criterion};
use embedlite::storage::btree::{Cursor, TreeKind};
use embedlite::storage::record::RecordView;
use embedlite::storage::{Database, OpenOptions, PageNo, Value, ValueRef};
use embedlite_bench::print_ratios;
use rand::{Rng, SeedableRng};

const ROWS: i64 = 100_000;

fn row(i: i64) -> (String, i64, f64) {
    (format!("name-{i:08}"), i * 7 % 1000, i as f64 / 3.0)
}

fn open_embedlite(dir: &std::path::Path) -> Database {
    let opts = OpenOptions { cache_pages: 2048, ..OpenOptions::default() };
    Database::open_with_options(dir.join("e.db").to_str().expect("utf-8 path"), opts).expect("open")
}

fn open_sqlite(dir: &std::path::Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join("s.db")).expect("open");
    c.execute_batch("PRAGMA page_size=4096; PRAGMA cache_size=-8192; PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;")
        .expect("pragmas");
    c
}

fn insert_embedlite(db: &Database) -> PageNo {
    let mut conn = db.connect().expect("connect");
    conn.begin_write().expect("begin");
    let root = conn.create_table("CREATE TABLE t(name TEXT, n INTEGER, x REAL)").expect("create");
    for i in 1..=ROWS {
        let (name, n, x) = row(i);
        conn.table_insert(root, i, &[Value::Text(name), Value::Integer(n), Value::Real(x)])
            .expect("insert");
    }
    conn.commit().expect("commit");
    root
}

fn insert_sqlite(c: &rusqlite::Connection) {
    c.execute_batch("BEGIN; CREATE TABLE t(name TEXT, n INTEGER, x REAL);").expect("create");
    {
        let mut st =
            c.prepare("INSERT INTO t(rowid, name, n, x) VALUES (?1, ?2, ?3, ?4)").expect("prepare");
        for i in 1..=ROWS {
            let (name, n, x) = row(i);
            st.execute(rusqlite::params![i, name, n, x]).expect("insert");
        }
    }
    c.execute_batch("COMMIT").expect("commit");
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("insert_100k_one_txn");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("embedlite", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let db = open_embedlite(dir.path());
                insert_embedlite(&db);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("sqlite", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let c = open_sqlite(dir.path());
                insert_sqlite(&c);
                dir
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    let db = open_embedlite(dir.path());
    let root = insert_embedlite(&db);
    let sq = open_sqlite(dir.path());
    insert_sqlite(&sq);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let keys: Vec<i64> = (0..ROWS).map(|_| rng.gen_range(1..=ROWS)).collect();

    let mut g = c.benchmark_group("point_read_100k");
    g.sample_size(10);
    g.bench_function("embedlite", |b| {
        let mut conn = db.connect().expect("connect");
        b.iter(|| {
            conn.begin_read().expect("read");
            let pager = conn.pager();
            let mut cur = Cursor::new(root, TreeKind::Table);
            let mut sum = 0i64;
            for &k in &keys {
                assert!(cur.seek_rowid(pager, k).expect("seek"));
                let payload = cur.payload(pager).expect("payload");
                let rec = RecordView::parse(&payload).expect("record");
                if let ValueRef::Integer(n) = rec.get(1).expect("column") {
                    sum += n;
                }
            }
            conn.commit().expect("end");
            sum
        });
    });
    g.bench_function("sqlite", |b| {
        b.iter(|| {
            let mut st =
                sq.prepare_cached("SELECT name, n FROM t WHERE rowid = ?1").expect("prepare");
            let mut sum = 0i64;
            sq.execute_batch("BEGIN").expect("begin");
            for &k in &keys {
                sum += st.query_row([k], |r| r.get::<_, i64>(1)).expect("row");
            }
            sq.execute_batch("COMMIT").expect("end");
            sum
        });
    });
    g.finish();

    let mut g = c.benchmark_group("full_scan_100k");
    g.sample_size(20);
    g.bench_function("embedlite", |b| {
        let mut conn = db.connect().expect("connect");
        b.iter(|| {
            conn.begin_read().expect("read");
            let pager = conn.pager();
            let mut cur = Cursor::new(root, TreeKind::Table);
            let mut sum = 0i64;
            let mut ok = cur.first(pager).expect("first");
            while ok {
                let payload = cur.payload(pager).expect("payload");
                let rec = RecordView::parse(&payload).expect("record");
                if let ValueRef::Integer(n) = rec.get(1).expect("column") {
                    sum += n;
                }
                ok = cur.next(pager).expect("next");
            }
            conn.commit().expect("end");
            sum
        });
    });
    g.bench_function("sqlite", |b| {
        b.iter(|| {
            let mut st = sq.prepare_cached("SELECT name, n FROM t").expect("prepare");
            let mut rows = st.query([]).expect("query");
            let mut sum = 0i64;
            while let Some(r) = rows.next().expect("row") {
                sum += r.get::<_, i64>(1).expect("n");
            }
            sum
        });
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios(
        &["insert_100k_one_txn", "point_read_100k", "full_scan_100k"],
        "embedlite",
        "sqlite",
    );
}
