//! Insertion: batches of new nodes are *planned* in parallel against the graph as it was before
//! the batch (search each node's neighbours on every layer it shares with the graph — walking the
//! traversal codes, see [`PlanWalk`] — and select them by robust pruning on exact distances), then *linked* in item order (set the new lists, add the reverse edges —
//! pruning a list that overflows, again in parallel per target node).
//!
//! A batch of one is exactly the sequential HNSW / Vamana insert. Larger batches lose only the
//! edges between nodes of the same batch at planning time, so the batch size is kept to a small
//! fraction of the graph ([`batch_cap`]), as in `ParlayANN`'s prefix-doubling builds; and a node
//! that would raise the top level is inserted alone, so upper layers are built exactly as by
//! sequential inserts. Every step is a pure function of the graph before it, applied in item
//! order, so a build does not depend on the number of threads.

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::codes::{Probe, ProbeFn};
use super::index::GraphIndex;
use super::layers::NodeId;
use super::search::{Cand, Scratch};

/// The neighbours chosen for a new node on each layer `0..=min(level, top level)`.
#[derive(Debug)]
struct Plan {
    id: NodeId,
    layers: Vec<Vec<Cand>>,
}

/// A reverse edge to add: `target` gets `source` (with their distance) on `layer`.
type BackLink = (NodeId, u8, Cand);

/// Largest batch for a graph of `len` nodes: 1 (sequential) for small graphs, then 1/24 of the
/// graph, at most 4096.
fn batch_cap(len: usize) -> usize {
    (len / 24).clamp(1, 4096)
}

/// Runs `f` over `items`, in parallel when there are enough to pay for it; keeps item order.
fn map_maybe_par<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() > 1 {
        items.par_iter().with_min_len(1).map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

impl GraphIndex {
    /// Inserts prepared vectors (`keys.len() * dims` floats), in batches.
    pub(super) fn insert_prepared(&mut self, keys: &[i64], vectors: &[f32]) {
        let dims = self.params.dims;
        debug_assert_eq!(keys.len() * dims, vectors.len());
        self.graph.reserve(keys.len());
        let mut seen = FxHashSet::default();
        let mut start = 0;
        while start < keys.len() {
            let cap = batch_cap(self.len());
            let top = self.graph.top_level();
            seen.clear();
            let mut end = start;
            while end < keys.len() && end - start < cap {
                let key = keys[end];
                let raises_top = top.is_none_or(|t| self.level_for(key) > t);
                if end > start && (raises_top || seen.contains(&key)) {
                    break;
                }
                seen.insert(key);
                end += 1;
                if raises_top {
                    break;
                }
            }
            self.insert_run(&keys[start..end], &vectors[start * dims..end * dims]);
            start = end;
        }
    }

    /// Inserts one batch (distinct keys).
    fn insert_run(&mut self, keys: &[i64], vectors: &[f32]) {
        let replaced: Vec<i64> = keys.iter().copied().filter(|&k| self.contains(k)).collect();
        if !replaced.is_empty() {
            self.remove_many(&replaced);
        }
        let ids: Vec<NodeId> = keys
            .iter()
            .zip(vectors.chunks_exact(self.params.dims))
            .map(|(&key, v)| {
                let level = self.level_for(key);
                self.graph.alloc(key, level, v)
            })
            .collect();
        let this = &*self;
        let plans = map_maybe_par(&ids, |&id| this.pool.with(|s| this.plan(id, s)));
        self.link(&plans);
    }

    /// Finds the neighbours of the (allocated, unlinked) node `id` in the current graph.
    fn plan(&self, id: NodeId, s: &mut Scratch) -> Plan {
        let g = &self.graph;
        let Some(top) = g.top_level() else {
            return Plan { id, layers: Vec::new() };
        };
        let mut qc = std::mem::take(&mut s.query_codes);
        let walk = PlanWalk { index: self, id, reach: g.level(id).min(top), s: &mut *s };
        let layers = g.codes.with_probe(g, g.vector(id), &mut qc, walk);
        s.query_codes = qc;
        Plan { id, layers }
    }

    /// Links planned nodes: their own lists, then the reverse edges, then the entry node.
    fn link(&mut self, plans: &[Plan]) {
        let mut back: Vec<BackLink> = Vec::new();
        let mut ids = Vec::new();
        for plan in plans {
            let key = self.graph.key(plan.id);
            for (layer, chosen) in plan.layers.iter().enumerate() {
                let layer = layer as u8;
                ids.clear();
                ids.extend(chosen.iter().map(|c| c.id));
                self.graph.set_neighbors(plan.id, layer, &ids);
                back.extend(
                    chosen.iter().map(|c| (c.id, layer, Cand { dist: c.dist, id: plan.id, key })),
                );
            }
        }
        // Group by (target, layer); the sort is stable, so sources stay in item order.
        back.sort_by_key(|&(target, layer, _)| (target, layer));
        let groups: Vec<&[BackLink]> = back.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)).collect();
        let this = &*self;
        let updates = map_maybe_par(&groups, |group| this.pool.with(|s| this.back_link(group, s)));
        for (target, layer, list) in updates {
            self.graph.set_neighbors(target, layer, &list);
        }
        for plan in plans {
            self.graph.offer_entry(plan.id);
        }
    }

    /// The new neighbour list of a node that gains the edges of `group` (same target and
    /// layer): appended if they fit, else robust-pruned together with the old ones.
    fn back_link(&self, group: &[BackLink], s: &mut Scratch) -> (NodeId, u8, Vec<NodeId>) {
        let g = &self.graph;
        let (target, layer, _) = group[0];
        let existing = g.neighbors(target, layer);
        let max = g.max_degree(layer);
        if existing.len() + group.len() <= max {
            let list = existing.iter().map(|&n| NodeId(n)).chain(group.iter().map(|b| b.2.id));
            return (target, layer, list.collect());
        }
        let tv = g.vector(target);
        s.sorted.clear();
        s.sorted.extend(existing.iter().map(|&n| g.cand(tv, NodeId(n))));
        s.sorted.extend(group.iter().map(|b| b.2));
        s.sorted.sort_unstable();
        let mut chosen = Vec::with_capacity(max);
        g.select(&s.sorted, max, self.alpha, &mut chosen);
        (target, layer, chosen.iter().map(|c| c.id).collect())
    }
}

/// The walks that plan one node: descent to its top layer, then a beam of width `insert_l` on
/// each layer it shares with the graph, on the traversal codes like a query's walk. Each beam's
/// nodes are re-ranked by exact distance before robust pruning, so the edges chosen (and the
/// distances pruning compares) are those of the `f32` vectors; the codes only steer the walk,
/// which at `insert_l` far above the number of edges kept finds the same candidates.
struct PlanWalk<'a> {
    index: &'a GraphIndex,
    id: NodeId,
    reach: u8,
    s: &'a mut Scratch,
}

impl ProbeFn<Vec<Vec<Cand>>> for PlanWalk<'_> {
    fn call<P: Probe>(self, probe: &P) -> Vec<Vec<Cand>> {
        let PlanWalk { index, id, reach, s } = self;
        let g = &index.graph;
        let params = &index.params;
        let query = g.vector(id);
        let mut cur = g.descend(probe, reach).expect("the graph has an entry");
        let mut layers = vec![Vec::new(); reach as usize + 1];
        for layer in (0..=reach).rev() {
            g.beam(probe, cur, params.insert_l, layer, None, s);
            if !g.codes.is_exact() {
                for c in &mut s.sorted {
                    c.dist = g.space.distance(query, g.vector(c.id));
                }
                s.sorted.sort_unstable();
            }
            let nearest = s.sorted[0];
            cur = Cand { dist: probe.distance(nearest.id), ..nearest };
            let mut chosen = Vec::with_capacity(params.max_neighbors);
            g.select(&s.sorted, params.max_neighbors, index.alpha, &mut chosen);
            layers[layer as usize] = chosen;
        }
        layers
    }
}
