//! Graph walks: the greedy descent through the upper layers and the beam search of one layer,
//! with the scratch buffers they reuse (nothing is allocated per hop).
//!
//! Candidates are ordered by `(distance, key)`, a total order that depends only on the persisted
//! graph and the vectors: so a walk visits the same nodes, whatever the order of neighbours in a
//! list and whatever the `NodeId`s are — which is why a loaded index answers exactly like the one
//! that wrote the records.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::{Mutex, PoisonError};

use super::codes::{Probe, QueryCodes};
use super::layers::{Graph, NodeId};

/// A node with its distance to the query (internal distance, see `space`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Cand {
    pub(super) dist: f32,
    pub(super) id: NodeId,
    pub(super) key: i64,
}

impl Ord for Cand {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dist.total_cmp(&other.dist).then(self.key.cmp(&other.key))
    }
}

impl PartialOrd for Cand {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Cand {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Cand {}

/// A set of `NodeId`s cleared in O(1): a slot is in the set iff its tag equals the generation.
#[derive(Debug, Default)]
pub(super) struct Visited {
    tags: Vec<u32>,
    generation: u32,
}

impl Visited {
    /// Empties the set and makes room for ids below `slots`.
    pub(super) fn reset(&mut self, slots: usize) {
        if self.tags.len() < slots {
            self.tags.resize(slots, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.tags.fill(0);
            self.generation = 1;
        }
    }

    /// Adds `id`; returns whether it was new.
    #[inline]
    pub(super) fn insert(&mut self, id: NodeId) -> bool {
        let tag = &mut self.tags[id.idx()];
        let new = *tag != self.generation;
        *tag = self.generation;
        new
    }

    #[inline]
    pub(super) fn contains(&self, id: NodeId) -> bool {
        self.tags[id.idx()] == self.generation
    }
}

/// Buffers one walk needs; kept in a [`ScratchPool`] between walks.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) visited: Visited,
    /// Nodes still to expand, nearest first.
    candidates: BinaryHeap<Reverse<Cand>>,
    /// The best nodes found (that pass the filter), worst on top.
    results: BinaryHeap<Cand>,
    /// The results of the last walk, sorted ascending (see [`Scratch::sorted_results`]).
    pub(super) sorted: Vec<Cand>,
    /// The prepared query vector.
    pub(super) query: Vec<f32>,
    /// The query's traversal codes.
    pub(super) query_codes: QueryCodes,
    /// The unvisited neighbours of the node being expanded.
    fresh: Vec<u32>,
}

impl Scratch {
    /// Moves the results of the last beam search into `self.sorted`, nearest first.
    pub(super) fn sorted_results(&mut self) {
        self.unsorted_results();
        self.sorted.sort_unstable();
    }

    /// Moves the results of the last beam search into `self.sorted`, in no particular order
    /// (for a caller that changes their distances first).
    pub(super) fn unsorted_results(&mut self) {
        self.sorted.clear();
        self.sorted.extend(self.results.drain());
    }
}

/// Scratch buffers shared by the threads that search one index.
#[derive(Debug, Default)]
pub(super) struct ScratchPool(Mutex<Vec<Scratch>>);

impl ScratchPool {
    /// Runs `f` with a scratch taken from the pool (or a new one), then returns it to the pool.
    pub(super) fn with<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        // A panic while the lock is held cannot leave the Vec inconsistent: ignore poisoning.
        let taken = self.0.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut scratch = taken.unwrap_or_default();
        let r = f(&mut scratch);
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(scratch);
        r
    }

    pub(super) fn memory_bytes(&self) -> usize {
        let pool = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        pool.iter()
            .map(|s| {
                s.visited.tags.capacity() * 4
                    + (s.candidates.capacity() + s.results.capacity() + s.sorted.capacity())
                        * std::mem::size_of::<Cand>()
                    + (s.query.capacity() + s.fresh.capacity()) * 4
                    + s.query_codes.memory_bytes()
            })
            .sum()
    }
}

impl Graph {
    /// `id` as a candidate for `query` (exact internal distance).
    #[inline]
    pub(super) fn cand(&self, query: &[f32], id: NodeId) -> Cand {
        Cand { dist: self.space.distance(query, self.vector(id)), id, key: self.key(id) }
    }

    /// `id` as a candidate at the distance `probe` gives.
    #[inline]
    fn probe_cand(&self, probe: &impl Probe, id: NodeId) -> Cand {
        Cand { dist: probe.distance(id), id, key: self.key(id) }
    }

    /// Greedy walk on `layer` from `cur` to a local minimum of `(distance, key)`.
    pub(super) fn greedy(&self, probe: &impl Probe, mut cur: Cand, layer: u8) -> Cand {
        // Each step strictly decreases `cur` in a finite total order, so the loop ends.
        loop {
            let mut best = cur;
            for &n in self.neighbors(cur.id, layer) {
                let c = self.probe_cand(probe, NodeId(n));
                if c < best {
                    best = c;
                }
            }
            if best == cur {
                return cur;
            }
            cur = best;
        }
    }

    /// From the entry node down to `layer + 1` greedily: the start of the beam on `layer`.
    /// `None` if the graph is empty.
    pub(super) fn descend(&self, probe: &impl Probe, layer: u8) -> Option<Cand> {
        let entry = self.entry()?;
        let mut cur = self.probe_cand(probe, entry);
        for l in (layer + 1..=self.level(entry)).rev() {
            cur = self.greedy(probe, cur, l);
        }
        Some(cur)
    }

    /// Beam search of `layer` from `start`, keeping the `ef` best nodes that pass `filter` in
    /// the scratch's result heap. Non-matching nodes are still expanded, and the walk goes on
    /// until `ef` matching nodes are found or no candidate can improve them — so a selective
    /// filter widens the search instead of returning fewer results.
    pub(super) fn beam(
        &self,
        probe: &impl Probe,
        start: Cand,
        ef: usize,
        layer: u8,
        filter: Option<&dyn Fn(i64) -> bool>,
        s: &mut Scratch,
    ) {
        debug_assert!(ef >= 1);
        s.visited.reset(self.slots());
        s.candidates.clear();
        s.results.clear();
        s.visited.insert(start.id);
        s.candidates.push(Reverse(start));
        if filter.is_none_or(|f| f(start.key)) {
            s.results.push(start);
        }
        let mut fresh = std::mem::take(&mut s.fresh);
        while let Some(Reverse(c)) = s.candidates.pop() {
            if s.results.len() >= ef && s.results.peek().is_some_and(|w| c > *w) {
                break;
            }
            // The likely next node to expand: its list loads while this one's neighbours are
            // scored.
            if let Some(Reverse(next)) = s.candidates.peek() {
                self.prefetch_neighbors(next.id, layer);
            }
            // The unvisited neighbours first (their visited tags are one array), then their
            // distances.
            fresh.clear();
            for &n in self.neighbors(c.id, layer) {
                if s.visited.insert(NodeId(n)) {
                    fresh.push(n);
                }
            }
            probe.prefetch_fresh(&fresh);
            for &n in &fresh {
                self.prefetch_key(NodeId(n));
            }
            for (i, &n) in fresh.iter().enumerate() {
                if let Some(&next) = fresh.get(i + 1) {
                    probe.prefetch_next(NodeId(next));
                }
                let id = NodeId(n);
                let dist = probe.distance(id);
                self.offer(id, dist, ef, filter, s);
            }
        }
        s.fresh = fresh;
    }

    /// Offers node `id` at `dist` to the beam: a candidate to expand if it could improve the
    /// results, and a result if it also passes the filter.
    #[inline]
    fn offer(
        &self,
        id: NodeId,
        dist: f32,
        ef: usize,
        filter: Option<&dyn Fn(i64) -> bool>,
        s: &mut Scratch,
    ) {
        let worst = if s.results.len() >= ef { s.results.peek() } else { None };
        // Cheap rejection on the distance alone before the key is read.
        if worst.is_some_and(|w| dist > w.dist) {
            return;
        }
        let e = Cand { dist, id, key: self.key(id) };
        if worst.is_some_and(|w| e >= *w) {
            return;
        }
        s.candidates.push(Reverse(e));
        if filter.is_none_or(|f| f(e.key)) {
            s.results.push(e);
            if s.results.len() > ef {
                s.results.pop();
            }
        }
    }
}
