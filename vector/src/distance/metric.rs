//! Distance metrics: what "near" means, independent of element type and of the kernel computing it.

use std::fmt;

use crate::types::VectorType;

/// A distance function; smaller is nearer for every metric.
///
/// | metric      | value                         | range           |
/// |-------------|-------------------------------|-----------------|
/// | `Cosine`    | `1 − a·b / (‖a‖ ‖b‖)`         | `0 ..= 2`       |
/// | `L2`        | `‖a − b‖`                     | `0 ..`          |
/// | `L2Squared` | `‖a − b‖²` (same order as L2, no square root) | `0 ..` |
/// | `Dot`       | `−a·b`, the negated inner product (Turso's `vector_distance_dot`) | any |
/// | `Hamming`   | number of differing bits (`F1Bit` only) | `0 ..= dims` |
///
/// **Zero vectors under `Cosine`.** The cosine of a zero vector is undefined. This crate follows
/// simsimd (and Turso): two zero vectors are at distance `0`, a zero vector and a non-zero one at
/// distance `1`. libSQL computes `1 − 0/√0` and returns NaN instead. Results are clamped below at
/// `0` (rounding can otherwise give a tiny negative distance for identical vectors).
///
/// **`F1Bit` vectors** stand for elements `±1`, and every metric is that of the `±1` vectors:
/// with `h` differing bits out of `n`, `Cosine = 2h/n` (`0` when `n = 0`), `L2Squared = 4h`,
/// `L2 = 2√h`, `Dot = −(n − 2h)`, `Hamming = h`. (libSQL's `vector_distance_cos` returns `h` for
/// bit vectors; a caller that wants that uses `Hamming`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Cosine distance, `1 − cos(a, b)`.
    Cosine,
    /// Euclidean distance.
    L2,
    /// Squared Euclidean distance.
    L2Squared,
    /// Negated inner product.
    Dot,
    /// Number of differing bits; defined for bit vectors only.
    Hamming,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Metric; 5] =
        [Metric::Cosine, Metric::L2, Metric::L2Squared, Metric::Dot, Metric::Hamming];

    /// Lower-case name: `cosine`, `l2`, `l2sq`, `dot`, `hamming` (libSQL's `metric=` values are
    /// `cosine` and `l2`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::L2 => "l2",
            Metric::L2Squared => "l2sq",
            Metric::Dot => "dot",
            Metric::Hamming => "hamming",
        }
    }

    /// The metric named `name` (see [`Metric::name`]), ignoring ASCII case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(name))
    }

    /// Whether [`Metric::distance`] is defined for vectors of type `ty`: `Hamming` for `F1Bit`
    /// only; every other metric for every type.
    #[must_use]
    pub fn supports(self, ty: VectorType) -> bool {
        self != Metric::Hamming || ty == VectorType::F1Bit
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
