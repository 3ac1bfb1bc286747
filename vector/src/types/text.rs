//! The text form of vectors: `'[1, 2.5, -3e-2]'`.
//!
//! # Reading
//!
//! ```text
//! text   := ws* '[' ws* ( number ws* ( ',' ws* number ws* )* )? ']' ws*
//! number := [+-]? ( digits ( '.' digits? )? | '.' digits ) ( [eE] [+-]? digits )?
//! ```
//!
//! `ws` is SQLite's white space (space, `\t`, `\n`, `\v`, `\f`, `\r`). As in libSQL, `'[]'` is a
//! valid vector with no dimensions, and at most [`MAX_DIMS`] numbers are read. Unlike libSQL,
//! white space inside a number is an error (libSQL reads `'[1 2]'` as `[12]`), and so is a number
//! that is not finite in the target type (`1e39` for `F32`, `1e5` for `F16`): `inf` and `nan` are
//! not numbers in this grammar, and an overflow would store ∞.
//!
//! Each number is rounded once, correctly, to `f64` for `F64` vectors and to `f32` for every other
//! type, which is then converted as [`Vector::convert`] does (libSQL also reads the text of
//! `vector16()`, `vector8()`, ... as `f32` first).
//!
//! # Writing
//!
//! `[` elements separated by `,` `]`, with no spaces (as libSQL's `vector_extract`). Each element is
//! written with the fewest significant digits that read back (by the rules above) to the same
//! value of the vector's type — `0.1` for the `F16` value 0.0999755859375, not `0.099975586`.
//! `F8` elements are written as their `f32` values and `F1Bit` ones as `1` / `-1`.
//!
//! Notation: with the digits `d.ddd` and the decimal exponent `e` of that shortest form, plain
//! notation is used when `-4 <= e < 16` (`0.0001`, `123.5`, `1000000000000000`), and otherwise
//! `d.ddde±XX` with a sign and at least two exponent digits (`1e-05`, `1e+16`, `-2.5e+38`), which
//! is the style of C's and SQLite's `%g` (libSQL prints `1e+18`) with the switch at 16 digits, as
//! in Python's `repr`. libSQL itself prints only 6 significant digits (`%g`), which does not
//! read back. Non-finite values, which only a blob can hold, are written `NaN`, `Inf`, `-Inf`
//! (SQLite's spelling) and cannot be read back.

use std::fmt::{self, Write as _};

use half::f16;

use super::column::is_sqlite_space;
use super::convert::bf16_truncate;
use super::element::{VectorType, MAX_DIMS};
use super::vector::{bit_value, f8_value, Data, Vector};
use crate::error::VectorError;

impl Vector {
    /// Parses the text form `'[1, 2.5, -3e-2]'` into a vector of type `ty`.
    ///
    /// ```
    /// use embedlite_vector::{Vector, VectorType};
    /// let v = Vector::parse_text(" [1, 2.5 ,-3e-2] ", VectorType::F32).unwrap();
    /// assert_eq!(v.as_f32(), Some(&[1.0, 2.5, -0.03][..]));
    /// assert!(Vector::parse_text("[1, 2,]", VectorType::F32).is_err());
    /// ```
    pub fn parse_text(text: &str, ty: VectorType) -> Result<Self, VectorError> {
        let mut p = Parser { text, pos: 0 };
        p.skip_spaces();
        p.expect(b'[', "vector text must start with '['")?;
        p.skip_spaces();
        let f32_token = |s: &str| s.parse::<f32>().ok();
        let data = match ty {
            VectorType::F64 => {
                Data::F64(p.elements(|s| s.parse::<f64>().ok(), |x| x.is_finite(), "float64")?)
            }
            VectorType::F16 => Data::F16(p.elements(
                |s| f32_token(s).map(f16::from_f32),
                |h| h.is_finite(),
                "float16",
            )?),
            VectorType::BF16 => Data::BF16(p.elements(
                |s| f32_token(s).map(bf16_truncate),
                |b| b.is_finite(),
                "floatb16",
            )?),
            VectorType::F32 | VectorType::F8 | VectorType::F1Bit => {
                Data::F32(p.elements(f32_token, |x| x.is_finite(), "float32")?)
            }
        };
        p.skip_spaces();
        if p.pos != text.len() {
            return Err(p.error("unexpected text after ']'".to_owned()));
        }
        let v = Vector::from_data(data);
        Ok(if v.vector_type() == ty { v } else { v.convert(ty) })
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(is_sqlite_space) {
            self.pos += 1;
        }
    }

    fn error(&self, reason: String) -> VectorError {
        VectorError::InvalidText { pos: self.pos, reason }
    }

    fn expect(&mut self, b: u8, reason: &str) -> Result<(), VectorError> {
        if self.peek() != Some(b) {
            return Err(self.error(reason.to_owned()));
        }
        self.pos += 1;
        Ok(())
    }

    /// Reads `number (, number)* ]` or `]`, starting after `[` and white space.
    fn elements<T>(
        &mut self,
        parse: impl Fn(&str) -> Option<T>,
        finite: impl Fn(&T) -> bool,
        type_name: &str,
    ) -> Result<Vec<T>, VectorError> {
        let mut out = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(out);
        }
        // At most one element per comma, plus one.
        let commas = self.text[self.pos..].matches(',').count();
        out.reserve(commas.min(MAX_DIMS) + 1);
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|b| !is_sqlite_space(b) && b != b',' && b != b']') {
                self.pos += 1;
            }
            let token = &self.text[start..self.pos];
            if token.is_empty() {
                return Err(self.error("expected a number".to_owned()));
            }
            let value = if is_number_syntax(token) { parse(token) } else { None };
            let Some(value) = value else {
                self.pos = start;
                return Err(self.error(format!("invalid number '{}'", shorten(token))));
            };
            if !finite(&value) {
                self.pos = start;
                return Err(self.error(format!(
                    "number '{}' is out of range for {type_name}",
                    shorten(token)
                )));
            }
            if out.len() == MAX_DIMS {
                self.pos = start;
                return Err(self.error(format!("more than {MAX_DIMS} elements")));
            }
            out.push(value);
            self.skip_spaces();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_spaces();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(self.error("expected ',' or ']'".to_owned())),
            }
        }
    }
}

/// Whether `s` matches `[+-]? (digits ('.' digits?)? | '.' digits) ([eE] [+-]? digits)?`.
fn is_number_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// At most 32 characters of a token, for error messages.
fn shorten(token: &str) -> &str {
    match token.char_indices().nth(32) {
        Some((i, _)) => &token[..i],
        None => token,
    }
}

impl fmt::Display for Vector {
    /// Writes the text form described in the module documentation.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(2 + 12 * self.dims());
        s.push('[');
        for i in 0..self.dims() {
            if i > 0 {
                s.push(',');
            }
            match &self.data {
                Data::F32(v) => write_shortest_f32(&mut s, v[i]),
                Data::F64(v) => write_shortest_f64(&mut s, v[i]),
                Data::F16(v) => write_shortest_16(&mut s, v[i].to_f32(), |x| {
                    f16::from_f32(x).to_bits() == v[i].to_bits()
                }),
                Data::BF16(v) => write_shortest_16(&mut s, v[i].to_f32(), |x| {
                    bf16_truncate(x).to_bits() == v[i].to_bits()
                }),
                Data::F8 { codes, alpha, shift } => {
                    write_shortest_f32(&mut s, f8_value(*alpha, *shift, codes[i]));
                }
                Data::F1Bit { bits, .. } => {
                    s.push_str(if bit_value(bits, i) > 0.0 { "1" } else { "-1" });
                }
            }
        }
        s.push(']');
        f.write_str(&s)
    }
}

fn write_shortest_f32(out: &mut String, x: f32) {
    if !write_non_finite(out, x.is_nan(), x.is_infinite(), x < 0.0) {
        write_scientific(out, &format!("{x:e}"));
    }
}

fn write_shortest_f64(out: &mut String, x: f64) {
    if !write_non_finite(out, x.is_nan(), x.is_infinite(), x < 0.0) {
        write_scientific(out, &format!("{x:e}"));
    }
}

/// Writes the shortest decimal of a 16-bit value `x` (given exactly as `f32`) for which
/// `reads_back(parsed f32)` holds, trying 1 to 9 significant digits (9 always reads back).
fn write_shortest_16(out: &mut String, x: f32, reads_back: impl Fn(f32) -> bool) {
    if write_non_finite(out, x.is_nan(), x.is_infinite(), x < 0.0) {
        return;
    }
    for precision in 0..8 {
        let s = format!("{x:.precision$e}");
        if s.parse::<f32>().is_ok_and(&reads_back) {
            write_scientific(out, &s);
            return;
        }
    }
    write_scientific(out, &format!("{x:.8e}"));
}

fn write_non_finite(out: &mut String, nan: bool, inf: bool, negative: bool) -> bool {
    match (nan, inf) {
        (true, _) => out.push_str("NaN"),
        (false, true) => out.push_str(if negative { "-Inf" } else { "Inf" }),
        (false, false) => return false,
    }
    true
}

/// Rewrites Rust's `{:e}` output (`-1.2500e-7`) in the notation described in the module
/// documentation.
fn write_scientific(out: &mut String, sci: &str) {
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` output contains 'e'");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exp.abs()).expect("writing to a String cannot fail");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::bf16;
    use proptest::prelude::*;

    fn parse32(s: &str) -> Result<Vec<f32>, VectorError> {
        Vector::parse_text(s, VectorType::F32).map(|v| v.to_f32_vec())
    }

    fn text_of(values: &[f32]) -> String {
        Vector::from_f32(values).expect("few dims").to_string()
    }

    #[test]
    fn text_parses_with_whitespace_and_number_forms() {
        assert_eq!(parse32("[1, 2.5, -3e-2]"), Ok(vec![1.0, 2.5, -0.03]));
        assert_eq!(parse32(" \t\n[ 1 ,2\r,\x0b3\x0c]  "), Ok(vec![1.0, 2.0, 3.0]));
        assert_eq!(parse32("[+1.,.5,1E2,1e+2,-0]"), Ok(vec![1.0, 0.5, 100.0, 100.0, -0.0]));
        assert_eq!(parse32("[]"), Ok(vec![]));
        assert_eq!(parse32("[ ]"), Ok(vec![]));
        let v = Vector::parse_text("[0.1]", VectorType::F64).expect("valid");
        assert_eq!(v.as_f64(), Some(&[0.1f64][..]));
    }

    #[test]
    fn text_rejects_malformed_input_with_position() {
        let cases: &[(&str, usize)] = &[
            ("", 0),
            ("1,2]", 0),
            ("  (1,2)", 2),
            ("[1,2", 4),
            ("[1,2,]", 5),
            ("[,1]", 1),
            ("[1,,2]", 3),
            ("[1 2]", 3),
            ("[1;2]", 1),
            ("[1]x", 3),
            ("[1] [2]", 4),
            ("[abc]", 1),
            ("[1e]", 1),
            ("[.]", 1),
            ("[--1]", 1),
            ("[0x10]", 1),
            ("[inf]", 1),
            ("[NaN]", 1),
            ("[1e39]", 1),
            ("[1, 1e999]", 4),
        ];
        for &(text, pos) in cases {
            match parse32(text) {
                Err(VectorError::InvalidText { pos: p, reason }) => {
                    assert_eq!(p, pos, "{text:?}: {reason}");
                }
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert!(Vector::parse_text("[1e39]", VectorType::F64).is_ok());
        assert!(Vector::parse_text("[1e300]", VectorType::F64).is_ok());
        assert!(Vector::parse_text("[70000]", VectorType::F16).is_err());
        assert!(Vector::parse_text("[65504]", VectorType::F16).is_ok());
        assert!(Vector::parse_text("[3e38]", VectorType::BF16).is_ok());
    }

    #[test]
    fn text_limits_the_number_of_elements() {
        let ok = format!("[{}]", vec!["0"; MAX_DIMS].join(","));
        assert_eq!(parse32(&ok).map(|v| v.len()), Ok(MAX_DIMS));
        let too_many = format!("[{}]", vec!["0"; MAX_DIMS + 1].join(","));
        assert!(matches!(parse32(&too_many), Err(VectorError::InvalidText { .. })));
    }

    #[test]
    fn text_output_uses_shortest_digits_and_libsql_exponent_style() {
        assert_eq!(text_of(&[]), "[]");
        assert_eq!(text_of(&[1.0, 2.5, -0.03]), "[1,2.5,-0.03]");
        assert_eq!(text_of(&[0.1, 1.0 / 3.0]), "[0.1,0.33333334]");
        assert_eq!(
            text_of(&[1e18, 1e16, 1e15, 123_456_790.0]),
            "[1e+18,1e+16,1000000000000000,123456790]"
        );
        assert_eq!(
            text_of(&[1e-4, 1e-5, -2.5e-7, f32::MAX]),
            "[0.0001,1e-05,-2.5e-07,3.4028235e+38]"
        );
        assert_eq!(text_of(&[0.0, -0.0, 1.5e-45]), "[0,-0,1e-45]");
        assert_eq!(text_of(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY]), "[NaN,Inf,-Inf]");
        let f64v = Vector::from_f64(&[0.1, 1e100, 1.0 / 3.0]).expect("3 dims");
        assert_eq!(f64v.to_string(), "[0.1,1e+100,0.3333333333333333]");
        let h = Vector::from_f32_as(&[0.1, 65504.0, 1e-7], VectorType::F16).expect("3 dims");
        assert_eq!(h.to_string(), "[0.1,65500,1e-07]");
        let b = Vector::from_f32_as(&[0.1, -3.0], VectorType::BF16).expect("2 dims");
        // 0.1 truncates to the bf16 value 0.099609375, and "0.1" reads back to it.
        assert_eq!(b.to_string(), "[0.1,-3]");
        assert_eq!(b.as_bf16().expect("bf16")[0].to_bits(), 0x3dcc);
        let bits = Vector::from_f32_as(&[0.5, -2.0, 0.0], VectorType::F1Bit).expect("3 dims");
        assert_eq!(bits.to_string(), "[1,-1,-1]");
        let f8 = Vector::from_f8(vec![0, 1, 255], 0.5, -1.0).expect("3 dims");
        assert_eq!(f8.to_string(), "[-1,-0.5,126.5]");
    }

    /// Parses `text` as `ty` and compares the stored bits with `v`.
    fn reads_back(v: &Vector) -> bool {
        let text = v.to_string();
        let back = Vector::parse_text(&text, v.vector_type()).expect("own text parses");
        back.to_blob() == v.to_blob()
    }

    #[test]
    fn text_round_trips_every_f16_and_bf16_value() {
        let mut f16s = Vec::new();
        let mut bf16s = Vec::new();
        for bits in 0..=u16::MAX {
            let h = f16::from_bits(bits);
            if h.is_finite() {
                f16s.push(h);
            }
            let b = bf16::from_bits(bits);
            if b.is_finite() {
                bf16s.push(b);
            }
        }
        for chunk in f16s.chunks(4096) {
            assert!(reads_back(&Vector::from_f16(chunk.to_vec()).expect("4096 dims")));
        }
        for chunk in bf16s.chunks(4096) {
            assert!(reads_back(&Vector::from_bf16(chunk.to_vec()).expect("4096 dims")));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn text_round_trips_f32(values in prop::collection::vec(
            any::<f32>().prop_filter("finite", |x| x.is_finite()), 0..16)) {
            let v = Vector::from_f32(&values).expect("few dims");
            prop_assert!(reads_back(&v), "{}", v);
        }

        #[test]
        fn text_round_trips_f64(values in prop::collection::vec(
            any::<f64>().prop_filter("finite", |x| x.is_finite()), 0..16)) {
            let v = Vector::from_f64(&values).expect("few dims");
            prop_assert!(reads_back(&v), "{}", v);
        }

        #[test]
        fn text_f32_output_is_no_longer_than_rust_shortest(x in any::<f32>().prop_filter("finite", |x| x.is_finite())) {
            let ours = text_of(&[x]);
            // Significant digits: all digits of the mantissa without leading or trailing zeros.
            let digits = |s: &str| {
                let mantissa = s.split(['e', 'E']).next().unwrap_or("");
                let d: String = mantissa.chars().filter(char::is_ascii_digit).collect();
                d.trim_matches('0').len()
            };
            prop_assert!(digits(&ours) <= digits(&format!("{x:e}")).max(1), "{} vs {:e}", ours, x);
        }

        #[test]
        fn text_parser_never_panics(s in "\\PC{0,40}") {
            let _ = Vector::parse_text(&s, VectorType::F32);
            let _ = Vector::parse_text(&s, VectorType::F16);
        }
    }
}
