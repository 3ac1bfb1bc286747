//! The SQL path of a bulk vector-index build, phase by phase: the rows go in (one transaction),
//! then `CREATE INDEX ... libsql_vector_idx` builds the graph from them and writes its shadow
//! table, then recall@10 and single-thread QPS through `vector_top_k` for a sweep of `search_l`.
//! This is what `annbench`'s `embedlite-bulk` system times, without Python around it.
//!
//! ```sh
//! cargo run --release -p embedlite --example vector_build -- \
//!     datasets/cache/glove-50 'metric=cosine' 40,80 [--n N] [--db PATH]
//! ```
//!
//! With `--n N` only the first N base vectors are used and the ground truth is recomputed by an
//! exact `vector_top_k` scan (a search width as large as the index).

use std::time::Instant;

use embedlite::{Connection, Value};

type BoxError = Box<dyn std::error::Error>;

/// A 2-D little-endian `.npy` array: rows, columns, raw data and dtype descriptor.
struct Npy {
    rows: usize,
    cols: usize,
    data: Vec<u8>,
    descr: String,
}

fn read_npy(path: &str) -> Result<Npy, BoxError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() < 12 || &bytes[..6] != b"\x93NUMPY" {
        return Err(format!("{path}: not an npy file").into());
    }
    let (header_len, start) = if bytes[6] == 1 {
        (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10)
    } else {
        (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len])?;
    let field = |name: &str, end: char| {
        header
            .split(name)
            .nth(1)
            .and_then(|s| s.split(end).next())
            .ok_or_else(|| format!("{path}: no {name} in the header"))
    };
    let descr = field("'descr': '", '\'')?.to_owned();
    let shape: Vec<usize> = field("'shape': (", ')')?
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let [rows, cols] = shape[..] else {
        return Err(format!("{path}: not a 2-D array").into());
    };
    Ok(Npy { rows, cols, data: bytes[start + header_len..].to_vec(), descr })
}

fn le4(c: &[u8]) -> [u8; 4] {
    [c[0], c[1], c[2], c[3]]
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: vector_build DATASET_DIR OPTIONS SEARCH_LS [--n N] [--db PATH]".into());
    }
    let dir = &args[1];
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let limit: Option<usize> = flag("--n").map(|s| s.parse()).transpose()?;
    let db_path = flag("--db").cloned().unwrap_or_else(|| "/tmp/vector_build.db".into());

    let Npy { rows, cols: dims, data: base, descr } = read_npy(&format!("{dir}/base.npy"))?;
    let Npy { rows: nq, cols: qdims, data: queries, descr: qdescr } =
        read_npy(&format!("{dir}/queries.npy"))?;
    let Npy { cols: gt_cols, data: gt, descr: gdescr, .. } =
        read_npy(&format!("{dir}/neighbors.npy"))?;
    if descr != "<f4" || qdescr != "<f4" || gdescr != "<i4" || qdims != dims {
        return Err("expected f32 base and queries of one dimension and i32 neighbours".into());
    }
    let n = limit.map_or(rows, |l| l.min(rows));
    let row_bytes = dims * 4;
    for suffix in ["", "-journal"] {
        let p = format!("{db_path}{suffix}");
        if std::path::Path::new(&p).exists() {
            std::fs::remove_file(&p)?;
        }
    }
    let mut c = Connection::open(&db_path)?;
    println!("dataset {dir}: {n} x {dims}, {nq} queries; options '{}'", args[2]);

    let t = Instant::now();
    c.execute(&format!("CREATE TABLE t (id INTEGER PRIMARY KEY, emb F32_BLOB({dims}))"), &[])?;
    c.execute("BEGIN", &[])?;
    let insert = c.prepare("INSERT INTO t (id, emb) VALUES (?, ?)")?;
    for i in 0..n {
        let blob = base[i * row_bytes..(i + 1) * row_bytes].to_vec();
        c.query_prepared(&insert, &[Value::Integer(i as i64 + 1), Value::Blob(blob)])?;
    }
    c.execute("COMMIT", &[])?;
    let load = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let options = args[2].replace('\'', "''");
    c.execute(&format!("CREATE INDEX t_idx ON t (libsql_vector_idx(emb, '{options}'))"), &[])?;
    let create = t.elapsed().as_secs_f64();
    println!(
        "rows: {load:.2} s, CREATE INDEX: {create:.2} s, total {:.2} s ({:.0} vectors/s)",
        load + create,
        n as f64 / (load + create)
    );

    let query = |i: usize| Value::Blob(queries[i * row_bytes..(i + 1) * row_bytes].to_vec());
    let top_k = c.prepare("SELECT id FROM vector_top_k('t_idx', ?, 10, ?)")?;
    let ids =
        |c: &mut Connection, q: Value, search_l: usize| -> Result<Vec<i64>, embedlite::Error> {
            let r = c.query_prepared(&top_k, &[q, Value::Integer(search_l as i64)])?;
            Ok(r.rows
                .iter()
                .filter_map(|row| match row[0] {
                    Value::Integer(id) => Some(id - 1),
                    _ => None,
                })
                .collect())
        };
    let truth: Vec<Vec<i64>> = (0..nq)
        .map(|q| {
            if limit.is_some() {
                ids(&mut c, query(q), n)
            } else {
                let row = &gt[q * gt_cols * 4..(q * gt_cols + 10) * 4];
                Ok(row.chunks_exact(4).map(|b| i64::from(i32::from_le_bytes(le4(b)))).collect())
            }
        })
        .collect::<Result<_, _>>()?;
    for search_l in args[3].split(',').map(str::parse::<usize>) {
        let search_l = search_l?;
        let mut best_qps = 0.0f64;
        let mut found = 0;
        for _pass in 0..3 {
            let t = Instant::now();
            found = 0;
            for (q, want) in truth.iter().enumerate() {
                let got = ids(&mut c, query(q), search_l)?;
                found += got.iter().filter(|id| want.contains(id)).count();
            }
            best_qps = best_qps.max(nq as f64 / t.elapsed().as_secs_f64());
        }
        let recall = found as f64 / (nq * 10) as f64;
        println!("search_l={search_l:<5} recall@10={recall:.4}  QPS={best_qps:>8.0}");
    }
    Ok(())
}
