//! Graph walks: the greedy descent through the upper layers and the beam search of one layer,
//! with the scratch buffers they reuse (nothing is allocated per hop).
//!
//! Candidates are ordered by `(distance, key)`, a total order that depends only on the persisted
//! graph and the vectors: so a walk visits the same nodes, whatever the order of neighbours in a
//! list and whatever the `NodeId`s are — which is why a loaded index answers exactly like the one
//! that wrote the records.
//!
//! A beam without a filter (every insert, most queries) keeps its nodes in one sorted array of at
//! most `ef` entries, each marked once expanded, and expands the nearest unexpanded one until none
//! is left — the beam of DiskANN and `ParlayANN`. It expands exactly the nodes that the two heaps of
//! the HNSW paper expand (a candidate outside the best `ef` is never expanded by either: the heap
//! version stops when it pops one), at a fraction of the cost: an insertion is a binary search
//! and a short move of 8-byte entries, and the keys are read only to break exact distance ties.
//! A filtered beam keeps the two heaps, because its candidates (every node) and its results (the
//! nodes that pass) are different sets.

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

/// An entry of an unfiltered beam: a node, its distance, and whether it was expanded.
#[derive(Debug, Clone, Copy)]
struct BeamEntry {
    /// The distance as an integer of the same order as `f32::total_cmp` ([`total_order`]), so
    /// that the beam's binary search compares integers.
    ord: u32,
    id: u32,
    expanded: bool,
}

/// `x` as a `u32` whose order is `f32::total_cmp`'s: negative numbers have all bits flipped,
/// the others only the sign bit.
#[inline]
fn total_order(x: f32) -> u32 {
    let bits = x.to_bits();
    if bits >> 31 == 1 {
        !bits
    } else {
        bits | 1 << 31
    }
}

/// The inverse of [`total_order`].
#[inline]
fn from_total_order(ord: u32) -> f32 {
    f32::from_bits(if ord >> 31 == 1 { ord & !(1 << 31) } else { !ord })
}

/// Buffers one walk needs; kept in a [`ScratchPool`] between walks.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) visited: Visited,
    /// An unfiltered beam's nodes, nearest first (module docs).
    entries: Vec<BeamEntry>,
    /// A filtered beam's nodes still to expand, nearest first.
    candidates: BinaryHeap<Reverse<Cand>>,
    /// A filtered beam's best nodes that pass the filter, worst on top.
    results: BinaryHeap<Cand>,
    /// The results of the last beam ([`Graph::beam`]).
    pub(super) sorted: Vec<Cand>,
    /// The prepared query vector.
    pub(super) query: Vec<f32>,
    /// The query's traversal codes.
    pub(super) query_codes: QueryCodes,
    /// The unvisited neighbours of the node being expanded.
    fresh: Vec<u32>,
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
                    + s.entries.capacity() * std::mem::size_of::<BeamEntry>()
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

    /// Beam search of `layer` from `start`, leaving the `ef` best nodes that pass `filter` in
    /// `s.sorted` (nearest first without a filter, in no particular order with one).
    /// Non-matching nodes are still expanded, and the walk goes on until `ef` matching nodes are
    /// found or no candidate can improve them — so a selective filter widens the search instead
    /// of returning fewer results.
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
        s.visited.insert(start.id);
        match filter {
            None => self.sorted_beam(probe, start, ef, layer, s),
            Some(f) => self.filtered_beam(probe, start, ef, layer, f, s),
        }
    }

    /// The unfiltered beam on one sorted array (module docs).
    fn sorted_beam(&self, probe: &impl Probe, start: Cand, ef: usize, layer: u8, s: &mut Scratch) {
        let beam = &mut s.entries;
        beam.clear();
        beam.push(BeamEntry { ord: total_order(start.dist), id: start.id.0, expanded: false });
        let mut fresh = std::mem::take(&mut s.fresh);
        // Every entry before `next` is expanded.
        let mut next = 0;
        while let Some(i) = beam[next..].iter().position(|e| !e.expanded).map(|p| next + p) {
            beam[i].expanded = true;
            next = i + 1;
            let c = NodeId(beam[i].id);
            // The likely next node to expand: its list loads while this one's neighbours are
            // scored.
            if let Some(e) = beam[next..].iter().find(|e| !e.expanded) {
                self.prefetch_neighbors(NodeId(e.id), layer);
            }
            // The unvisited neighbours first (their visited tags are one array), then their
            // distances.
            fresh.clear();
            for &n in self.neighbors(c, layer) {
                if s.visited.insert(NodeId(n)) {
                    fresh.push(n);
                }
            }
            probe.prefetch_fresh(&fresh);
            for (j, &n) in fresh.iter().enumerate() {
                if let Some(&after) = fresh.get(j + 1) {
                    probe.prefetch_next(NodeId(after));
                }
                let ord = total_order(probe.distance(NodeId(n)));
                let e = BeamEntry { ord, id: n, expanded: false };
                if beam.len() >= ef && !beam.last().is_some_and(|w| self.entry_before(&e, w)) {
                    continue;
                }
                let mut at = beam.partition_point(|x| x.ord < ord);
                // Equal distances are ordered by key.
                while beam.get(at).is_some_and(|x| x.ord == ord && self.entry_before(x, &e)) {
                    at += 1;
                }
                beam.insert(at, e);
                beam.truncate(ef);
                next = next.min(at);
            }
        }
        s.fresh = fresh;
        s.sorted.clear();
        s.sorted.extend(beam.iter().map(|e| {
            let id = NodeId(e.id);
            Cand { dist: from_total_order(e.ord), id, key: self.key(id) }
        }));
    }

    /// Whether `a` comes before `b` in the `(distance, key)` order; the keys are read only for
    /// equal distances.
    #[inline]
    fn entry_before(&self, a: &BeamEntry, b: &BeamEntry) -> bool {
        match a.ord.cmp(&b.ord) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.key(NodeId(a.id)) < self.key(NodeId(b.id)),
        }
    }

    /// The filtered beam on two heaps: candidates to expand and the results that pass `filter`.
    fn filtered_beam(
        &self,
        probe: &impl Probe,
        start: Cand,
        ef: usize,
        layer: u8,
        filter: &dyn Fn(i64) -> bool,
        s: &mut Scratch,
    ) {
        s.candidates.clear();
        s.results.clear();
        s.candidates.push(Reverse(start));
        if filter(start.key) {
            s.results.push(start);
        }
        let mut fresh = std::mem::take(&mut s.fresh);
        while let Some(Reverse(c)) = s.candidates.pop() {
            if s.results.len() >= ef && s.results.peek().is_some_and(|w| c > *w) {
                break;
            }
            if let Some(Reverse(next)) = s.candidates.peek() {
                self.prefetch_neighbors(next.id, layer);
            }
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
        s.sorted.clear();
        s.sorted.extend(s.results.drain());
    }

    /// Offers node `id` at `dist` to a filtered beam: a candidate to expand if it could improve
    /// the results, and a result if it also passes the filter.
    #[inline]
    fn offer(
        &self,
        id: NodeId,
        dist: f32,
        ef: usize,
        filter: &dyn Fn(i64) -> bool,
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
        if filter(e.key) {
            s.results.push(e);
            if s.results.len() > ef {
                s.results.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{from_total_order, total_order};

    #[test]
    fn total_order_sorts_like_total_cmp_and_round_trips() {
        let xs = [
            f32::NEG_INFINITY,
            -f32::MAX,
            -1.5,
            -f32::MIN_POSITIVE,
            -0.0,
            0.0,
            f32::MIN_POSITIVE,
            1e-30,
            0.25,
            1.0,
            f32::MAX,
            f32::INFINITY,
            f32::NAN,
        ];
        for a in xs {
            assert_eq!(from_total_order(total_order(a)).to_bits(), a.to_bits(), "{a}");
            for b in xs {
                assert_eq!(total_order(a).cmp(&total_order(b)), a.total_cmp(&b), "{a} vs {b}");
            }
        }
    }
}
