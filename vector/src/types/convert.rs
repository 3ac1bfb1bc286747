//! Conversion of a vector to another element type, following libSQL's `vectorConvert`.
//!
//! Rules (each as libSQL computes it, so that `vector16('[...]')` and friends give the same bytes):
//! - every source is first read as `f32` values (`F64` is rounded to `f32` first, except for the
//!   sign test of `F1Bit` and the widening to `F64`, which use the `f64` value);
//! - `→ F64`: widen; `→ F32`: round to nearest;
//! - `→ F16`: IEEE round to nearest, ties to even (the `half` crate). libSQL's own routine drops
//!   the low bits before rounding when the result is subnormal (|x| < 2⁻¹⁴), so a value there that
//!   lies just above a rounding midpoint may come out one unit lower in libSQL;
//! - `→ BF16`: **truncation** of the `f32` bit pattern to its upper 16 bits, as libSQL does (not
//!   round to nearest). NaN stays NaN (libSQL would turn a NaN with only low payload bits into ∞);
//! - `→ F8`: `shift = min`, `alpha = (max − min) / 255`, `code = round((x − shift) / alpha)` clipped
//!   to `0..=255` (see [`crate::quantize::f8_encode`]);
//! - `→ F1Bit`: bit set iff the value is `> 0`; `F1Bit →` anything: `+1` / `-1`.

use half::{bf16, f16};

use super::vector::{bit_bytes, f8_value, Data, Vector};
use super::VectorType;
use crate::quantize::f8_encode;

/// `f32` → `bfloat16` by truncation, libSQL's `vectorFB16FromFloat`.
pub(crate) fn bf16_truncate(x: f32) -> bf16 {
    if x.is_nan() {
        return bf16::NAN;
    }
    bf16::from_bits((x.to_bits() >> 16) as u16)
}

impl Vector {
    /// This vector converted to element type `to` (a copy when `to` is already its type).
    ///
    /// The conversion is lossy in general; see the module documentation of `types::convert` for
    /// the exact rules, which follow libSQL.
    #[must_use]
    pub fn convert(&self, to: VectorType) -> Vector {
        if self.vector_type() == to {
            return self.clone();
        }
        let data = match to {
            VectorType::F64 => Data::F64(self.to_f64_values()),
            VectorType::F32 => Data::F32(self.to_f32_vec()),
            VectorType::F16 => {
                Data::F16(self.to_f32_vec().into_iter().map(f16::from_f32).collect())
            }
            VectorType::BF16 => {
                Data::BF16(self.to_f32_vec().into_iter().map(bf16_truncate).collect())
            }
            VectorType::F8 => {
                let (codes, alpha, shift) = f8_encode(&self.to_f32_vec());
                Data::F8 { codes, alpha, shift }
            }
            VectorType::F1Bit => {
                let dims = self.dims();
                let mut bits = vec![0u8; bit_bytes(dims)];
                let mut set = |i: usize, positive: bool| {
                    if positive {
                        bits[i / 8] |= 1 << (i % 8);
                    }
                };
                match &self.data {
                    Data::F64(v) => v.iter().enumerate().for_each(|(i, &x)| set(i, x > 0.0)),
                    _ => self.to_f32_vec().iter().enumerate().for_each(|(i, &x)| set(i, x > 0.0)),
                }
                Data::F1Bit { bits, dims }
            }
        };
        Vector::from_data(data)
    }

    /// Element values widened to `f64` (`F8` is dequantized in `f32` first, as libSQL does).
    fn to_f64_values(&self) -> Vec<f64> {
        match &self.data {
            Data::F64(v) => v.clone(),
            Data::F8 { codes, alpha, shift } => {
                codes.iter().map(|&q| f64::from(f8_value(*alpha, *shift, q))).collect()
            }
            _ => self.to_f32_vec().into_iter().map(f64::from).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vector {
        Vector::from_f32(&[1.0, -2.5, 0.0, 0.1, 3.0e-6, -7.25, 100.0, 0.333]).expect("8 dims")
    }

    #[test]
    fn convert_between_every_pair_keeps_dims_and_type() {
        for from in VectorType::ALL {
            let src = sample().convert(from);
            assert_eq!(src.vector_type(), from);
            for to in VectorType::ALL {
                let dst = src.convert(to);
                assert_eq!(dst.vector_type(), to, "{from} -> {to}");
                assert_eq!(dst.dims(), 8, "{from} -> {to}");
                dst.check_invariants();
                // Signs survive every conversion except where a value rounds to zero.
                for (i, (&a, &b)) in src.to_f32_vec().iter().zip(&dst.to_f32_vec()).enumerate() {
                    if a.abs() > 0.5 && from != VectorType::F8 && to != VectorType::F8 {
                        assert_eq!(a > 0.0, b > 0.0, "{from} -> {to} element {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn convert_to_f16_rounds_to_nearest_and_bf16_truncates() {
        let v = Vector::from_f32(&[0.1, 1.0 + 1.0 / 256.0 + 1.0 / 512.0]).expect("2 dims");
        let h = v.convert(VectorType::F16);
        assert_eq!(h.as_f16().expect("f16")[0].to_bits(), 0x2e66); // 0.0999755859375
        let b = v.convert(VectorType::BF16);
        let bits: Vec<u16> = b.as_bf16().expect("bf16").iter().map(|x| x.to_bits()).collect();
        // 0.1f32 = 0x3dcccccd → truncated 0x3dcc (round-to-nearest would give 0x3dcd).
        // 1 + 2^-8 + 2^-9 = 0x3f80c000 → truncated 0x3f80 (round-to-nearest would give 0x3f81).
        assert_eq!(bits, vec![0x3dcc, 0x3f80]);
        assert!(bf16_truncate(f32::NAN).is_nan());
        assert!(bf16_truncate(f32::from_bits(0x7f80_0001)).is_nan());
    }

    #[test]
    fn convert_to_1bit_uses_strictly_positive() {
        let v = Vector::from_f64(&[1e-300, 0.0, -0.0, -1.0, 2.0]).expect("5 dims");
        let b = v.convert(VectorType::F1Bit);
        assert_eq!(b.as_bits(), Some(&[0b1_0001u8][..]));
        assert_eq!(b.convert(VectorType::F32).as_f32(), Some(&[1.0, -1.0, -1.0, -1.0, 1.0][..]));
    }

    #[test]
    fn convert_to_f8_follows_libsql_formula() {
        let v = Vector::from_f32(&[-1.0, 0.0, 1.0, 0.5]).expect("4 dims");
        let q = v.convert(VectorType::F8);
        let (codes, alpha, shift) = q.as_f8().expect("f8");
        assert_eq!(shift.to_bits(), (-1.0f32).to_bits());
        assert_eq!(alpha.to_bits(), (2.0f32 / 255.0).to_bits());
        // In f32, alpha = 0.0078431377 and (0 − −1) / alpha = 127.49999 → 127 (not 128, as exact
        // arithmetic would give); (0.5 + 1) / alpha = 191.24998 → 191.
        assert_eq!(codes, &[0, 127, 255, 191]);
        let constant = Vector::from_f32(&[3.0, 3.0]).expect("2 dims").convert(VectorType::F8);
        assert_eq!(constant.as_f8(), Some((&[0u8, 0][..], 0.0, 3.0)));
        assert_eq!(constant.to_f32_vec(), vec![3.0, 3.0]);
    }
}
