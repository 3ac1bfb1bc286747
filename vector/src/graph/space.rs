//! The distance a graph walks by, and the conversion to the distance it reports.
//!
//! The walk only compares distances, so it may use any order-preserving stand-in that is cheaper:
//!
//! | metric      | stored vectors | internal distance     | reported                     |
//! |-------------|----------------|-----------------------|------------------------------|
//! | `Cosine`    | normalised     | `1 − a·b`             | `max(0, 1 − a·b)` (zero vectors as [`Metric`] says) |
//! | `L2`        | as given       | `‖a − b‖²`            | `‖a − b‖`                    |
//! | `L2Squared` | as given       | `‖a − b‖²`            | the same                     |
//! | `Dot`       | as given       | `−a·b`                | the same                     |

use crate::distance::{Kernel, Metric};
use crate::error::VectorError;

/// A metric prepared for graph walks over `f32` vectors of one dimension.
#[derive(Debug, Clone, Copy)]
pub(super) struct Space {
    metric: Metric,
    /// The kernel of the internal distance (negated dot product or squared L2).
    kernel: Kernel<f32>,
}

impl Space {
    pub(super) fn new(metric: Metric, dims: usize) -> Result<Self, VectorError> {
        let internal = match metric {
            Metric::Cosine | Metric::Dot => Metric::Dot,
            Metric::L2 | Metric::L2Squared => Metric::L2Squared,
            Metric::Hamming => {
                return Err(VectorError::UnsupportedMetric { metric, element: "float32" })
            }
        };
        Ok(Space { metric, kernel: Kernel::new(internal, dims)? })
    }

    pub(super) fn dims(&self) -> usize {
        self.kernel.dims()
    }

    /// Whether stored and query vectors are normalised first.
    fn normalises(&self) -> bool {
        self.metric == Metric::Cosine
    }

    /// Checks `vector` (length, finiteness) and writes the form the graph stores into `out`.
    pub(super) fn prepare(&self, vector: &[f32], out: &mut Vec<f32>) -> Result<(), VectorError> {
        if vector.len() != self.dims() {
            return Err(VectorError::DimensionMismatch {
                expected: self.dims(),
                got: vector.len(),
            });
        }
        if let Some(index) = vector.iter().position(|x| !x.is_finite()) {
            return Err(VectorError::NonFinite { index });
        }
        out.clear();
        out.extend_from_slice(vector);
        if self.normalises() {
            let norm = vector.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
            // A zero vector stays zero: its cosine distance to anything is 1 (see `report`).
            if norm > 0.0 && norm.is_finite() {
                for x in &mut *out {
                    *x = (f64::from(*x) / norm) as f32;
                }
            }
        }
        Ok(())
    }

    /// The internal distance between two prepared vectors.
    #[inline]
    pub(super) fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        let d = self.kernel.distance(a, b);
        if self.normalises() {
            (1.0 + d) as f32
        } else {
            d as f32
        }
    }

    /// The distance as [`Metric`] defines it between two prepared vectors.
    pub(super) fn report(&self, a: &[f32], b: &[f32]) -> f64 {
        let d = self.kernel.distance(a, b);
        match self.metric {
            Metric::Cosine => {
                let zero = |v: &[f32]| v.iter().all(|&x| x == 0.0);
                // Metric's convention: two zero vectors are at distance 0.
                if zero(a) && zero(b) {
                    0.0
                } else {
                    (1.0 + d).max(0.0)
                }
            }
            Metric::L2 => d.max(0.0).sqrt(),
            _ => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_reports_the_metric_distance() {
        let a = [3.0f32, 0.0, 4.0];
        let b = [1.0f32, 2.0, -1.0];
        for metric in [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot] {
            let space = Space::new(metric, 3).expect("f32 metric");
            let (mut pa, mut pb) = (Vec::new(), Vec::new());
            space.prepare(&a, &mut pa).expect("valid");
            space.prepare(&b, &mut pb).expect("valid");
            let want = Kernel::<f32>::reference(metric, 3).expect("ref").distance(&a, &b);
            let got = space.report(&pa, &pb);
            assert!((got - want).abs() < 1e-6, "{metric}: {got} vs {want}");
        }
        let cos = Space::new(Metric::Cosine, 3).expect("cosine");
        let (mut z, mut pa) = (Vec::new(), Vec::new());
        cos.prepare(&[0.0; 3], &mut z).expect("zero is valid");
        cos.prepare(&a, &mut pa).expect("valid");
        assert_eq!(cos.report(&z, &z).to_bits(), 0.0f64.to_bits());
        assert_eq!(cos.report(&z, &pa).to_bits(), 1.0f64.to_bits());
    }

    #[test]
    fn space_rejects_bad_vectors() {
        let space = Space::new(Metric::L2, 3).expect("l2");
        let mut out = Vec::new();
        assert_eq!(
            space.prepare(&[1.0, 2.0], &mut out),
            Err(VectorError::DimensionMismatch { expected: 3, got: 2 })
        );
        assert_eq!(
            space.prepare(&[1.0, f32::NAN, 2.0], &mut out),
            Err(VectorError::NonFinite { index: 1 })
        );
        assert!(Space::new(Metric::Hamming, 3).is_err());
    }
}
