//! Distances between two [`Vector`] values of the same type — for one-off uses such as the SQL
//! functions `vector_distance_cos(a, b)`. Hot loops build a [`Kernel`] or [`BitKernel`] once
//! instead.

use super::kernel::{BitKernel, Element, Kernel};
use super::metric::Metric;
use super::reference::cosine_from_sums;
use crate::error::VectorError;
use crate::types::{Vector, VectorType};

impl Metric {
    /// The distance between `a` and `b` under this metric.
    ///
    /// Both vectors must have the same type and number of dimensions. `F8` vectors are compared
    /// through their values `alpha × code + shift`, with libSQL's method: integer sums of codes
    /// for the dot product and the norms, element-wise differences for L2.
    ///
    /// ```
    /// use embedlite_vector::{Metric, Vector};
    /// let a = Vector::from_f32(&[1.0, 0.0]).unwrap();
    /// let b = Vector::from_f32(&[0.0, 2.0]).unwrap();
    /// assert_eq!(Metric::Cosine.distance(&a, &b).unwrap(), 1.0);
    /// assert_eq!(Metric::L2Squared.distance(&a, &b).unwrap(), 5.0);
    /// ```
    pub fn distance(self, a: &Vector, b: &Vector) -> Result<f64, VectorError> {
        let (ty, dims) = (a.vector_type(), a.dims());
        if b.vector_type() != ty {
            return Err(VectorError::TypeMismatch { expected: ty, got: b.vector_type() });
        }
        if b.dims() != dims {
            return Err(VectorError::DimensionMismatch { expected: dims, got: b.dims() });
        }
        if !self.supports(ty) {
            return Err(VectorError::UnsupportedMetric { metric: self, element: ty.name() });
        }
        match ty {
            VectorType::F32 => typed(self, a.as_f32(), b.as_f32()),
            VectorType::F64 => typed(self, a.as_f64(), b.as_f64()),
            VectorType::F16 => typed(self, a.as_f16(), b.as_f16()),
            VectorType::BF16 => typed(self, a.as_bf16(), b.as_bf16()),
            VectorType::F1Bit => {
                let (a, b) = a.as_bits().zip(b.as_bits()).expect("both vectors are bit vectors");
                Ok(BitKernel::new(self, dims).distance(a, b))
            }
            VectorType::F8 => {
                let (a, b) = a.as_f8().zip(b.as_f8()).expect("both vectors are f8 vectors");
                Ok(f8_distance(self, a, b))
            }
        }
    }
}

/// The distance between two slices of one element type, given as `Option`s from the accessors.
fn typed<T: Element>(m: Metric, a: Option<&[T]>, b: Option<&[T]>) -> Result<f64, VectorError> {
    let (a, b) = a.zip(b).expect("both vectors have the checked type");
    Kernel::<T>::new(m, a.len())?.checked_distance(a, b)
}

/// Distance between two `F8` vectors given as `(codes, alpha, shift)`.
fn f8_distance(
    metric: Metric,
    (qa, a1, s1): (&[u8], f32, f32),
    (qb, a2, s2): (&[u8], f32, f32),
) -> f64 {
    if matches!(metric, Metric::L2 | Metric::L2Squared) {
        let sum: f64 = qa
            .iter()
            .zip(qb)
            .map(|(&x, &y)| {
                let d = f64::from(a1 * f32::from(x) + s1) - f64::from(a2 * f32::from(y) + s2);
                d * d
            })
            .sum();
        return if metric == Metric::L2 { sum.sqrt() } else { sum };
    }
    // x = a1·p + s1, y = a2·q + s2:
    //   Σxy = a1·a2·Σpq + a1·s2·Σp + a2·s1·Σq + n·s1·s2,   Σx² = a1²·Σp² + 2·a1·s1·Σp + n·s1².
    let (mut sp, mut sq, mut spp, mut sqq, mut spq) = (0u64, 0u64, 0u64, 0u64, 0u64);
    for (&p, &q) in qa.iter().zip(qb) {
        let (p, q) = (u64::from(p), u64::from(q));
        sp += p;
        sq += q;
        spp += p * p;
        sqq += q * q;
        spq += p * q;
    }
    let (a1, s1, a2, s2) = (f64::from(a1), f64::from(s1), f64::from(a2), f64::from(s2));
    let n = qa.len() as f64;
    let (sp, sq, spp, sqq, spq) = (sp as f64, sq as f64, spp as f64, sqq as f64, spq as f64);
    let dot = a1 * a2 * spq + a1 * s2 * sp + a2 * s1 * sq + n * s1 * s2;
    if metric == Metric::Dot {
        return -dot;
    }
    let norm_a = a1 * a1 * spp + 2.0 * a1 * s1 * sp + n * s1 * s1;
    let norm_b = a2 * a2 * sqq + 2.0 * a2 * s2 * sq + n * s2 * s2;
    cosine_from_sums(dot, norm_a, norm_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(values: &[f32], ty: VectorType) -> Vector {
        Vector::from_f32_as(values, ty).expect("few dims")
    }

    #[test]
    fn vector_distance_checks_type_and_dims() {
        let a = v(&[1.0, 2.0], VectorType::F32);
        assert_eq!(
            Metric::L2.distance(&a, &v(&[1.0, 2.0], VectorType::F64)),
            Err(VectorError::TypeMismatch { expected: VectorType::F32, got: VectorType::F64 })
        );
        assert_eq!(
            Metric::L2.distance(&a, &v(&[1.0], VectorType::F32)),
            Err(VectorError::DimensionMismatch { expected: 2, got: 1 })
        );
        assert!(matches!(
            Metric::Hamming.distance(&a, &a),
            Err(VectorError::UnsupportedMetric { metric: Metric::Hamming, .. })
        ));
    }

    #[test]
    fn vector_distance_agrees_with_f64_on_the_same_values() {
        // Each typed distance equals the f64 distance of the vector's own (rounded or
        // dequantized) element values.
        let a = [0.0, 1.0, 2.0, 2.0, 0.0, -0.3];
        let b = [2.0, 2.0, 0.0, 1.0, 0.0, 0.7];
        let as_f64 = |x: &Vector| {
            let values: Vec<f64> = x.to_f32_vec().into_iter().map(f64::from).collect();
            Vector::from_f64(&values).expect("few dims")
        };
        for ty in [VectorType::F32, VectorType::F16, VectorType::BF16, VectorType::F8] {
            let (ta, tb) = (v(&a, ty), v(&b, ty));
            for m in [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot] {
                let got = m.distance(&ta, &tb).expect("supported");
                let want = m.distance(&as_f64(&ta), &as_f64(&tb)).expect("supported");
                assert!(
                    (got - want).abs() <= 1e-5 * want.abs().max(1.0),
                    "{ty} {m}: {got} vs {want}"
                );
            }
        }
    }

    #[test]
    fn vector_distance_of_bits_is_that_of_plus_minus_one_vectors() {
        let a = [1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, 1.0];
        let b = [1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, 1.0, -1.0, -1.0];
        let (ba, bb) = (v(&a, VectorType::F1Bit), v(&b, VectorType::F1Bit));
        assert_eq!(Metric::Hamming.distance(&ba, &bb), Ok(4.0));
        for m in [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot] {
            let want = m.distance(&v(&a, VectorType::F64), &v(&b, VectorType::F64)).expect("f64");
            let got = m.distance(&ba, &bb).expect("bits");
            // simsimd's f64 cosine uses an approximate reciprocal square root (~1e-9 here).
            assert!((got - want).abs() < 1e-6, "{m}: {got} vs {want}");
        }
    }

    #[test]
    fn vector_distance_cosine_of_zero_vectors() {
        for ty in VectorType::ALL {
            if ty == VectorType::F1Bit {
                continue; // bit vectors have no zero vector
            }
            let zero = v(&[0.0, 0.0, 0.0], ty);
            let one = v(&[0.0, 1.0, 0.0], ty);
            assert_eq!(Metric::Cosine.distance(&zero, &zero), Ok(0.0), "{ty}");
            assert_eq!(Metric::Cosine.distance(&zero, &one), Ok(1.0), "{ty}");
            let same = Metric::Cosine.distance(&one, &one).expect("supported");
            assert!((0.0..1e-6).contains(&same), "{ty}: {same}");
        }
        let empty = v(&[], VectorType::F32);
        assert_eq!(Metric::Cosine.distance(&empty, &empty), Ok(0.0));
        let empty_bits = v(&[], VectorType::F1Bit);
        assert_eq!(Metric::Cosine.distance(&empty_bits, &empty_bits), Ok(0.0));
    }
}
