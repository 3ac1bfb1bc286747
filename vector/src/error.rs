//! The crate's error type: every fallible operation of `embedlite-vector` returns [`VectorError`].
//!
//! Variants carry the offending values so that the engine can build a message like libSQL's
//! (`vector: float32 vector blob length must be divisible by 4 ...: length=7`) and map each one to
//! an SQLite result code (all of them are `SQLITE_ERROR` in libSQL; none is a corruption of the
//! database file by itself).

use crate::distance::Metric;
use crate::types::VectorType;

/// An error from parsing, converting or comparing vectors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VectorError {
    /// Two vectors (or a vector and a column or kernel) have different numbers of dimensions.
    #[error("vector dimension mismatch: expected {expected}, got {got}")]
    DimensionMismatch {
        /// Dimensions required by the other operand, the column or the kernel.
        expected: usize,
        /// Dimensions of the vector that was given.
        got: usize,
    },
    /// Two vectors have different element types.
    #[error("vector type mismatch: expected {expected}, got {got}")]
    TypeMismatch {
        /// Element type required by the other operand or the column.
        expected: VectorType,
        /// Element type of the vector that was given.
        got: VectorType,
    },
    /// A blob whose length or metadata bytes do not fit the vector type it claims.
    #[error("invalid vector blob (length {len}): {reason}")]
    InvalidBlob {
        /// Length of the whole blob in bytes, trailing metadata included.
        len: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A blob whose trailing type byte names no known vector type.
    #[error("invalid vector blob (length {len}): unknown vector type byte {code}")]
    UnknownTypeCode {
        /// Length of the whole blob in bytes.
        len: usize,
        /// The trailing byte that was found.
        code: u8,
    },
    /// Malformed vector text such as `'[1, 2,'`.
    #[error("invalid vector text at byte {pos}: {reason}")]
    InvalidText {
        /// Byte offset into the text where the problem was found.
        pos: usize,
        /// What was expected or what was wrong with the number found there.
        reason: String,
    },
    /// A column declaration that is not a vector type such as `F32_BLOB(768)`.
    #[error("invalid vector column type {decl:?}: {reason}")]
    InvalidColumnType {
        /// The declared type as written.
        decl: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More dimensions than libSQL allows ([`MAX_DIMS`](crate::MAX_DIMS)).
    #[error("vector has {dims} dimensions, more than the maximum of {max}")]
    TooManyDimensions {
        /// Dimensions requested or found.
        dims: usize,
        /// The limit.
        max: usize,
    },
    /// A metric that is not defined for an element type (for example Hamming over `f32`).
    #[error("metric {metric} is not defined for {element} vectors")]
    UnsupportedMetric {
        /// The metric that was asked for.
        metric: Metric,
        /// Name of the element type.
        element: &'static str,
    },
    /// A vector with a NaN or infinite element, which a graph index cannot order.
    #[error("vector element {index} is not a finite number")]
    NonFinite {
        /// Position of the first offending element.
        index: usize,
    },
    /// An index option (`CREATE INDEX ... USING libsql_vector_idx(v, 'max_neighbors=32')`) that
    /// is unknown, repeated, or has a value out of range.
    #[error("invalid vector index option {option}: {reason}")]
    InvalidIndexOption {
        /// The option's name as written (or the whole `key=value` item if it has no `=`).
        option: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A persisted graph node record that cannot be decoded, or that contradicts the others (a
    /// neighbour that is not in the index, a level out of range). The index file is corrupt.
    #[error("corrupt vector index node {key}: {reason}")]
    CorruptNode {
        /// The key (table rowid) of the node whose record is wrong.
        key: i64,
        /// What is wrong with it.
        reason: &'static str,
    },
}
