//! The core scalar functions of `SQLite`'s `func.c`: strings, blobs, NULL handling, `round`,
//! `quote`, `random`.
//!
//! Text arguments are read as `SQLite` reads them with `sqlite3_value_text`: numbers as their
//! text, blobs as their bytes. Several functions treat text as a C string and stop at the first
//! NUL character, as `SQLite` does (`length`, `substr`, `like`, `glob`, `trim`'s character set,
//! `unhex`, `unicode`, `quote`).

// Ports of SQLite's C algorithms keep its short variable names (z, n, i, j, e, ...) so that
// they can be read side by side; exact float comparisons are the semantics being copied.
#![allow(clippy::many_single_char_names, clippy::float_cmp)]

use std::borrow::Cow;

use rand::RngCore;

use super::{check_len, FnContext, SQLITE_VERSION};
use crate::error::{Error, Result};
use crate::sql::coerce::{
    self, atof, format_float, numeric_type, text_bytes, FloatKind, FloatSpec,
};
use crate::storage::record::{compare_values, Value};

/// `s` up to its first NUL byte.
pub(crate) fn cstr(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |p| &s[..p])
}

/// Text from bytes that `SQLite` would return as text (invalid UTF-8 becomes U+FFFD: a `String`
/// cannot hold it).
pub(crate) fn text_value(bytes: Cow<'_, [u8]>) -> Value {
    match bytes {
        Cow::Borrowed(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
        Cow::Owned(b) => Value::Text(
            String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()),
        ),
    }
}

/// `sqlite3_value_int`: the integer value truncated to 32 bits.
pub(crate) fn value_int(v: &Value) -> i32 {
    coerce::to_integer(v) as i32
}

/// Number of UTF-8 characters (non-continuation bytes) in `s`.
fn char_count(s: &[u8]) -> usize {
    s.iter().filter(|&&b| b & 0xc0 != 0x80).count()
}

/// Byte length of the UTF-8 character starting at `s[0]` as `SQLITE_SKIP_UTF8`.
fn skip_utf8(s: &[u8], mut i: usize) -> usize {
    if i >= s.len() {
        return i;
    }
    let b = s[i];
    i += 1;
    if b >= 0xc0 {
        while i < s.len() && s[i] & 0xc0 == 0x80 {
            i += 1;
        }
    }
    i
}

/// `sqlite3Utf8Read` of the first character of `z` (not empty), for any bytes: a lead byte
/// takes every continuation byte that follows; a stray continuation byte is its own value;
/// overlong forms, surrogates and U+FFFE/U+FFFF read as U+FFFD.
pub(crate) fn utf8_read(z: &[u8]) -> u32 {
    let c = u32::from(z[0]);
    if c < 0xc0 {
        return c;
    }
    let mut c = c & match c {
        0xc0..=0xdf => 0x1f,
        0xe0..=0xef => 0x0f,
        0xf0..=0xf7 => 0x07,
        0xf8..=0xfb => 0x03,
        0xfc..=0xfd => 0x01,
        _ => 0x00,
    };
    for &b in &z[1..] {
        if b & 0xc0 != 0x80 {
            break;
        }
        c = (c << 6).wrapping_add(u32::from(b & 0x3f));
    }
    if c < 0x80 || c & 0xffff_f800 == 0xd800 || c & 0xffff_fffe == 0xfffe {
        0xfffd
    } else {
        c
    }
}

/// `abs(X)`.
pub fn abs(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(match &a[0] {
        Value::Integer(i) => {
            if *i == i64::MIN {
                return Err(Error::Sql("integer overflow".into()));
            }
            Value::Integer(i.abs())
        }
        Value::Null => Value::Null,
        v => {
            // As absFunc: -0.0 is not negated.
            let r = coerce::to_real(v);
            Value::Real(if r < 0.0 { -r } else { r })
        }
    })
}

/// `char(X1, X2, ...)`: code points out of range become U+FFFD. (Surrogates, which `SQLite`
/// encodes as invalid UTF-8, also become U+FFFD.)
pub fn char(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let mut s = String::with_capacity(a.len());
    for v in a {
        let x = coerce::to_integer(v);
        let c = if (0..=0x0010_ffff).contains(&x) { x as u32 } else { 0xfffd };
        s.push(char::from_u32(c).unwrap_or('\u{fffd}'));
    }
    Ok(Value::Text(s))
}

/// `coalesce(X, Y, ...)` and `ifnull(X, Y)`: the first non-NULL argument.
pub fn coalesce(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(a.iter().find(|v| !matches!(v, Value::Null)).cloned().unwrap_or(Value::Null))
}

fn concat_core(a: &[Value], sep: &[u8]) -> Result<Value> {
    let mut out: Vec<u8> = Vec::new();
    for v in a {
        let b = text_bytes(v);
        if !b.is_empty() {
            if !out.is_empty() && !sep.is_empty() {
                out.extend_from_slice(sep);
            }
            out.extend_from_slice(&b);
            check_len(out.len(), "concat")?;
        }
    }
    Ok(text_value(Cow::Owned(out)))
}

/// `concat(X, ...)`: the text of the non-NULL arguments, concatenated.
pub fn concat(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    concat_core(a, b"")
}

/// `concat_ws(SEP, X, ...)`: NULL if SEP is NULL; NULL and empty arguments are skipped.
pub fn concat_ws(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    let sep = text_bytes(&a[0]).into_owned();
    concat_core(&a[1..], &sep)
}

/// `glob(PATTERN, X)`.
pub fn glob_fn(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if text_bytes(&a[0]).len() > LIKE_PATTERN_MAX {
        return Err(Error::Sql("LIKE or GLOB pattern too complex".into()));
    }
    let (Some(p), Some(s)) = (coerce::to_text(&a[0]), coerce::to_text(&a[1])) else {
        return Ok(Value::Null);
    };
    Ok(Value::Integer(i64::from(coerce::glob(&p, &s))))
}

/// `SQLITE_MAX_LIKE_PATTERN_LENGTH`.
const LIKE_PATTERN_MAX: usize = 50_000;

/// `like(PATTERN, X [, ESCAPE])`: `X LIKE PATTERN`.
pub fn like_fn(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if text_bytes(&a[0]).len() > LIKE_PATTERN_MAX {
        return Err(Error::Sql("LIKE or GLOB pattern too complex".into()));
    }
    let mut esc = None;
    if a.len() == 3 {
        let Some(e) = coerce::to_text(&a[2]) else { return Ok(Value::Null) };
        let e = String::from_utf8_lossy(cstr(e.as_bytes())).into_owned();
        let mut chars = e.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => esc = Some(c),
            _ => return Err(Error::Sql("ESCAPE expression must be a single character".into())),
        }
    }
    let (Some(p), Some(s)) = (coerce::to_text(&a[0]), coerce::to_text(&a[1])) else {
        return Ok(Value::Null);
    };
    Ok(Value::Integer(i64::from(coerce::like(&p, &s, esc))))
}

/// `hex(X)`: the bytes of X (its text for numbers) in upper-case hex; NULL gives `''`.
pub fn hex(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let b = text_bytes(&a[0]);
    let mut s = String::with_capacity(b.len() * 2);
    for &c in b.iter() {
        s.push(char::from(b"0123456789ABCDEF"[usize::from(c >> 4)]));
        s.push(char::from(b"0123456789ABCDEF"[usize::from(c & 15)]));
    }
    Ok(Value::Text(s))
}

/// `iif(X, Y, Z)`: Y if X is true, else Z.
pub fn iif(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(if coerce::is_true(&a[0]) == Some(true) { a[1].clone() } else { a[2].clone() })
}

/// `instr(X, Y)`: 1 + the characters (bytes, if both are blobs) before the first Y in X; 0 if
/// none.
pub fn instr(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if matches!(a[0], Value::Null) || matches!(a[1], Value::Null) {
        return Ok(Value::Null);
    }
    let is_text = !(matches!(a[0], Value::Blob(_)) && matches!(a[1], Value::Blob(_)));
    let hay = text_bytes(&a[0]);
    let needle = text_bytes(&a[1]);
    if needle.is_empty() {
        return Ok(Value::Integer(1));
    }
    let mut n: i64 = 1;
    let mut i = 0usize;
    loop {
        if needle.len() > hay.len() - i {
            return Ok(Value::Integer(0));
        }
        if hay[i..].starts_with(&needle) {
            return Ok(Value::Integer(n));
        }
        n += 1;
        i += 1;
        while is_text && i < hay.len() && hay[i] & 0xc0 == 0x80 {
            i += 1;
        }
    }
}

/// `last_insert_rowid()`.
pub fn last_insert_rowid(ctx: &mut FnContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(ctx.last_insert_rowid))
}

/// `changes()`.
pub fn changes(ctx: &mut FnContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(ctx.changes))
}

/// `total_changes()`.
pub fn total_changes(ctx: &mut FnContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Integer(ctx.total_changes))
}

/// `length(X)`: characters of text (up to a NUL), bytes of a blob or of a number's text.
pub fn length(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(match &a[0] {
        Value::Null => Value::Null,
        Value::Text(s) => Value::Integer(char_count(cstr(s.as_bytes())) as i64),
        v => Value::Integer(text_bytes(v).len() as i64),
    })
}

/// `octet_length(X)`: bytes of X's text or blob.
pub fn octet_length(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(match &a[0] {
        Value::Null => Value::Null,
        v => Value::Integer(text_bytes(v).len() as i64),
    })
}

/// `likelihood(X, P)`: X. `SQLite` requires P to be a floating-point literal in [0, 1] when the
/// statement is prepared; here a REAL outside that range (or a non-REAL) is the same error.
pub fn likelihood(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    match a[1] {
        Value::Real(p) if (0.0..=1.0).contains(&p) => Ok(a[0].clone()),
        _ => Err(Error::Sql(
            "second argument to likelihood() must be a constant between 0.0 and 1.0".into(),
        )),
    }
}

/// `likely(X)`, `unlikely(X)`: X.
pub fn identity(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(a[0].clone())
}

fn map_ascii(v: &Value, f: fn(&u8) -> u8) -> Value {
    match v {
        Value::Null => Value::Null,
        v => text_value(Cow::Owned(text_bytes(v).iter().map(f).collect())),
    }
}

/// `lower(X)`: ASCII letters only, as `SQLite` without ICU.
pub fn lower(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(map_ascii(&a[0], u8::to_ascii_lowercase))
}

/// `upper(X)`: ASCII letters only.
pub fn upper(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(map_ascii(&a[0], u8::to_ascii_uppercase))
}

fn trim_core(a: &[Value], left: bool, right: bool) -> Value {
    if matches!(a[0], Value::Null) {
        return Value::Null;
    }
    let input = text_bytes(&a[0]);
    let set: Vec<Vec<u8>> = if a.len() == 1 {
        vec![b" ".to_vec()]
    } else {
        let Some(cs) = (match &a[1] {
            Value::Null => None,
            v => Some(text_bytes(v)),
        }) else {
            return Value::Null;
        };
        let cs = cstr(&cs);
        let mut out = Vec::new();
        let mut i = 0;
        while i < cs.len() {
            let j = skip_utf8(cs, i);
            out.push(cs[i..j].to_vec());
            i = j;
        }
        out
    };
    let (mut s, mut e) = (0usize, input.len());
    if !set.is_empty() {
        if left {
            'l: while s < e {
                for c in &set {
                    if input[s..e].starts_with(c) {
                        s += c.len();
                        continue 'l;
                    }
                }
                break;
            }
        }
        if right {
            'r: while s < e {
                for c in &set {
                    if input[s..e].ends_with(c) {
                        e -= c.len();
                        continue 'r;
                    }
                }
                break;
            }
        }
    }
    text_value(Cow::Borrowed(&input[s..e]))
}

/// `ltrim(X [, Y])`.
pub fn ltrim(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(trim_core(a, true, false))
}

/// `rtrim(X [, Y])`.
pub fn rtrim(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(trim_core(a, false, true))
}

/// `trim(X [, Y])`.
pub fn trim(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(trim_core(a, true, true))
}

fn minmax(ctx: &FnContext, a: &[Value], is_max: bool) -> Value {
    if a.iter().any(|v| matches!(v, Value::Null)) {
        return Value::Null;
    }
    let mut best = 0;
    for i in 1..a.len() {
        let c = compare_values(a[best].as_ref(), a[i].as_ref(), ctx.collation);
        // As minmaxFunc: max takes a strictly greater value, min a smaller or equal one.
        let take = if is_max { c.is_lt() } else { c.is_ge() };
        if take {
            best = i;
        }
    }
    a[best].clone()
}

/// Scalar `max(X, Y, ...)`: NULL if any argument is NULL.
pub fn max(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(minmax(ctx, a, true))
}

/// Scalar `min(X, Y, ...)`: NULL if any argument is NULL.
pub fn min(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(minmax(ctx, a, false))
}

/// `nullif(X, Y)`: X unless it equals Y (NULL equals NULL here, as in `sqlite3MemCompare`).
pub fn nullif(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    if compare_values(a[0].as_ref(), a[1].as_ref(), ctx.collation).is_ne() {
        Ok(a[0].clone())
    } else {
        Ok(Value::Null)
    }
}

/// Appends the SQL literal of `v` (`sqlite3QuoteValue`).
pub(crate) fn quote_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("NULL"),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Real(r) => {
            let mut spec = FloatSpec::generic15();
            spec.zero_pad = true;
            let mut s = String::new();
            format_float(&mut s, *r, &spec);
            if atof(s.as_bytes()).0 != *r {
                s.clear();
                let spec =
                    FloatSpec { kind: FloatKind::Exp, precision: 20, ..FloatSpec::generic15() };
                let spec = FloatSpec { zero_pad: true, ..spec };
                format_float(&mut s, *r, &spec);
            }
            out.push_str(&s);
        }
        Value::Text(s) => {
            out.push('\'');
            let t = String::from_utf8_lossy(cstr(s.as_bytes())).into_owned();
            out.push_str(&t.replace('\'', "''"));
            out.push('\'');
        }
        Value::Blob(b) => {
            out.push_str("X'");
            for &c in b {
                out.push(char::from(b"0123456789ABCDEF"[usize::from(c >> 4)]));
                out.push(char::from(b"0123456789ABCDEF"[usize::from(c & 15)]));
            }
            out.push('\'');
        }
    }
}

/// `quote(X)`: the SQL literal of X (text up to a NUL).
pub fn quote(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let mut s = String::new();
    quote_value(&mut s, &a[0]);
    Ok(Value::Text(s))
}

/// `random()`: a random integer, never `i64::MIN`.
pub fn random(_: &mut FnContext, _: &[Value]) -> Result<Value> {
    let r = rand::thread_rng().next_u64() as i64;
    Ok(Value::Integer(if r < 0 { -(r & i64::MAX) } else { r }))
}

/// `randomblob(N)`: N random bytes (at least 1).
pub fn randomblob(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let n = coerce::to_integer(&a[0]).max(1);
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    check_len(n, "randomblob")?;
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    Ok(Value::Blob(b))
}

/// `replace(X, Y, Z)`: every Y in X replaced by Z (bytewise); an empty Y returns X.
pub fn replace(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if a.iter().take(2).any(|v| matches!(v, Value::Null)) {
        return Ok(Value::Null);
    }
    let s = text_bytes(&a[0]);
    let pat = text_bytes(&a[1]);
    if pat.is_empty() || pat[0] == 0 {
        return Ok(text_value(s));
    }
    if matches!(a[2], Value::Null) {
        return Ok(Value::Null);
    }
    let rep = text_bytes(&a[2]);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s.len() - i >= pat.len() && s[i..].starts_with(&pat) {
            out.extend_from_slice(&rep);
            check_len(out.len(), "replace")?;
            i += pat.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    Ok(text_value(Cow::Owned(out)))
}

/// `round(X [, N])`: always REAL; halves round away from zero; N is clamped to 0..=30.
pub fn round(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let mut n = 0;
    if a.len() == 2 {
        if matches!(a[1], Value::Null) {
            return Ok(Value::Null);
        }
        n = value_int(&a[1]).clamp(0, 30);
    }
    if matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    let mut r = coerce::to_real(&a[0]);
    if !(-4_503_599_627_370_496.0..=4_503_599_627_370_496.0).contains(&r) {
        // No fractional part (or a NaN, which SQLite never stores).
    } else if n == 0 {
        r = ((r + if r < 0.0 { -0.5 } else { 0.5 }) as i64) as f64;
    } else {
        let mut s = String::new();
        let spec = FloatSpec {
            kind: FloatKind::Fixed,
            precision: i64::from(n),
            alt2: true,
            ..FloatSpec::generic15()
        };
        format_float(&mut s, r, &spec);
        r = atof(s.as_bytes()).0;
    }
    Ok(Value::Real(r))
}

/// `sign(X)`: -1, 0 or 1 for a number (text only if all of it is a number), else NULL.
pub fn sign(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let x = match numeric_type(&a[0]) {
        Value::Integer(i) => i as f64,
        Value::Real(r) => r,
        _ => return Ok(Value::Null),
    };
    Ok(Value::Integer(if x < 0.0 { -1 } else { i64::from(x > 0.0) }))
}

/// `soundex(X)`: the four-character Soundex code; `?000` without ASCII letters.
pub fn soundex(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    const CODE: [u8; 26] =
        [0, 1, 2, 3, 0, 1, 2, 0, 0, 2, 2, 4, 5, 5, 0, 1, 2, 6, 2, 3, 0, 1, 0, 2, 0, 2];
    let code = |c: u8| -> u8 {
        let l = (c & 0x7f).to_ascii_lowercase();
        if l.is_ascii_lowercase() {
            CODE[usize::from(l - b'a')]
        } else {
            0
        }
    };
    let b = text_bytes(&a[0]);
    let z = cstr(&b);
    let Some(mut i) = z.iter().position(u8::is_ascii_alphabetic) else {
        return Ok(Value::Text("?000".into()));
    };
    let mut out = vec![z[i].to_ascii_uppercase()];
    let mut prev = code(z[i]);
    while out.len() < 4 && i < z.len() {
        let c = code(z[i]);
        if c > 0 {
            if c != prev {
                prev = c;
                out.push(b'0' + c);
            }
        } else {
            prev = 0;
        }
        i += 1;
    }
    while out.len() < 4 {
        out.push(b'0');
    }
    Ok(text_value(Cow::Owned(out)))
}

/// `substr(X, P [, N])`: characters of text (bytes of blobs) from 1-based P; negative P counts
/// from the end; negative N takes the characters before P. `SQLite`'s edge cases with P = 0
/// included; P and N are read as 32-bit integers, as `sqlite3_value_int`.
pub fn substr(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if matches!(a[1], Value::Null) || (a.len() == 3 && matches!(a[2], Value::Null)) {
        return Ok(Value::Null);
    }
    if matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    let mut p1 = i64::from(value_int(&a[1]));
    let is_blob = matches!(a[0], Value::Blob(_));
    let bytes = text_bytes(&a[0]);
    if is_blob && bytes.is_empty() {
        // sqlite3_value_blob() of an empty blob is a null pointer: the result is NULL.
        return Ok(Value::Null);
    }
    let z: &[u8] = if is_blob { &bytes } else { cstr(&bytes) };
    let len: i64 = if is_blob {
        z.len() as i64
    } else if p1 < 0 {
        char_count(z) as i64
    } else {
        0
    };
    let mut neg_p2 = false;
    let mut p2: i64 = if a.len() == 3 {
        let p = i64::from(value_int(&a[2]));
        if p < 0 {
            neg_p2 = true;
            -p
        } else {
            p
        }
    } else {
        super::MAX_LENGTH as i64
    };
    if p1 < 0 {
        p1 += len;
        if p1 < 0 {
            p2 += p1;
            if p2 < 0 {
                p2 = 0;
            }
            p1 = 0;
        }
    } else if p1 > 0 {
        p1 -= 1;
    } else if p2 > 0 {
        p2 -= 1;
    }
    if neg_p2 {
        p1 -= p2;
        if p1 < 0 {
            p2 += p1;
            p1 = 0;
        }
    }
    if is_blob {
        let start = p1.min(len) as usize;
        let take = if p1 + p2 > len { (len - p1).max(0) } else { p2 } as usize;
        return Ok(Value::Blob(z[start..start + take].to_vec()));
    }
    let mut i = 0usize;
    while i < z.len() && p1 > 0 {
        i = skip_utf8(z, i);
        p1 -= 1;
    }
    let mut j = i;
    while j < z.len() && p2 > 0 {
        j = skip_utf8(z, j);
        p2 -= 1;
    }
    Ok(text_value(Cow::Borrowed(&z[i..j])))
}

/// `typeof(X)`.
pub fn type_of(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(Value::Text(
        match a[0] {
            Value::Null => "null",
            Value::Integer(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
        .into(),
    ))
}

/// `unhex(X [, Y])`: the blob whose hex is X; characters of Y may stand between (not inside)
/// byte pairs; anything else gives NULL.
pub fn unhex(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if matches!(a[0], Value::Null) || (a.len() == 2 && matches!(a[1], Value::Null)) {
        return Ok(Value::Null);
    }
    let hb = text_bytes(&a[0]);
    let z = cstr(&hb);
    let pass: Vec<u32> = if a.len() == 2 {
        let pb = text_bytes(&a[1]);
        String::from_utf8_lossy(&pb).chars().map(u32::from).collect()
    } else {
        Vec::new()
    };
    let hexval = |c: u8| -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        }
    };
    let mut out = Vec::with_capacity(z.len() / 2);
    let mut i = 0;
    while i < z.len() {
        let c = z[i];
        if !c.is_ascii_hexdigit() {
            let start = i;
            let end = skip_utf8(z, i);
            let ch = std::str::from_utf8(&z[start..end])
                .ok()
                .and_then(|s| s.chars().next())
                .map_or(0xfffd, u32::from);
            if !pass.contains(&ch) {
                return Ok(Value::Null);
            }
            i = end;
            continue;
        }
        let Some(&d) = z.get(i + 1) else { return Ok(Value::Null) };
        if !d.is_ascii_hexdigit() {
            return Ok(Value::Null);
        }
        out.push((hexval(c) << 4) | hexval(d));
        i += 2;
    }
    Ok(Value::Blob(out))
}

/// `unicode(X)`: the code point of the first character of X; NULL for empty text.
pub fn unicode(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    let b = text_bytes(&a[0]);
    let z = cstr(&b);
    if z.is_empty() {
        return Ok(Value::Null);
    }
    Ok(Value::Integer(i64::from(utf8_read(z))))
}

/// `zeroblob(N)`: N zero bytes.
pub fn zeroblob(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let n = coerce::to_integer(&a[0]).max(0);
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    check_len(n, "zeroblob")?;
    Ok(Value::Blob(vec![0; n]))
}

/// `sqlite_version()`: [`SQLITE_VERSION`].
pub fn sqlite_version(_: &mut FnContext, _: &[Value]) -> Result<Value> {
    Ok(Value::Text(SQLITE_VERSION.into()))
}
