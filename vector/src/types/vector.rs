//! The owned vector value: an element type, a number of dimensions and the elements.
//!
//! Invariants (checked by [`Vector::check_invariants`]):
//! - `dims() <= MAX_DIMS`;
//! - `F8`: one code per dimension;
//! - `F1Bit`: `ceil(dims / 8)` bytes, element `i` in bit `i % 8` of byte `i / 8` (least significant
//!   bit first, as libSQL), and the unused high bits of the last byte are zero, so that byte-wise
//!   Hamming distances count only real dimensions.

use half::{bf16, f16};

use super::element::{VectorType, MAX_DIMS};
use crate::error::VectorError;

/// The elements of a vector, one variant per element type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    F16(Vec<f16>),
    BF16(Vec<bf16>),
    /// Element `i` is `alpha * codes[i] + shift`, computed in `f32`.
    F8 {
        codes: Vec<u8>,
        alpha: f32,
        shift: f32,
    },
    /// Element `i` is `+1` if bit `i` is set, else `-1`.
    F1Bit {
        bits: Vec<u8>,
        dims: usize,
    },
}

/// An owned vector of one of the six libSQL element types.
///
/// ```
/// use embedlite_vector::{Vector, VectorType};
/// let v = Vector::from_f32(&[1.0, 2.5, -0.03]).unwrap();
/// assert_eq!(v.to_string(), "[1,2.5,-0.03]");
/// let h = v.convert(VectorType::F16);
/// assert_eq!(Vector::from_blob(&h.to_blob()).unwrap(), h);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Vector {
    pub(crate) data: Data,
}

pub(crate) fn check_dims(dims: usize) -> Result<(), VectorError> {
    if dims > MAX_DIMS {
        return Err(VectorError::TooManyDimensions { dims, max: MAX_DIMS });
    }
    Ok(())
}

/// Bytes needed for `dims` packed bits.
pub(crate) fn bit_bytes(dims: usize) -> usize {
    dims.div_ceil(8)
}

impl Vector {
    pub(crate) fn from_data(data: Data) -> Self {
        let v = Vector { data };
        debug_assert!(v.invariant_violation().is_none(), "{:?}", v.invariant_violation());
        v
    }

    /// A `F32` vector with a copy of `values`.
    pub fn from_f32(values: &[f32]) -> Result<Self, VectorError> {
        check_dims(values.len())?;
        Ok(Self::from_data(Data::F32(values.to_vec())))
    }

    /// A vector of type `ty` converted from `values` (see [`Vector::convert`]).
    pub fn from_f32_as(values: &[f32], ty: VectorType) -> Result<Self, VectorError> {
        let v = Self::from_f32(values)?;
        Ok(if ty == VectorType::F32 { v } else { v.convert(ty) })
    }

    /// A `F64` vector with a copy of `values`.
    pub fn from_f64(values: &[f64]) -> Result<Self, VectorError> {
        check_dims(values.len())?;
        Ok(Self::from_data(Data::F64(values.to_vec())))
    }

    /// A `F16` vector holding `values`.
    pub fn from_f16(values: Vec<f16>) -> Result<Self, VectorError> {
        check_dims(values.len())?;
        Ok(Self::from_data(Data::F16(values)))
    }

    /// A `BF16` vector holding `values`.
    pub fn from_bf16(values: Vec<bf16>) -> Result<Self, VectorError> {
        check_dims(values.len())?;
        Ok(Self::from_data(Data::BF16(values)))
    }

    /// A `F8` vector whose element `i` is `alpha * codes[i] + shift`.
    pub fn from_f8(codes: Vec<u8>, alpha: f32, shift: f32) -> Result<Self, VectorError> {
        check_dims(codes.len())?;
        Ok(Self::from_data(Data::F8 { codes, alpha, shift }))
    }

    /// A `F1Bit` vector of `dims` elements packed least significant bit first in `bits`, which
    /// must hold exactly `ceil(dims / 8)` bytes (otherwise `DimensionMismatch` with
    /// `expected = 8 × bits.len()` and `got = dims`). Unused high bits of the last byte are cleared.
    pub fn from_bits(mut bits: Vec<u8>, dims: usize) -> Result<Self, VectorError> {
        check_dims(dims)?;
        if bits.len() != bit_bytes(dims) {
            return Err(VectorError::DimensionMismatch { expected: bits.len() * 8, got: dims });
        }
        clear_unused_bits(&mut bits, dims);
        Ok(Self::from_data(Data::F1Bit { bits, dims }))
    }

    /// The element type.
    #[must_use]
    pub fn vector_type(&self) -> VectorType {
        match &self.data {
            Data::F32(_) => VectorType::F32,
            Data::F64(_) => VectorType::F64,
            Data::F16(_) => VectorType::F16,
            Data::BF16(_) => VectorType::BF16,
            Data::F8 { .. } => VectorType::F8,
            Data::F1Bit { .. } => VectorType::F1Bit,
        }
    }

    /// The number of dimensions (elements).
    #[must_use]
    pub fn dims(&self) -> usize {
        match &self.data {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::F16(v) => v.len(),
            Data::BF16(v) => v.len(),
            Data::F8 { codes, .. } => codes.len(),
            Data::F1Bit { dims, .. } => *dims,
        }
    }

    /// The elements of a `F32` vector.
    #[must_use]
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            _ => None,
        }
    }

    /// The elements of a `F64` vector.
    #[must_use]
    pub fn as_f64(&self) -> Option<&[f64]> {
        match &self.data {
            Data::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The elements of a `F16` vector.
    #[must_use]
    pub fn as_f16(&self) -> Option<&[f16]> {
        match &self.data {
            Data::F16(v) => Some(v),
            _ => None,
        }
    }

    /// The elements of a `BF16` vector.
    #[must_use]
    pub fn as_bf16(&self) -> Option<&[bf16]> {
        match &self.data {
            Data::BF16(v) => Some(v),
            _ => None,
        }
    }

    /// The codes, `alpha` and `shift` of a `F8` vector (element `i` is `alpha * codes[i] + shift`).
    #[must_use]
    pub fn as_f8(&self) -> Option<(&[u8], f32, f32)> {
        match &self.data {
            Data::F8 { codes, alpha, shift } => Some((codes, *alpha, *shift)),
            _ => None,
        }
    }

    /// The packed bits of a `F1Bit` vector (least significant bit first, unused bits zero).
    #[must_use]
    pub fn as_bits(&self) -> Option<&[u8]> {
        match &self.data {
            Data::F1Bit { bits, .. } => Some(bits),
            _ => None,
        }
    }

    /// The element values as `f32`: exact for `F32`, `F16` and `BF16`; rounded for `F64`;
    /// `alpha * code + shift` for `F8`; `+1`/`-1` for `F1Bit`.
    #[must_use]
    pub fn to_f32_vec(&self) -> Vec<f32> {
        match &self.data {
            Data::F32(v) => v.clone(),
            Data::F64(v) => v.iter().map(|&x| x as f32).collect(),
            Data::F16(v) => v.iter().map(|x| x.to_f32()).collect(),
            Data::BF16(v) => v.iter().map(|x| x.to_f32()).collect(),
            Data::F8 { codes, alpha, shift } => {
                codes.iter().map(|&q| f8_value(*alpha, *shift, q)).collect()
            }
            Data::F1Bit { bits, dims } => (0..*dims).map(|i| bit_value(bits, i)).collect(),
        }
    }

    /// Panics if an invariant listed in the module documentation does not hold.
    pub fn check_invariants(&self) {
        if let Some(problem) = self.invariant_violation() {
            panic!("vector invariant violated: {problem}");
        }
    }

    fn invariant_violation(&self) -> Option<&'static str> {
        if self.dims() > MAX_DIMS {
            return Some("more than MAX_DIMS dimensions");
        }
        if let Data::F1Bit { bits, dims } = &self.data {
            if bits.len() != bit_bytes(*dims) {
                return Some("bit vector byte count does not match its dimensions");
            }
            if dims % 8 != 0 && bits.last().is_some_and(|&b| b >> (dims % 8) != 0) {
                return Some("unused bits of a bit vector are set");
            }
        }
        None
    }
}

/// Element value of a `F8` code, in `f32` arithmetic as libSQL computes it.
pub(crate) fn f8_value(alpha: f32, shift: f32, code: u8) -> f32 {
    alpha * f32::from(code) + shift
}

/// Element `i` of packed bits as `+1.0` or `-1.0`.
pub(crate) fn bit_value(bits: &[u8], i: usize) -> f32 {
    if (bits[i / 8] >> (i % 8)) & 1 == 1 {
        1.0
    } else {
        -1.0
    }
}

/// Clears the bits of the last byte beyond `dims`.
pub(crate) fn clear_unused_bits(bits: &mut [u8], dims: usize) {
    if dims % 8 != 0 {
        if let Some(last) = bits.last_mut() {
            *last &= (1u8 << (dims % 8)) - 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_dimensions() {
        assert!(Vector::from_f32(&vec![0.0; MAX_DIMS]).is_ok());
        assert_eq!(
            Vector::from_f32(&vec![0.0; MAX_DIMS + 1]),
            Err(VectorError::TooManyDimensions { dims: MAX_DIMS + 1, max: MAX_DIMS })
        );
        assert!(Vector::from_bits(vec![0; 2], 9).is_ok());
        assert!(Vector::from_bits(vec![0; 2], 17).is_err());
        assert!(Vector::from_bits(vec![0; 2], 8).is_err());
    }

    #[test]
    fn from_bits_clears_unused_bits() {
        let v = Vector::from_bits(vec![0xff, 0xff], 10).expect("10 bits fit in 2 bytes");
        assert_eq!(v.as_bits(), Some(&[0xff, 0x03][..]));
        v.check_invariants();
        assert_eq!(v.to_f32_vec(), vec![1.0; 10]);
    }

    #[test]
    fn accessors_match_the_type() {
        let v = Vector::from_f8(vec![0, 255], 0.5, -1.0).expect("2 dims");
        assert_eq!(v.vector_type(), VectorType::F8);
        assert_eq!(v.dims(), 2);
        assert_eq!(v.as_f8(), Some((&[0u8, 255][..], 0.5, -1.0)));
        assert_eq!(v.as_f32(), None);
        assert_eq!(v.to_f32_vec(), vec![-1.0, 126.5]);
    }
}
