//! `make run`: a small tour of the storage engine. Writes a SQLite-format file with a table and
//! an index through the storage API, reads it back, checks it, and leaves it for the real
//! `sqlite3` to open.

use std::time::Instant;

use embedlite::storage::{Database, Value};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "target/demo.db".to_string());
    for suffix in ["", "-journal"] {
        let p = format!("{path}{suffix}");
        if std::path::Path::new(&p).exists() {
            std::fs::remove_file(&p)?;
        }
    }
    let db = Database::open(&path)?;
    let mut conn = db.connect()?;

    let t = Instant::now();
    conn.begin_write()?;
    let movies = conn.create_table("CREATE TABLE movies(title TEXT, year INTEGER, rating REAL)")?;
    let by_year = conn.create_index("CREATE INDEX movies_year ON movies(year)", "movies")?;
    let n = 100_000i64;
    for rowid in 1..=n {
        let year = 1900 + rowid % 125;
        let row = [
            Value::Text(format!("movie #{rowid}")),
            Value::Integer(year),
            Value::Real((rowid % 50) as f64 / 10.0),
        ];
        conn.table_insert(movies, rowid, &row)?;
        conn.index_insert(by_year, &[Value::Integer(year), Value::Integer(rowid)])?;
    }
    conn.commit()?;
    println!("inserted {n} rows and {n} index entries in one transaction: {:.2?}", t.elapsed());

    let t = Instant::now();
    conn.begin_write()?;
    let mut deleted = 0;
    for rowid in (1..=n).filter(|r| r % 3 == 0) {
        let year = 1900 + rowid % 125;
        conn.table_delete(movies, rowid)?;
        conn.index_delete(by_year, &[Value::Integer(year), Value::Integer(rowid)])?;
        deleted += 1;
    }
    conn.commit()?;
    println!("deleted {deleted} rows: {:.2?}", t.elapsed());

    let t = Instant::now();
    let rows = conn.table_rows(movies)?;
    println!("full scan read {} rows: {:.2?}; first: {:?}", rows.len(), t.elapsed(), rows.first());
    let problems = conn.integrity_check()?;
    println!(
        "integrity check: {}",
        if problems.is_empty() { "ok".to_string() } else { problems.join("; ") }
    );
    conn.begin_read()?;
    let free = conn.pager().freelist_pages()?.len();
    println!(
        "file: {path}, {} pages of {} bytes, {free} on the freelist",
        conn.pager().db_size(),
        conn.pager().page_size()
    );
    conn.commit()?;
    println!("open it with real SQLite: sqlite3 {path} 'PRAGMA integrity_check; SELECT count(*) FROM movies;'");
    if !problems.is_empty() {
        return Err("integrity check failed".into());
    }
    Ok(())
}
