//! Distance kernels backed by simsimd, which picks the best SIMD code path for this CPU once, at
//! its first call (x86: Haswell, Skylake, Ice Lake, Genoa, Sapphire Rapids, ...; Arm: NEON, SVE).
//!
//! Every function returns NaN if the slices differ in length; `Kernel` checks lengths in debug
//! builds and `checked_distance` always.

use simsimd::{BinarySimilarity, SpatialSimilarity};

pub(super) fn cosine<S: SpatialSimilarity>(a: &[S], b: &[S]) -> f64 {
    S::cos(a, b).unwrap_or(f64::NAN)
}

pub(super) fn neg_dot<S: SpatialSimilarity>(a: &[S], b: &[S]) -> f64 {
    -S::dot(a, b).unwrap_or(f64::NAN)
}

pub(super) fn l2<S: SpatialSimilarity>(a: &[S], b: &[S]) -> f64 {
    S::l2(a, b).unwrap_or(f64::NAN)
}

pub(super) fn l2_squared<S: SpatialSimilarity>(a: &[S], b: &[S]) -> f64 {
    S::l2sq(a, b).unwrap_or(f64::NAN)
}

/// Number of differing bits of two packed bit strings.
pub(super) fn hamming(a: &[u8], b: &[u8]) -> f64 {
    <u8 as BinarySimilarity>::hamming(a, b).unwrap_or(f64::NAN)
}

// `half`'s and simsimd's 16-bit float types are both `#[repr(transparent)]` over `u16`.
const _: () = {
    use std::mem::{align_of, size_of};
    assert!(size_of::<half::f16>() == size_of::<simsimd::f16>());
    assert!(align_of::<half::f16>() == align_of::<simsimd::f16>());
    assert!(size_of::<half::bf16>() == size_of::<simsimd::bf16>());
    assert!(align_of::<half::bf16>() == align_of::<simsimd::bf16>());
};

#[allow(unsafe_code)]
fn as_simsimd_f16(x: &[half::f16]) -> &[simsimd::f16] {
    // SAFETY: `half::f16` and `simsimd::f16` are both `#[repr(transparent)]` wrappers of a `u16`
    // (checked for size and alignment above), every bit pattern is valid for both, and the new
    // slice has the same length and borrows the same memory for the same lifetime.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<simsimd::f16>(), x.len()) }
}

#[allow(unsafe_code)]
fn as_simsimd_bf16(x: &[half::bf16]) -> &[simsimd::bf16] {
    // SAFETY: as for `as_simsimd_f16`: both types are `#[repr(transparent)]` over `u16`.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<simsimd::bf16>(), x.len()) }
}

macro_rules! half_kernels {
    ($ty:ty, $cast:ident: $($name:ident => $generic:ident),*) => {
        $(
            pub(super) fn $name(a: &[$ty], b: &[$ty]) -> f64 {
                $generic($cast(a), $cast(b))
            }
        )*
    };
}

half_kernels!(half::f16, as_simsimd_f16:
    cosine_f16 => cosine, neg_dot_f16 => neg_dot, l2_f16 => l2, l2_squared_f16 => l2_squared);
half_kernels!(half::bf16, as_simsimd_bf16:
    cosine_bf16 => cosine, neg_dot_bf16 => neg_dot, l2_bf16 => l2, l2_squared_bf16 => l2_squared);
