//! Quantization of `f32` vectors into compact codes — `f16`, `bf16`, affine 8-bit (`u8` as libSQL's
//! `FLOAT8`, or `i8` for the simsimd `i8` kernels) and sign bits — and back where defined.
//!
//! | code      | bytes per element | decoded as                 | round-trip error of an element `x`             |
//! |-----------|-------------------|----------------------------|------------------------------------------------|
//! | `f16`     | 2                 | exact widening             | at most `2⁻¹¹·abs(x)` for `2⁻¹⁴ ≤ abs(x) ≤ 65504`, `2⁻²⁵` below; larger values saturate to ±65504 |
//! | `bf16`    | 2                 | exact widening             | at most `2⁻⁸·abs(x)` for normal `x`; values beyond `bf16::MAX` saturate |
//! | `u8`/`i8` | 1, plus 8 per vector | `scale·code + offset`   | at most `scale/2` plus `f32` rounding, where `scale = (max − min)/255` |
//! | symmetric `i8` | 1, plus 4 per vector | `scale·code`        | at most `scale/2` plus `f32` rounding, where `scale = max abs(x) / 127` |
//! | sign bit  | 1/8               | `+1` if `x > 0`, else `−1` | keeps the sign of every non-zero element; 0 becomes −1 |
//!
//! `f16` and `bf16` round to nearest, ties to even (the `half` crate). Note that
//! [`Vector::convert`](crate::Vector::convert) to `BF16` *truncates*, as libSQL does, and gives
//! ∞ on `f16` overflow; the functions here are for this crate's own compressed copies, where the
//! smaller error and finite values matter more than byte equality with libSQL.

use half::{bf16, f16};

/// Rounds each value to the nearest `f16`; values beyond ±65504 saturate, NaN stays NaN.
#[must_use]
pub fn to_f16(values: &[f32]) -> Vec<f16> {
    values.iter().map(|&x| f16::from_f32(x.clamp(-65504.0, 65504.0))).collect()
}

/// Widens `f16` codes back to `f32` (exact).
#[must_use]
pub fn from_f16(codes: &[f16]) -> Vec<f32> {
    codes.iter().map(|c| c.to_f32()).collect()
}

/// Rounds each value to the nearest `bf16`; values beyond `bf16::MAX` saturate, NaN stays NaN.
#[must_use]
pub fn to_bf16(values: &[f32]) -> Vec<bf16> {
    let max = bf16::MAX.to_f32();
    values.iter().map(|&x| bf16::from_f32(x.clamp(-max, max))).collect()
}

/// Widens `bf16` codes back to `f32` (exact).
#[must_use]
pub fn from_bf16(codes: &[bf16]) -> Vec<f32> {
    codes.iter().map(|c| c.to_f32()).collect()
}

/// libSQL's `FLOAT8` quantization: returns `(codes, alpha, shift)` with `shift = min`,
/// `alpha = (max − min) / 255` and `code = round((x − shift) / alpha)` clipped to `0..=255`, all in
/// `f32` arithmetic as libSQL's `vectorConvertToF8` does, so that the bytes match. An element
/// decodes as `alpha · code + shift`.
///
/// When all values are equal, `alpha` is 0 and every code is 0 (libSQL divides 0 by 0 there and
/// gets 0 on x86). An empty input gives `alpha = shift = 0`.
#[must_use]
pub fn f8_encode(values: &[f32]) -> (Vec<u8>, f32, f32) {
    let Some((&first, rest)) = values.split_first() else {
        return (Vec::new(), 0.0, 0.0);
    };
    let (min, max) = rest.iter().fold((first, first), |(lo, hi), &x| {
        (if x < lo { x } else { lo }, if x > hi { x } else { hi })
    });
    let shift = min;
    let alpha = (max - min) / 255.0;
    let codes = values
        .iter()
        .map(|&x| {
            let t = (x - shift) / alpha;
            if t < 0.0 {
                0
            } else if t > 255.0 {
                255
            } else {
                // libSQL's `(int)(t + 0.5)`, with `t + 0.5` in double precision. NaN (0/0) → 0.
                (f64::from(t) + 0.5) as u8
            }
        })
        .collect();
    (codes, alpha, shift)
}

/// Affine 8-bit signed codes: element `i` is approximately `scale · codes[i] + offset`.
///
/// The codes are libSQL's `FLOAT8` codes shifted by −128 (so `scale` is libSQL's `alpha` and
/// `offset = shift + 128 · alpha`), which lets the simsimd `i8` kernels work on them: for two
/// vectors quantized with the same `scale` and `offset`, `L2Squared` of the values is `scale²`
/// times `L2Squared` of the codes.
#[derive(Debug, Clone, PartialEq)]
pub struct I8Codes {
    codes: Vec<i8>,
    scale: f32,
    offset: f32,
}

impl I8Codes {
    /// Quantizes `values` with a scale and offset spanning their range.
    #[must_use]
    pub fn encode(values: &[f32]) -> Self {
        let (codes, alpha, shift) = f8_encode(values);
        I8Codes {
            codes: codes.into_iter().map(|q| (q ^ 0x80) as i8).collect(),
            scale: alpha,
            offset: shift + 128.0 * alpha,
        }
    }

    /// The approximate values `scale · code + offset`.
    #[must_use]
    pub fn decode(&self) -> Vec<f32> {
        self.codes.iter().map(|&c| self.scale * f32::from(c) + self.offset).collect()
    }

    /// The codes, one per dimension.
    #[must_use]
    pub fn codes(&self) -> &[i8] {
        &self.codes
    }

    /// The step between neighbouring codes.
    #[must_use]
    pub fn scale(&self) -> f32 {
        self.scale
    }

    /// The value of code 0.
    #[must_use]
    pub fn offset(&self) -> f32 {
        self.offset
    }
}

/// Symmetric 8-bit codes of `values` written to `out` (same length): `out[i] = round(values[i] /
/// scale)` in `-127..=127`, with `scale = max abs(x) / 127` returned (0 for an all-zero or empty
/// input, whose codes are all 0). Element `i` decodes as `scale · out[i]`.
///
/// No offset, so the dot product of two vectors is the product of their scales times the
/// integer dot product of their codes — what the graph's traversal codes rely on.
///
/// Only the common prefix of `values` and `out` is encoded. The values must be finite (the
/// graph checks vectors before it encodes them); otherwise the codes are meaningless, never UB.
pub fn i8_symmetric_encode(values: &[f32], out: &mut [i8]) -> f32 {
    debug_assert_eq!(values.len(), out.len(), "one code per value");
    let max = values.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        out.fill(0);
        return 0.0;
    }
    let inv = 127.0 / max;
    for (c, &x) in out.iter_mut().zip(values) {
        // |x · inv| <= 127 up to rounding; the clamp keeps a rounding excess in range.
        *c = (x * inv).round().clamp(-127.0, 127.0) as i8;
    }
    max / 127.0
}

/// Sign bits, packed least significant bit first as libSQL's `FLOAT1BIT`: bit `i` is set iff
/// `values[i] > 0`. The result has `⌈n/8⌉` bytes with the unused high bits zero.
#[must_use]
pub fn to_sign_bits(values: &[f32]) -> Vec<u8> {
    let mut bits = vec![0u8; values.len().div_ceil(8)];
    for (i, _) in values.iter().enumerate().filter(|(_, &x)| x > 0.0) {
        bits[i / 8] |= 1 << (i % 8);
    }
    bits
}

/// Decodes `dims` sign bits as `+1.0` (bit set) or `−1.0`.
///
/// Panics if `bits` has fewer than `⌈dims/8⌉` bytes.
#[must_use]
pub fn from_sign_bits(bits: &[u8], dims: usize) -> Vec<f32> {
    assert!(bits.len() * 8 >= dims, "{} bytes cannot hold {dims} bits", bits.len());
    (0..dims).map(|i| if (bits[i / 8] >> (i % 8)) & 1 == 1 { 1.0 } else { -1.0 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::{Kernel, Metric};
    use proptest::prelude::*;

    fn finite_f32() -> impl Strategy<Value = f32> {
        prop_oneof![
            -1.0f32..1.0,
            -1e4f32..1e4,
            any::<f32>().prop_filter("finite", |x| x.is_finite()),
        ]
    }

    fn vectors() -> impl Strategy<Value = Vec<f32>> {
        prop::collection::vec(finite_f32(), 0..200)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn quantize_f16_round_trip_error_is_bounded(values in vectors()) {
            let back = from_f16(&to_f16(&values));
            for (&x, &y) in values.iter().zip(&back) {
                let bound = if x.abs() > 65504.0 {
                    x.abs() - 65504.0
                } else if x.abs() >= 2f32.powi(-14) {
                    x.abs() * 2f32.powi(-11)
                } else {
                    2f32.powi(-25)
                };
                prop_assert!(y.is_finite() && (x - y).abs() <= bound, "{} -> {}", x, y);
            }
        }

        #[test]
        fn quantize_bf16_round_trip_error_is_bounded(values in vectors()) {
            let back = from_bf16(&to_bf16(&values));
            for (&x, &y) in values.iter().zip(&back) {
                let bound = if x.abs() >= f32::MIN_POSITIVE {
                    x.abs() * 2f32.powi(-8)
                } else {
                    2f32.powi(-134) // half the spacing of bf16 subnormals
                };
                prop_assert!(y.is_finite() && (x - y).abs() <= bound, "{} -> {}", x, y);
            }
        }

        #[test]
        fn quantize_i8_round_trip_error_is_half_a_step(values in prop::collection::vec(-1e3f32..1e3, 1..300)) {
            let q = I8Codes::encode(&values);
            let back = q.decode();
            let max_abs = values.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            // Half a quantization step, plus f32 rounding in the division and in scale·c + offset.
            let bound = q.scale() * (0.5 + 1e-4) + 8.0 * f32::EPSILON * max_abs;
            for (&x, &y) in values.iter().zip(&back) {
                prop_assert!((x - y).abs() <= bound, "{} -> {} (bound {})", x, y, bound);
            }
        }

        #[test]
        fn quantize_sign_bits_keep_signs(values in vectors()) {
            let bits = to_sign_bits(&values);
            prop_assert_eq!(bits.len(), values.len().div_ceil(8));
            let back = from_sign_bits(&bits, values.len());
            for (&x, &y) in values.iter().zip(&back) {
                prop_assert_eq!(y.to_bits(), if x > 0.0 { 1.0f32 } else { -1.0 }.to_bits());
            }
            if values.len() % 8 != 0 {
                prop_assert_eq!(bits.last().map_or(0, |b| b >> (values.len() % 8)), 0);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn quantize_i8_symmetric_round_trip_error_is_half_a_step(values in prop::collection::vec(-1e3f32..1e3, 0..300)) {
            let mut codes = vec![0i8; values.len()];
            let scale = i8_symmetric_encode(&values, &mut codes);
            let max_abs = values.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let bound = scale * (0.5 + 1e-4) + 4.0 * f32::EPSILON * max_abs;
            for (&x, &c) in values.iter().zip(&codes) {
                prop_assert!(c != i8::MIN);
                let y = scale * f32::from(c);
                prop_assert!((x - y).abs() <= bound, "{} -> {} (bound {})", x, y, bound);
            }
        }
    }

    #[test]
    fn quantize_i8_symmetric_edge_cases() {
        let mut codes = [1i8; 3];
        assert_eq!(i8_symmetric_encode(&[0.0; 3], &mut codes).to_bits(), 0.0f32.to_bits());
        assert_eq!(codes, [0; 3]);
        let scale = i8_symmetric_encode(&[-2.0, 1.0, 2.0], &mut codes);
        assert_eq!(codes, [-127, 64, 127]);
        assert!((scale - 2.0 / 127.0).abs() < 1e-9);
        assert_eq!(i8_symmetric_encode(&[], &mut []).to_bits(), 0.0f32.to_bits());
    }

    #[test]
    fn quantize_saturates_instead_of_overflowing() {
        assert_eq!(from_f16(&to_f16(&[1e6, -1e6])), vec![65504.0, -65504.0]);
        let big = from_bf16(&to_bf16(&[f32::MAX, f32::MIN]));
        assert!(big.iter().all(|x| x.is_finite()));
        assert!(to_f16(&[f32::NAN])[0].is_nan());
    }

    #[test]
    fn quantize_i8_codes_span_the_range_and_match_f8() {
        let values = [-2.0f32, -1.0, 0.0, 0.5, 3.0];
        let q = I8Codes::encode(&values);
        assert_eq!(q.codes()[0], -128);
        assert_eq!(q.codes()[4], 127);
        let (f8, alpha, _) = f8_encode(&values);
        assert_eq!(q.scale().to_bits(), alpha.to_bits());
        for (&c, &u) in q.codes().iter().zip(&f8) {
            assert_eq!(i16::from(c) + 128, i16::from(u));
        }
        let constant = I8Codes::encode(&[4.0; 3]);
        assert_eq!(constant.decode(), vec![4.0; 3]);
        assert_eq!(I8Codes::encode(&[]).decode(), Vec::<f32>::new());
    }

    #[test]
    fn quantize_i8_l2_through_simd_kernel_matches_values() {
        let a: Vec<f32> = (0..97).map(|i| ((i * 37) % 101) as f32 / 10.0 - 5.0).collect();
        let b: Vec<f32> = a.iter().map(|x| -x).collect();
        // Quantize both with one shared range so that their scales and offsets agree.
        let both = I8Codes::encode(&[a.clone(), b.clone()].concat());
        let (ca, cb) = both.codes().split_at(a.len());
        let code_l2sq =
            Kernel::<i8>::new(Metric::L2Squared, a.len()).expect("supported").distance(ca, cb);
        let value_l2sq =
            Kernel::<f32>::new(Metric::L2Squared, a.len()).expect("supported").distance(&a, &b);
        let scaled = f64::from(both.scale()).powi(2) * code_l2sq;
        assert!((scaled - value_l2sq).abs() <= 0.01 * value_l2sq, "{scaled} vs {value_l2sq}");
    }
}
