//! Removal with repair (`FreshDiskANN`'s delete consolidation, applied at once): every node `p`
//! that pointed to a removed node `x` on a layer gets its list rebuilt from its remaining
//! neighbours and the remaining neighbours of each removed `x` it pointed to — all of them if
//! they fit, else robust-pruned. So a removed node's neighbourhood stays connected through the
//! nodes that used it, and recall does not decay after many deletes.
//!
//! The graph keeps no reverse edges, so the nodes pointing to the removed ones are found by a
//! scan of the adjacency arrays (about 1 ms per 100k nodes); [`GraphIndex::remove_batch`]
//! removes any number of keys with one scan.

use rayon::prelude::*;

use super::index::GraphIndex;
use super::layers::NodeId;
use super::search::{Scratch, Visited};

impl GraphIndex {
    /// Removes the nodes of `keys` that exist; returns how many did.
    pub(super) fn remove_many(&mut self, keys: &[i64]) -> usize {
        let mut ids: Vec<NodeId> = keys.iter().filter_map(|&k| self.graph.id_of(k)).collect();
        ids.sort_unstable();
        ids.dedup();
        let Some(top) = ids.iter().map(|&id| self.graph.level(id)).max() else {
            return 0;
        };
        let mut marks = Visited::default();
        marks.reset(self.graph.slots());
        for &id in &ids {
            marks.insert(id);
        }
        let removed = |n: u32| marks.contains(NodeId(n));

        // The (node, layer) pairs whose lists name a removed node.
        let g = &self.graph;
        let mut affected: Vec<(NodeId, u8)> = Vec::new();
        for layer in 0..=top {
            affected.extend(
                g.live()
                    .filter(|&p| !removed(p.0) && g.level(p) >= layer)
                    .filter(|&p| g.neighbors(p, layer).iter().any(|&n| removed(n)))
                    .map(|p| (p, layer)),
            );
        }
        let this = &*self;
        let repair = |&(p, layer): &(NodeId, u8)| {
            this.pool.with(|s| (p, layer, this.repaired_list(p, layer, &marks, s)))
        };
        let updates: Vec<(NodeId, u8, Vec<NodeId>)> = if affected.len() > 32 {
            affected.par_iter().map(repair).collect()
        } else {
            affected.iter().map(repair).collect()
        };
        for (p, layer, list) in updates {
            self.graph.set_neighbors(p, layer, &list);
        }
        let entry_removed = self.graph.entry().is_some_and(|e| marks.contains(e));
        for &id in &ids {
            self.graph.release(id);
        }
        if entry_removed {
            self.graph.recompute_entry();
        }
        ids.len()
    }

    /// The new list of `p` on `layer` once the nodes in `removed` are gone.
    fn repaired_list(
        &self,
        p: NodeId,
        layer: u8,
        removed: &Visited,
        s: &mut Scratch,
    ) -> Vec<NodeId> {
        let g = &self.graph;
        let mut ids: Vec<u32> = Vec::new();
        for &n in g.neighbors(p, layer) {
            if !removed.contains(NodeId(n)) {
                ids.push(n);
                continue;
            }
            ids.extend(
                g.neighbors(NodeId(n), layer)
                    .iter()
                    .filter(|&&m| m != p.0 && !removed.contains(NodeId(m))),
            );
        }
        ids.sort_unstable();
        ids.dedup();
        let pv = g.vector(p);
        s.sorted.clear();
        s.sorted.extend(ids.iter().map(|&n| g.cand(pv, NodeId(n))));
        s.sorted.sort_unstable();
        let max = g.max_degree(layer);
        if s.sorted.len() <= max {
            return s.sorted.iter().map(|c| c.id).collect();
        }
        let mut chosen = Vec::with_capacity(max);
        g.select(&s.sorted, max, self.alpha, &mut chosen);
        chosen.iter().map(|c| c.id).collect()
    }
}
