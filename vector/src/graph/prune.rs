//! Neighbour selection: robust pruning (Vamana's `RobustPrune`, which with `alpha = 1` is the
//! HNSW heuristic of Malkov & Yashunin, algorithm 4).
//!
//! Candidates are taken nearest first; a candidate `c` is kept unless an already kept neighbour
//! `r` "covers" it: `alpha · d(r, c) < d(node, c)`. This keeps neighbours in diverse directions
//! (the graph stays navigable between clusters) instead of the `max` nearest. With `alpha > 1`
//! fewer candidates are covered, so longer edges survive — fewer hops from a far entry point.

use super::layers::Graph;
use super::search::Cand;
use crate::distance::Metric;

impl Graph {
    /// `alpha` on the internal distance scale: squared for the L2 metrics, which walk by squared
    /// distances (so that `alpha` means the same as in the DiskANN paper).
    pub(super) fn internal_alpha(alpha: f32, metric: Metric) -> f32 {
        match metric {
            Metric::L2 | Metric::L2Squared => alpha * alpha,
            _ => alpha,
        }
    }

    /// Selects up to `max` of `candidates` (sorted nearest first by distance to the node, the node
    /// itself not among them, no duplicates) into `out`.
    pub(super) fn select(&self, candidates: &[Cand], max: usize, alpha: f32, out: &mut Vec<Cand>) {
        out.clear();
        for &c in candidates {
            if out.len() >= max {
                break;
            }
            let vc = self.vector(c.id);
            let covered = out.iter().any(|r| {
                let d = self.space.distance(vc, self.vector(r.id));
                // A negative distance (the `Dot` metric) is not scaled: alpha would shrink it.
                let scaled = if d > 0.0 { alpha * d } else { d };
                scaled < c.dist
            });
            if !covered {
                out.push(c);
            }
        }
    }
}
