//! Distance kernels chosen once — by metric, element type and dimensions — and then called for
//! every pair of vectors without further dispatch.
//!
//! [`Kernel<T>`] works on slices of one element type (`f32`, `f64`, `f16`, `bf16`, `i8`);
//! [`BitKernel`] on packed bit vectors. Each has a SIMD constructor (`new`, backed by simsimd)
//! and a scalar one (`reference`) with identical conventions.

use std::fmt;

use half::{bf16, f16};

use super::metric::Metric;
use super::{reference, simd};
use crate::error::VectorError;

/// A distance function over two slices of the same length.
pub type KernelFn<T> = fn(&[T], &[T]) -> f64;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
    impl Sealed for i8 {}
}

/// An element type that distance kernels accept: `f32`, `f64`, `half::f16`, `half::bf16`, `i8`.
///
/// This trait is sealed: the set of element types is the set simsimd has kernels for.
pub trait Element: sealed::Sealed + Copy + fmt::Debug + Send + Sync + 'static {
    /// Name of the element type, for error messages.
    const NAME: &'static str;

    /// The value widened to `f64` (exact for every element type).
    fn to_f64(self) -> f64;

    /// The simsimd kernel for `metric`, or `None` if the metric is not defined for this type.
    #[doc(hidden)]
    fn simd_kernel(metric: Metric) -> Option<KernelFn<Self>>;

    /// The fastest simsimd kernel for `metric`, even where it rounds more than
    /// [`Element::simd_kernel`] (see [`Kernel::coarse`]).
    #[doc(hidden)]
    #[must_use]
    fn coarse_kernel(metric: Metric) -> Option<KernelFn<Self>> {
        Self::simd_kernel(metric)
    }
}

macro_rules! element {
    ($ty:ty, $name:literal, |$x:ident| $to_f64:expr,
     $cos:expr, $dot:expr, $l2:expr, $l2sq:expr
     $(; coarse $ccos:expr, $cdot:expr, $cl2:expr, $cl2sq:expr)?) => {
        impl Element for $ty {
            const NAME: &'static str = $name;

            #[inline]
            fn to_f64(self) -> f64 {
                let $x = self;
                $to_f64
            }

            fn simd_kernel(metric: Metric) -> Option<KernelFn<Self>> {
                let f: KernelFn<Self> = match metric {
                    Metric::Cosine => $cos,
                    Metric::Dot => $dot,
                    Metric::L2 => $l2,
                    Metric::L2Squared => $l2sq,
                    Metric::Hamming => return None,
                };
                Some(f)
            }

            $(
                fn coarse_kernel(metric: Metric) -> Option<KernelFn<Self>> {
                    let f: KernelFn<Self> = match metric {
                        Metric::Cosine => $ccos,
                        Metric::Dot => $cdot,
                        Metric::L2 => $cl2,
                        Metric::L2Squared => $cl2sq,
                        Metric::Hamming => return None,
                    };
                    Some(f)
                }
            )?
        }
    };
}

element!(
    f32,
    "float32",
    |x| f64::from(x),
    simd::cosine::<f32>,
    simd::neg_dot::<f32>,
    simd::l2::<f32>,
    simd::l2_squared::<f32>
);
element!(
    f64,
    "float64",
    |x| x,
    simd::cosine::<f64>,
    simd::neg_dot::<f64>,
    simd::l2::<f64>,
    simd::l2_squared::<f64>
);
element!(
    i8,
    "int8",
    |x| f64::from(x),
    simd::cosine::<i8>,
    simd::neg_dot::<i8>,
    simd::l2::<i8>,
    simd::l2_squared::<i8>
);
element!(
    f16,
    "float16",
    |x| f64::from(x.to_f32()),
    if simd::coarse_f16() { simd::widened::f16::cosine } else { simd::cosine_f16 },
    if simd::coarse_f16() { simd::widened::f16::neg_dot } else { simd::neg_dot_f16 },
    if simd::coarse_f16() { simd::widened::f16::l2 } else { simd::l2_f16 },
    if simd::coarse_f16() { simd::widened::f16::l2_squared } else { simd::l2_squared_f16 };
    coarse simd::cosine_f16, simd::neg_dot_f16, simd::l2_f16, simd::l2_squared_f16
);
element!(
    bf16,
    "floatb16",
    |x| f64::from(x.to_f32()),
    simd::cosine_bf16,
    simd::neg_dot_bf16,
    if simd::coarse_bf16_l2() { simd::widened::bf16::l2 } else { simd::l2_bf16 },
    if simd::coarse_bf16_l2() { simd::widened::bf16::l2_squared } else { simd::l2_squared_bf16 };
    coarse simd::cosine_bf16, simd::neg_dot_bf16, simd::l2_bf16, simd::l2_squared_bf16
);

/// A distance kernel for vectors of `dims` elements of type `T`, chosen once.
///
/// ```
/// use embedlite_vector::{Kernel, Metric};
/// let k = Kernel::<f32>::new(Metric::L2Squared, 3).unwrap();
/// assert_eq!(k.distance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 5.0]), 4.0);
/// ```
#[derive(Clone, Copy)]
pub struct Kernel<T: Element> {
    metric: Metric,
    dims: usize,
    f: KernelFn<T>,
}

impl<T: Element> Kernel<T> {
    /// The SIMD kernel (simsimd) for `metric` over `dims`-element vectors.
    pub fn new(metric: Metric, dims: usize) -> Result<Self, VectorError> {
        let f = T::simd_kernel(metric)
            .ok_or(VectorError::UnsupportedMetric { metric, element: T::NAME })?;
        Ok(Kernel { metric, dims, f })
    }

    /// The fastest SIMD kernel for `metric`, which may round more than [`Kernel::new`]: on
    /// Sapphire Rapids simsimd computes `f16` distances in `f16` arithmetic, and on Genoa and
    /// Sapphire Rapids it rounds `bf16` differences to `bf16` (errors up to a few percent, see
    /// `simd::widened`). For other element types and CPUs it is [`Kernel::new`]'s kernel. Meant
    /// for ranking candidates that are re-ranked with exact distances afterwards.
    pub fn coarse(metric: Metric, dims: usize) -> Result<Self, VectorError> {
        let f = T::coarse_kernel(metric)
            .ok_or(VectorError::UnsupportedMetric { metric, element: T::NAME })?;
        Ok(Kernel { metric, dims, f })
    }

    /// The scalar reference kernel for `metric` (see [`reference`](mod@super::reference)).
    pub fn reference(metric: Metric, dims: usize) -> Result<Self, VectorError> {
        let f: KernelFn<T> = match metric {
            Metric::Cosine => reference::cosine::<T>,
            Metric::Dot => reference::neg_dot::<T>,
            Metric::L2 => reference::l2::<T>,
            Metric::L2Squared => reference::l2_squared::<T>,
            Metric::Hamming => {
                return Err(VectorError::UnsupportedMetric { metric, element: T::NAME })
            }
        };
        Ok(Kernel { metric, dims, f })
    }

    /// The distance between `a` and `b`, which must both have [`Kernel::dims`] elements
    /// (checked in debug builds; in release builds a length mismatch gives NaN or a distance over
    /// a prefix, never undefined behaviour).
    #[inline]
    #[must_use]
    pub fn distance(&self, a: &[T], b: &[T]) -> f64 {
        debug_assert_eq!(a.len(), self.dims, "first operand has the wrong number of elements");
        debug_assert_eq!(b.len(), self.dims, "second operand has the wrong number of elements");
        (self.f)(a, b)
    }

    /// [`Kernel::distance`] with the lengths checked in every build.
    pub fn checked_distance(&self, a: &[T], b: &[T]) -> Result<f64, VectorError> {
        for got in [a.len(), b.len()] {
            if got != self.dims {
                return Err(VectorError::DimensionMismatch { expected: self.dims, got });
            }
        }
        Ok((self.f)(a, b))
    }

    /// The metric this kernel computes.
    #[must_use]
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The number of elements of each operand.
    #[must_use]
    pub fn dims(&self) -> usize {
        self.dims
    }
}

impl<T: Element> fmt::Debug for Kernel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel")
            .field("element", &T::NAME)
            .field("metric", &self.metric)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

/// A distance function over packed bit vectors of `dims` bits.
type BitKernelFn = fn(&[u8], &[u8], usize) -> f64;

const COSINE: u8 = 0;
const L2: u8 = 1;
const L2_SQUARED: u8 = 2;
const DOT: u8 = 3;
const HAMMING: u8 = 4;

/// Turns a Hamming distance `h` over `dims` bits into metric `M` of the `±1` vectors. `M` is a
/// constant, so each instance compiles to straight-line code.
fn bits_metric<const M: u8, const SIMD: bool>(a: &[u8], b: &[u8], dims: usize) -> f64 {
    let h = if SIMD { simd::hamming(a, b) } else { reference::hamming(a, b, dims) };
    let n = dims as f64;
    match M {
        COSINE if dims == 0 => 0.0,
        COSINE => 2.0 * h / n,
        L2 => 2.0 * h.sqrt(),
        L2_SQUARED => 4.0 * h,
        DOT => -(n - 2.0 * h),
        _ => h,
    }
}

/// A distance kernel for `F1Bit` vectors: `⌈dims/8⌉` bytes each, element `i` in bit `i % 8` of
/// byte `i / 8`, unused high bits zero (as [`Vector`](crate::Vector) keeps them). See
/// [`Metric`] for what each metric means for bits.
#[derive(Clone, Copy)]
pub struct BitKernel {
    metric: Metric,
    dims: usize,
    f: BitKernelFn,
}

impl BitKernel {
    /// The SIMD kernel (simsimd's Hamming distance) for `metric` over `dims` bits.
    #[must_use]
    pub fn new(metric: Metric, dims: usize) -> Self {
        let f: BitKernelFn = match metric {
            Metric::Cosine => bits_metric::<COSINE, true>,
            Metric::L2 => bits_metric::<L2, true>,
            Metric::L2Squared => bits_metric::<L2_SQUARED, true>,
            Metric::Dot => bits_metric::<DOT, true>,
            Metric::Hamming => bits_metric::<HAMMING, true>,
        };
        BitKernel { metric, dims, f }
    }

    /// The scalar reference kernel (bit-by-bit Hamming distance) for `metric` over `dims` bits.
    #[must_use]
    pub fn reference(metric: Metric, dims: usize) -> Self {
        let f: BitKernelFn = match metric {
            Metric::Cosine => bits_metric::<COSINE, false>,
            Metric::L2 => bits_metric::<L2, false>,
            Metric::L2Squared => bits_metric::<L2_SQUARED, false>,
            Metric::Dot => bits_metric::<DOT, false>,
            Metric::Hamming => bits_metric::<HAMMING, false>,
        };
        BitKernel { metric, dims, f }
    }

    /// The distance between two packed bit vectors of `⌈dims/8⌉` bytes each.
    #[inline]
    #[must_use]
    pub fn distance(&self, a: &[u8], b: &[u8]) -> f64 {
        debug_assert_eq!(a.len(), self.dims.div_ceil(8));
        debug_assert_eq!(b.len(), self.dims.div_ceil(8));
        (self.f)(a, b, self.dims)
    }

    /// The metric this kernel computes.
    #[must_use]
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// The number of bits of each operand.
    #[must_use]
    pub fn dims(&self) -> usize {
        self.dims
    }
}

impl fmt::Debug for BitKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BitKernel")
            .field("metric", &self.metric)
            .field("dims", &self.dims)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Awkward dimensions: below, at and above SIMD widths, and a common embedding size.
    const DIMS: [usize; 9] = [1, 3, 7, 15, 16, 17, 97, 256, 1536];
    const SEED: u64 = 0x5eed_0001;
    const TRIALS: usize = 6;
    const METRICS: [Metric; 4] = [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot];

    /// The allowed difference between a SIMD result and the reference.
    ///
    /// `rtol` is relative to the natural scale of each metric: `Σ|aᵢbᵢ|` for `Dot` (the sum can
    /// cancel), the reference value for `L2`/`L2Squared` (all terms are non-negative), and `1` for
    /// `Cosine` (its range is `0..=2`, so an absolute error).
    fn tolerance<T: Element>(metric: Metric, rtol: f64, a: &[T], b: &[T], reference: f64) -> f64 {
        let scale = match metric {
            Metric::Dot => a.iter().zip(b).map(|(x, y)| (x.to_f64() * y.to_f64()).abs()).sum(),
            Metric::Cosine => 1.0,
            _ => reference.abs(),
        };
        rtol * scale + 1e-30
    }

    fn compare<T: Element>(
        rtol: impl Fn(Metric) -> f64,
        mut gen: impl FnMut(&mut ChaCha8Rng, usize) -> Vec<T>,
    ) {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        for dims in DIMS {
            for trial in 0..TRIALS {
                let a = gen(&mut rng, dims);
                // Every other trial compares a vector with a perturbed copy of itself, where
                // cosine and L2 distances are small and cancellation is worst.
                let b = if trial % 2 == 0 {
                    gen(&mut rng, dims)
                } else {
                    perturb(&mut rng, &a, &mut gen)
                };
                for metric in METRICS {
                    let simd = Kernel::<T>::new(metric, dims).expect("supported").distance(&a, &b);
                    let exact =
                        Kernel::<T>::reference(metric, dims).expect("supported").distance(&a, &b);
                    let tol = tolerance(metric, rtol(metric), &a, &b, exact);
                    assert!(
                        (simd - exact).abs() <= tol,
                        "{} {metric} dims={dims} trial={trial} seed={SEED:#x}: simd {simd} reference {exact} \
                         (diff {:e} > tolerance {tol:e})",
                        T::NAME,
                        (simd - exact).abs(),
                    );
                }
            }
        }
    }

    /// `a` with a few elements replaced by fresh random ones.
    fn perturb<T: Element>(
        rng: &mut ChaCha8Rng,
        a: &[T],
        gen: &mut impl FnMut(&mut ChaCha8Rng, usize) -> Vec<T>,
    ) -> Vec<T> {
        let mut b = a.to_vec();
        let fresh = gen(rng, a.len());
        for _ in 0..a.len().div_ceil(16) {
            let i = rng.gen_range(0..a.len());
            b[i] = fresh[i];
        }
        b
    }

    fn uniform(rng: &mut ChaCha8Rng, dims: usize) -> Vec<f32> {
        (0..dims).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
    }

    // Tolerances (see `tolerance` for what they are relative to). The worst errors seen on an
    // AVX-512 (Genoa-class) x86 machine over these seeds were ~1.5e-7 for f32, f16 and bf16,
    // ~5e-9 for f64 cosine, ~1e-15 for f64 dot and L2, 0 for i8 dot and L2².

    #[test]
    fn kernel_f32_matches_reference() {
        compare::<f32>(|_| 1e-5, uniform);
    }

    #[test]
    fn kernel_f64_matches_reference() {
        // simsimd normalises cosine with an approximate reciprocal square root refined by Newton
        // steps; on Haswell-class x86 that is good to ~1e-7 only. Dot and L2 accumulate in f64.
        let rtol = |m| if m == Metric::Cosine { 1e-6 } else { 1e-12 };
        compare::<f64>(rtol, |rng, dims| (0..dims).map(|_| rng.gen_range(-1.0f64..1.0)).collect());
    }

    #[test]
    fn kernel_f16_matches_reference() {
        // Exact to f32 accumulation on every back end: where simsimd computes in f16 itself
        // (AVX-512 FP16, Sapphire Rapids) the kernel widens to f32 first (`simd::widened`).
        compare::<f16>(
            |_| 1e-5,
            |rng, dims| uniform(rng, dims).into_iter().map(f16::from_f32).collect(),
        );
    }

    #[test]
    fn kernel_bf16_matches_reference() {
        // Exact to f32 accumulation on every back end: where simsimd rounds differences to bf16
        // before squaring (AVX-512 BF16: Genoa, Sapphire Rapids) L2 widens to f32 first.
        compare::<bf16>(
            |_| 1e-5,
            |rng, dims| uniform(rng, dims).into_iter().map(bf16::from_f32).collect(),
        );
    }

    #[test]
    fn widened_kernels_agree_with_the_reference_on_long_and_mismatched_vectors() {
        // The widening path on every machine, across block boundaries (256 elements).
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        for dims in [1, 255, 256, 257, 1000] {
            let a: Vec<f16> = uniform(&mut rng, dims).into_iter().map(f16::from_f32).collect();
            let b: Vec<f16> = uniform(&mut rng, dims).into_iter().map(f16::from_f32).collect();
            let pairs: [(KernelFn<f16>, KernelFn<f16>); 4] = [
                (simd::widened::f16::cosine, reference::cosine),
                (simd::widened::f16::neg_dot, reference::neg_dot),
                (simd::widened::f16::l2, reference::l2),
                (simd::widened::f16::l2_squared, reference::l2_squared),
            ];
            for (got, want) in pairs {
                let (g, w) = (got(&a, &b), want(&a, &b));
                assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "dims {dims}: {g} vs {w}");
            }
            assert!(simd::widened::f16::cosine(&a, &b[..dims - 1]).is_nan());
            let a: Vec<bf16> = a.iter().map(|x| bf16::from_f32(x.to_f32())).collect();
            let b: Vec<bf16> = b.iter().map(|x| bf16::from_f32(x.to_f32())).collect();
            let (g, w) = (simd::widened::bf16::l2_squared(&a, &b), reference::l2_squared(&a, &b));
            assert!((g - w).abs() <= 1e-5 * w.abs().max(1.0), "bf16 dims {dims}: {g} vs {w}");
        }
    }

    #[test]
    fn kernel_i8_matches_reference() {
        // Dot and L2² are exact integer sums; L2 takes an f32 square root and cosine an
        // approximate reciprocal one. The full range, -128 included, is accepted.
        let rtol = |m| if matches!(m, Metric::Cosine | Metric::L2) { 1e-5 } else { 1e-12 };
        compare::<i8>(rtol, |rng, dims| (0..dims).map(|_| rng.gen::<i8>()).collect());
    }

    #[test]
    fn kernel_bits_match_reference_exactly() {
        let mut rng = ChaCha8Rng::seed_from_u64(SEED);
        for dims in DIMS.into_iter().chain([0, 8, 9, 63, 64, 65]) {
            for trial in 0..TRIALS {
                let mut gen = || {
                    let mut v: Vec<u8> = (0..dims.div_ceil(8)).map(|_| rng.gen()).collect();
                    crate::types::clear_unused_bits(&mut v, dims);
                    v
                };
                let (a, b) = (gen(), gen());
                for metric in Metric::ALL {
                    let simd = BitKernel::new(metric, dims).distance(&a, &b);
                    let exact = BitKernel::reference(metric, dims).distance(&a, &b);
                    assert!(
                        (simd - exact).abs() <= 1e-12 * exact.abs(),
                        "{metric} dims={dims} trial={trial} seed={SEED:#x}: {simd} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn kernel_conventions_are_shared_by_simd_and_reference() {
        let zero = [0.0f32; 17];
        let mut one = [0.0f32; 17];
        one[16] = 1.0;
        for make in [Kernel::<f32>::new, Kernel::<f32>::reference] {
            let cos = make(Metric::Cosine, 17).expect("supported");
            assert_eq!(cos.distance(&zero, &zero).to_bits(), 0.0f64.to_bits());
            assert_eq!(cos.distance(&zero, &one).to_bits(), 1.0f64.to_bits());
            let dot = make(Metric::Dot, 17).expect("supported");
            assert_eq!(dot.distance(&one, &one).to_bits(), (-1.0f64).to_bits());
            assert!(matches!(
                make(Metric::Hamming, 17),
                Err(VectorError::UnsupportedMetric { metric: Metric::Hamming, element: "float32" })
            ));
        }
    }

    #[test]
    fn kernel_checked_distance_reports_length() {
        let k = Kernel::<f32>::new(Metric::L2, 3).expect("supported");
        assert_eq!(
            k.checked_distance(&[1.0, 2.0, 3.0], &[1.0, 2.0]),
            Err(VectorError::DimensionMismatch { expected: 3, got: 2 })
        );
        assert_eq!(k.checked_distance(&[0.0, 3.0, 0.0], &[4.0, 0.0, 0.0]), Ok(5.0));
    }
}
