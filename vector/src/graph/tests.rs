//! Tests of the graph index against exact search, its own records, and a brute-force model.
//! Data is seeded and clustered (so that the graph's long edges matter); failing tests print
//! the seed.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::distance::{Kernel, Metric};
use crate::error::VectorError;

const SEED: u64 = 0x6a7f_0001;

/// `n` points of `dims` dimensions around `clusters` random centres, each cluster spread along
/// a few random directions of its own (real embeddings have a low intrinsic dimension), with
/// keys `0..n` permuted and spread out (so that key order and insertion order differ).
fn clustered(seed: u64, n: usize, dims: usize, clusters: usize) -> Vec<(i64, Vec<f32>)> {
    const DIRECTIONS: usize = 6;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let uniform = |rng: &mut ChaCha8Rng| -> Vec<f32> {
        (0..dims).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
    };
    let shapes: Vec<(Vec<f32>, Vec<Vec<f32>>)> = (0..clusters)
        .map(|_| (uniform(&mut rng), (0..DIRECTIONS).map(|_| uniform(&mut rng)).collect()))
        .collect();
    (0..n)
        .map(|i| {
            let (centre, directions) = &shapes[rng.gen_range(0..clusters)];
            let mut v = centre.clone();
            for d in directions {
                let t = 0.4 * (rng.gen::<f32>() + rng.gen::<f32>() - 1.0);
                v.iter_mut().zip(d).for_each(|(x, y)| *x += t * y);
            }
            for x in &mut v {
                *x += 0.02 * (rng.gen::<f32>() - 0.5);
            }
            ((i as i64 * 7919) % n as i64 * 3 - 1000, v)
        })
        .collect()
}

fn queries(seed: u64, n: usize, dims: usize) -> Vec<Vec<f32>> {
    clustered(seed ^ 0xffff, n, dims, 20).into_iter().map(|(_, v)| v).collect()
}

fn build(kind: GraphKind, metric: Metric, data: &[(i64, Vec<f32>)]) -> GraphIndex {
    let dims = data[0].1.len();
    let mut index = GraphIndex::new(IndexParams::new(kind, metric, dims));
    index.insert_batch(data).expect("valid vectors");
    index.check_invariants().expect("invariants after build");
    index
}

/// Mean recall@k of `search` against `search_exact`.
fn recall(
    index: &GraphIndex,
    qs: &[Vec<f32>],
    k: usize,
    search_l: Option<usize>,
    filter: Option<KeyFilter<'_>>,
) -> f64 {
    let mut found = 0;
    let mut total = 0;
    for q in qs {
        let exact = index.search_exact(q, k, filter).expect("query");
        let approx = index.search(q, k, search_l, filter).expect("query");
        assert!(approx.len() <= k);
        assert!(approx.windows(2).all(|w| (w[0].1, w[0].0) <= (w[1].1, w[1].0)), "sorted");
        if let Some(f) = filter {
            assert!(approx.iter().all(|&(key, _)| f(key)), "filter respected");
        }
        total += exact.len();
        found += approx.iter().filter(|a| exact.iter().any(|e| e.0 == a.0)).count();
    }
    let r = found as f64 / total.max(1) as f64;
    eprintln!("recall@{k} = {r:.4} (search_l {search_l:?}, filter: {})", filter.is_some());
    r
}

#[test]
fn graph_recall_at_default_search_l() {
    let data = clustered(SEED, 5000, 32, 50);
    let qs = queries(SEED, 200, 32);
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        for metric in [Metric::Cosine, Metric::L2] {
            let index = build(kind, metric, &data);
            let r = recall(&index, &qs, 10, None, None);
            assert!(r >= 0.95, "{kind} {metric} recall@10 {r} seed {SEED:#x}");
        }
    }
}

#[test]
fn graph_dot_metric_search() {
    let data = clustered(SEED + 1, 2000, 16, 20);
    let qs = queries(SEED + 1, 100, 16);
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        let index = build(kind, Metric::Dot, &data);
        let r = recall(&index, &qs, 10, Some(200), None);
        assert!(r >= 0.9, "{kind} dot recall@10 {r} seed {SEED:#x}");
    }
}

#[test]
fn graph_filtered_search_keeps_recall() {
    let data = clustered(SEED + 2, 5000, 32, 50);
    let qs = queries(SEED + 2, 100, 32);
    let ten = |key: i64| key.rem_euclid(10) == 3;
    let one = |key: i64| key.rem_euclid(100) == 42;
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        let index = build(kind, Metric::Cosine, &data);
        for (name, filter) in [("10%", &ten as KeyFilter<'_>), ("1%", &one)] {
            let r = recall(&index, &qs, 10, None, Some(filter));
            assert!(r >= 0.9, "{kind} filter {name}: recall@10 {r} seed {SEED:#x}");
        }
        let none = |_: i64| false;
        assert_eq!(index.search(&qs[0], 10, None, Some(&none)).expect("query"), []);
    }
}

#[test]
fn graph_sorted_beam_walks_like_the_heap_beam() {
    // An unfiltered beam (one sorted array) must expand the same nodes and keep the same results
    // as the filtered beam (two heaps) with a filter that passes everything. Every vector is
    // there three times, under different keys, so that many distances tie and the key decides.
    let base = clustered(SEED + 23, 700, 16, 12);
    let data: Vec<(i64, Vec<f32>)> = (0..3i64)
        .flat_map(|copy| base.iter().map(move |(k, v)| (k * 3 + copy, v.clone())))
        .collect();
    let qs = queries(SEED + 23, 40, 16);
    let all = |_: i64| true;
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        for compression in [Compression::Float32, Compression::Float8] {
            let mut params = IndexParams::new(kind, Metric::Cosine, 16);
            params.compress_neighbors = compression;
            let mut index = GraphIndex::new(params);
            index.insert_batch(&data).expect("valid vectors");
            for q in qs.iter().chain(base.iter().map(|(_, v)| v).take(20)) {
                for search_l in [1, 10, 40] {
                    let sorted = index.search(q, 10, Some(search_l), None).expect("query");
                    let heaps = index.search(q, 10, Some(search_l), Some(&all)).expect("query");
                    assert_eq!(sorted, heaps, "{kind} {compression} search_l {search_l}");
                }
            }
        }
    }
}

#[test]
fn graph_full_beam_equals_exact_search() {
    let data = clustered(SEED + 3, 1500, 8, 10);
    let qs = queries(SEED + 3, 30, 8);
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        let index = build(kind, Metric::L2, &data);
        for q in &qs {
            let exact = index.search_exact(q, 10, None).expect("query");
            assert_eq!(index.search(q, 10, Some(data.len()), None).expect("query"), exact);
            // The distances are the metric's.
            let kernel = Kernel::<f32>::reference(Metric::L2, 8).expect("l2");
            for &(key, d) in &exact {
                let v = &data.iter().find(|(k, _)| *k == key).expect("present").1;
                assert!((kernel.distance(q, v) - d).abs() < 1e-5);
            }
        }
    }
}

#[test]
fn graph_remove_half_keeps_recall() {
    let data = clustered(SEED + 4, 4000, 24, 40);
    let qs = queries(SEED + 4, 100, 24);
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        let mut index = build(kind, Metric::Cosine, &data);
        let (gone, kept): (Vec<_>, Vec<_>) = data.iter().enumerate().partition(|(i, _)| i % 2 == 0);
        // Half of the removals one by one, half in one batch.
        let gone: Vec<i64> = gone.iter().map(|(_, (k, _))| *k).collect();
        let (singles, batch) = gone.split_at(gone.len() / 2);
        for &key in singles {
            assert!(index.remove(key));
            assert!(!index.remove(key));
        }
        assert_eq!(index.remove_batch(batch), batch.len());
        index.check_invariants().expect("invariants after removals");
        assert_eq!(index.len(), kept.len());
        let r = recall(&index, &qs, 10, None, None);
        assert!(r >= 0.9, "{kind} recall@10 after removing half: {r} seed {SEED:#x}");
        for q in &qs {
            for (key, _) in index.search(q, 20, Some(200), None).expect("query") {
                assert!(!gone.contains(&key), "removed key {key} returned");
            }
        }
        // Removed slots are reused by new inserts.
        let slots_before = index.graph.slots();
        index.insert_batch(&data[..100]).expect("valid");
        assert_eq!(index.graph.slots(), slots_before);
        index.check_invariants().expect("invariants after reinserting");
    }
}

#[test]
fn graph_remove_everything_then_reinsert() {
    let data = clustered(SEED + 5, 300, 8, 5);
    let mut index = build(GraphKind::Hnsw, Metric::L2, &data);
    for (key, _) in &data {
        assert!(index.remove(*key));
        index.check_invariants().expect("invariants during removal");
    }
    assert!(index.is_empty());
    assert_eq!(index.search(&data[0].1, 5, None, None).expect("query"), []);
    index.insert_batch(&data).expect("valid");
    assert_eq!(index.len(), data.len());
    index.check_invariants().expect("invariants");
}

#[test]
fn graph_insert_replaces_existing_key() {
    let data = clustered(SEED + 6, 1000, 16, 10);
    let mut index = build(GraphKind::Hnsw, Metric::L2, &data);
    let key = data[10].0;
    let far: Vec<f32> = vec![50.0; 16];
    index.insert(key, &far).expect("valid");
    index.check_invariants().expect("invariants");
    assert_eq!(index.len(), data.len());
    let hit = index.search(&far, 1, None, None).expect("query");
    assert_eq!(hit[0].0, key);
    assert!(hit[0].1 < 1e-4);
    let near_old = index.search(&data[10].1, 5, Some(100), None).expect("query");
    assert!(near_old.iter().all(|&(k, _)| k != key));
    // A batch with a repeated key keeps the last vector.
    index.insert_batch(&[(key, vec![1.0; 16]), (key, vec![-50.0; 16])]).expect("valid");
    assert_eq!(index.search(&[-50.0; 16], 1, None, None).expect("query")[0].0, key);
    assert_eq!(index.len(), data.len());
}

#[test]
fn graph_rejects_bad_vectors_without_change() {
    let mut index = GraphIndex::new(IndexParams::new(GraphKind::Hnsw, Metric::Cosine, 3));
    assert_eq!(
        index.insert(1, &[1.0, 2.0]),
        Err(VectorError::DimensionMismatch { expected: 3, got: 2 })
    );
    assert_eq!(
        index.insert(1, &[1.0, f32::INFINITY, 2.0]),
        Err(VectorError::NonFinite { index: 1 })
    );
    let batch = vec![(1, vec![1.0, 2.0, 3.0]), (2, vec![f32::NAN, 0.0, 0.0])];
    assert_eq!(index.insert_batch(&batch), Err(VectorError::NonFinite { index: 0 }));
    assert!(index.is_empty());
    assert_eq!(
        index.search(&[1.0], 3, None, None),
        Err(VectorError::DimensionMismatch { expected: 3, got: 1 })
    );
    assert_eq!(index.search(&[1.0, 2.0, 3.0], 3, None, None), Ok(vec![]));
    assert_eq!(index.take_dirty(), Vec::<i64>::new());
    assert!(GraphIndex::try_new(IndexParams::new(GraphKind::Hnsw, Metric::Hamming, 3)).is_err());
}

#[test]
fn graph_small_and_degenerate_inputs() {
    let mut index = GraphIndex::new(IndexParams::new(GraphKind::DiskAnn, Metric::Cosine, 2));
    index.insert(5, &[0.0, 0.0]).expect("zero vector");
    index.insert(6, &[1.0, 0.0]).expect("valid");
    index.insert(7, &[1.0, 0.0]).expect("duplicate vector");
    let hits = index.search(&[2.0, 0.0], 10, None, None).expect("query");
    assert_eq!(hits, [(6, 0.0), (7, 0.0), (5, 1.0)]);
    assert_eq!(index.search(&[0.0, 0.0], 1, None, None).expect("query"), [(5, 0.0)]);
    assert_eq!(index.search(&[2.0, 0.0], 0, None, None).expect("query"), []);
    assert_eq!(index.search_exact(&[2.0, 0.0], 10, None).expect("query"), hits);
    for key in [i64::MIN, i64::MAX, 0, -1] {
        index.insert(key, &[0.5, 0.5]).expect("valid");
    }
    index.check_invariants().expect("invariants");
    let record = index.node_record(i64::MIN).expect("present");
    assert!(record.len() < 40, "{record:?}");
}

/// Persisted records by key (the engine's shadow table).
type Store = BTreeMap<i64, Vec<u8>>;

/// Persists every dirty node into `store` (as the engine does with its shadow table).
fn persist(index: &mut GraphIndex, store: &mut BTreeMap<i64, Vec<u8>>) {
    for key in index.take_dirty() {
        match index.node_record(key) {
            Some(record) => store.insert(key, record),
            None => store.remove(&key),
        };
    }
}

fn load_from(
    params: &IndexParams,
    store: &BTreeMap<i64, Vec<u8>>,
    vectors: &BTreeMap<i64, Vec<f32>>,
) -> Result<GraphIndex, VectorError> {
    let nodes = store.iter().map(|(&k, r)| (k, r.clone(), vectors[&k].clone())).collect();
    GraphIndex::load(params.clone(), nodes)
}

#[test]
fn graph_records_round_trip_to_identical_searches() {
    let data = clustered(SEED + 7, 3000, 16, 30);
    let qs = queries(SEED + 7, 50, 16);
    let filter = |key: i64| key.rem_euclid(5) == 1;
    for kind in [GraphKind::Hnsw, GraphKind::DiskAnn] {
        let mut index = build(kind, Metric::Cosine, &data);
        let mut vectors: BTreeMap<i64, Vec<f32>> = data.iter().cloned().collect();
        let mut store = BTreeMap::new();
        persist(&mut index, &mut store);
        assert_eq!(store.len(), data.len());
        // Change the index incrementally: removals, replacements and new keys.
        for (i, (key, v)) in data.iter().enumerate().take(600) {
            match i % 3 {
                0 => assert!(index.remove(*key)),
                1 => {
                    let moved: Vec<f32> = v.iter().map(|x| -x).collect();
                    index.insert(*key, &moved).expect("valid");
                    vectors.insert(*key, moved);
                }
                _ => {
                    index.insert(key + 1_000_000, v).expect("valid");
                    vectors.insert(key + 1_000_000, v.clone());
                }
            }
        }
        persist(&mut index, &mut store);
        assert_eq!(store.len(), index.len());
        let loaded = load_from(index.params(), &store, &vectors).expect("valid records");
        loaded.check_invariants().expect("invariants of the loaded index");
        assert_eq!(
            loaded.graph.key(loaded.graph.entry().expect("entry")),
            index.graph.key(index.graph.entry().expect("entry"))
        );
        for q in &qs {
            for search_l in [Some(10), None, Some(150)] {
                for f in [None, Some(&filter as KeyFilter<'_>)] {
                    assert_eq!(
                        loaded.search(q, 10, search_l, f).expect("query"),
                        index.search(q, 10, search_l, f).expect("query"),
                        "{kind} search_l {search_l:?}"
                    );
                }
            }
        }
        for key in store.keys() {
            assert_eq!(loaded.node_record(*key), index.node_record(*key));
        }
        // Bytes per node: a small fraction of the vector.
        let bytes: usize = store.values().map(Vec::len).sum();
        assert!(bytes / store.len() < 16 * 4, "{} bytes per node", bytes / store.len());
    }
}

#[test]
fn graph_load_rejects_corrupt_records() {
    let data = clustered(SEED + 8, 200, 4, 4);
    let mut index = build(GraphKind::Hnsw, Metric::L2, &data);
    let vectors: BTreeMap<i64, Vec<f32>> = data.iter().cloned().collect();
    let mut store = BTreeMap::new();
    persist(&mut index, &mut store);
    let params = index.params().clone();
    assert!(load_from(&params, &store, &vectors).is_ok());
    let victim = *store.iter().find(|(_, r)| r[2] > 0).expect("a node with neighbours").0;
    let corrupt = |mutate: &dyn Fn(&mut Store)| {
        let mut bad = store.clone();
        mutate(&mut bad);
        match load_from(&params, &bad, &vectors) {
            Err(VectorError::CorruptNode { reason, .. }) => reason,
            other => panic!("expected corruption, got {other:?}"),
        }
    };
    assert_eq!(
        corrupt(&|s| {
            s.get_mut(&victim).expect("v").pop();
        }),
        "record is truncated"
    );
    assert_eq!(
        corrupt(&|s| s.get_mut(&victim).expect("v").push(0)),
        "trailing bytes after the record"
    );
    assert_eq!(corrupt(&|s| s.get_mut(&victim).expect("v")[1] = 200), "level out of range");
    assert_eq!(
        corrupt(&|s| s.get_mut(&victim).expect("v")[0] = 9),
        "unknown record format version"
    );
    // A neighbour whose own record is missing.
    let first_nb = {
        let r = &store[&victim];
        let (_, layers) = super::record::decode(victim, r, 30, |_| 64).expect("valid");
        layers[0][0]
    };
    assert_eq!(corrupt(&|s| drop(s.remove(&first_nb))), "neighbour is not in the index");
    // A neighbour that lacks the layer: claim level 1 with a layer-1 list naming a level-0 node.
    let level0: Vec<i64> =
        store.iter().filter(|(_, r)| r[1] == 0).map(|(k, _)| *k).take(2).collect();
    let mut layers = vec![vec![level0[1]], vec![level0[1]]];
    let lifted = super::record::encode(level0[0], &mut layers);
    assert_eq!(
        corrupt(&|s| drop(s.insert(level0[0], lifted.clone()))),
        "neighbour lacks the layer"
    );
    let mut own = vec![vec![level0[0]]];
    let selfish = super::record::encode(level0[0], &mut own);
    assert_eq!(
        corrupt(&|s| drop(s.insert(level0[0], selfish.clone()))),
        "node is its own neighbour"
    );
    // The same key twice.
    let mut nodes: Vec<(i64, Vec<u8>, Vec<f32>)> =
        store.iter().map(|(&k, r)| (k, r.clone(), vectors[&k].clone())).collect();
    nodes.push(nodes[0].clone());
    assert!(matches!(
        GraphIndex::load(params.clone(), nodes),
        Err(VectorError::CorruptNode { reason: "key appears twice", .. })
    ));
    // A vector of the wrong length.
    let mut short = vectors.clone();
    short.insert(victim, vec![1.0]);
    assert!(matches!(
        load_from(&params, &store, &short),
        Err(VectorError::DimensionMismatch { expected: 4, got: 1 })
    ));
    // DiskANN records have level 0 only.
    let mut disk = params.clone();
    disk.kind = GraphKind::DiskAnn;
    disk.max_neighbors *= 2;
    assert!(store.values().any(|r| r[1] > 0), "some HNSW node above layer 0");
    assert!(matches!(
        load_from(&disk, &store, &vectors),
        Err(VectorError::CorruptNode { reason: "level out of range", .. })
    ));
    // Random damage never panics.
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    for _ in 0..300 {
        let mut bad = store.clone();
        let key = *bad.keys().nth(rng.gen_range(0..bad.len())).expect("in range");
        let r = bad.get_mut(&key).expect("present");
        match rng.gen_range(0..3) {
            0 => {
                let i = rng.gen_range(0..r.len());
                r[i] = rng.gen();
            }
            1 => r.truncate(rng.gen_range(0..r.len())),
            _ => r.extend((0..rng.gen_range(1..12)).map(|_| rng.gen::<u8>())),
        }
        if let Ok(loaded) = load_from(&params, &bad, &vectors) {
            loaded.check_invariants().expect("a record that loads gives a valid graph");
        }
    }
}

#[test]
fn graph_dirty_tracking() {
    let data = clustered(SEED + 9, 500, 8, 5);
    let mut index = build(GraphKind::Hnsw, Metric::L2, &data);
    let all = index.take_dirty();
    assert_eq!(all.len(), data.len());
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(index.take_dirty(), Vec::<i64>::new());

    index.insert(10_000, &data[3].1).expect("valid");
    let dirty = index.take_dirty();
    assert!(dirty.contains(&10_000));
    let record = index.node_record(10_000).expect("present");
    let (_, layers) = super::record::decode(10_000, &record, 30, |_| 64).expect("valid");
    for nb in &layers[0] {
        // Each new neighbour got the reverse edge, or was pruned: its list changed either way
        // only if it now names the new node.
        let (_, theirs) =
            super::record::decode(*nb, &index.node_record(*nb).expect("p"), 30, |_| 64)
                .expect("valid");
        if theirs[0].contains(&10_000) {
            assert!(dirty.contains(nb), "neighbour {nb} that links back is dirty");
        }
    }
    assert_eq!(index.take_dirty(), Vec::<i64>::new());

    let pointing: Vec<i64> = data
        .iter()
        .map(|(k, _)| *k)
        .filter(|&k| {
            let r = index.node_record(k).expect("present");
            let (_, layers) = super::record::decode(k, &r, 30, |_| 64).expect("valid");
            layers.iter().any(|l| l.contains(&10_000))
        })
        .collect();
    assert!(!pointing.is_empty());
    assert!(index.remove(10_000));
    assert_eq!(index.node_record(10_000), None);
    let dirty = index.take_dirty();
    assert!(dirty.contains(&10_000));
    for k in pointing {
        assert!(dirty.contains(&k), "node {k} pointed to the removed key");
    }
    // Re-inserting the same vector under an existing key changes nothing that matters, but the
    // key is dirty (its record was rewritten).
    assert!(!index.remove(10_000));
    assert_eq!(index.take_dirty(), Vec::<i64>::new());
}

#[test]
fn graph_batch_build_is_deterministic_and_as_good_as_sequential() {
    let data = clustered(SEED + 10, 3000, 16, 30);
    let qs = queries(SEED + 10, 100, 16);
    let records = |index: &GraphIndex| -> Vec<Vec<u8>> {
        data.iter().map(|(k, _)| index.node_record(*k).expect("present")).collect()
    };
    let params = IndexParams::new(GraphKind::Hnsw, Metric::Cosine, 16);
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let two_threads = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
    let mut a = GraphIndex::new(params.clone());
    one_thread.install(|| a.insert_batch(&data)).expect("valid");
    let mut b = GraphIndex::new(params.clone());
    two_threads.install(|| b.insert_batch(&data)).expect("valid");
    assert_eq!(records(&a), records(&b));

    let mut seq = GraphIndex::new(params);
    for (k, v) in &data {
        seq.insert(*k, v).expect("valid");
    }
    let (rb, rs) = (recall(&b, &qs, 10, Some(20), None), recall(&seq, &qs, 10, Some(20), None));
    assert!(rb >= rs - 0.02, "batch recall {rb} vs sequential {rs}");
}

#[test]
fn graph_concurrent_searches_agree() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GraphIndex>();
    let data = clustered(SEED + 11, 2000, 16, 20);
    let qs = queries(SEED + 11, 40, 16);
    let index = build(GraphKind::Hnsw, Metric::Cosine, &data);
    let expected: Vec<_> = qs.iter().map(|q| index.search(q, 10, None, None).expect("q")).collect();
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for (q, want) in qs.iter().zip(&expected) {
                    assert_eq!(&index.search(q, 10, None, None).expect("query"), want);
                }
            });
        }
    });
    assert!(index.memory_bytes() > data.len() * 16 * 4);
}

#[derive(Debug, Clone)]
enum Op {
    Insert(i64, Vec<f32>),
    Remove(i64),
    RemoveBatch(Vec<i64>),
}

fn op() -> impl Strategy<Value = Op> {
    let coord = (-4i8..=4).prop_map(f32::from);
    prop_oneof![
        4 => (0i64..24, prop::collection::vec(coord, 3)).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (0i64..24).prop_map(Op::Remove),
        1 => prop::collection::vec(0i64..24, 0..5).prop_map(Op::RemoveBatch),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Random inserts and removals against a `BTreeMap` model: membership, exact search, the
    /// graph invariants, and persisted records that reload to the same answers.
    #[test]
    fn graph_matches_model(ops in prop::collection::vec(op(), 1..60), diskann: bool) {
        let kind = if diskann { GraphKind::DiskAnn } else { GraphKind::Hnsw };
        let mut params = IndexParams::new(kind, Metric::L2Squared, 3);
        params.max_neighbors = 3;
        params.insert_l = 8;
        let mut index = GraphIndex::new(params.clone());
        let mut model: BTreeMap<i64, Vec<f32>> = BTreeMap::new();
        let mut store = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    index.insert(k, &v).expect("valid");
                    model.insert(k, v);
                }
                Op::Remove(k) => prop_assert_eq!(index.remove(k), model.remove(&k).is_some()),
                Op::RemoveBatch(keys) => {
                    let mut uniq = keys.clone();
                    uniq.sort_unstable();
                    uniq.dedup();
                    let n = uniq.iter().filter(|k| model.remove(k).is_some()).count();
                    prop_assert_eq!(index.remove_batch(&keys), n);
                }
            }
            index.check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(index.len(), model.len());
            let q = [0.5f32, -1.0, 2.0];
            let mut want: Vec<(i64, f64)> = model
                .iter()
                .map(|(&k, v)| (k, v.iter().zip(&q).map(|(a, b)| f64::from(a - b).powi(2)).sum()))
                .collect();
            want.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            want.truncate(5);
            prop_assert_eq!(index.search_exact(&q, 5, None).expect("query"), want.clone());
            let got = index.search(&q, 5, Some(64), None).expect("query");
            let dist = |k: &i64| -> f64 {
                model[k].iter().zip(&q).map(|(a, b)| f64::from(a - b).powi(2)).sum()
            };
            prop_assert!(got.len() <= want.len());
            prop_assert!(got.iter().all(|(k, d)| model.contains_key(k) && dist(k).to_bits() == d.to_bits()));
            prop_assert!(got.windows(2).all(|w| (w[0].1, w[0].0) < (w[1].1, w[1].0)));
            persist(&mut index, &mut store);
            prop_assert_eq!(store.len(), model.len());
        }
        let loaded = load_from(&params, &store, &model).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let q = [1.0f32, 1.0, -1.0];
        prop_assert_eq!(loaded.search(&q, 5, None, None).expect("q"), index.search(&q, 5, None, None).expect("q"));
    }
}

const COMPRESSIONS: [Compression; 4] =
    [Compression::Float32, Compression::Float16, Compression::BFloat16, Compression::Float8];

fn build_with(compression: Compression, metric: Metric, data: &[(i64, Vec<f32>)]) -> GraphIndex {
    let mut params = IndexParams::new(GraphKind::Hnsw, metric, data[0].1.len());
    params.compress_neighbors = compression;
    let mut index = GraphIndex::new(params);
    index.insert_batch(data).expect("valid vectors");
    index.check_invariants().expect("invariants after build");
    index
}

#[test]
fn graph_quantized_search_keeps_recall_and_reports_exact_distances() {
    // 97 dimensions: not a multiple of any SIMD width.
    let data = clustered(SEED + 20, 3000, 97, 30);
    let qs = queries(SEED + 20, 60, 97);
    for metric in [Metric::Cosine, Metric::L2, Metric::Dot] {
        let mut exact_walk = 0.0;
        for compression in COMPRESSIONS {
            let index = build_with(compression, metric, &data);
            // A narrow beam, where a poor walk distance shows most.
            let r = recall(&index, &qs, 10, Some(40), None);
            if compression == Compression::Float32 {
                exact_walk = r;
            }
            assert!(
                r >= 0.85 && r >= exact_walk - 0.03,
                "{compression} {metric} recall@10 {r} (float32 {exact_walk}) seed {SEED:#x}"
            );
            for q in &qs[..10] {
                // A beam of all nodes but one walks the graph (not a scan): re-ranking must then
                // find the exact answer, which the codes' own order often misses.
                let wide = index.search(q, 10, Some(data.len() - 1), None).expect("query");
                let want = index.search_exact(q, 10, None).expect("query");
                assert_eq!(wide, want, "{compression} {metric}");
                let all: BTreeMap<i64, f64> =
                    index.search_exact(q, data.len(), None).expect("query").into_iter().collect();
                for (key, d) in index.search(q, 10, Some(40), None).expect("query") {
                    assert_eq!(
                        d.to_bits(),
                        all[&key].to_bits(),
                        "{compression} {metric} key {key}"
                    );
                }
            }
        }
    }
}

#[test]
fn graph_quantized_walk_distances_approximate_exact_ones() {
    /// `(walk distance, exact internal distance)` of every node for the prepared query.
    struct Distances<'a>(&'a GraphIndex, &'a [f32]);
    impl codes::ProbeFn<Vec<(f32, f32)>> for Distances<'_> {
        fn call<P: codes::Probe>(self, probe: &P) -> Vec<(f32, f32)> {
            let g = &self.0.graph;
            g.live().map(|id| (probe.distance(id), g.cand(self.1, id).dist)).collect()
        }
    }
    let data = clustered(SEED + 21, 300, 97, 5);
    let qs = queries(SEED + 21, 5, 97);
    for metric in [Metric::Cosine, Metric::L2, Metric::Dot] {
        for compression in COMPRESSIONS {
            let index = build_with(compression, metric, &data);
            let g = &index.graph;
            // Relative tolerance of each code type, on the scale of the distance's terms.
            let rtol = match compression {
                Compression::Float32 => 1e-6,
                Compression::Float16 => 2e-3,
                Compression::BFloat16 => 1e-2,
                Compression::Float8 => 2e-2,
            };
            for q in &qs {
                let mut prepared = Vec::new();
                g.space.prepare(q, &mut prepared).expect("valid");
                let mut qc = codes::QueryCodes::default();
                let pairs = g.codes.with_probe(g, &prepared, &mut qc, Distances(&index, &prepared));
                let qn = prepared.iter().map(|x| x * x).sum::<f32>().sqrt();
                for ((walk, exact), id) in pairs.into_iter().zip(g.live()) {
                    let vn = g.vector(id).iter().map(|x| x * x).sum::<f32>().sqrt();
                    let scale =
                        if metric == Metric::L2 { (qn + vn).powi(2) } else { qn * vn + 1.0 };
                    assert!(
                        (walk - exact).abs() <= rtol * scale,
                        "{compression} {metric}: walk {walk} exact {exact} (scale {scale})"
                    );
                }
            }
        }
    }
}

#[test]
fn graph_built_on_codes_is_as_good_as_one_built_on_vectors() {
    // Inserts walk the codes and prune on exact distances: the graph such a build makes, walked
    // by exact distances, must find the neighbours about as well as one built on the vectors.
    let data = clustered(SEED + 22, 4000, 97, 40);
    let qs = queries(SEED + 22, 100, 97);
    let vectors: BTreeMap<i64, Vec<f32>> = data.iter().cloned().collect();
    for metric in [Metric::Cosine, Metric::L2] {
        let on_vectors = build_with(Compression::Float32, metric, &data);
        for compression in [Compression::Float8, Compression::Float16] {
            let mut on_codes = build_with(compression, metric, &data);
            let mut store = Store::new();
            persist(&mut on_codes, &mut store);
            let walked_exactly = load_from(on_vectors.params(), &store, &vectors).expect("load");
            for search_l in [Some(20), None] {
                let want = recall(&on_vectors, &qs, 10, search_l, None);
                let got = recall(&walked_exactly, &qs, 10, search_l, None);
                assert!(
                    got >= want - 0.02,
                    "{compression} {metric} search_l {search_l:?}: recall@10 {got} on the graph \
                     built on codes, {want} on vectors; seed {SEED:#x}"
                );
            }
            let r = recall(&on_codes, &qs, 10, None, None);
            assert!(r >= 0.95, "{compression} {metric} recall@10 {r} seed {SEED:#x}");
        }
    }
}
