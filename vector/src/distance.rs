//! Distances between vectors: the [`Metric`]s, SIMD kernels chosen once per metric and element
//! type ([`Kernel`], [`BitKernel`]), the scalar [`reference`](mod@reference) they are tested against, and
//! [`Metric::distance`] for two [`Vector`](crate::Vector) values.

mod kernel;
mod metric;
pub mod reference;
mod simd;
mod vector;

pub use kernel::{BitKernel, Element, Kernel, KernelFn};
pub use metric::Metric;
