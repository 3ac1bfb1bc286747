//! Plain scalar distance functions: the reference every SIMD kernel is tested against.
//!
//! Elements are widened to `f64` and accumulated in order, so for `f32` and narrower inputs the
//! result is accurate to about `n × 2⁻⁵³` relative to the sum of the absolute terms. They follow
//! the same conventions as the SIMD kernels (see [`Metric`](super::Metric)): cosine of zero vectors,
//! clamping of cosine at 0, negated dot product.

use super::kernel::Element;

/// Inner product `a·b`.
#[must_use]
pub fn inner_product<T: Element>(a: &[T], b: &[T]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(&x, &y)| x.to_f64() * y.to_f64()).sum()
}

/// Dot distance `−a·b`.
#[must_use]
pub fn neg_dot<T: Element>(a: &[T], b: &[T]) -> f64 {
    -inner_product(a, b)
}

/// Squared Euclidean distance.
#[must_use]
pub fn l2_squared<T: Element>(a: &[T], b: &[T]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x.to_f64() - y.to_f64();
            d * d
        })
        .sum()
}

/// Euclidean distance.
#[must_use]
pub fn l2<T: Element>(a: &[T], b: &[T]) -> f64 {
    l2_squared(a, b).sqrt()
}

/// Cosine distance `1 − a·b / (‖a‖ ‖b‖)`: `0` for two zero vectors, `1` when one is zero,
/// never below `0`.
#[must_use]
pub fn cosine<T: Element>(a: &[T], b: &[T]) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let (mut ab, mut a2, mut b2) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x.to_f64(), y.to_f64());
        ab += x * y;
        a2 += x * x;
        b2 += y * y;
    }
    cosine_from_sums(ab, a2, b2)
}

/// Cosine distance from `a·b`, `‖a‖²` and `‖b‖²`, with the zero-vector conventions.
pub(crate) fn cosine_from_sums(ab: f64, a2: f64, b2: f64) -> f64 {
    if a2 == 0.0 && b2 == 0.0 {
        0.0
    } else if a2 == 0.0 || b2 == 0.0 {
        1.0
    } else {
        (1.0 - ab / (a2 * b2).sqrt()).max(0.0)
    }
}

/// Number of differing elements among the first `dims` bits (least significant bit first).
#[must_use]
pub fn hamming(a: &[u8], b: &[u8], dims: usize) -> f64 {
    let bit = |s: &[u8], i: usize| (s[i / 8] >> (i % 8)) & 1;
    (0..dims).filter(|&i| bit(a, i) != bit(b, i)).count() as f64
}
