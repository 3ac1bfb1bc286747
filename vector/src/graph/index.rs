//! [`GraphIndex`]: the public face of the graph — insert, remove, search, persisted node records
//! and their loading.

use std::fmt;

use super::codes::{Codes, Probe, ProbeFn};
use super::layers::{Graph, NodeId, MAX_LEVEL};
use super::params::{GraphKind, IndexParams};
use super::record;
use super::search::{Cand, Scratch, ScratchPool};
use super::space::Space;
use crate::error::VectorError;

/// A filter on keys: a search returns only keys for which it returns `true`.
pub type KeyFilter<'a> = &'a (dyn Fn(i64) -> bool + Sync);

/// An approximate nearest-neighbour index over `f32` vectors keyed by `i64` (table rowids): an
/// HNSW or DiskANN (Vamana) graph held in memory. See the [module docs](super) for the design.
///
/// ```
/// use embedlite_vector::{GraphIndex, GraphKind, IndexParams, Metric};
///
/// let mut index = GraphIndex::new(IndexParams::new(GraphKind::Hnsw, Metric::L2, 2));
/// index.insert_batch(&[(1, vec![0.0, 0.0]), (2, vec![1.0, 0.0]), (3, vec![5.0, 5.0])])?;
/// let hits = index.search(&[0.9, 0.1], 2, None, None)?;
/// assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), [2, 1]);
///
/// // The engine persists one record per dirty node and can rebuild the same index from them.
/// let nodes = index
///     .take_dirty()
///     .into_iter()
///     .map(|key| {
///         let record = index.node_record(key).expect("present");
///         let vector = [(1, vec![0.0, 0.0]), (2, vec![1.0, 0.0]), (3, vec![5.0, 5.0])]
///             [key as usize - 1].1.clone();
///         (key, record, vector)
///     })
///     .collect();
/// let loaded = GraphIndex::load(index.params().clone(), nodes)?;
/// assert_eq!(loaded.search(&[0.9, 0.1], 2, None, None)?, hits);
/// # Ok::<(), embedlite_vector::VectorError>(())
/// ```
pub struct GraphIndex {
    pub(super) params: IndexParams,
    pub(super) graph: Graph,
    /// `params.alpha` on the internal distance scale.
    pub(super) alpha: f32,
    /// HNSW level multiplier `1 / ln(M)`.
    level_mult: f64,
    pub(super) pool: ScratchPool,
}

/// A deep copy (graph, vectors and pending dirty keys); the copy gets its own search scratch.
impl Clone for GraphIndex {
    fn clone(&self) -> Self {
        GraphIndex {
            params: self.params.clone(),
            graph: self.graph.clone(),
            alpha: self.alpha,
            level_mult: self.level_mult,
            pool: ScratchPool::default(),
        }
    }
}

impl fmt::Debug for GraphIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphIndex")
            .field("params", &self.params)
            .field("len", &self.len())
            .field("slots", &self.graph.slots())
            .finish_non_exhaustive()
    }
}

impl GraphIndex {
    /// An empty index.
    ///
    /// # Panics
    /// If `params` are out of range (see [`IndexParams::validate`]), for example the `Hamming`
    /// metric; [`GraphIndex::try_new`] returns the error instead.
    #[must_use]
    pub fn new(params: IndexParams) -> Self {
        match Self::try_new(params) {
            Ok(index) => index,
            Err(e) => panic!("invalid graph index parameters: {e}"),
        }
    }

    /// An empty index, or the error of [`IndexParams::validate`].
    pub fn try_new(params: IndexParams) -> Result<Self, VectorError> {
        params.validate()?;
        let space = Space::new(params.metric, params.dims)?;
        let codes = Codes::new(params.compress_neighbors, params.metric, params.dims)?;
        let m = params.max_neighbors;
        let max0 = match params.kind {
            GraphKind::Hnsw => 2 * m,
            GraphKind::DiskAnn => m,
        };
        Ok(GraphIndex {
            alpha: Graph::internal_alpha(params.alpha, params.metric),
            level_mult: 1.0 / (m.max(2) as f64).ln(),
            graph: Graph::new(space, codes, max0, m),
            params,
            pool: ScratchPool::default(),
        })
    }

    /// The parameters the index was made with.
    #[must_use]
    pub fn params(&self) -> &IndexParams {
        &self.params
    }

    /// Number of keys in the index.
    #[must_use]
    pub fn len(&self) -> usize {
        self.graph.len()
    }

    /// Whether the index holds no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.graph.len() == 0
    }

    /// Whether `key` is in the index.
    #[must_use]
    pub fn contains(&self, key: i64) -> bool {
        self.graph.id_of(key).is_some()
    }

    /// The level of a new node with `key`: a function of the seed and the key only, so that a
    /// build is reproducible whatever the order of inserts (HNSW: `P(level >= l) = M^-l`).
    pub(super) fn level_for(&self, key: i64) -> u8 {
        if self.params.kind == GraphKind::DiskAnn {
            return 0;
        }
        let h = splitmix64(self.params.seed ^ splitmix64(key as u64));
        // Uniform in (0, 1]: never ln(0).
        let u = ((h >> 11) + 1) as f64 / (1u64 << 53) as f64;
        (-u.ln() * self.level_mult).floor().min(f64::from(MAX_LEVEL)) as u8
    }

    /// Inserts the vector of `key`, replacing the key's old vector if it has one.
    ///
    /// Errors (and leaves the index unchanged) if the vector has the wrong length
    /// ([`VectorError::DimensionMismatch`]) or a NaN or infinite element
    /// ([`VectorError::NonFinite`]).
    pub fn insert(&mut self, key: i64, vector: &[f32]) -> Result<(), VectorError> {
        let mut prepared = Vec::with_capacity(self.params.dims);
        self.graph.space.prepare(vector, &mut prepared)?;
        self.insert_prepared(&[key], &prepared);
        Ok(())
    }

    /// Inserts many vectors, in parallel (rayon), as if by [`GraphIndex::insert`] in order (a
    /// later item with the same key replaces an earlier one). Every vector is checked first: on
    /// an error nothing is inserted.
    ///
    /// The graph grows in batches whose size is a small fraction of the graph: the neighbours of
    /// a batch's nodes are searched in parallel on the graph as it was before the batch, then
    /// linked in item order. The result does not depend on the number of threads.
    pub fn insert_batch(&mut self, items: &[(i64, Vec<f32>)]) -> Result<(), VectorError> {
        let dims = self.params.dims;
        let mut prepared = Vec::with_capacity(items.len() * dims);
        let mut one = Vec::with_capacity(dims);
        for (_, vector) in items {
            self.graph.space.prepare(vector, &mut one)?;
            prepared.extend_from_slice(&one);
        }
        let keys: Vec<i64> = items.iter().map(|(k, _)| *k).collect();
        self.insert_prepared(&keys, &prepared);
        Ok(())
    }

    /// Removes `key`, reconnecting the nodes that pointed to it (see
    /// [`GraphIndex::remove_batch`]). Returns whether the key was in the index.
    pub fn remove(&mut self, key: i64) -> bool {
        self.remove_batch(&[key]) == 1
    }

    /// Removes every key of `keys` that is in the index; returns how many were. Each node that
    /// pointed to a removed node gets new neighbours chosen (by robust pruning) from its
    /// remaining ones and those of the removed node, so that recall does not decay. One call
    /// scans the graph once, so removing many keys together is much cheaper than one by one.
    pub fn remove_batch(&mut self, keys: &[i64]) -> usize {
        self.remove_many(keys)
    }

    /// The `k` nearest keys to `query` that pass `filter`, with their distances (as [`Metric`]
    /// defines them), sorted by `(distance, key)`.
    ///
    /// `search_l` (default [`IndexParams::search_l`], at least `k`) is the beam width: larger
    /// is slower and finds the true neighbours more often; one of at least [`GraphIndex::len`]
    /// scans every node, so that its answer is exact. With a filter the walk still passes
    /// through non-matching nodes and goes on until `search_l` matching ones are found or the
    /// reachable graph is exhausted.
    ///
    /// The walk computes distances on the index's traversal codes
    /// ([`IndexParams::compress_neighbors`]); the `search_l` nodes it keeps are then re-ranked by
    /// exact distance, so the distances returned are always exact.
    ///
    /// [`Metric`]: crate::Metric
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        search_l: Option<usize>,
        filter: Option<KeyFilter<'_>>,
    ) -> Result<Vec<(i64, f64)>, VectorError> {
        let ef = search_l.unwrap_or(self.params.search_l).max(k);
        if ef >= self.len() {
            // A beam as wide as the index visits everything it can reach; a scan also finds the
            // nodes that pruning left without incoming edges, and costs no more.
            return self.search_exact(query, k, filter);
        }
        let filter: Option<&dyn Fn(i64) -> bool> = match filter {
            Some(f) => Some(f),
            None => None,
        };
        self.pool.with(|s| {
            let mut q = std::mem::take(&mut s.query);
            self.graph.space.prepare(query, &mut q)?;
            let mut hits = Vec::new();
            if k > 0 {
                let mut qc = std::mem::take(&mut s.query_codes);
                let walk = Walk { graph: &self.graph, ef, filter, s: &mut *s };
                let walked = self.graph.codes.with_probe(&self.graph, &q, &mut qc, walk);
                s.query_codes = qc;
                if walked {
                    if !self.graph.codes.is_exact() {
                        // Re-rank the beam by exact distance.
                        for c in &mut s.sorted {
                            c.dist = self.graph.space.distance(&q, self.graph.vector(c.id));
                        }
                    }
                    hits = self.finish(&q, &mut s.sorted, k);
                }
            }
            s.query = q;
            Ok(hits)
        })
    }

    /// The exact `k` nearest keys by brute force, with the same ordering and filter contract as
    /// [`GraphIndex::search`] (for tests, and for filters so selective that a scan is cheaper).
    pub fn search_exact(
        &self,
        query: &[f32],
        k: usize,
        filter: Option<KeyFilter<'_>>,
    ) -> Result<Vec<(i64, f64)>, VectorError> {
        self.pool.with(|s| {
            let mut q = std::mem::take(&mut s.query);
            self.graph.space.prepare(query, &mut q)?;
            let mut hits = Vec::new();
            if k > 0 {
                let mut cands: Vec<Cand> = self
                    .graph
                    .live()
                    .filter(|&id| filter.is_none_or(|f| f(self.graph.key(id))))
                    .map(|id| self.graph.cand(&q, id))
                    .collect();
                if cands.len() > k {
                    cands.select_nth_unstable(k - 1);
                    cands.truncate(k);
                }
                hits = self.finish(&q, &mut cands, k);
            }
            s.query = q;
            Ok(hits)
        })
    }

    /// The best `k` of `cands` by `(internal distance, key)`, reported with the metric's
    /// distance and sorted by `(distance, key)`.
    fn finish(&self, q: &[f32], cands: &mut [Cand], k: usize) -> Vec<(i64, f64)> {
        cands.sort_unstable();
        let mut hits: Vec<(i64, f64)> = cands
            .iter()
            .take(k)
            .map(|c| (c.key, self.graph.space.report(q, self.graph.vector(c.id))))
            .collect();
        hits.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        hits
    }

    /// The keys whose persisted record changed (inserted, neighbours changed, removed) since the
    /// last call, sorted and deduplicated. For each, the engine writes
    /// [`GraphIndex::node_record`], or deletes the row when that is `None`.
    pub fn take_dirty(&mut self) -> Vec<i64> {
        self.graph.take_dirty()
    }

    /// The persisted record of `key` (level and neighbour keys, no vector; layout in
    /// `graph/record.rs`), or `None` if the key is not in the index.
    #[must_use]
    pub fn node_record(&self, key: i64) -> Option<Vec<u8>> {
        let id = self.graph.id_of(key)?;
        let mut layers: Vec<Vec<i64>> = (0..=self.graph.level(id))
            .map(|layer| {
                self.graph.neighbors(id, layer).iter().map(|&n| self.graph.key(NodeId(n))).collect()
            })
            .collect();
        Some(record::encode(key, &mut layers))
    }

    /// Rebuilds an index from `(key, record, vector)` triples (any order): the same graph and
    /// entry node, so it answers every search exactly as the index that wrote the records.
    ///
    /// A record that does not decode, names a neighbour that is not among the keys, or gives a
    /// node a layer its neighbour lacks is [`VectorError::CorruptNode`]; a vector of the wrong
    /// length or with non-finite elements is the error [`GraphIndex::insert`] gives.
    pub fn load(
        params: IndexParams,
        nodes: Vec<(i64, Vec<u8>, Vec<f32>)>,
    ) -> Result<Self, VectorError> {
        let mut index = Self::try_new(params)?;
        let max_level = match index.params.kind {
            GraphKind::Hnsw => MAX_LEVEL,
            GraphKind::DiskAnn => 0,
        };
        let g = &mut index.graph;
        g.reserve(nodes.len());
        let mut decoded = Vec::with_capacity(nodes.len());
        let mut prepared = Vec::with_capacity(index.params.dims);
        for (key, bytes, vector) in &nodes {
            let (level, layers) = record::decode(*key, bytes, max_level, |l| g.max_degree(l))?;
            g.space.prepare(vector, &mut prepared)?;
            if g.id_of(*key).is_some() {
                return Err(VectorError::CorruptNode { key: *key, reason: "key appears twice" });
            }
            decoded.push((g.alloc(*key, level, &prepared), layers));
        }
        drop(nodes);
        let mut ids = Vec::new();
        for (id, layers) in decoded {
            let key = g.key(id);
            for (layer, keys) in layers.iter().enumerate() {
                let layer = layer as u8;
                ids.clear();
                for &k in keys {
                    let corrupt = |reason| VectorError::CorruptNode { key, reason };
                    let nb = g.id_of(k).ok_or_else(|| corrupt("neighbour is not in the index"))?;
                    if nb == id {
                        return Err(corrupt("node is its own neighbour"));
                    }
                    if g.level(nb) < layer {
                        return Err(corrupt("neighbour lacks the layer"));
                    }
                    ids.push(nb);
                }
                g.set_neighbors(id, layer, &ids);
            }
            g.offer_entry(id);
        }
        g.clear_dirty();
        Ok(index)
    }

    /// Approximate heap bytes used by the index (vectors, adjacency, key map, scratch buffers).
    #[must_use]
    pub fn memory_bytes(&self) -> usize {
        self.graph.memory_bytes() + self.pool.memory_bytes()
    }

    /// Checks the graph's invariants (see `graph/layers.rs`): every neighbour is a live node
    /// with the layer, no duplicates or self-loops, degrees within bounds, key map and free list
    /// consistent, the entry node is the top node. Tests call it after every change.
    pub fn check_invariants(&self) -> Result<(), VectorError> {
        self.graph.check_invariants()
    }
}

/// A query's walk: descent and beam search of layer 0 with one probe. Returns whether the graph
/// had an entry (and so the scratch holds the beam's results).
struct Walk<'a, 'f> {
    graph: &'a Graph,
    ef: usize,
    filter: Option<&'f dyn Fn(i64) -> bool>,
    s: &'a mut Scratch,
}

impl ProbeFn<bool> for Walk<'_, '_> {
    fn call<P: Probe>(self, probe: &P) -> bool {
        let Some(start) = self.graph.descend(probe, 0) else {
            return false;
        };
        self.graph.beam(probe, start, self.ef, 0, self.filter, self.s);
        true
    }
}

/// The `splitmix64` mixer: a bijection of `u64` with good avalanche.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
