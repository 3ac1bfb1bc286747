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

/// Exact kernels for 16-bit floats on back ends whose own are coarse: the elements are widened to
/// `f32` a block at a time (exactly: every f16 and bf16 value is an f32) and handed to the f32
/// kernels, which accumulate in f32 within a block; blocks are summed in f64.
///
/// simsimd's AVX-512 FP16 path (Sapphire Rapids) subtracts, multiplies and accumulates in f16
/// itself, and its AVX-512 BF16 paths (Genoa, Sapphire Rapids) round each difference `a − b` to
/// bf16 before squaring: distances off by up to a few percent, where a database function is
/// expected to be exact to the float32 rounding of the stored values.
pub(crate) mod widened {
    use half::slice::HalfFloatSliceExt;
    use simsimd::SpatialSimilarity;

    /// Elements widened per block (two stack buffers of this many `f32`).
    const BLOCK: usize = 256;

    /// Calls `f` on the blocks of `a` and `b` widened to `f32`; `None` if the lengths differ.
    fn blocks<T: HalfFloatSliceExt + ?Sized>(
        a: &T,
        b: &T,
        len: fn(&T) -> usize,
        split: fn(&T, usize, usize) -> &T,
        mut f: impl FnMut(&[f32], &[f32]),
    ) -> Option<()> {
        let n = len(a);
        if n != len(b) {
            return None;
        }
        let (mut wa, mut wb) = ([0f32; BLOCK], [0f32; BLOCK]);
        let mut start = 0;
        while start < n {
            let m = BLOCK.min(n - start);
            split(a, start, m).convert_to_f32_slice(&mut wa[..m]);
            split(b, start, m).convert_to_f32_slice(&mut wb[..m]);
            f(&wa[..m], &wb[..m]);
            start += m;
        }
        Some(())
    }

    fn dot32(a: &[f32], b: &[f32]) -> f64 {
        f32::dot(a, b).unwrap_or(f64::NAN)
    }

    fn l2sq32(a: &[f32], b: &[f32]) -> f64 {
        f32::l2sq(a, b).unwrap_or(f64::NAN)
    }

    /// `sums`: the blocks of two slices of one 16-bit type, widened.
    macro_rules! widened_sums {
        ($ty:ty) => {
            fn sums(a: &[$ty], b: &[$ty], mut f: impl FnMut(&[f32], &[f32])) -> Option<()> {
                blocks(a, b, <[$ty]>::len, |s, i, m| &s[i..i + m], |x, y| f(x, y))
            }
        };
    }

    /// Cosine and dot distance over `sums`.
    macro_rules! widened_dot {
        ($ty:ty) => {
            pub(crate) fn cosine(a: &[$ty], b: &[$ty]) -> f64 {
                let (mut ab, mut a2, mut b2) = (0.0, 0.0, 0.0);
                let ok = sums(a, b, |x, y| {
                    ab += dot32(x, y);
                    a2 += dot32(x, x);
                    b2 += dot32(y, y);
                });
                ok.map_or(f64::NAN, |()| crate::distance::reference::cosine_from_sums(ab, a2, b2))
            }

            pub(crate) fn neg_dot(a: &[$ty], b: &[$ty]) -> f64 {
                let mut ab = 0.0;
                sums(a, b, |x, y| ab += dot32(x, y)).map_or(f64::NAN, |()| -ab)
            }
        };
    }

    /// L2 and squared L2 over `sums`.
    macro_rules! widened_l2 {
        ($ty:ty) => {
            pub(crate) fn l2_squared(a: &[$ty], b: &[$ty]) -> f64 {
                let mut d = 0.0;
                sums(a, b, |x, y| d += l2sq32(x, y)).map_or(f64::NAN, |()| d)
            }

            pub(crate) fn l2(a: &[$ty], b: &[$ty]) -> f64 {
                l2_squared(a, b).sqrt()
            }
        };
    }

    pub(crate) mod f16 {
        use super::{blocks, dot32, l2sq32};
        widened_sums!(half::f16);
        widened_dot!(half::f16);
        widened_l2!(half::f16);
    }

    /// (bf16 cosine and dot are exact on every back end: only L2 needs widening.)
    pub(crate) mod bf16 {
        use super::{blocks, l2sq32};
        widened_sums!(half::bf16);
        widened_l2!(half::bf16);
    }
}

/// Whether simsimd's f16 kernels on this CPU compute in f16 (see [`widened`]).
pub(super) fn coarse_f16() -> bool {
    simsimd::capabilities::uses_sapphire()
}

/// Whether simsimd's bf16 L2 kernels on this CPU round differences to bf16 (see [`widened`]).
pub(super) fn coarse_bf16_l2() -> bool {
    simsimd::capabilities::uses_genoa() || simsimd::capabilities::uses_sapphire()
}
