//! Traversal codes: a compact copy of every prepared vector that searches walk the graph by
//! (option `compress_neighbors`), and the [`Probe`]s that compute a walk's distances.
//!
//! A search computes a distance for every node it reaches; at a few hundred dimensions that
//! arithmetic and the memory traffic of the `f32` vectors dominate a query. So a search walks on
//! codes — `f16`, `bf16` or symmetric `i8` — and then re-ranks the nodes of its beam with the exact
//! `f32` distance (`GraphIndex::search`), which is what it reports. Inserts walk the codes the
//! same way to find a new node's candidates, then re-rank them and choose its edges by exact
//! distance (`build.rs`); repairs and exact searches use the `f32` vectors only. On debian-384
//! (384-d) `float8` codes made a 50k-vector build about 1.5x faster than walking the `f32`
//! vectors, at the same recall. The codes are derived from the vectors when a node is
//! stored (insert or `load`), so the persisted records do not change and a loaded index walks the
//! same codes as the one that wrote it.
//!
//! Every code type approximates the internal distance (see `space`) through a dot product:
//!
//! ```text
//! a·b ≈ scale(a) · scale(b) · codes(a)·codes(b)     (scale 1 for f16 and bf16)
//! Cosine (normalised):  1 − a·b
//! Dot:                  −a·b
//! L2, L2Squared:        ‖a‖² + ‖b‖² − 2·a·b          (‖b‖² exact, kept per node)
//! ```
//!
//! | code (`compress_neighbors`) | bytes per element | kernel (simsimd, on Sapphire Rapids)      |
//! |-----------------------------|-------------------|-------------------------------------------|
//! | `float32`                   | 0 (walks the vectors) | `f32` dot / L2²                       |
//! | `float16`                   | 2                 | `f16` dot, in `f16` arithmetic (AVX-512 FP16) |
//! | `floatb16`                  | 2                 | `bf16` dot (AVX-512 BF16)                 |
//! | `float8`                    | 1                 | `i8` dot (AVX-512 VNNI); scale per node `max abs / 127` |
//!
//! Every code type but `float32` also keeps 8 bytes per node: its scale and `‖v‖²`.

use half::{bf16, f16};

use super::huge;
use super::layers::{Graph, NodeId};
use super::params::Compression;
use crate::distance::{Element, Kernel, Metric};
use crate::error::VectorError;
use crate::quantize::i8_symmetric_encode;

/// The distance a walk computes for a node: the internal distance of `space`, or an
/// approximation of it. Walks are generic over it so that the distance call is inlined.
pub(super) trait Probe {
    /// The (possibly approximate) internal distance from the query to node `id`.
    fn distance(&self, id: NodeId) -> f32;
    /// Called with the nodes whose distances a beam step is about to compute, in order: hints
    /// the CPU to load what [`Probe::distance`] will read, so that memory latency overlaps with
    /// arithmetic. Only a hint: it never faults and changes no result.
    fn prefetch_fresh(&self, ids: &[u32]);
    /// Called before the distance of each node but the last of a step, with the next node.
    fn prefetch_next(&self, id: NodeId);
}

/// The exact internal distance on the `f32` vectors.
struct Exact<'a> {
    graph: &'a Graph,
    query: &'a [f32],
}

impl Probe for Exact<'_> {
    #[inline]
    fn distance(&self, id: NodeId) -> f32 {
        self.graph.space.distance(self.query, self.graph.vector(id))
    }

    /// The head of the first vector, then of each next one while the distance to the current
    /// one is computed (a vector of hundreds of `f32` is many cache lines; the hardware
    /// prefetcher streams the rest).
    #[inline]
    fn prefetch_fresh(&self, ids: &[u32]) {
        if let Some(&first) = ids.first() {
            self.prefetch_next(NodeId(first));
        }
    }

    #[inline]
    fn prefetch_next(&self, id: NodeId) {
        prefetch_lines(self.graph.vector(id), 2);
    }
}

/// The approximate internal distance on codes of element type `T`:
/// `c0 + c1·‖v‖² + c2·scale(v)·(−codes(q)·codes(v))`.
pub(super) struct Coded<'a, T: Element> {
    codes: &'a [T],
    /// Per slot: `[scale, ‖v‖²]`.
    aux: &'a [[f32; 2]],
    dims: usize,
    query: &'a [T],
    kernel: Kernel<T>,
    c0: f32,
    c1: f32,
    c2: f32,
}

impl<T: Element> Coded<'_, T> {
    #[inline]
    fn code(&self, id: NodeId) -> &[T] {
        let start = id.idx() * self.dims;
        &self.codes[start..start + self.dims]
    }
}

impl<T: Element> Probe for Coded<'_, T> {
    #[inline]
    fn distance(&self, id: NodeId) -> f32 {
        let [scale, sq] = self.aux[id.idx()];
        let neg_dot = self.kernel.distance(self.query, self.code(id)) as f32;
        self.c0 + self.c1 * sq + self.c2 * scale * neg_dot
    }

    /// All the codes of the step at once, with their scales: they are short (384 `i8` codes are
    /// 6 cache lines), and loading them in parallel measured faster on the 384-d dataset than one
    /// ahead.
    #[inline]
    fn prefetch_fresh(&self, ids: &[u32]) {
        for &id in ids {
            prefetch_lines(self.code(NodeId(id)), 8);
            prefetch_lines(std::slice::from_ref(&self.aux[id as usize]), 1);
        }
    }

    #[inline]
    fn prefetch_next(&self, _: NodeId) {}
}

/// Asks the CPU to start loading the first `max` cache lines of `x`.
#[inline]
pub(super) fn prefetch_lines<T>(x: &[T], max: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let head = x.as_ptr().cast::<i8>();
        let lines = std::mem::size_of_val(x).div_ceil(64).min(max);
        for line in 0..lines {
            #[allow(unsafe_code)]
            // SAFETY: `_mm_prefetch` only hints the cache; it never dereferences the pointer
            // in a way that can fault, and the pointer stays within the live slice `x`.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(head.wrapping_add(line * 64));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// The form of a metric's internal distance in terms of `a·b` (module docs).
#[derive(Debug, Clone, Copy)]
enum Form {
    /// `1 − a·b` (the vectors are normalised).
    Cosine,
    /// `−a·b`.
    Dot,
    /// `‖a‖² + ‖b‖² − 2·a·b`.
    L2,
}

/// The code arena of one code type (slot `i` holds `dims` codes at `i * dims`) with the fastest
/// negated-dot kernel of the type.
#[derive(Debug, Clone)]
enum Arena {
    None,
    F16(Vec<f16>, Kernel<f16>),
    BF16(Vec<bf16>, Kernel<bf16>),
    I8(Vec<i8>, Kernel<i8>),
}

/// The traversal codes of every slot (see the module docs).
#[derive(Debug, Clone)]
pub(super) struct Codes {
    arena: Arena,
    dims: usize,
    /// Per slot: `[scale, ‖v‖²]` (empty for `float32`).
    aux: Vec<[f32; 2]>,
    /// The form of the internal distance (module docs).
    form: Form,
}

/// The query encoded like the nodes, reused between searches (in the search scratch).
#[derive(Debug, Default)]
pub(super) struct QueryCodes {
    f16: Vec<f16>,
    bf16: Vec<bf16>,
    i8: Vec<i8>,
}

impl QueryCodes {
    pub(super) fn memory_bytes(&self) -> usize {
        self.f16.capacity() * 2 + self.bf16.capacity() * 2 + self.i8.capacity()
    }
}

impl Codes {
    pub(super) fn new(
        compression: Compression,
        metric: Metric,
        dims: usize,
    ) -> Result<Self, VectorError> {
        let arena = match compression {
            Compression::Float32 => Arena::None,
            Compression::Float16 => Arena::F16(Vec::new(), Kernel::coarse(Metric::Dot, dims)?),
            Compression::BFloat16 => Arena::BF16(Vec::new(), Kernel::coarse(Metric::Dot, dims)?),
            Compression::Float8 => Arena::I8(Vec::new(), Kernel::coarse(Metric::Dot, dims)?),
        };
        let form = match metric {
            Metric::Cosine => Form::Cosine,
            Metric::L2 | Metric::L2Squared => Form::L2,
            Metric::Dot => Form::Dot,
            Metric::Hamming => {
                return Err(VectorError::UnsupportedMetric { metric, element: "float32" })
            }
        };
        Ok(Codes { arena, dims, aux: Vec::new(), form })
    }

    /// Whether every one of `slots` slots has its codes (part of the graph's invariants).
    pub(super) fn cover(&self, slots: usize) -> bool {
        let codes = match &self.arena {
            Arena::None => return self.aux.is_empty(),
            Arena::F16(c, _) => c.len(),
            Arena::BF16(c, _) => c.len(),
            Arena::I8(c, _) => c.len(),
        };
        codes == slots * self.dims && self.aux.len() == slots
    }

    /// Whether walks use the exact vectors (`float32`: there are no codes).
    pub(super) fn is_exact(&self) -> bool {
        matches!(self.arena, Arena::None)
    }

    /// Stores the codes of `vector` (prepared, finite) in `slot`, which is either a slot
    /// already held or the next one (`slot == slots`).
    pub(super) fn set(&mut self, slot: usize, vector: &[f32]) {
        let dims = self.dims;
        debug_assert_eq!(vector.len(), dims);
        let range = slot * dims..(slot + 1) * dims;
        let scale = match &mut self.arena {
            Arena::None => return,
            Arena::F16(codes, _) => {
                grow(codes, slot, dims, f16::ZERO);
                for (c, &x) in codes[range].iter_mut().zip(vector) {
                    *c = f16_code(x);
                }
                1.0
            }
            Arena::BF16(codes, _) => {
                grow(codes, slot, dims, bf16::ZERO);
                for (c, &x) in codes[range].iter_mut().zip(vector) {
                    *c = bf16_code(x);
                }
                1.0
            }
            Arena::I8(codes, _) => {
                grow(codes, slot, dims, 0);
                i8_symmetric_encode(vector, &mut codes[range])
            }
        };
        let sq = vector.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() as f32;
        if slot == self.aux.len() {
            self.aux.push([scale, sq]);
        } else {
            self.aux[slot] = [scale, sq];
        }
    }

    /// Makes room for the codes of `slots` more slots (`huge.rs`).
    pub(super) fn reserve(&mut self, slots: usize) {
        let n = slots * self.dims;
        match &mut self.arena {
            Arena::None => return,
            Arena::F16(codes, _) => huge::reserve(codes, n),
            Arena::BF16(codes, _) => huge::reserve(codes, n),
            Arena::I8(codes, _) => huge::reserve(codes, n),
        }
        huge::reserve(&mut self.aux, slots);
    }

    /// Runs `f` with the probe of this code type for the prepared `query` (the [`Exact`] one for
    /// `float32`), encoding the query into `q`.
    pub(super) fn with_probe<R>(
        &self,
        graph: &Graph,
        query: &[f32],
        q: &mut QueryCodes,
        f: impl ProbeFn<R>,
    ) -> R {
        let sq = query.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() as f32;
        let dims = self.dims;
        match &self.arena {
            Arena::F16(codes, kernel) => {
                q.f16.clear();
                q.f16.extend(query.iter().map(|&x| f16_code(x)));
                f.call(&self.coded(codes, dims, &q.f16, *kernel, 1.0, sq))
            }
            Arena::BF16(codes, kernel) => {
                q.bf16.clear();
                q.bf16.extend(query.iter().map(|&x| bf16_code(x)));
                f.call(&self.coded(codes, dims, &q.bf16, *kernel, 1.0, sq))
            }
            Arena::I8(codes, kernel) => {
                q.i8.clear();
                q.i8.resize(dims, 0);
                let scale = i8_symmetric_encode(query, &mut q.i8);
                f.call(&self.coded(codes, dims, &q.i8, *kernel, scale, sq))
            }
            Arena::None => f.call(&Exact { graph, query }),
        }
    }

    /// The probe over `codes` for a query encoded as `query` with `scale` and squared norm `sq`.
    fn coded<'a, T: Element>(
        &'a self,
        codes: &'a [T],
        dims: usize,
        query: &'a [T],
        kernel: Kernel<T>,
        scale: f32,
        sq: f32,
    ) -> Coded<'a, T> {
        // See the module docs: −a·b ≈ scale(q)·scale(v)·(−codes(q)·codes(v)).
        let (c0, c1, c2) = match self.form {
            Form::Cosine => (1.0, 0.0, scale),
            Form::Dot => (0.0, 0.0, scale),
            Form::L2 => (sq, 1.0, 2.0 * scale),
        };
        Coded { codes, aux: &self.aux, dims, query, kernel, c0, c1, c2 }
    }

    /// Approximate heap bytes.
    pub(super) fn memory_bytes(&self) -> usize {
        let arena = match &self.arena {
            Arena::None => 0,
            Arena::F16(c, _) => c.capacity() * 2,
            Arena::BF16(c, _) => c.capacity() * 2,
            Arena::I8(c, _) => c.capacity(),
        };
        arena + self.aux.capacity() * std::mem::size_of::<[f32; 2]>()
    }
}

/// What [`Codes::with_probe`] runs: a function generic over the probe type (closures cannot
/// be).
pub(super) trait ProbeFn<R> {
    fn call<P: Probe>(self, probe: &P) -> R;
}

/// The nearest `f16` (as `quantize::to_f16`: beyond ±65504 saturates).
fn f16_code(x: f32) -> f16 {
    f16::from_f32(x.clamp(-65504.0, 65504.0))
}

/// The nearest `bf16` (as `quantize::to_bf16`: beyond `bf16::MAX` saturates).
fn bf16_code(x: f32) -> bf16 {
    let max = bf16::MAX.to_f32();
    bf16::from_f32(x.clamp(-max, max))
}

/// Makes `codes` long enough for `slot`'s `dims` codes.
fn grow<T: Copy>(codes: &mut Vec<T>, slot: usize, dims: usize, zero: T) {
    let end = (slot + 1) * dims;
    if codes.len() < end {
        codes.resize(end, zero);
    }
}
