//! Graph indexes for approximate nearest-neighbour search, held in memory: HNSW and DiskANN
//! (Vamana) in one layered-graph implementation. No SQL and no I/O: the engine persists each node
//! through [`GraphIndex::node_record`] and rebuilds the index with [`GraphIndex::load`].
//!
//! # Design
//! - **One graph, two kinds.** A node has a level; layer 0 holds every node, layer `l` the nodes
//!   of level `>= l`. HNSW draws levels (`P(level >= l) = M^-l`, from a hash of the seed and the
//!   key) and selects neighbours by the HNSW heuristic (`alpha = 1`); DiskANN keeps every node
//!   on layer 0 and prunes with `alpha > 1` ([`IndexParams`]).
//! - **Flat memory** (`layers`): dense `NodeId`s, vectors in one arena (normalised for cosine,
//!   which then costs a dot product), layer-0 adjacency in one array of fixed stride, upper
//!   layers per node, a key → id map, a free list of ids for reuse after removal.
//! - **Deterministic walks** (`search`): candidates are ordered by `(distance, key)` and the
//!   entry node is the node of the highest level with the smallest key — both functions of the
//!   persisted graph, so a loaded index answers exactly as the one that wrote it. Walks reuse
//!   pooled scratch buffers (a visited set cleared by a generation counter, two heaps).
//! - **Filtered search** expands non-matching nodes too and widens until `search_l` matching
//!   nodes are found, so selective filters keep their recall.
//! - **Parallel build** (`build`): batches planned in parallel against the graph before the
//!   batch, linked in order — reproducible, independent of the thread count.
//! - **Quantized traversal** (`codes`): searches walk compact codes of the vectors (`f16`,
//!   `bf16` or `i8`, option `compress_neighbors`) and re-rank their beam with exact distances;
//!   inserts find their candidates the same way and choose edges by exact distances.
//! - **Removal with repair** (`repair`): the nodes that pointed to a removed node are relinked
//!   to its neighbours.
//! - **Huge pages** (`huge`): a batch insert reserves the large arrays for the whole batch and
//!   advises the kernel to back them with 2 MiB pages, so that random reads do not miss the TLB.
//! - **Records** (`record`): level + per layer the sorted neighbour keys as varint gaps, with a
//!   version byte; decoding validates everything and never panics.

mod build;
mod codes;
mod huge;
mod index;
mod layers;
mod params;
mod prune;
mod record;
mod repair;
mod search;
mod space;

#[cfg(test)]
mod tests;

pub use index::{GraphIndex, KeyFilter};
pub use params::{
    Compression, GraphKind, IndexParams, DEFAULT_COMPRESSION, MAX_ALPHA, MAX_INSERT_L,
    MAX_NEIGHBORS, MAX_SEARCH_L,
};
