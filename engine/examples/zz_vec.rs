use embedlite::{Connection, Value};
use std::time::Instant;
fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Connection::open(dir.path().join("v.db").to_str().unwrap()).unwrap();
    c.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, emb F32_BLOB(384))").unwrap();
    c.execute_batch("BEGIN").unwrap();
    let st = c.prepare("INSERT INTO t(emb) VALUES (?1)").unwrap();
    let mut x: u64 = 12345;
    let mut rnd = || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; ((x >> 40) as f32 / (1u64 << 24) as f32) - 0.5 };
    for _ in 0..100_000 {
        let mut b = Vec::with_capacity(384 * 4);
        for _ in 0..384 { b.extend_from_slice(&rnd().to_le_bytes()); }
        c.query_prepared(&st, &[Value::Blob(b)]).unwrap();
    }
    c.execute_batch("COMMIT").unwrap();
    let mut q = Vec::new();
    for _ in 0..384 { q.extend_from_slice(&rnd().to_le_bytes()); }
    if std::env::args().nth(1).is_some() { c.execute_batch("PRAGMA cache_size=-400000").unwrap(); }
    let st = c.prepare("SELECT id FROM t ORDER BY vector_distance_cos(emb, ?1) LIMIT 10").unwrap();
    c.query_prepared(&st, &[Value::Blob(q.clone())]).unwrap();
    let t0 = Instant::now();
    for _ in 0..100 { c.query_prepared(&st, &[Value::Blob(q.clone())]).unwrap(); }
    eprintln!("brute {:?} per query", t0.elapsed() / 100);
    if true { return; }
    let st = c.prepare("SELECT count(*) FROM t").unwrap();
    let t0 = Instant::now();
    for _ in 0..100 { c.query_prepared(&st, &[]).unwrap(); }
    eprintln!("count(*) {:?} per query", t0.elapsed() / 20);
    let st = c.prepare("SELECT count(emb) FROM t").unwrap();
    let t0 = Instant::now();
    for _ in 0..100 { c.query_prepared(&st, &[]).unwrap(); }
    eprintln!("count(emb) {:?} per query", t0.elapsed() / 20);
}
