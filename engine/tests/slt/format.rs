//! How SQLite's own sqllogictest runner (`slt_sqlite.c`) prints a value, which is what every
//! expected answer in the corpus was made with. The printed form depends on the type letter the
//! `query` record expects for the column, not on the value's own type:
//!
//! | value | `T`                                   | `I`                      | `R`                  |
//! |-------|---------------------------------------|--------------------------|----------------------|
//! | NULL  | `NULL`                                | `NULL`                   | `NULL`               |
//! | other | `sqlite3_column_text`, `(empty)` for  | `sqlite3_column_int`:    | `%.3f` of            |
//! |       | `""`, each byte outside `' '..='~'`   | 32 bits, reals truncated,| `sqlite3_column_double`, |
//! |       | as `@`, cut at the first NUL          | text by its digit prefix | at most 16 digits    |
//!
//! The conversions below re-implement SQLite's (`sqlite3VdbeIntValue`, `sqlite3Atoi64`,
//! `sqlite3AtoF`, `printf("%!.15g")` and `printf("%.3f")`) so that both backends are printed by
//! the same code; the tests at the bottom check them against the real SQLite.

use embedlite::Value;
use sqllogictest::DefaultColumnType;

/// Prints `value` the way the corpus expects it in a column of type `ty`.
pub fn format_value(value: &Value, ty: &DefaultColumnType) -> String {
    if matches!(value, Value::Null) {
        return "NULL".to_owned();
    }
    match ty {
        DefaultColumnType::Integer => column_int(value).to_string(),
        DefaultColumnType::FloatingPoint => format_real(column_double(value)),
        DefaultColumnType::Text | DefaultColumnType::Any => printable(&column_text(value)),
    }
}

/// `sqlite3_column_text`: the bytes of the value converted to text.
fn column_text(value: &Value) -> Vec<u8> {
    match value {
        Value::Null => Vec::new(),
        Value::Integer(i) => i.to_string().into_bytes(),
        Value::Real(r) => real_to_text(*r).into_bytes(),
        Value::Text(t) => t.as_bytes().to_vec(),
        Value::Blob(b) => b.clone(),
    }
}

/// The runner works on C strings: the text ends at its first NUL, an empty one prints as
/// `(empty)`, and every byte outside `' '..='~'` (so each byte of a multi-byte UTF-8 character)
/// prints as `@`.
fn printable(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = &bytes[..end];
    if bytes.is_empty() {
        return "(empty)".to_owned();
    }
    bytes.iter().map(|&b| if (b' '..=b'~').contains(&b) { b as char } else { '@' }).collect()
}

/// `sqlite3_column_int`: `sqlite3VdbeIntValue` truncated to 32 bits.
fn column_int(value: &Value) -> i32 {
    let wide = match value {
        Value::Null => 0,
        Value::Integer(i) => *i,
        // `doubleToInt64`: saturating at both ends, which is what `as` does (NaN gives 0).
        Value::Real(r) => *r as i64,
        Value::Text(t) => atoi64(t.as_bytes()),
        Value::Blob(b) => atoi64(b),
    };
    // C's `(int)` keeps the low 32 bits.
    wide as i32
}

/// `sqlite3_column_double`.
fn column_double(value: &Value) -> f64 {
    match value {
        Value::Null => 0.0,
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Text(t) => atof(t.as_bytes()),
        Value::Blob(b) => atof(b),
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `sqlite3Atoi64`: leading spaces, a sign and the longest run of digits; anything after is
/// ignored and an out-of-range number saturates.
fn atoi64(bytes: &[u8]) -> i64 {
    let mut i = 0;
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    let negative = match bytes.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut magnitude: i128 = 0;
    while let Some(d) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
        // Past 2^64 the result saturates anyway; stop growing so i128 cannot overflow.
        if magnitude <= i128::from(u64::MAX) {
            magnitude = magnitude * 10 + i128::from(d - b'0');
        }
        i += 1;
    }
    let signed = if negative { -magnitude } else { magnitude };
    signed.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// `sqlite3AtoF` as `sqlite3_column_double` uses it: the longest prefix that reads as a decimal
/// number (after leading spaces), 0.0 when there is none.
fn atof(bytes: &[u8]) -> f64 {
    let mut i = 0;
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    let mut number = String::new();
    if let Some(&sign @ (b'-' | b'+')) = bytes.get(i) {
        number.push(sign as char);
        i += 1;
    }
    let digits = |i: &mut usize, out: &mut String| {
        let start = *i;
        while let Some(&d) = bytes.get(*i).filter(|b| b.is_ascii_digit()) {
            out.push(d as char);
            *i += 1;
        }
        *i - start
    };
    let mut mantissa_digits = digits(&mut i, &mut number);
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        number.push('.');
        mantissa_digits += digits(&mut i, &mut number);
    }
    if mantissa_digits == 0 {
        // SQLite still applies the sign: " -" reads as -0.0.
        return if number.starts_with('-') { -0.0 } else { 0.0 };
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        let mut exponent = String::from("e");
        let mut j = i + 1;
        if let Some(&sign @ (b'-' | b'+')) = bytes.get(j) {
            exponent.push(sign as char);
            j += 1;
        }
        if digits(&mut j, &mut exponent) > 0 {
            number.push_str(&exponent);
        }
    }
    // A trailing '.' ("5.") is fine for SQLite but not for Rust's parser.
    if number.ends_with('.') {
        number.push('0');
    }
    number.parse().unwrap_or(0.0)
}

/// The decimal digits of `|v|`: 41 significant digits (enough to tell a value that lies exactly
/// halfway between two shorter decimals from one that does not: distinct doubles differ by far
/// more than 1e-40 of their size) and the power of ten of the first one.
fn decimal_digits(v: f64) -> (Vec<u8>, i32) {
    let sci = format!("{:.40e}", v.abs());
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` always prints an exponent");
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).map(|d| d - b'0').collect();
    (digits, exponent.parse().expect("`{:e}` prints an integer exponent"))
}

/// Keeps the first `keep` digits (none if `keep <= 0`), rounding half away from zero on the next
/// digit as SQLite's `sqlite3FpDecode` does (Rust's formatting rounds exact halves to even,
/// which differs for values like 0.0625). A carry out of the first digit raises `exponent`.
fn round_digits(digits: &mut Vec<u8>, exponent: &mut i32, keep: i32) {
    let next = usize::try_from(keep).ok().map_or(0, |k| digits.get(k).copied().unwrap_or(0));
    let keep = usize::try_from(keep.max(0)).expect("non-negative");
    digits.truncate(keep);
    if next < 5 {
        return;
    }
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    // All nines (or no digit kept): the value becomes the next power of ten.
    digits.insert(0, 1);
    digits.truncate(keep.max(1));
    *exponent += 1;
}

/// `printf("%.3f", v)` as SQLite's own printf does it: like C's, except that exact halves round
/// away from zero and no more than 16 significant digits are produced, the rest printed as
/// zeros (`-9223372036854775808.0` → `-9223372036854776000.000`).
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Inf" } else { "-Inf" }.to_owned();
    }
    let (mut digits, mut exponent) = decimal_digits(v);
    if v != 0.0 {
        let keep = (exponent + 1 + 3).min(16);
        round_digits(&mut digits, &mut exponent, keep);
    }
    // The digit for the power of ten `p`.
    let digit = |p: i32| {
        usize::try_from(exponent - p)
            .ok()
            .and_then(|i| digits.get(i))
            .map_or('0', |&d| (b'0' + d) as char)
    };
    // SQLite takes the sign from `r < 0.0`: -0.0 prints as 0.000, -0.0001 as -0.000.
    let mut out = String::from(if v < 0.0 { "-" } else { "" });
    if exponent < 0 || v == 0.0 {
        out.push('0');
    } else {
        out.extend((0..=exponent).rev().map(digit));
    }
    out.push('.');
    out.extend((1..=3).map(|p| digit(-p)));
    out
}

/// SQLite's conversion of a real to text (`printf("%!.15g")`): 15 significant digits, trailing
/// zeros dropped but at least one digit after the point, exponent form below 1e-4 and from 1e15.
pub fn real_to_text(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Inf" } else { "-Inf" }.to_owned();
    }
    if v == 0.0 {
        return "0.0".to_owned();
    }
    let (mut digits, mut exponent) = decimal_digits(v);
    round_digits(&mut digits, &mut exponent, 15);
    let digits: String = digits.iter().map(|&d| (b'0' + d) as char).collect();
    let sign = if v < 0.0 { "-" } else { "" };
    let fraction = |s: &str| {
        let s = s.trim_end_matches('0');
        if s.is_empty() {
            "0".to_owned()
        } else {
            s.to_owned()
        }
    };
    if !(-4..15).contains(&exponent) {
        let esign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{}.{}e{esign}{:02}",
            &digits[..1],
            fraction(&digits[1..]),
            exponent.unsigned_abs()
        )
    } else if exponent >= 0 {
        let split = exponent as usize + 1;
        format!("{sign}{}.{}", &digits[..split], fraction(&digits[split..]))
    } else {
        let zeros = "0".repeat(exponent.unsigned_abs() as usize - 1);
        format!("{sign}0.{zeros}{}", fraction(&digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Awkward doubles: halves at the third decimal, 16- and 17-digit values, powers of ten at
    /// the exponent-form boundaries, extremes.
    fn awkward_reals() -> Vec<f64> {
        let mut v = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            0.0005,
            0.0015,
            0.0625,
            -0.0625,
            0.1875,
            2.5625,
            0.00049,
            -0.0001,
            -0.0004,
            -0.0005,
            9.9996,
            -999.9995,
            0.9995,
            1_500_782_943_540_448.5,
            -1_500_782_943_540_448.5,
            0.123_456_789_012_345_5,
            2.0005,
            -2.0005,
            1.0 / 3.0,
            -2.0 / 3.0,
            123.456,
            1e-4,
            1e-5,
            1.5e-5,
            9.999_999_999_999_99e-5,
            1e14,
            1e15,
            1e16,
            1e17,
            123_456_789_012_345.0,
            1_234_567_890_123_456.0,
            9_999_999_999_999.999,
            99_999_999_999_999.99,
            -9_223_372_036_854_775_808.0,
            9_223_372_036_854_775_807.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            0.1 + 0.2,
            100.0,
            -7.0,
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(0x5e1);
        for _ in 0..3000 {
            let mantissa: f64 = rng.gen_range(-1.0..1.0);
            let exponent: i32 = rng.gen_range(-12..24);
            v.push(mantissa * 10f64.powi(exponent));
            // Exact thousandths and their neighbours exercise the rounding of %.3f.
            let thousandths = f64::from(rng.gen_range(-2_000_000..2_000_000)) / 1000.0 + 0.0005;
            v.push(thousandths);
            // Exact halves at the third decimal (sixteenths) and at the 16th digit.
            v.push(f64::from(rng.gen_range(-100_000..100_000)) / 16.0);
            v.push(f64::from(rng.gen_range(-100_000_000..100_000_000)) * 1e7 + 0.5);
        }
        v
    }

    #[test]
    fn reals_print_as_sqlite_printf_does() {
        let db = rusqlite::Connection::open_in_memory().expect("open");
        let mut printf = db.prepare("SELECT printf('%.3f', ?1)").expect("prepare");
        let mut cast = db.prepare("SELECT CAST(?1 AS TEXT)").expect("prepare");
        for v in awkward_reals() {
            let expected: String = printf.query_row([v], |r| r.get(0)).expect("printf");
            assert_eq!(format_real(v), expected, "%.3f of {v:e}");
            let expected: String = cast.query_row([v], |r| r.get(0)).expect("cast");
            assert_eq!(real_to_text(v), expected, "text of {v:e}");
        }
    }

    #[test]
    fn text_converts_as_sqlite_does() {
        let db = rusqlite::Connection::open_in_memory().expect("open");
        let mut as_int = db.prepare("SELECT CAST(?1 AS INTEGER)").expect("prepare");
        let mut as_real = db.prepare("SELECT CAST(?1 AS REAL)").expect("prepare");
        let texts = [
            "",
            "0",
            "12",
            "  12  ",
            "-12abc",
            "+7",
            "1e3",
            "1.9",
            "-1.9e2x",
            ".5",
            "5.",
            "-.5e-1",
            "abc",
            " -",
            "e5",
            "1e",
            "1e+",
            "0x10",
            "00012",
            "99999999999999999999",
            "-99999999999999999999",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "\t\n 42",
            "3.4e38",
            "1e400",
        ];
        for text in texts {
            let expected: i64 = as_int.query_row([text], |r| r.get(0)).expect("cast");
            assert_eq!(atoi64(text.as_bytes()), expected, "integer of {text:?}");
            let expected: f64 = as_real.query_row([text], |r| r.get(0)).expect("cast");
            // Compared by bits: the conversion must be exact.
            assert_eq!(atof(text.as_bytes()).to_bits(), expected.to_bits(), "real of {text:?}");
        }
    }

    #[test]
    fn columns_print_by_expected_type() {
        use DefaultColumnType::{FloatingPoint as R, Integer as I, Text as T};
        let text = |s: &str| Value::Text(s.to_owned());
        assert_eq!(format_value(&Value::Null, &I), "NULL");
        assert_eq!(format_value(&text(""), &T), "(empty)");
        assert_eq!(format_value(&text("a\tbé"), &T), "a@b@@");
        assert_eq!(format_value(&Value::Blob(b"ab\0cd".to_vec()), &T), "ab");
        assert_eq!(format_value(&Value::Integer(5_000_000_000), &I), "705032704");
        assert_eq!(format_value(&Value::Real(-2.7), &I), "-2");
        assert_eq!(format_value(&text("12x"), &I), "12");
        assert_eq!(format_value(&Value::Integer(3), &R), "3.000");
        assert_eq!(format_value(&Value::Real(1e20), &T), "1.0e+20");
        assert_eq!(format_value(&Value::Integer(-3), &T), "-3");
    }
}
