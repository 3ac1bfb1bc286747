//! Vector element types: the six libSQL types, their trailing type bytes and their names.

use std::fmt;

/// Largest number of dimensions a vector may have (libSQL's `MAX_VECTOR_SZ`).
pub const MAX_DIMS: usize = 65536;

/// The element type of a vector, with libSQL's numbering (the byte that ends a typed blob).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VectorType {
    /// IEEE binary32 (`F32_BLOB`, `FLOAT32`); type byte 1, optional in blobs.
    F32,
    /// IEEE binary64 (`F64_BLOB`, `FLOAT64`); type byte 2.
    F64,
    /// IEEE binary16 (`F16_BLOB`, `FLOAT16`); type byte 5.
    F16,
    /// bfloat16, the upper half of a binary32 (`FB16_BLOB`, `FLOATB16`); type byte 6.
    BF16,
    /// One byte per element with a per-vector scale and shift (`F8_BLOB`, `FLOAT8`); type byte 4.
    F8,
    /// One bit per element, the sign (`F1BIT_BLOB`, `FLOAT1BIT`); type byte 3.
    F1Bit,
}

impl VectorType {
    /// Every type, in libSQL's numbering order.
    pub const ALL: [VectorType; 6] = [
        VectorType::F32,
        VectorType::F64,
        VectorType::F1Bit,
        VectorType::F8,
        VectorType::F16,
        VectorType::BF16,
    ];

    /// libSQL's number for the type, written as the last byte of a typed blob.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            VectorType::F32 => 1,
            VectorType::F64 => 2,
            VectorType::F1Bit => 3,
            VectorType::F8 => 4,
            VectorType::F16 => 5,
            VectorType::BF16 => 6,
        }
    }

    /// The type with libSQL number `code`, if there is one.
    #[must_use]
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(VectorType::F32),
            2 => Some(VectorType::F64),
            3 => Some(VectorType::F1Bit),
            4 => Some(VectorType::F8),
            5 => Some(VectorType::F16),
            6 => Some(VectorType::BF16),
            _ => None,
        }
    }

    /// libSQL's lower-case name (`float32`, `float64`, `float16`, `floatb16`, `float8`,
    /// `float1bit`), as used by the `compress_neighbors=` index parameter.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            VectorType::F32 => "float32",
            VectorType::F64 => "float64",
            VectorType::F16 => "float16",
            VectorType::BF16 => "floatb16",
            VectorType::F8 => "float8",
            VectorType::F1Bit => "float1bit",
        }
    }

    /// The type named `name` (see [`VectorType::name`]), ignoring ASCII case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for VectorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_libsql_numbering() {
        let expected = [(VectorType::F32, 1), (VectorType::F64, 2), (VectorType::F1Bit, 3)];
        for (ty, code) in expected {
            assert_eq!(ty.code(), code);
        }
        assert_eq!(VectorType::F8.code(), 4);
        assert_eq!(VectorType::F16.code(), 5);
        assert_eq!(VectorType::BF16.code(), 6);
        for ty in VectorType::ALL {
            assert_eq!(VectorType::from_code(ty.code()), Some(ty));
            assert_eq!(VectorType::from_name(&ty.name().to_uppercase()), Some(ty));
        }
        assert_eq!(VectorType::from_code(0), None);
        assert_eq!(VectorType::from_code(7), None);
        assert_eq!(VectorType::from_name("float128"), None);
    }
}
