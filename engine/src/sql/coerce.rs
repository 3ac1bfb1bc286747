//! `SQLite`'s value conversions: type affinity, CAST, the numbers that arithmetic sees, the text
//! of a number, SQL truth, comparison with affinity, and the LIKE / GLOB matchers.
//!
//! Everything here follows `SQLite` 3.46 (`vdbemem.c`, `vdbe.c`, `util.c`, `printf.c`, `func.c`)
//! so that results are equal value for value and type for type; the differential tests in
//! `functions::difftest` run the same inputs through the real `SQLite` (rusqlite, bundled).
//!
//! # Numbers as text, text as numbers
//!
//! `SQLite` converts between text and reals with its own algorithms, not with correctly rounded
//! ones: `sqlite3AtoF` collects up to 19 significant digits into a `u64` and scales it by powers
//! of ten, and `sqlite3FpDecode` scales a double into `[1e17, 1e19)` and truncates it to a `u64`.
//! On x86-64 both run in the x87 80-bit `long double` (64-bit significand), which `SQLite` detects
//! at start-up (`hasHighPrecisionDouble`). [`F80`] reproduces that arithmetic bit for bit
//! (multiplication rounded to nearest-even on a 64-bit significand), so `'0.1'+0` or
//! `printf('%.20f', x)` give exactly the digits the x86-64 build of `SQLite` gives.
//!
//! # Affinity
//!
//! ```text
//! declared type contains   affinity    (first matching rule wins; datatype3.html §3.1)
//! "INT"                    INTEGER
//! "CHAR" "CLOB" "TEXT"     TEXT
//! "BLOB" or nothing        BLOB
//! "REAL" "FLOA" "DOUB"     REAL
//! otherwise                NUMERIC
//! ```

// Ports of SQLite's C algorithms keep its short variable names (z, n, i, j, e, ...) so that
// they can be read side by side; exact float comparisons are the semantics being copied.
#![allow(clippy::many_single_char_names, clippy::float_cmp)]

use std::cmp::Ordering;

use crate::storage::record::{compare_values, Collation, Value};

// ---------------------------------------------------------------------------------------------
// Affinity
// ---------------------------------------------------------------------------------------------

/// A column's type affinity (datatype3.html §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    /// TEXT: numbers stored into the column become text.
    Text,
    /// NUMERIC: text that looks like a number becomes INTEGER or REAL.
    Numeric,
    /// INTEGER: as NUMERIC (the difference only shows in CAST).
    Integer,
    /// REAL: as NUMERIC, but integers read back as REAL.
    Real,
    /// BLOB (formerly NONE): no conversion.
    Blob,
}

/// The affinity of a declared column type, by `SQLite`'s five rules (`sqlite3AffinityType`): the
/// type name is scanned left to right; "INT" anywhere wins at once, later rules only apply if no
/// earlier one matched.
#[must_use]
pub fn affinity_of_type(decl: &str) -> Affinity {
    let mut h: u32 = 0;
    let mut aff = Affinity::Numeric;
    let pack = |s: &[u8; 4]| u32::from_be_bytes(*s);
    for &b in decl.as_bytes() {
        h = (h << 8).wrapping_add(u32::from(b.to_ascii_lowercase()));
        if h == pack(b"char") || h == pack(b"clob") || h == pack(b"text") {
            aff = Affinity::Text;
        } else if h == pack(b"blob") && matches!(aff, Affinity::Numeric | Affinity::Real) {
            aff = Affinity::Blob;
        } else if (h == pack(b"real") || h == pack(b"floa") || h == pack(b"doub"))
            && aff == Affinity::Numeric
        {
            aff = Affinity::Real;
        } else if h & 0x00ff_ffff == u32::from_be_bytes([0, b'i', b'n', b't']) {
            return Affinity::Integer;
        }
    }
    if decl.is_empty() {
        // An empty type is BLOB; `sqlite3AffinityType` gives NUMERIC for "" but the parser never
        // calls it for a column without a type (datatype3.html rule 3).
        return Affinity::Blob;
    }
    aff
}

/// Applies `aff` to a value being stored into a column (or compared under that affinity), as
/// `SQLite`'s `applyAffinity`:
///
/// * TEXT: INTEGER and REAL become their text; NULL and BLOB are unchanged.
/// * NUMERIC, INTEGER: text that is a well-formed number (leading and trailing spaces allowed)
///   becomes INTEGER when it has an exact integer value (`'3.0'` → 3, `'1e2'` → 100), else REAL;
///   a REAL with an exact integer value in (`i64::MIN`, `i64::MAX`) becomes INTEGER.
/// * REAL: as NUMERIC, then an INTEGER becomes REAL: the value as it reads back from a REAL
///   column (`SQLite` stores the integer and converts it on reading).
/// * BLOB: unchanged.
#[must_use]
pub fn apply_affinity(v: Value, aff: Affinity) -> Value {
    match aff {
        Affinity::Blob => v,
        Affinity::Text => match v {
            Value::Integer(_) | Value::Real(_) => {
                Value::Text(to_text(&v).expect("numbers have a text form"))
            }
            other => other,
        },
        Affinity::Numeric | Affinity::Integer | Affinity::Real => {
            let n = match v {
                Value::Text(ref s) => text_numeric_affinity(s.as_bytes(), true).unwrap_or(v),
                Value::Real(r) => integer_affinity(r),
                other => other,
            };
            match (aff, n) {
                (Affinity::Real, Value::Integer(i)) => Value::Real(i as f64),
                (_, n) => n,
            }
        }
    }
}

/// `sqlite3VdbeIntegerAffinity`: a real with an exact integer value strictly inside the i64 range
/// becomes that integer.
fn integer_affinity(r: f64) -> Value {
    let ix = real_to_i64(r);
    if r == ix as f64 && ix > i64::MIN && ix < i64::MAX {
        Value::Integer(ix)
    } else {
        Value::Real(r)
    }
}

/// `applyNumericAffinity`: the number that `text` is, if all of it (but surrounding spaces) is a
/// number. With `try_for_int`, a real with an exact integer value becomes INTEGER.
fn text_numeric_affinity(text: &[u8], try_for_int: bool) -> Option<Value> {
    let (r, rc) = atof(text);
    if rc <= 0 {
        return None;
    }
    if rc == 1 {
        let ix = real_to_i64(r);
        if real_same_as_int(r, ix) {
            return Some(Value::Integer(ix));
        }
        let (i, irc) = atoi64(text);
        if irc == 0 {
            return Some(Value::Integer(i));
        }
    }
    if try_for_int {
        Some(integer_affinity(r))
    } else {
        Some(Value::Real(r))
    }
}

/// How comparison operands are converted before comparing (datatype3.html §4.2), given the
/// affinity of each operand *expression*: `Some(aff)` for a column reference (or a CAST, whose
/// affinity is that of its type), `None` for any other expression.
///
/// * Both operands have an affinity: NUMERIC if either is INTEGER, REAL or NUMERIC; otherwise no
///   conversion (`None`).
/// * Only one has an affinity: that affinity (BLOB means no conversion, `None`).
/// * Neither: no conversion.
///
/// The result is applied to **both** operands with [`apply_comparison_affinity`]: a numeric
/// affinity turns text operands that look like numbers into numbers; TEXT turns number operands
/// into text.
#[must_use]
pub fn comparison_affinity(left: Option<Affinity>, right: Option<Affinity>) -> Option<Affinity> {
    let numeric = |a: Affinity| matches!(a, Affinity::Numeric | Affinity::Integer | Affinity::Real);
    match (left, right) {
        (Some(a), Some(b)) => (numeric(a) || numeric(b)).then_some(Affinity::Numeric),
        (Some(a), None) | (None, Some(a)) => (a != Affinity::Blob).then_some(a),
        (None, None) => None,
    }
}

/// Converts one comparison operand under the affinity chosen by [`comparison_affinity`], as the
/// comparison opcodes do: numeric affinities convert text that is a well-formed number (without
/// preferring integers: `'1.0'` becomes 1.0); TEXT converts numbers to their text.
#[must_use]
pub fn apply_comparison_affinity(v: Value, aff: Option<Affinity>) -> Value {
    match aff {
        None | Some(Affinity::Blob) => v,
        Some(Affinity::Text) => apply_affinity(v, Affinity::Text),
        Some(_) => match v {
            Value::Text(ref s) => text_numeric_affinity(s.as_bytes(), false).unwrap_or(v),
            other => other,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------------

/// The text of a value (`sqlite3_value_text`): integers in decimal, reals as `%!.15g`, blobs'
/// bytes as UTF-8 (invalid sequences replaced), NULL as `None`.
#[must_use]
pub fn to_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(r) => Some(real_to_text(*r)),
        Value::Text(s) => Some(s.clone()),
        Value::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
    }
}

/// The bytes a value has as text, without copying text and blobs (NULL is empty).
#[must_use]
pub(crate) fn text_bytes(v: &Value) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    match v {
        Value::Null => Cow::Borrowed(&[]),
        Value::Integer(i) => Cow::Owned(i.to_string().into_bytes()),
        Value::Real(r) => Cow::Owned(real_to_text(*r).into_bytes()),
        Value::Text(s) => Cow::Borrowed(s.as_bytes()),
        Value::Blob(b) => Cow::Borrowed(b),
    }
}

/// A real as `SQLite` writes it (`%!.15g`): `1.0`, `0.1`, `1.0e+20`, `-1.5e-07`, `Inf`, `-Inf`.
#[must_use]
pub fn real_to_text(f: f64) -> String {
    let mut out = String::new();
    format_float(&mut out, f, &FloatSpec::generic15());
    out
}

/// The real value of `v` (`sqlite3_value_double`): text and blobs by their numeric prefix,
/// NULL as 0.0.
#[must_use]
pub fn to_real(v: &Value) -> f64 {
    match v {
        Value::Null => 0.0,
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Text(s) => atof(s.as_bytes()).0,
        Value::Blob(b) => atof(b).0,
    }
}

/// The integer value of `v` (`sqlite3_value_int64`, CAST AS INTEGER): reals truncate toward zero
/// and saturate at the i64 range, text and blobs by their integer prefix (`'12abc'` → 12,
/// `'1e3'` → 1), NULL as 0.
#[must_use]
pub fn to_integer(v: &Value) -> i64 {
    match v {
        Value::Null => 0,
        Value::Integer(i) => *i,
        Value::Real(r) => real_to_i64(*r),
        Value::Text(s) => atoi64(s.as_bytes()).0,
        Value::Blob(b) => atoi64(b).0,
    }
}

/// CAST(v AS NUMERIC) (`sqlite3VdbeMemNumerify`): text and blobs become INTEGER when their
/// numeric prefix is an integer that fits (or a real equal to a small integer), else REAL.
#[must_use]
pub fn to_numeric(v: &Value) -> Value {
    let bytes: &[u8] = match v {
        Value::Null | Value::Integer(_) | Value::Real(_) => return v.clone(),
        Value::Text(s) => s.as_bytes(),
        Value::Blob(b) => b,
    };
    let (r, rc) = atof(bytes);
    if (rc == 0 || rc == 1) && atoi64(bytes).1 <= 1 {
        return Value::Integer(atoi64(bytes).0);
    }
    let ix = real_to_i64(r);
    if real_same_as_int(r, ix) {
        Value::Integer(ix)
    } else {
        Value::Real(r)
    }
}

/// CAST(v AS `type_name`): the affinity of `type_name` decides (`sqlite3VdbeMemCast`); NULL stays
/// NULL. TEXT gives the value's text; BLOB gives its bytes (numbers via their text); INTEGER,
/// REAL and NUMERIC as [`to_integer`], [`to_real`] and [`to_numeric`].
#[must_use]
pub fn cast(v: Value, type_name: &str) -> Value {
    if matches!(v, Value::Null) {
        return v;
    }
    match affinity_of_type_for_cast(type_name) {
        Affinity::Blob => match v {
            Value::Blob(_) => v,
            other => Value::Blob(text_bytes(&other).into_owned()),
        },
        Affinity::Text => match v {
            Value::Text(_) => v,
            other => Value::Text(to_text(&other).unwrap_or_default()),
        },
        Affinity::Numeric => to_numeric(&v),
        Affinity::Integer => Value::Integer(to_integer(&v)),
        Affinity::Real => Value::Real(to_real(&v)),
    }
}

/// The affinity a CAST uses: as [`affinity_of_type`], except that an empty name is NUMERIC
/// (`CAST(x AS "")` is not valid SQL, but `sqlite3AffinityType("")` is NUMERIC).
fn affinity_of_type_for_cast(type_name: &str) -> Affinity {
    if type_name.is_empty() {
        Affinity::Numeric
    } else {
        affinity_of_type(type_name)
    }
}

/// The number an arithmetic operator sees (`numericType`): INTEGER and REAL as they are; text and
/// blobs as INTEGER when their prefix is an integer that fits (`'12abc'` → 12, `'abc'` → 0), else
/// REAL (`'1.5x'` → 1.5); NULL stays NULL.
#[must_use]
pub fn numeric_value(v: &Value) -> Value {
    let bytes: &[u8] = match v {
        Value::Null | Value::Integer(_) | Value::Real(_) => return v.clone(),
        Value::Text(s) => s.as_bytes(),
        Value::Blob(b) => b,
    };
    let (r, rc) = atof(bytes);
    if rc <= 0 {
        let (i, irc) = atoi64(bytes);
        if rc == 0 && irc <= 1 {
            return Value::Integer(i);
        }
    } else if rc == 1 {
        let (i, irc) = atoi64(bytes);
        if irc == 0 {
            return Value::Integer(i);
        }
    }
    Value::Real(r)
}

/// The numeric type of a function argument (`sqlite3_value_numeric_type`): text becomes a number
/// only if all of it is one; other values are returned as they are.
#[must_use]
pub(crate) fn numeric_type(v: &Value) -> Value {
    match v {
        Value::Text(s) => text_numeric_affinity(s.as_bytes(), false).unwrap_or_else(|| v.clone()),
        other => other.clone(),
    }
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

/// `a op b` as `SQLite`'s arithmetic opcodes: NULL if either is NULL; integer arithmetic when both
/// are integers (as [`numeric_value`] sees them), falling back to reals on overflow; integer
/// division truncates; division or remainder by zero is NULL; the remainder of reals is the
/// remainder of their integer values (as a REAL); a NaN result is NULL.
#[must_use]
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    if matches!(a, Value::Null) || matches!(b, Value::Null) {
        return Value::Null;
    }
    let (na, nb) = (numeric_value(a), numeric_value(b));
    if let (Value::Integer(x), Value::Integer(y)) = (&na, &nb) {
        let (x, y) = (*x, *y);
        let r = match op {
            ArithOp::Add => x.checked_add(y),
            ArithOp::Sub => x.checked_sub(y),
            ArithOp::Mul => x.checked_mul(y),
            ArithOp::Div => {
                if y == 0 {
                    return Value::Null;
                }
                x.checked_div(y)
            }
            ArithOp::Rem => {
                if y == 0 {
                    return Value::Null;
                }
                Some(x % if y == -1 { 1 } else { y })
            }
        };
        if let Some(r) = r {
            return Value::Integer(r);
        }
    }
    // Reals: each operand's real value (text re-read by its prefix, as sqlite3VdbeRealValue).
    let (x, y) = (to_real(a), to_real(b));
    let r = match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div => {
            if y == 0.0 {
                return Value::Null;
            }
            x / y
        }
        ArithOp::Rem => {
            let (ia, ib) = (to_integer(a), to_integer(b));
            if ib == 0 {
                return Value::Null;
            }
            (ia % if ib == -1 { 1 } else { ib }) as f64
        }
    };
    if r.is_nan() {
        Value::Null
    } else {
        Value::Real(r)
    }
}

/// Compares two values for a SQL comparison operator: `None` if either is NULL (the comparison is
/// then NULL), otherwise the record order: numbers (INTEGER and REAL compared exactly) < TEXT
/// (under `coll`) < BLOB. Affinity must have been applied already.
#[must_use]
pub fn compare_sql(a: &Value, b: &Value, coll: Collation) -> Option<Ordering> {
    if matches!(a, Value::Null) || matches!(b, Value::Null) {
        return None;
    }
    Some(compare_values(a.as_ref(), b.as_ref(), coll))
}

/// SQL truth (`sqlite3VdbeBooleanValue`): NULL is unknown; an INTEGER is true if non-zero; any
/// other value is true if its real value (text by its numeric prefix) is non-zero, so `'1abc'` is
/// true and `'abc'` false.
#[must_use]
pub fn is_true(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(*i != 0),
        other => Some(to_real(other) != 0.0),
    }
}

// ---------------------------------------------------------------------------------------------
// LIKE and GLOB (func.c, patternCompare)
// ---------------------------------------------------------------------------------------------

/// The result of matching a pattern, as `patternCompare`: a failed match after a `*`/`%` means no
/// later position can match either, which ends the search early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Yes,
    No,
    NoWildcard,
}

/// The wildcard characters of one pattern language.
#[derive(Debug, Clone, Copy)]
struct PatternInfo {
    match_all: Option<u32>,
    match_one: Option<u32>,
    /// `[` for GLOB sets; LIKE has none.
    match_set: bool,
    no_case: bool,
}

/// Reads one character as `sqlite3Utf8Read` does from valid UTF-8: U+FFFE and U+FFFF read as
/// U+FFFD. A NUL ends the string (C strings), reported as `0`.
fn read_char(s: &[u8], pos: &mut usize) -> u32 {
    let Some(&b) = s.get(*pos) else { return 0 };
    if b < 0x80 {
        *pos += 1;
        return u32::from(b);
    }
    let len = match b {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    let end = (*pos + len).min(s.len());
    let c = std::str::from_utf8(&s[*pos..end])
        .ok()
        .and_then(|t| t.chars().next())
        .map_or(0xfffd, u32::from);
    *pos = end;
    if c & 0xffff_fffe == 0xfffe {
        0xfffd
    } else {
        c
    }
}

fn ascii_lower(c: u32) -> u32 {
    if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// `patternCompare`, over byte strings that end at their length or at a NUL.
fn pattern_compare(pat: &[u8], s: &[u8], info: PatternInfo, match_other: u32) -> Match {
    let (mut p, mut si) = (0usize, 0usize);
    let at_end = |s: &[u8], i: usize| s.get(i).is_none_or(|&b| b == 0);
    let mut escaped_end: Option<usize> = None;
    loop {
        let c = read_char(pat, &mut p);
        if c == 0 {
            break;
        }
        if Some(c) == info.match_all {
            // Skip further wildcards; each "?" consumes one character.
            let mut c = read_char(pat, &mut p);
            while Some(c) == info.match_all || (Some(c) == info.match_one) {
                if Some(c) == info.match_one && read_char(s, &mut si) == 0 {
                    return Match::NoWildcard;
                }
                c = read_char(pat, &mut p);
            }
            if c == 0 {
                return Match::Yes;
            }
            if c == match_other {
                if info.match_set {
                    // "[...]" right after "*": try every position.
                    let back = p - 1;
                    while !at_end(s, si) {
                        let m = pattern_compare(&pat[back..], &s[si..], info, match_other);
                        if m != Match::No {
                            return m;
                        }
                        read_char(s, &mut si);
                    }
                    return Match::NoWildcard;
                }
                c = read_char(pat, &mut p);
                if c == 0 {
                    return Match::NoWildcard;
                }
            }
            // Search the string for the first character of the rest of the pattern.
            loop {
                let c2 = read_char(s, &mut si);
                if c2 == 0 {
                    break;
                }
                let hit = if c < 0x80 && info.no_case {
                    c2 < 0x80 && ascii_lower(c2) == ascii_lower(c)
                } else {
                    c2 == c
                };
                if hit {
                    let m = pattern_compare(&pat[p..], &s[si..], info, match_other);
                    if m != Match::No {
                        return m;
                    }
                }
            }
            return Match::NoWildcard;
        }
        let mut c = c;
        if c == match_other {
            if info.match_set {
                let c = read_char(s, &mut si);
                if c == 0 {
                    return Match::No;
                }
                let mut prior: u32 = 0;
                let mut seen = false;
                let mut invert = false;
                let mut c2 = read_char(pat, &mut p);
                if c2 == u32::from(b'^') {
                    invert = true;
                    c2 = read_char(pat, &mut p);
                }
                if c2 == u32::from(b']') {
                    if c == u32::from(b']') {
                        seen = true;
                    }
                    c2 = read_char(pat, &mut p);
                }
                while c2 != 0 && c2 != u32::from(b']') {
                    let next = pat.get(p).copied().unwrap_or(0);
                    if c2 == u32::from(b'-') && next != b']' && next != 0 && prior > 0 {
                        c2 = read_char(pat, &mut p);
                        if c >= prior && c <= c2 {
                            seen = true;
                        }
                        prior = 0;
                    } else {
                        if c == c2 {
                            seen = true;
                        }
                        prior = c2;
                    }
                    c2 = read_char(pat, &mut p);
                }
                if c2 == 0 || seen == invert {
                    return Match::No;
                }
                continue;
            }
            c = read_char(pat, &mut p);
            if c == 0 {
                return Match::No;
            }
            escaped_end = Some(p);
        }
        let c2 = read_char(s, &mut si);
        if c == c2 {
            continue;
        }
        if info.no_case && c < 0x80 && c2 < 0x80 && ascii_lower(c) == ascii_lower(c2) {
            continue;
        }
        if Some(c) == info.match_one && escaped_end != Some(p) && c2 != 0 {
            continue;
        }
        return Match::No;
    }
    if at_end(s, si) {
        Match::Yes
    } else {
        Match::No
    }
}

/// `text LIKE pattern [ESCAPE escape]`: `%` matches any run of characters, `_` one character;
/// ASCII letters match either case (other characters only themselves, as `SQLite` without ICU).
/// An escape character equal to `%` or `_` makes that wildcard literal. Both strings end at a NUL,
/// as in `SQLite`.
#[must_use]
pub fn like(pattern: &str, text: &str, escape: Option<char>) -> bool {
    let esc = escape.map(u32::from);
    let info = PatternInfo {
        match_all: (esc != Some(u32::from(b'%'))).then_some(u32::from(b'%')),
        match_one: (esc != Some(u32::from(b'_'))).then_some(u32::from(b'_')),
        match_set: false,
        no_case: true,
    };
    pattern_compare(pattern.as_bytes(), text.as_bytes(), info, esc.unwrap_or(0)) == Match::Yes
}

/// `text GLOB pattern`: case-sensitive; `*` any run, `?` one character, `[...]` a set with
/// ranges `a-z`, `[^...]` its complement; `]` first in a set is literal.
#[must_use]
pub fn glob(pattern: &str, text: &str) -> bool {
    let info = PatternInfo {
        match_all: Some(u32::from(b'*')),
        match_one: Some(u32::from(b'?')),
        match_set: true,
        no_case: false,
    };
    pattern_compare(pattern.as_bytes(), text.as_bytes(), info, u32::from(b'[')) == Match::Yes
}

// ---------------------------------------------------------------------------------------------
// Text → number (util.c)
// ---------------------------------------------------------------------------------------------

/// `sqlite3Isspace`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

/// `sqlite3RealToI64`: truncation toward zero, saturating at the i64 range.
#[must_use]
pub(crate) fn real_to_i64(r: f64) -> i64 {
    if r < -9_223_372_036_854_774_784.0 {
        i64::MIN
    } else if r > 9_223_372_036_854_774_784.0 {
        i64::MAX
    } else {
        r as i64
    }
}

/// `sqlite3RealSameAsInt`: `r` is 0 or equals `i` exactly with |i| < 2^51.
fn real_same_as_int(r: f64, i: i64) -> bool {
    r == 0.0
        || (r.to_bits() == (i as f64).to_bits()
            && (-2_251_799_813_685_248..2_251_799_813_685_248).contains(&i))
}

/// `sqlite3Atoi64` on UTF-8 bytes: the value (saturated on overflow) and the code
/// `-1` no digits, `0` an integer that fits, `1` trailing non-space text, `2` too large,
/// `3` exactly 9223372036854775808.
#[must_use]
pub(crate) fn atoi64(z: &[u8]) -> (i64, i32) {
    let mut i = 0;
    while i < z.len() && is_space(z[i]) {
        i += 1;
    }
    let mut neg = false;
    if i < z.len() {
        if z[i] == b'-' {
            neg = true;
            i += 1;
        } else if z[i] == b'+' {
            i += 1;
        }
    }
    let start = i;
    while i < z.len() && z[i] == b'0' {
        i += 1;
    }
    let digits_at = i;
    let mut u: u64 = 0;
    while i < z.len() && z[i].is_ascii_digit() {
        u = u.wrapping_mul(10).wrapping_add(u64::from(z[i] - b'0'));
        i += 1;
    }
    let ndig = i - digits_at;
    let mut value = if u > i64::MAX as u64 {
        if neg {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if neg {
        -(u as i64)
    } else {
        u as i64
    };
    let mut rc = 0;
    if ndig == 0 && start == digits_at {
        rc = -1;
    } else if z[i..].iter().any(|&b| !is_space(b)) {
        rc = 1;
    }
    if ndig < 19 {
        return (value, rc);
    }
    let c = if ndig > 19 { 1 } else { compare_2pow63(&z[digits_at..digits_at + 19]) };
    if c < 0 {
        return (value, rc);
    }
    value = if neg { i64::MIN } else { i64::MAX };
    if c > 0 {
        (value, 2)
    } else if neg {
        (value, rc)
    } else {
        (value, 3)
    }
}

/// Compares 19 digits with "9223372036854775808".
fn compare_2pow63(d: &[u8]) -> i32 {
    let pow63 = b"922337203685477580";
    for k in 0..18 {
        let c = (i32::from(d[k]) - i32::from(pow63[k])) * 10;
        if c != 0 {
            return c;
        }
    }
    i32::from(d[18]) - i32::from(b'8')
}

/// `sqlite3AtoF`: the real value of the numeric prefix of `z` and a code: `1` a pure integer,
/// `2`+ a real with `.` or an exponent, `0` not a number, `-1` not a number but with a valid
/// prefix that has a `.` or exponent. Leading and trailing spaces are allowed.
#[must_use]
pub(crate) fn atof(z: &[u8]) -> (f64, i32) {
    let end = z.len();
    let mut i = 0;
    let mut sign_neg = false;
    let mut s: u64 = 0;
    let mut d: i32 = 0;
    let mut esign: i32 = 1;
    let mut e: i32 = 0;
    let mut e_valid = true;
    let mut n_digit = 0;
    let mut e_type = 1;
    if end == 0 {
        return (0.0, 0);
    }
    while i < end && is_space(z[i]) {
        i += 1;
    }
    if i >= end {
        return (0.0, 0);
    }
    if z[i] == b'-' {
        sign_neg = true;
        i += 1;
    } else if z[i] == b'+' {
        i += 1;
    }
    'parse: {
        while i < end && z[i].is_ascii_digit() {
            s = s * 10 + u64::from(z[i] - b'0');
            i += 1;
            n_digit += 1;
            if s >= (u64::MAX - 9) / 10 {
                while i < end && z[i].is_ascii_digit() {
                    i += 1;
                    d += 1;
                }
            }
        }
        if i >= end {
            break 'parse;
        }
        if z[i] == b'.' {
            i += 1;
            e_type += 1;
            while i < end && z[i].is_ascii_digit() {
                if s < (u64::MAX - 9) / 10 {
                    s = s * 10 + u64::from(z[i] - b'0');
                    d -= 1;
                    n_digit += 1;
                }
                i += 1;
            }
        }
        if i >= end {
            break 'parse;
        }
        if z[i] == b'e' || z[i] == b'E' {
            i += 1;
            e_valid = false;
            e_type += 1;
            if i >= end {
                break 'parse;
            }
            if z[i] == b'-' {
                esign = -1;
                i += 1;
            } else if z[i] == b'+' {
                i += 1;
            }
            while i < end && z[i].is_ascii_digit() {
                e = if e < 10000 { e * 10 + i32::from(z[i] - b'0') } else { 10000 };
                i += 1;
                e_valid = true;
            }
        }
        while i < end && is_space(z[i]) {
            i += 1;
        }
    }
    let result = if s == 0 {
        if sign_neg {
            -0.0
        } else {
            0.0
        }
    } else {
        let mut e = e * esign + d;
        while e > 0 && s < u64::MAX / 10 {
            s *= 10;
            e -= 1;
        }
        while e < 0 && s % 10 == 0 {
            s /= 10;
            e += 1;
        }
        let r = if e == 0 {
            s as f64
        } else {
            let mut r = F80::from_u64(s);
            if e > 0 {
                while e >= 100 {
                    e -= 100;
                    r = r.mul(F80::E100);
                }
                while e >= 10 {
                    e -= 10;
                    r = r.mul(F80::E10);
                }
                while e >= 1 {
                    e -= 1;
                    r = r.mul(F80::E1);
                }
            } else {
                while e <= -100 {
                    e += 100;
                    r = r.mul(F80::EM100);
                }
                while e <= -10 {
                    e += 10;
                    r = r.mul(F80::EM10);
                }
                while e <= -1 {
                    e += 1;
                    r = r.mul(F80::EM1);
                }
            }
            if r.cmp_f80(F80::DBL_MAX).is_gt() {
                f64::INFINITY
            } else {
                r.to_f64()
            }
        };
        if sign_neg {
            -r
        } else {
            r
        }
    };
    let code = if i == end && n_digit > 0 && e_valid && e_type > 0 {
        e_type
    } else if e_type >= 2 && (e_type == 3 || e_valid) && n_digit > 0 {
        -1
    } else {
        0
    };
    (result, code)
}

// ---------------------------------------------------------------------------------------------
// 80-bit extended arithmetic
// ---------------------------------------------------------------------------------------------

/// A positive x87 extended-precision value `m * 2^e` (`m` normalised: top bit set, or `m == 0`
/// for zero), with the rounding of the x87 in its default 64-bit precision mode. Only what
/// `sqlite3AtoF` and `sqlite3FpDecode` need: multiplication, comparison, conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct F80 {
    m: u64,
    e: i32,
}

impl F80 {
    /// Above this exponent the value overflows the x87 range (≈1.19e4932): infinity.
    const MAX_E: i32 = 16383 - 63;
    /// Below this exponent the value is under the x87 normal range: taken as zero (such values
    /// convert to a double 0 anyway).
    const MIN_E: i32 = -16382 - 63;
    const INF: F80 = F80 { m: u64::MAX, e: i32::MAX };

    // Long double constants, correctly rounded (as the compiler rounds `1.0e+100L`).
    const E100: F80 = F80 { m: 0x924d_692c_a61b_e758, e: 269 };
    const EM100: F80 = F80 { m: 0xdff9_7724_7029_7ebd, e: -396 };
    const E10: F80 = F80 { m: 0x9502_f900_0000_0000, e: -30 };
    const EM10: F80 = F80 { m: 0xdbe6_fece_bded_d5bf, e: -97 };
    const E1: F80 = F80 { m: 0xa000_0000_0000_0000, e: -60 };
    const EM1: F80 = F80 { m: 0xcccc_cccc_cccc_cccd, e: -67 };
    const E119: F80 = F80 { m: 0x9e9f_11c4_014d_da7e, e: 332 };
    const E29: F80 = F80 { m: 0xa18f_07d7_36b9_0be5, e: 33 };
    const E19: F80 = F80 { m: 0x8ac7_2304_89e8_0000, e: 0 };
    const EM97: F80 = F80 { m: 0xdab9_9e59_9588_85c5, e: -386 };
    const E7: F80 = F80 { m: 0x9896_8000_0000_0000, e: -40 };
    const E17: F80 = F80 { m: 0xb1a2_bc2e_c500_0000, e: -7 };
    /// `1.7976931348623157081452742373e+308L`, which rounds to exactly `f64::MAX`.
    const DBL_MAX: F80 = F80 { m: 0xffff_ffff_ffff_f800, e: 960 };

    fn from_u64(v: u64) -> F80 {
        if v == 0 {
            return F80 { m: 0, e: 0 };
        }
        let lz = v.leading_zeros();
        F80 { m: v << lz, e: -(lz as i32) }
    }

    /// A positive finite double, exactly.
    fn from_f64(r: f64) -> F80 {
        let bits = r.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        if exp == 0 {
            let f = F80::from_u64(frac);
            F80 { m: f.m, e: f.e - 1074 }
        } else {
            let f = F80::from_u64(frac | (1u64 << 52));
            F80 { m: f.m, e: f.e + exp - 1075 }
        }
    }

    fn is_inf(self) -> bool {
        self.e == i32::MAX
    }

    /// `self * o`, rounded to nearest-even on 64 bits.
    fn mul(self, o: F80) -> F80 {
        if self.is_inf() || o.is_inf() {
            return F80::INF;
        }
        if self.m == 0 || o.m == 0 {
            return F80 { m: 0, e: 0 };
        }
        let p = u128::from(self.m) * u128::from(o.m);
        let shift = if p >> 127 == 1 { 64 } else { 63 };
        let mut m = (p >> shift) as u64;
        let rem = p & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let mut e = self.e + o.e + shift;
        if rem > half || (rem == half && m & 1 == 1) {
            let (m2, carry) = m.overflowing_add(1);
            if carry {
                m = 1 << 63;
                e += 1;
            } else {
                m = m2;
            }
        }
        if e > F80::MAX_E {
            F80::INF
        } else if e < F80::MIN_E {
            F80 { m: 0, e: 0 }
        } else {
            F80 { m, e }
        }
    }

    fn cmp_f80(self, o: F80) -> Ordering {
        match (self.m == 0, o.m == 0) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.e.cmp(&o.e).then(self.m.cmp(&o.m)),
        }
    }

    /// Rounds to the nearest double (ties to even), with subnormals and overflow to infinity.
    fn to_f64(self) -> f64 {
        if self.m == 0 {
            return 0.0;
        }
        if self.is_inf() {
            return f64::INFINITY;
        }
        // Unbiased exponent of the leading bit.
        let lead = self.e + 63;
        if lead >= -1022 {
            let (mut m53, rem) = (self.m >> 11, self.m & 0x7ff);
            let mut lead = lead;
            if rem > 0x400 || (rem == 0x400 && m53 & 1 == 1) {
                m53 += 1;
                if m53 == 1 << 53 {
                    m53 >>= 1;
                    lead += 1;
                }
            }
            if lead > 1023 {
                return f64::INFINITY;
            }
            let biased = (lead + 1023) as u64;
            f64::from_bits((biased << 52) | (m53 & ((1u64 << 52) - 1)))
        } else {
            // Subnormal: k * 2^-1074 with k = m * 2^(e + 1074).
            let shift = -(self.e + 1074);
            if shift >= 65 {
                return 0.0;
            }
            let shift = shift as u32;
            let mut k = if shift == 64 { 0 } else { self.m >> shift };
            let rem = u128::from(self.m) & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && k & 1 == 1) {
                k += 1;
            }
            f64::from_bits(k)
        }
    }

    /// Truncates toward zero; the value is below 2^64.
    fn to_u64(self) -> u64 {
        if self.m == 0 || self.e <= -64 {
            0
        } else if self.e >= 0 {
            self.m << self.e
        } else {
            self.m >> (-self.e)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Number → text (printf.c)
// ---------------------------------------------------------------------------------------------

/// The decimal digits of a double, as `sqlite3FpDecode`.
#[derive(Debug, Clone)]
pub(crate) struct FpDecode {
    /// `true` for a negative value.
    pub neg: bool,
    /// 0 a number, 1 an infinity, 2 a NaN.
    pub special: u8,
    /// Significant digits (ASCII), no trailing zeros.
    pub digits: Vec<u8>,
    /// Position of the decimal point relative to the first digit.
    pub i_dp: i32,
}

/// `sqlite3FpDecode(r, iRound, mxRound)`: rounds to `i_round` significant digits if positive, or
/// to `-i_round` digits after the point if not; never keeps more than `mx_round` digits.
pub(crate) fn fp_decode(r: f64, i_round: i32, mx_round: i32) -> FpDecode {
    let neg = r < 0.0;
    let r = r.abs();
    if r == 0.0 {
        return FpDecode { neg: false, special: 0, digits: b"0".to_vec(), i_dp: 1 };
    }
    if r.is_infinite() {
        return FpDecode { neg, special: 1, digits: Vec::new(), i_dp: 0 };
    }
    if r.is_nan() {
        return FpDecode { neg: false, special: 2, digits: Vec::new(), i_dp: 0 };
    }
    let mut exp: i32 = 0;
    let mut rr = F80::from_f64(r);
    if rr.cmp_f80(F80::E19).is_ge() {
        while rr.cmp_f80(F80::E119).is_ge() {
            exp += 100;
            rr = rr.mul(F80::EM100);
        }
        while rr.cmp_f80(F80::E29).is_ge() {
            exp += 10;
            rr = rr.mul(F80::EM10);
        }
        while rr.cmp_f80(F80::E19).is_ge() {
            exp += 1;
            rr = rr.mul(F80::EM1);
        }
    } else {
        while rr.cmp_f80(F80::EM97).is_lt() {
            exp -= 100;
            rr = rr.mul(F80::E100);
        }
        while rr.cmp_f80(F80::E7).is_lt() {
            exp -= 10;
            rr = rr.mul(F80::E10);
        }
        while rr.cmp_f80(F80::E17).is_lt() {
            exp -= 1;
            rr = rr.mul(F80::E1);
        }
    }
    let v = rr.to_u64();
    // buf holds a spare leading '0' for a carry out of the first digit.
    let mut buf: Vec<u8> = v.to_string().into_bytes();
    let mut n = buf.len() as i32;
    let mut i_dp = n + exp;
    let mut i_round = i_round;
    let mut start = 0usize;
    buf.insert(0, b'0');
    start += 1;
    if i_round <= 0 {
        i_round = i_dp - i_round;
        if i_round == 0 && buf[start] >= b'5' {
            i_round = 1;
            start -= 1; // the spare '0' becomes a digit
            n += 1;
            i_dp += 1;
        }
    }
    if i_round > 0 && (i_round < n || n > mx_round) {
        if i_round > mx_round {
            i_round = mx_round;
        }
        n = i_round;
        let z = start;
        if buf.get(z + i_round as usize).copied().unwrap_or(b'0') >= b'5' {
            let mut j = i_round as usize - 1;
            loop {
                buf[z + j] += 1;
                if buf[z + j] <= b'9' {
                    break;
                }
                buf[z + j] = b'0';
                if j == 0 {
                    // Carry out of the first digit: the spare cell becomes '1'.
                    if start == 0 {
                        buf.insert(0, b'1');
                    } else {
                        start -= 1;
                        buf[start] = b'1';
                    }
                    n += 1;
                    i_dp += 1;
                    break;
                }
                j -= 1;
            }
        }
    }
    let mut digits: Vec<u8> = buf[start..start + n as usize].to_vec();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.last() == Some(&b'0') {
        // All zeros cannot happen for a non-zero value, but keep one digit.
        digits.truncate(1);
    }
    FpDecode { neg, special: 0, digits, i_dp }
}

/// The conversion of a floating-point `printf` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FloatKind {
    /// `%f`
    Fixed,
    /// `%e` / `%E`
    Exp,
    /// `%g` / `%G`
    Generic,
}

/// A floating-point `printf` field: the conversion and its flags.
#[derive(Debug, Clone, Copy)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct FloatSpec {
    pub kind: FloatKind,
    /// `E`/`G` rather than `e`/`g`.
    pub upper: bool,
    /// Precision; negative for the default (6).
    pub precision: i64,
    pub width: i64,
    /// `+` or space before positive numbers.
    pub prefix: Option<u8>,
    /// `#`
    pub alt: bool,
    /// `!`
    pub alt2: bool,
    /// `0`
    pub zero_pad: bool,
    /// `-`
    pub left: bool,
    /// `,`
    pub thousands: bool,
}

impl FloatSpec {
    /// `%!.15g`, the text of a REAL.
    pub(crate) fn generic15() -> FloatSpec {
        FloatSpec {
            kind: FloatKind::Generic,
            upper: false,
            precision: 15,
            width: 0,
            prefix: None,
            alt: false,
            alt2: true,
            zero_pad: false,
            left: false,
            thousands: false,
        }
    }
}

/// Appends the field text of a floating-point conversion (before width padding with spaces,
/// which the caller does; zero padding is done here), as `sqlite3_str_vappendf`.
pub(crate) fn format_float(out: &mut String, value: f64, spec: &FloatSpec) {
    const FP_PRECISION_LIMIT: i64 = 100_000_000;
    let mut precision = if spec.precision < 0 { 6 } else { spec.precision };
    precision = precision.min(FP_PRECISION_LIMIT);
    let mut kind = spec.kind;
    let i_round = match kind {
        FloatKind::Fixed => -precision,
        FloatKind::Generic => {
            if precision == 0 {
                precision = 1;
            }
            precision
        }
        FloatKind::Exp => precision + 1,
    };
    let i_round = i_round.clamp(i64::from(i32::MIN / 2), i64::from(i32::MAX / 2)) as i32;
    let mut s = fp_decode(value, i_round, if spec.alt2 { 26 } else { 16 });
    if s.special == 2 {
        out.push_str(if spec.zero_pad { "null" } else { "NaN" });
        return;
    }
    if s.special == 1 {
        if spec.zero_pad {
            s.digits = b"9".to_vec();
            s.i_dp = 1000;
        } else {
            if s.neg {
                out.push_str("-Inf");
            } else {
                if let Some(p) = spec.prefix {
                    out.push(char::from(p));
                }
                out.push_str("Inf");
            }
            return;
        }
    }
    let prefix = if s.neg { Some(b'-') } else { spec.prefix };
    let mut exp = s.i_dp - 1;
    let flag_rtz;
    if kind == FloatKind::Generic {
        precision -= 1;
        flag_rtz = !spec.alt;
        if exp < -4 || i64::from(exp) > precision {
            kind = FloatKind::Exp;
        } else {
            precision -= i64::from(exp);
            kind = FloatKind::Fixed;
        }
    } else {
        flag_rtz = spec.alt2;
    }
    let mut e2: i64 = if kind == FloatKind::Exp { 0 } else { i64::from(s.i_dp) - 1 };
    let start = out.len();
    let flag_dp = precision > 0 || spec.alt || spec.alt2;
    if let Some(p) = prefix {
        out.push(char::from(p));
    }
    let digits = &s.digits;
    let mut j = 0usize;
    let next_digit = |j: &mut usize| -> char {
        if *j < digits.len() {
            *j += 1;
            char::from(digits[*j - 1])
        } else {
            '0'
        }
    };
    if e2 < 0 {
        out.push('0');
    } else {
        while e2 >= 0 {
            out.push(next_digit(&mut j));
            if spec.thousands && e2 % 3 == 0 && e2 > 1 {
                out.push(',');
            }
            e2 -= 1;
        }
    }
    if flag_dp {
        out.push('.');
    }
    e2 += 1;
    while e2 < 0 && precision > 0 {
        out.push('0');
        precision -= 1;
        e2 += 1;
    }
    while precision > 0 {
        out.push(next_digit(&mut j));
        precision -= 1;
    }
    if flag_rtz && flag_dp {
        while out.ends_with('0') && out.len() > start + 1 {
            out.pop();
        }
        if out.ends_with('.') {
            if spec.alt2 {
                out.push('0');
            } else {
                out.pop();
            }
        }
    }
    if kind == FloatKind::Exp {
        exp = s.i_dp - 1;
        out.push(if spec.upper { 'E' } else { 'e' });
        if exp < 0 {
            out.push('-');
            exp = -exp;
        } else {
            out.push('+');
        }
        if exp >= 100 {
            out.push(char::from(b'0' + (exp / 100) as u8));
            exp %= 100;
        }
        out.push(char::from(b'0' + (exp / 10) as u8));
        out.push(char::from(b'0' + (exp % 10) as u8));
    }
    let length = (out.len() - start) as i64;
    if spec.zero_pad && !spec.left && length < spec.width {
        let n_pad = (spec.width - length) as usize;
        let at = start + usize::from(prefix.is_some());
        out.insert_str(at, &"0".repeat(n_pad));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affinity_rules() {
        assert_eq!(affinity_of_type("INTEGER"), Affinity::Integer);
        assert_eq!(affinity_of_type("BIGINT"), Affinity::Integer);
        assert_eq!(affinity_of_type("VARCHAR(10)"), Affinity::Text);
        assert_eq!(affinity_of_type("CLOB"), Affinity::Text);
        assert_eq!(affinity_of_type("BLOB"), Affinity::Blob);
        assert_eq!(affinity_of_type(""), Affinity::Blob);
        assert_eq!(affinity_of_type("DOUBLE PRECISION"), Affinity::Real);
        assert_eq!(affinity_of_type("FLOATING POINT"), Affinity::Integer);
        assert_eq!(affinity_of_type("DECIMAL(10,5)"), Affinity::Numeric);
        assert_eq!(affinity_of_type("STRING"), Affinity::Numeric);
        assert_eq!(affinity_of_type("CHARINT"), Affinity::Integer);
    }

    #[test]
    fn real_text() {
        assert_eq!(real_to_text(1.0), "1.0");
        assert_eq!(real_to_text(0.1), "0.1");
        assert_eq!(real_to_text(1e20), "1.0e+20");
        assert_eq!(real_to_text(-1.5e-7), "-1.5e-07");
        assert_eq!(real_to_text(f64::INFINITY), "Inf");
        assert_eq!(real_to_text(f64::NEG_INFINITY), "-Inf");
        assert_eq!(real_to_text(0.1 + 0.2), "0.3");
        assert_eq!(real_to_text(123_456_789_012_345.0), "123456789012345.0");
        assert_eq!(real_to_text(1_234_567_890_123_456.0), "1.23456789012346e+15");
    }

    #[test]
    fn text_numbers() {
        assert_eq!(atof(b" 1.5 "), (1.5, 2));
        assert_eq!(atof(b"12"), (12.0, 1));
        assert_eq!(atof(b"1e"), (1.0, 0));
        assert_eq!(atof(b"1.5x").1, -1);
        assert_eq!(atoi64(b"  -12abc"), (-12, 1));
        assert_eq!(atoi64(b"9223372036854775808"), (i64::MAX, 3));
        assert_eq!(atoi64(b"-9223372036854775808"), (i64::MIN, 0));
        assert_eq!(numeric_value(&Value::Text("abc".into())), Value::Integer(0));
        assert_eq!(numeric_value(&Value::Text("1.5x".into())), Value::Real(1.5));
        assert_eq!(to_numeric(&Value::Text("1e3".into())), Value::Integer(1000));
        assert_eq!(
            apply_affinity(Value::Text(" 3.0 ".into()), Affinity::Numeric),
            Value::Integer(3)
        );
        assert_eq!(apply_affinity(Value::Text("3.0".into()), Affinity::Real), Value::Real(3.0));
        assert_eq!(apply_affinity(Value::Real(2.0), Affinity::Integer), Value::Integer(2));
        assert_eq!(apply_affinity(Value::Real(2.0), Affinity::Text), Value::Text("2.0".into()));
    }

    #[test]
    fn arithmetic() {
        let i = Value::Integer;
        assert_eq!(arith(ArithOp::Add, &i(i64::MAX), &i(1)), Value::Real(9.223_372_036_854_776e18));
        assert_eq!(arith(ArithOp::Div, &i(7), &i(-2)), i(-3));
        assert_eq!(arith(ArithOp::Div, &i(7), &i(0)), Value::Null);
        assert_eq!(arith(ArithOp::Rem, &Value::Real(5.5), &i(2)), Value::Real(1.0));
        assert_eq!(arith(ArithOp::Rem, &i(i64::MIN), &i(-1)), i(0));
        assert_eq!(arith(ArithOp::Mul, &Value::Text("3".into()), &i(2)), i(6));
    }

    #[test]
    fn patterns() {
        assert!(like("a%c", "ABC", None));
        assert!(!like("a_c", "ac", None));
        assert!(like("a\\%", "a%", Some('\\')));
        assert!(!like("a\\%", "ab", Some('\\')));
        assert!(glob("a[b-d]*", "acxyz"));
        assert!(!glob("a[^b-d]*", "acxyz"));
        assert!(glob("*[]]", "x]"));
        assert!(!glob("A*", "abc"));
    }
}
