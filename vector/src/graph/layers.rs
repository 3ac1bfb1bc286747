//! The in-memory graph: vectors in one arena, adjacency in flat arrays, all keyed by a dense
//! [`NodeId`].
//!
//! ```text
//! slot i  (NodeId(i))
//!   vectors[i*dims .. (i+1)*dims]     the prepared vector (normalised for cosine)
//!   codes (slot i)                    its traversal codes (`codes.rs`), derived from the vector
//!   keys[i], levels[i]                the table rowid; the top layer, or FREE for a free slot
//!   l0[i*S .. (i+1)*S], S = 1 + max0  layer 0: [count, n_1 .. n_count, NONE ...]
//!   upper[i]                          layers 1..=level, each a block [count, n_1 .., NONE ...]
//!                                     of 1 + max_upper entries (empty for level-0 nodes)
//! ```
//!
//! Invariants (checked by [`Graph::check_invariants`]):
//! 1. `ids` maps exactly the keys of the live slots (level != `FREE`) to their slot; `free` lists
//!    exactly the other slots.
//! 2. Every neighbour of a live node at layer `l` is live, is not the node itself, appears once,
//!    and has a level `>= l`; a node has at most `max_degree(l)` neighbours at layer `l`.
//! 3. Unused adjacency entries hold `NONE` (so a freed id never lingers in a block).
//! 4. `entry` is the live node of the highest level, ties broken by the smallest key (so it is a
//!    function of the persisted graph, and `load` finds the same one); `None` iff empty.
//! 5. Every slot has traversal codes (none for `float32`).

use rustc_hash::{FxHashMap, FxHashSet};

use super::codes::{prefetch_lines, Codes};
use super::huge;
use super::space::Space;
use crate::error::VectorError;

/// Dense internal id of a node: its slot in the arrays. Not stable across `load`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct NodeId(pub(super) u32);

impl NodeId {
    #[inline]
    pub(super) fn idx(self) -> usize {
        self.0 as usize
    }
}

/// `levels` value of a free slot.
pub(super) const FREE: u8 = u8::MAX;
/// Highest level a node may have (levels come from a hash, so this bounds even crafted keys).
pub(super) const MAX_LEVEL: u8 = 30;
/// Unused adjacency entry.
const NONE: u32 = u32::MAX;

/// The graph storage. It knows the shape of the graph, not how it is built or searched.
#[derive(Debug, Clone)]
pub(super) struct Graph {
    pub(super) space: Space,
    /// The traversal codes of every slot (`codes.rs`).
    pub(super) codes: Codes,
    dims: usize,
    max0: usize,
    max_upper: usize,
    vectors: Vec<f32>,
    keys: Vec<i64>,
    levels: Vec<u8>,
    l0: Vec<u32>,
    upper: Vec<Vec<u32>>,
    free: Vec<NodeId>,
    ids: FxHashMap<i64, NodeId>,
    entry: Option<NodeId>,
    /// Keys whose persisted record changed since the last `take_dirty`.
    dirty: FxHashSet<i64>,
}

impl Graph {
    pub(super) fn new(space: Space, codes: Codes, max0: usize, max_upper: usize) -> Self {
        Graph {
            dims: space.dims(),
            space,
            codes,
            max0,
            max_upper,
            vectors: Vec::new(),
            keys: Vec::new(),
            levels: Vec::new(),
            l0: Vec::new(),
            upper: Vec::new(),
            free: Vec::new(),
            ids: FxHashMap::default(),
            entry: None,
            dirty: FxHashSet::default(),
        }
    }

    /// Number of live nodes.
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Number of slots, live or free: every `NodeId` is below this.
    pub(super) fn slots(&self) -> usize {
        self.keys.len()
    }

    pub(super) fn id_of(&self, key: i64) -> Option<NodeId> {
        self.ids.get(&key).copied()
    }

    #[inline]
    pub(super) fn key(&self, id: NodeId) -> i64 {
        self.keys[id.idx()]
    }

    #[inline]
    pub(super) fn level(&self, id: NodeId) -> u8 {
        self.levels[id.idx()]
    }

    #[inline]
    pub(super) fn is_live(&self, id: NodeId) -> bool {
        self.levels[id.idx()] != FREE
    }

    #[inline]
    pub(super) fn vector(&self, id: NodeId) -> &[f32] {
        let start = id.idx() * self.dims;
        &self.vectors[start..start + self.dims]
    }

    /// Most neighbours a node keeps at `layer`.
    pub(super) fn max_degree(&self, layer: u8) -> usize {
        if layer == 0 {
            self.max0
        } else {
            self.max_upper
        }
    }

    /// The live nodes, in slot order.
    pub(super) fn live(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.levels.iter().enumerate().filter(|&(_, &l)| l != FREE).map(|(i, _)| NodeId(i as u32))
    }

    /// The entry node (invariant 4), or `None` if the graph is empty.
    pub(super) fn entry(&self) -> Option<NodeId> {
        self.entry
    }

    /// The level of the entry node: the highest level in the graph.
    pub(super) fn top_level(&self) -> Option<u8> {
        self.entry.map(|e| self.level(e))
    }

    /// Raw neighbour ids of `id` at `layer` (which must be `<= level(id)`).
    #[inline]
    pub(super) fn neighbors(&self, id: NodeId, layer: u8) -> &[u32] {
        let block = self.block(id, layer);
        &block[1..=block[0] as usize]
    }

    /// Hints the CPU to load the neighbour list of `id` at `layer`: a beam calls it for each
    /// node it may expand later, so that the expansion does not wait for memory.
    #[inline]
    pub(super) fn prefetch_neighbors(&self, id: NodeId, layer: u8) {
        prefetch_lines(self.block(id, layer), 3);
    }

    /// Hints the CPU to load the key of `id` (a beam reads it for every node it keeps).
    #[inline]
    pub(super) fn prefetch_key(&self, id: NodeId) {
        prefetch_lines(std::slice::from_ref(&self.keys[id.idx()]), 1);
    }

    #[inline]
    fn block(&self, id: NodeId, layer: u8) -> &[u32] {
        if layer == 0 {
            let stride = self.max0 + 1;
            &self.l0[id.idx() * stride..(id.idx() + 1) * stride]
        } else {
            let stride = self.max_upper + 1;
            let start = (layer as usize - 1) * stride;
            &self.upper[id.idx()][start..start + stride]
        }
    }

    #[inline]
    fn block_mut(&mut self, id: NodeId, layer: u8) -> &mut [u32] {
        if layer == 0 {
            let stride = self.max0 + 1;
            &mut self.l0[id.idx() * stride..(id.idx() + 1) * stride]
        } else {
            let stride = self.max_upper + 1;
            let start = (layer as usize - 1) * stride;
            &mut self.upper[id.idx()][start..start + stride]
        }
    }

    /// Replaces the neighbours of `id` at `layer`, marking the node dirty if the set changed.
    pub(super) fn set_neighbors(&mut self, id: NodeId, layer: u8, new: &[NodeId]) {
        let max = self.max_degree(layer);
        assert!(new.len() <= max, "{} neighbours at layer {layer}, more than {max}", new.len());
        let block = self.block_mut(id, layer);
        let old = &block[1..=block[0] as usize];
        // Same set iff same length and every new entry was among the old ones (no duplicates).
        let changed = old.len() != new.len() || new.iter().any(|nb| !old.contains(&nb.0));
        for (slot, nb) in block[1..].iter_mut().zip(new) {
            *slot = nb.0;
        }
        block[1 + new.len()..].fill(NONE);
        block[0] = new.len() as u32;
        if changed {
            let key = self.key(id);
            self.dirty.insert(key);
        }
    }

    /// Makes room for `nodes` more nodes (free slots are taken first), on huge pages for the
    /// large arrays (`huge.rs`), so that a batch does not grow them node by node.
    pub(super) fn reserve(&mut self, nodes: usize) {
        let new = nodes.saturating_sub(self.free.len());
        huge::reserve(&mut self.vectors, new * self.dims);
        huge::reserve(&mut self.l0, new * (self.max0 + 1));
        huge::reserve(&mut self.keys, new);
        self.levels.reserve(new);
        self.upper.reserve(new);
        self.codes.reserve(new);
        self.ids.reserve(nodes);
    }

    /// Takes a slot for a new node (not linked to anything yet) and marks it dirty.
    pub(super) fn alloc(&mut self, key: i64, level: u8, vector: &[f32]) -> NodeId {
        debug_assert!(level <= MAX_LEVEL && vector.len() == self.dims);
        debug_assert!(!self.ids.contains_key(&key), "key {key} is already in the graph");
        let upper_len = level as usize * (self.max_upper + 1);
        let id = if let Some(id) = self.free.pop() {
            let i = id.idx();
            self.vectors[i * self.dims..(i + 1) * self.dims].copy_from_slice(vector);
            self.keys[i] = key;
            self.levels[i] = level;
            self.upper[i] = upper_block(level, self.max_upper);
            id
        } else {
            let id = NodeId(u32::try_from(self.keys.len()).expect("fewer than 2^32 nodes"));
            self.vectors.extend_from_slice(vector);
            self.keys.push(key);
            self.levels.push(level);
            self.l0.push(0);
            self.l0.extend(std::iter::repeat_n(NONE, self.max0));
            self.upper.push(upper_block(level, self.max_upper));
            id
        };
        debug_assert_eq!(self.upper[id.idx()].len(), upper_len);
        self.codes.set(id.idx(), vector);
        let stride = self.max0 + 1;
        self.l0[id.idx() * stride] = 0;
        self.l0[id.idx() * stride + 1..(id.idx() + 1) * stride].fill(NONE);
        self.ids.insert(key, id);
        self.dirty.insert(key);
        id
    }

    /// Frees the slot of `id`, which no live node may point to any more, and marks its key
    /// dirty. The caller restores invariant 4 with [`Graph::recompute_entry`].
    pub(super) fn release(&mut self, id: NodeId) {
        let key = self.key(id);
        let stride = self.max0 + 1;
        self.l0[id.idx() * stride] = 0;
        self.l0[id.idx() * stride + 1..(id.idx() + 1) * stride].fill(NONE);
        self.upper[id.idx()] = Vec::new();
        self.levels[id.idx()] = FREE;
        self.ids.remove(&key);
        self.free.push(id);
        self.dirty.insert(key);
        if self.entry == Some(id) {
            self.entry = None;
        }
    }

    /// Whether `a` is a better entry than `b` (invariant 4).
    fn better_entry(&self, a: NodeId, b: NodeId) -> bool {
        (self.level(a), std::cmp::Reverse(self.key(a)))
            > (self.level(b), std::cmp::Reverse(self.key(b)))
    }

    /// Makes `id` the entry if it is better than the current one.
    pub(super) fn offer_entry(&mut self, id: NodeId) {
        match self.entry {
            Some(e) if !self.better_entry(id, e) => {}
            _ => self.entry = Some(id),
        }
    }

    /// Restores invariant 4 by a scan of all nodes (after the entry was removed).
    pub(super) fn recompute_entry(&mut self) {
        self.entry = None;
        let live: Vec<NodeId> = self.live().collect();
        for id in live {
            self.offer_entry(id);
        }
    }

    /// The dirty keys, sorted, leaving the set empty.
    pub(super) fn take_dirty(&mut self) -> Vec<i64> {
        let mut keys: Vec<i64> = self.dirty.drain().collect();
        keys.sort_unstable();
        keys
    }

    pub(super) fn clear_dirty(&mut self) {
        self.dirty.clear();
    }

    /// Approximate heap bytes.
    pub(super) fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let upper: usize =
            self.upper.iter().map(|u| u.capacity() * size_of::<u32>()).sum::<usize>()
                + self.upper.capacity() * size_of::<Vec<u32>>();
        let map_entry = size_of::<(i64, NodeId)>() + 1;
        self.vectors.capacity() * size_of::<f32>()
            + self.codes.memory_bytes()
            + self.keys.capacity() * size_of::<i64>()
            + self.levels.capacity()
            + self.l0.capacity() * size_of::<u32>()
            + upper
            + self.free.capacity() * size_of::<NodeId>()
            + self.ids.capacity() * map_entry
            + self.dirty.capacity() * (size_of::<i64>() + 1)
    }

    /// Checks invariants 1–5, reporting the first violation found.
    pub(super) fn check_invariants(&self) -> Result<(), VectorError> {
        let corrupt = |key, reason| Err(VectorError::CorruptNode { key, reason });
        let mut expected_entry: Option<NodeId> = None;
        let mut live = 0;
        for i in 0..self.slots() {
            let id = NodeId(i as u32);
            let key = self.key(id);
            if !self.is_live(id) {
                if !self.free.contains(&id) {
                    return corrupt(key, "free slot missing from the free list");
                }
                continue;
            }
            live += 1;
            if self.id_of(key) != Some(id) {
                return corrupt(key, "key map does not point to the node's slot");
            }
            if self.level(id) > MAX_LEVEL {
                return corrupt(key, "level out of range");
            }
            for layer in 0..=self.level(id) {
                let block = self.block(id, layer);
                let count = block[0] as usize;
                if count > self.max_degree(layer) {
                    return corrupt(key, "too many neighbours");
                }
                if block[1 + count..].iter().any(|&n| n != NONE) {
                    return corrupt(key, "stale entry after the neighbour list");
                }
                let nbs = &block[1..=count];
                for (j, &n) in nbs.iter().enumerate() {
                    let nb = NodeId(n);
                    if n as usize >= self.slots() || !self.is_live(nb) {
                        return corrupt(key, "neighbour is not a live node");
                    }
                    if nb == id {
                        return corrupt(key, "node is its own neighbour");
                    }
                    if self.level(nb) < layer {
                        return corrupt(key, "neighbour lacks the layer");
                    }
                    if nbs[..j].contains(&n) {
                        return corrupt(key, "duplicate neighbour");
                    }
                }
            }
            if expected_entry.is_none_or(|e| self.better_entry(id, e)) {
                expected_entry = Some(id);
            }
        }
        if live != self.len() || self.free.len() + live != self.slots() {
            return corrupt(0, "live and free slots do not add up");
        }
        if !self.codes.cover(self.slots()) {
            return corrupt(0, "traversal codes do not cover the slots");
        }
        if expected_entry != self.entry {
            return corrupt(self.entry.map_or(0, |e| self.key(e)), "entry is not the top node");
        }
        Ok(())
    }
}

fn upper_block(level: u8, max_upper: usize) -> Vec<u32> {
    let stride = max_upper + 1;
    let mut v = vec![NONE; level as usize * stride];
    for l in 0..level as usize {
        v[l * stride] = 0;
    }
    v
}
