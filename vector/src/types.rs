//! Vector values and their libSQL-compatible forms: element types, column declarations, the
//! owned [`Vector`], conversions between types, blobs and text.

mod blob;
mod column;
mod convert;
mod element;
mod text;
mod vector;

pub use blob::blob_len;
pub use column::parse_column_type;
pub use element::{VectorType, MAX_DIMS};
pub use vector::Vector;

#[cfg(test)]
pub(crate) use vector::clear_unused_bits;
