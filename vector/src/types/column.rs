//! Vector column declarations: `F32_BLOB(768)`, `float16 ( 3 )`, ... → element type and dimensions.
//!
//! Grammar (ASCII case-insensitive names, SQLite white space around every token):
//!
//! ```text
//! decl := ws* name ws* '(' ws* digits ws* ')' ws*
//! name := FLOAT32 | F32_BLOB | FLOAT64 | F64_BLOB | FLOAT16 | F16_BLOB
//!       | FLOATB16 | FB16_BLOB | FLOAT8 | F8_BLOB | FLOAT1BIT | F1BIT_BLOB
//! ```
//!
//! The dimension must be in `1..=MAX_DIMS`. This follows libSQL's `vectorIdxParseColumnType`,
//! except that the name must be a whole word (libSQL matches a prefix and then demands `(`, which
//! rejects the same declarations).

use super::element::{VectorType, MAX_DIMS};
use crate::error::VectorError;

const NAMES: [(&str, VectorType); 12] = [
    ("FLOAT32", VectorType::F32),
    ("F32_BLOB", VectorType::F32),
    ("FLOAT64", VectorType::F64),
    ("F64_BLOB", VectorType::F64),
    ("FLOAT1BIT", VectorType::F1Bit),
    ("F1BIT_BLOB", VectorType::F1Bit),
    ("FLOAT8", VectorType::F8),
    ("F8_BLOB", VectorType::F8),
    ("FLOAT16", VectorType::F16),
    ("F16_BLOB", VectorType::F16),
    ("FLOATB16", VectorType::BF16),
    ("FB16_BLOB", VectorType::BF16),
];

/// SQLite's `sqlite3Isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub(crate) fn is_sqlite_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Parses a vector column's declared type, e.g. `F32_BLOB(768)` → `(VectorType::F32, 768)`.
///
/// ```
/// use embedlite_vector::{parse_column_type, VectorType};
/// assert_eq!(parse_column_type("float1bit( 64 )").unwrap(), (VectorType::F1Bit, 64));
/// assert!(parse_column_type("BLOB").is_err());
/// ```
pub fn parse_column_type(decl: &str) -> Result<(VectorType, usize), VectorError> {
    let err = |reason| VectorError::InvalidColumnType { decl: decl.to_owned(), reason };
    let bytes = decl.as_bytes();
    let mut i = skip_spaces(bytes, 0);

    let name_start = i;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    let name = &decl[name_start..i];
    let Some(&(_, ty)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) else {
        return Err(err("not a vector column type"));
    };

    i = skip_spaces(bytes, i);
    if bytes.get(i) != Some(&b'(') {
        return Err(err("expected '(' and the number of dimensions"));
    }
    i = skip_spaces(bytes, i + 1);

    let mut dims: usize = 0;
    let digits_start = i;
    while let Some(&b) = bytes.get(i) {
        if !b.is_ascii_digit() {
            break;
        }
        dims = dims * 10 + usize::from(b - b'0');
        if dims > MAX_DIMS {
            return Err(err("dimension exceeds the maximum of 65536"));
        }
        i += 1;
    }
    if i == digits_start {
        return Err(err("expected the number of dimensions in digits"));
    }
    i = skip_spaces(bytes, i);
    if bytes.get(i) != Some(&b')') {
        return Err(err("expected ')' after the number of dimensions"));
    }
    i = skip_spaces(bytes, i + 1);
    if i != bytes.len() {
        return Err(err("unexpected text after ')'"));
    }
    if dims == 0 {
        return Err(err("dimension must be at least 1"));
    }
    Ok((ty, dims))
}

fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_sqlite_space(bytes[i]) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_accept_every_libsql_name_in_any_case() {
        for (name, ty) in NAMES {
            assert_eq!(parse_column_type(&format!("{name}(3)")), Ok((ty, 3)), "{name}");
            let lower = name.to_ascii_lowercase();
            assert_eq!(parse_column_type(&format!(" \t{lower} ( 65536 )\n")), Ok((ty, MAX_DIMS)));
        }
        assert_eq!(parse_column_type("F32_BLOB(1)"), Ok((VectorType::F32, 1)));
        assert_eq!(parse_column_type("Fb16_Blob(0768)"), Ok((VectorType::BF16, 768)));
    }

    #[test]
    fn column_types_reject_malformed_declarations() {
        for decl in [
            "",
            "BLOB",
            "F32_BLOB",
            "F32_BLOB()",
            "F32_BLOB(0)",
            "F32_BLOB(65537)",
            "F32_BLOB(99999999999999999999999)",
            "F32_BLOB(-3)",
            "F32_BLOB(3",
            "F32_BLOB(3 4)",
            "F32_BLOB(3) NOT NULL",
            "F32_BLOBX(3)",
            "FLOAT32X(3)",
            "F32_BLOB(3.0)",
            "F32_BLOB[3]",
        ] {
            let e = parse_column_type(decl).expect_err(decl);
            assert!(
                matches!(&e, VectorError::InvalidColumnType { decl: d, .. } if d == decl),
                "{decl}: {e}"
            );
        }
    }
}
