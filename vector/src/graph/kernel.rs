//! Distance kernels for graph walks that compute several distances at once.
//!
//! A graph walk is bound by memory latency, not arithmetic: each neighbour's vector is a cache
//! miss. hnswlib hides it with prefetch instructions, which need `unsafe` here; instead, these
//! kernels read [`LANES`] vectors in one loop, so that their misses are in flight together.
//! `one` and `many` add in exactly the same order, so a distance is bit-identical whichever
//! computed it — walks, pruning and exact search agree to the last bit.
//!
//! The loops are plain Rust over fixed-width chunks, which the compiler vectorises for the
//! baseline target (SSE2 on x86-64, NEON on aarch64).

/// Vectors per call of [`many`].
pub(super) const LANES: usize = 4;
/// Accumulators per vector: the chunk width of the loops.
const W: usize = 8;

/// The inner products or squared Euclidean distances of a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Dot,
    L2Squared,
}

#[inline(always)]
fn step(op: Op, acc: &mut [f32; W], a: &[f32; W], b: &[f32; W]) {
    for i in 0..W {
        match op {
            Op::Dot => acc[i] += a[i] * b[i],
            Op::L2Squared => {
                let d = a[i] - b[i];
                acc[i] += d * d;
            }
        }
    }
}

#[inline(always)]
fn finish(op: Op, acc: &[f32; W], a: &[f32], b: &[f32]) -> f32 {
    // Pairwise sum of the lanes, then the tail in order.
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in a.iter().zip(b) {
        match op {
            Op::Dot => s += x * y,
            Op::L2Squared => s += (x - y) * (x - y),
        }
    }
    s
}

/// `op(q, v)` for one vector.
#[inline]
pub(super) fn one(op: Op, q: &[f32], v: &[f32]) -> f32 {
    let (qc, qt) = q.as_chunks::<W>();
    let (vc, vt) = v.as_chunks::<W>();
    let mut acc = [0.0f32; W];
    for (a, b) in qc.iter().zip(vc) {
        step(op, &mut acc, a, b);
    }
    finish(op, &acc, qt, vt)
}

/// `op(q, v)` for [`LANES`] vectors, each bit-identical to [`one`].
#[inline]
pub(super) fn many(op: Op, q: &[f32], vs: [&[f32]; LANES]) -> [f32; LANES] {
    let (qc, qt) = q.as_chunks::<W>();
    let chunks = vs.map(|v| v.as_chunks::<W>());
    let mut acc = [[0.0f32; W]; LANES];
    for (c, a) in qc.iter().enumerate() {
        for (lane, (vc, _)) in acc.iter_mut().zip(&chunks) {
            step(op, lane, a, &vc[c]);
        }
    }
    let mut out = [0.0; LANES];
    for ((o, lane), (_, vt)) in out.iter_mut().zip(&acc).zip(&chunks) {
        *o = finish(op, lane, qt, vt);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::{Kernel, Metric};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn kernel_batches_match_single_and_reference() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x6b65_726e);
        for dims in [1, 3, 7, 8, 9, 17, 50, 97, 384, 1536] {
            let mut gen = || (0..dims).map(|_| rng.gen_range(-1.0f32..1.0)).collect::<Vec<_>>();
            let q = gen();
            let vs: Vec<Vec<f32>> = (0..LANES).map(|_| gen()).collect();
            for (op, metric, sign) in
                [(Op::Dot, Metric::Dot, -1.0), (Op::L2Squared, Metric::L2Squared, 1.0)]
            {
                let batch = many(op, &q, [&vs[0], &vs[1], &vs[2], &vs[3]]);
                let reference = Kernel::<f32>::reference(metric, dims).expect("f32 metric");
                for (v, b) in vs.iter().zip(batch) {
                    assert_eq!(b.to_bits(), one(op, &q, v).to_bits(), "{op:?} dims {dims}");
                    let want = sign * reference.distance(&q, v);
                    assert!((f64::from(b) - want).abs() < 1e-5 * dims as f64, "{op:?} dims {dims}");
                }
            }
        }
    }
}
