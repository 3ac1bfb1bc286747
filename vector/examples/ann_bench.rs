//! Recall and speed of `GraphIndex` on a real dataset from `datasets/cache` (built by
//! `make datasets`): build time, then recall@10 and single-thread QPS for a sweep of `search_l`.
//!
//! ```sh
//! cargo run --profile ci -p embedlite-vector --example ann_bench -- \
//!     datasets/cache/glove-50 'type=hnsw' 20,40,80,120,160
//! ```
//!
//! Measured on the 2-core AMD EPYC (Genoa) test machine, shared with other work (noisy ±20 %),
//! single-thread QPS at k = 10, hnswlib 0.8.0 (`M=16`, `ef_construction=200`, batch `knn_query`,
//! one thread) in the same run:
//!
//! | dataset | system | beam | recall@10 | QPS |
//! |---|---|---:|---:|---:|
//! | glove-50 | embedlite HNSW (`M=16`, `insert_l=200`) | 80 | 0.9548 | 10,100–14,900 |
//! | glove-50 | hnswlib | 80 | 0.9552 | 11,350–12,600 |
//! | glove-50 | embedlite DiskANN (`R=48`, `insert_l=128`, `alpha=1.2`) | 40 | 0.9512 | 9,500–14,500 |
//! | debian-384 | embedlite HNSW | 40 | 0.9550 | 6,250–7,900 |
//! | debian-384 | hnswlib | 40 | 0.9559 | 9,400–11,300 |
//! | debian-384 | embedlite DiskANN | 20 | 0.9515 | 8,260–8,300 |
//! | debian-384 | embedlite DiskANN | 40 | 0.9769 | 4,970–4,980 |
//!
//! `compress_neighbors` (the codes a search walks by, re-ranked exactly) on the 2-core Intel
//! Sapphire Rapids machine, single thread, same graph (`--cache`), before (`main` at e765bd9,
//! `f32` walks) and after in the same run, best of two rounds:
//!
//! | dataset | beam | before: recall@10 / QPS | `float8` (default) | `float16` |
//! |---|---:|---|---|---|
//! | debian-384 | 10 | 0.8366 / 17,755 | 0.8319 / 28,371 | 0.8359 / 23,552 |
//! | debian-384 | 20 | 0.9134 / 11,237 | 0.9125 / 18,216 | 0.9145 / 15,198 |
//! | debian-384 | 30 | 0.9440 / 8,344 | 0.9429 / 13,914 | 0.9441 / 11,333 |
//! | debian-384 | 40 | 0.9608 / 6,746 | 0.9599 / 10,843 | 0.9614 / 8,431 |
//! | debian-384 | 80 | 0.9822 / 3,701 | 0.9816 / 5,954 | 0.9821 / 4,819 |
//! | glove-50 | 40 | 0.8918 / 16,477 | 0.8925 / 18,194 | |
//! | glove-50 | 80 | 0.9548 / 8,604 | 0.9544 / 9,798 | |
//! | glove-50 | 120 | 0.9743 / 6,322 | 0.9743 / 6,617 | |
//!
//! Arguments: dataset folder, index options (as in `CREATE INDEX`), comma-separated `search_l`
//! values, then optional flags: `--seq` (insert one by one instead of `insert_batch`),
//! `--n N` (first N base vectors; ground truth is then recomputed exactly), `--records`
//! (record bytes and a load round trip), `--filter P` (keep keys with `key % P == 0`; recall
//! against exact filtered search), `--cache PATH` (save the built graph's records there, or load
//! them if the file exists, to measure searches without rebuilding).

use std::time::Instant;

use embedlite_vector::{GraphIndex, GraphKind, IndexParams};

/// A 2-D little-endian `.npy` array of `f4` or `i4` as `(rows, cols, values as f32 / i64)`.
fn read_npy(path: &str) -> (usize, usize, Vec<u8>, String) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{path}: not an npy file");
    let (header_len, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
    };
    let header = std::str::from_utf8(&bytes[start..start + header_len]).expect("ascii header");
    let descr = header.split("'descr': '").nth(1).expect("descr").split('\'').next().expect("d");
    let shape = header.split("'shape': (").nth(1).expect("shape").split(')').next().expect("s");
    let dims: Vec<usize> = shape
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("n"))
        .collect();
    (dims[0], dims[1], bytes[start + header_len..].to_vec(), descr.to_owned())
}

fn read_f32(path: &str) -> (usize, usize, Vec<f32>) {
    let (rows, cols, data, descr) = read_npy(path);
    assert_eq!(descr, "<f4", "{path}");
    let v = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    (rows, cols, v)
}

fn read_i32(path: &str) -> (usize, usize, Vec<i64>) {
    let (rows, cols, data, descr) = read_npy(path);
    assert_eq!(descr, "<i4", "{path}");
    let v = data
        .chunks_exact(4)
        .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    (rows, cols, v)
}

/// CPU seconds (user + system, all threads) this process has used so far, from `/proc/self/stat`
/// (Linux; `None` elsewhere). With the wall time it shows how well a build used the cores.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(ticks / 100.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    assert!(
        args.len() >= 4,
        "usage: ann_bench DATASET_DIR OPTIONS SEARCH_LS [--seq] [--n N] [--records] [--filter P]"
    );
    let dir = &args[1];
    let flag = |name: &str| args.iter().position(|a| a == name);
    let sequential = flag("--seq").is_some();
    let records = flag("--records").is_some();
    let limit: Option<usize> = flag("--n").map(|i| args[i + 1].parse().expect("--n N"));
    let modulus: Option<i64> = flag("--filter").map(|i| args[i + 1].parse().expect("--filter P"));

    let (mut n, dims, base) = read_f32(&format!("{dir}/base.npy"));
    let (nq, _, queries) = read_f32(&format!("{dir}/queries.npy"));
    let (_, gt_cols, gt) = read_i32(&format!("{dir}/neighbors.npy"));
    if let Some(l) = limit {
        n = n.min(l);
    }
    let params = IndexParams::parse_options(&args[2], dims, GraphKind::Hnsw).expect("options");
    println!("dataset {dir}: {n} x {dims}, {nq} queries; {}", params.to_options());
    let items: Vec<(i64, Vec<f32>)> =
        (0..n).map(|i| (i as i64, base[i * dims..(i + 1) * dims].to_vec())).collect();

    let cache: Option<&String> = flag("--cache").map(|i| &args[i + 1]);
    let t = Instant::now();
    let cpu_before = cpu_seconds();
    let mut index = GraphIndex::new(params.clone());
    if let Some(bytes) = cache.and_then(|path| std::fs::read(path).ok()) {
        // Records saved by an earlier run with the same options: key, length, record.
        let mut nodes = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let key = i64::from_le_bytes(bytes[pos..pos + 8].try_into().expect("8"));
            let len = u32::from_le_bytes(bytes[pos + 8..pos + 12].try_into().expect("4")) as usize;
            nodes.push((
                key,
                bytes[pos + 12..pos + 12 + len].to_vec(),
                items[key as usize].1.clone(),
            ));
            pos += 12 + len;
        }
        index = GraphIndex::load(params.clone(), nodes).expect("cached records");
        println!("loaded cached records in {:.2} s", t.elapsed().as_secs_f64());
    } else if sequential {
        for (k, v) in &items {
            index.insert(*k, v).expect("valid");
        }
    } else {
        index.insert_batch(&items).expect("valid");
    }
    let build = t.elapsed().as_secs_f64();
    let build_cpu =
        cpu_seconds().zip(cpu_before).map_or(f64::NAN, |(after, before)| after - before);
    if let Some(path) = cache {
        if !std::path::Path::new(path).exists() {
            let mut out = Vec::new();
            for key in index.take_dirty() {
                let record = index.node_record(key).expect("present");
                out.extend_from_slice(&key.to_le_bytes());
                out.extend_from_slice(&(record.len() as u32).to_le_bytes());
                out.extend_from_slice(&record);
            }
            std::fs::write(path, out).expect("write the record cache");
        }
    }
    println!(
        "build: {build:.2} s, CPU {build_cpu:.2} s ({:.0} vectors/s, {}), memory {:.1} MB",
        n as f64 / build,
        if sequential { "sequential insert" } else { "insert_batch" },
        index.memory_bytes() as f64 / 1e6
    );

    let filter_fn = move |key: i64| modulus.is_none_or(|m| key % m == 0);
    let filter: Option<&(dyn Fn(i64) -> bool + Sync)> =
        if modulus.is_some() { Some(&filter_fn) } else { None };
    // Ground truth: the dataset's when it applies, else exact search.
    let truth: Vec<Vec<i64>> = (0..nq)
        .map(|q| {
            if limit.is_none() && modulus.is_none() {
                gt[q * gt_cols..q * gt_cols + 10].to_vec()
            } else {
                let query = &queries[q * dims..(q + 1) * dims];
                index.search_exact(query, 10, filter).expect("q").iter().map(|h| h.0).collect()
            }
        })
        .collect();

    for search_l in args[3].split(',').map(|s| s.parse::<usize>().expect("search_l")) {
        let mut best_qps = 0.0f64;
        let mut recall = 0.0;
        for _pass in 0..3 {
            let t = Instant::now();
            let mut found = 0;
            for q in 0..nq {
                let query = &queries[q * dims..(q + 1) * dims];
                let hits = index.search(query, 10, Some(search_l), filter).expect("query");
                found += hits.iter().filter(|h| truth[q].contains(&h.0)).count();
            }
            best_qps = best_qps.max(nq as f64 / t.elapsed().as_secs_f64());
            recall = found as f64 / (nq * 10) as f64;
        }
        println!("search_l={search_l:<5} recall@10={recall:.4}  QPS={best_qps:>8.0}");
    }

    if records {
        let recs: Vec<(i64, Vec<u8>, Vec<f32>)> = items
            .iter()
            .map(|(k, v)| (*k, index.node_record(*k).expect("present"), v.clone()))
            .collect();
        let bytes: usize = recs.iter().map(|r| r.1.len()).sum();
        println!(
            "records: {bytes} bytes, {:.1} bytes/node ({:.2}x of the f32 vectors)",
            bytes as f64 / n as f64,
            bytes as f64 / (n * dims * 4) as f64
        );
        let t = Instant::now();
        let loaded = GraphIndex::load(params, recs).expect("load");
        println!("load: {:.2} s", t.elapsed().as_secs_f64());
        for q in 0..nq.min(200) {
            let query = &queries[q * dims..(q + 1) * dims];
            assert_eq!(
                loaded.search(query, 10, None, None).expect("q"),
                index.search(query, 10, None, None).expect("q")
            );
        }
        println!("loaded index answers identically");
    }
}
