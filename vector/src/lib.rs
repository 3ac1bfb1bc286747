//! `embedlite-vector`: vector values, distances and quantization for embedlite — no SQL.
//!
//! - [`types`]: the six libSQL element types ([`VectorType`]), the owned [`Vector`], its
//!   byte-compatible blob encoding, its `'[1,2,3]'` text form, conversions between types and
//!   vector column declarations such as `F32_BLOB(768)`.
//! - [`distance`]: the [`Metric`]s (cosine, L2, squared L2, negated dot product, Hamming), SIMD
//!   kernels from simsimd chosen once per metric and element type ([`Kernel`], [`BitKernel`]), and
//!   the scalar [`distance::reference`] they are tested against.
//! - [`quantize`]: `f32` → `f16` / `bf16` / 8-bit / sign-bit codes for compressed neighbor vectors.
//! - [`graph`]: the in-memory HNSW / DiskANN graph index ([`GraphIndex`]) with parallel build,
//!   filtered search, removal with repair and compact persisted node records.
//!
//! ```
//! use embedlite_vector::{parse_column_type, Metric, Vector, VectorType};
//!
//! let (ty, dims) = parse_column_type("F32_BLOB(3)")?;
//! let a = Vector::parse_text("[1, 2, 3]", ty)?;
//! let b = Vector::from_blob(&Vector::from_f32(&[1.0, 2.0, 4.0])?.to_blob())?;
//! assert_eq!((a.dims(), b.dims()), (dims, dims));
//! assert_eq!(Metric::L2.distance(&a, &b)?, 1.0);
//! assert_eq!(a.convert(VectorType::F16).to_string(), "[1,2,3]");
//! # Ok::<(), embedlite_vector::VectorError>(())
//! ```
//!
//! `unsafe` is denied except for two slice casts between `half`'s and simsimd's 16-bit float
//! types in `distance::simd`, a cache prefetch hint in `graph::codes` and the huge-page advice
//! (`madvise`) in `graph::huge`, each with its `SAFETY` argument.
#![deny(unsafe_code)]

pub mod distance;
mod error;
pub mod graph;
pub mod quantize;
pub mod types;

pub use distance::{BitKernel, Element, Kernel, Metric};
pub use error::VectorError;
pub use graph::{Compression, GraphIndex, GraphKind, IndexParams};
pub use types::{blob_len, parse_column_type, Vector, VectorType, MAX_DIMS};
