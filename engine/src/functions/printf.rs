//! `printf(FORMAT, ...)` / `format(FORMAT, ...)`: `SQLite`'s own printf (printf.c), not C's.
//!
//! Conversions: `%d %i %u %f %e %E %g %G %x %X %o %s %z %q %Q %w %c %%` (`%n`, `%p` and the
//! internal ones consume nothing and print nothing, as in `SQLite`'s SQL function, where an
//! unknown conversion ends the output). Flags `-+ 0#!,`, width and precision (numbers or `*`,
//! taken from the arguments), the `l`/`ll` length modifiers (ignored). Missing arguments read as
//! 0, 0.0 or an empty string. With `!`, width and precision of `%s`, `%q`, `%Q`, `%w`, `%c` count
//! characters rather than bytes, and floats keep up to 26 significant digits instead of 16.
//! Output longer than `SQLITE_MAX_LENGTH` makes the SQL function return NULL, as in `SQLite`.
//! Floats are printed with `SQLite`'s decimal conversion (`crate::sql::coerce`'s `fp_decode`),
//! which is not correctly rounded beyond 16 digits, exactly as `SQLite`'s output.

// Ports of SQLite's C algorithms keep its short variable names (z, n, i, j, e, ...) so that
// they can be read side by side; exact float comparisons are the semantics being copied.
#![allow(clippy::many_single_char_names, clippy::float_cmp)]

use super::scalar::{cstr, text_value};
use super::{check_len, FnContext};
use crate::error::{Error, Result};
use crate::sql::coerce::{self, format_float, FloatKind, FloatSpec};
use crate::storage::record::Value;

/// The arguments of one call, consumed left to right.
struct Args<'a> {
    args: &'a [Value],
    used: usize,
}

impl Args<'_> {
    fn next(&mut self) -> Option<&Value> {
        let v = self.args.get(self.used);
        if v.is_some() {
            self.used += 1;
        }
        v
    }

    fn int(&mut self) -> i64 {
        self.next().map_or(0, coerce::to_integer)
    }

    fn real(&mut self) -> f64 {
        self.next().map_or(0.0, coerce::to_real)
    }

    /// The text of the next argument; `None` for NULL or a missing argument.
    fn text(&mut self) -> Option<Vec<u8>> {
        match self.next() {
            None | Some(Value::Null) => None,
            Some(v) => Some(coerce::text_bytes(v).into_owned()),
        }
    }
}

/// `printf(FORMAT, ...)`: NULL if FORMAT is NULL (or missing).
pub fn printf_fn(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let Some(fmt) = a.first() else { return Ok(Value::Null) };
    if matches!(fmt, Value::Null) {
        return Ok(Value::Null);
    }
    let fb = coerce::text_bytes(fmt);
    match sqlite_printf(cstr(&fb), &a[1..]) {
        Ok(out) => Ok(text_value(std::borrow::Cow::Owned(out))),
        // SQLite's printf() returns NULL (not an error) when its output would be too long.
        Err(Error::TooBig(_)) => Ok(Value::Null),
        Err(e) => Err(e),
    }
}

/// Appends `n` copies of `c`.
fn pad(out: &mut Vec<u8>, n: i64, c: u8) -> Result<()> {
    if n > 0 {
        check_len(out.len() + n as usize, "printf")?;
        out.resize(out.len() + n as usize, c);
    }
    Ok(())
}

/// Formats `fmt` with `args` as `sqlite3_str_vappendf` with `SQLITE_PRINTF_SQLFUNC`.
#[allow(clippy::too_many_lines)]
pub(crate) fn sqlite_printf(fmt: &[u8], args: &[Value]) -> Result<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    let mut args = Args { args, used: 0 };
    let mut i = 0usize;
    let at = |i: usize| fmt.get(i).copied().unwrap_or(0);
    while i < fmt.len() {
        if fmt[i] != b'%' {
            let start = i;
            while i < fmt.len() && fmt[i] != b'%' {
                i += 1;
            }
            out.extend_from_slice(&fmt[start..i]);
            continue;
        }
        i += 1;
        let mut c = at(i);
        if c == 0 {
            out.push(b'%');
            break;
        }
        let (mut left, mut prefix, mut alt, mut alt2, mut zero, mut thousands) =
            (false, None::<u8>, false, false, false, false);
        let mut width: i64 = 0;
        let mut precision: i64 = -1;
        loop {
            let mut done = false;
            match c {
                b'-' => left = true,
                b'+' => prefix = Some(b'+'),
                b' ' => prefix = Some(b' '),
                b'#' => alt = true,
                b'!' => alt2 = true,
                b'0' => zero = true,
                b',' => thousands = true,
                b'l' => {
                    i += 1;
                    c = at(i);
                    if c == b'l' {
                        i += 1;
                        c = at(i);
                    }
                    done = true;
                }
                b'1'..=b'9' => {
                    let mut wx: u32 = u32::from(c - b'0');
                    i += 1;
                    c = at(i);
                    while c.is_ascii_digit() {
                        wx = wx.wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
                        i += 1;
                        c = at(i);
                    }
                    width = i64::from(wx & 0x7fff_ffff);
                    if c != b'.' && c != b'l' {
                        done = true;
                    } else {
                        i -= 1;
                    }
                }
                b'*' => {
                    let w = args.int() as i32;
                    width = i64::from(w);
                    if width < 0 {
                        left = true;
                        width = if w >= -2_147_483_647 { -width } else { 0 };
                    }
                    let n = at(i + 1);
                    if n != b'.' && n != b'l' {
                        i += 1;
                        c = at(i);
                        done = true;
                    }
                }
                b'.' => {
                    i += 1;
                    c = at(i);
                    if c == b'*' {
                        let p = args.int() as i32;
                        precision = i64::from(p);
                        if precision < 0 {
                            precision = if p >= -2_147_483_647 { -precision } else { -1 };
                        }
                        i += 1;
                        c = at(i);
                    } else {
                        let mut px: u32 = 0;
                        while c.is_ascii_digit() {
                            px = px.wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
                            i += 1;
                            c = at(i);
                        }
                        precision = i64::from(px & 0x7fff_ffff);
                    }
                    if c == b'l' {
                        i -= 1;
                    } else {
                        done = true;
                    }
                }
                _ => done = true,
            }
            if done {
                break;
            }
            i += 1;
            c = at(i);
            if c == 0 {
                break;
            }
        }
        // `c` is the conversion character at fmt[i].
        let mut body: Vec<u8> = Vec::new();
        let mut char_width_adjust = false;
        match c {
            b'd' | b'i' | b'u' | b'x' | b'X' | b'o' | b'p' | b'r' => {
                let signed = matches!(c, b'd' | b'i' | b'r');
                let (base, digits, pre): (u64, &[u8], &[u8]) = match c {
                    b'x' => (16, b"0123456789abcdef", b"0x"),
                    b'p' => (16, b"0123456789ABCDEF", b"0x"),
                    b'X' => (16, b"0123456789ABCDEF", b"0X"),
                    b'o' => (8, b"01234567", b"0"),
                    _ => (10, b"0123456789", b""),
                };
                if matches!(c, b'x' | b'X' | b'o' | b'p' | b'r') {
                    thousands = false;
                }
                let v = args.int();
                let (mut longvalue, sign) = if signed {
                    if v < 0 {
                        (v.unsigned_abs(), Some(b'-'))
                    } else {
                        (v as u64, prefix)
                    }
                } else {
                    (v as u64, None)
                };
                if longvalue == 0 {
                    alt = false;
                }
                if zero && precision < width - i64::from(sign.is_some()) {
                    precision = width - i64::from(sign.is_some());
                }
                let mut num: Vec<u8> = Vec::new();
                if c == b'r' {
                    let x = longvalue % 10;
                    let x = if x >= 4 || (longvalue / 10) % 10 == 1 { 0 } else { x as usize };
                    // `num` is built backwards.
                    num.push(b"thstndrd"[x * 2 + 1]);
                    num.push(b"thstndrd"[x * 2]);
                }
                let mut len: i64 = if c == b'r' { 2 } else { 0 };
                loop {
                    num.push(digits[(longvalue % base) as usize]);
                    len += 1;
                    longvalue /= base;
                    if longvalue == 0 {
                        break;
                    }
                }
                check_len(precision.max(0) as usize, "printf")?;
                // `num` is reversed here (suffix first); zero-pad the digits to the precision.
                while len < precision {
                    num.push(b'0');
                    len += 1;
                }
                num.reverse();
                if thousands {
                    let n = num.len();
                    let mut with = Vec::with_capacity(n + n / 3);
                    for (k, d) in num.iter().enumerate() {
                        if k > 0 && (n - k) % 3 == 0 {
                            with.push(b',');
                        }
                        with.push(*d);
                    }
                    num = with;
                }
                if alt {
                    body.extend_from_slice(pre);
                }
                if let Some(s) = sign {
                    body.push(s);
                }
                body.extend_from_slice(&num);
            }
            b'f' | b'e' | b'E' | b'g' | b'G' => {
                let v = args.real();
                let spec = FloatSpec {
                    kind: match c {
                        b'f' => FloatKind::Fixed,
                        b'e' | b'E' => FloatKind::Exp,
                        _ => FloatKind::Generic,
                    },
                    upper: matches!(c, b'E' | b'G'),
                    precision,
                    width,
                    prefix,
                    alt,
                    alt2,
                    zero_pad: zero,
                    left,
                    thousands,
                };
                let need = precision.max(0) + width + 400;
                check_len(need as usize, "printf")?;
                let mut s = String::new();
                format_float(&mut s, v, &spec);
                body = s.into_bytes();
            }
            b'%' => body.push(b'%'),
            b'c' => {
                let t = args.text();
                let ch: Vec<u8> = match &t {
                    Some(t) if !t.is_empty() => {
                        let mut n = 1;
                        if t[0] & 0xc0 == 0xc0 {
                            while n < 4 && n < t.len() && t[n] & 0xc0 == 0x80 {
                                n += 1;
                            }
                        }
                        t[..n].to_vec()
                    }
                    Some(_) | None => vec![0],
                };
                let ch = if t.is_none() { vec![0u8] } else { ch };
                if precision > 1 {
                    width -= precision - 1;
                    if width > 1 && !left {
                        pad(&mut out, width - 1, b' ')?;
                        width = 0;
                    }
                    check_len(out.len() + ch.len() * (precision - 1) as usize, "printf")?;
                    for _ in 0..precision - 1 {
                        out.extend_from_slice(&ch);
                    }
                }
                body = ch;
                char_width_adjust = true;
            }
            b's' | b'z' => {
                let t = args.text().unwrap_or_default();
                let t = cstr(&t);
                let len = if precision >= 0 {
                    if alt2 {
                        let mut k = 0usize;
                        let mut n = precision;
                        while n > 0 && k < t.len() {
                            k += 1;
                            while k < t.len() && t[k] & 0xc0 == 0x80 {
                                k += 1;
                            }
                            n -= 1;
                        }
                        k
                    } else {
                        (precision as usize).min(t.len())
                    }
                } else {
                    t.len()
                };
                body = t[..len].to_vec();
                char_width_adjust = alt2;
            }
            b'q' | b'Q' | b'w' => {
                let q = if c == b'w' { b'"' } else { b'\'' };
                let t = args.text();
                let is_null = t.is_none();
                let t =
                    t.unwrap_or_else(
                        || {
                            if c == b'Q' {
                                b"NULL".to_vec()
                            } else {
                                b"(NULL)".to_vec()
                            }
                        },
                    );
                let t = cstr(&t).to_vec();
                // The precision counts bytes (characters with "!") of the input.
                let mut k = precision;
                let mut n = 0usize;
                while k != 0 && n < t.len() {
                    if alt2 && t[n] & 0xc0 == 0xc0 {
                        while n + 1 < t.len() && t[n + 1] & 0xc0 == 0x80 {
                            n += 1;
                        }
                    }
                    n += 1;
                    k -= 1;
                }
                let need_quote = !is_null && c == b'Q';
                if need_quote {
                    body.push(q);
                }
                for &ch in &t[..n] {
                    body.push(ch);
                    if ch == q {
                        body.push(ch);
                    }
                }
                if need_quote {
                    body.push(q);
                }
                char_width_adjust = alt2;
            }
            b'n' => {
                // %n prints nothing and takes no argument in the SQL function.
                i += 1;
                continue;
            }
            _ => return Ok(out),
        }
        if char_width_adjust && width > 0 {
            width += body.iter().filter(|&&b| b & 0xc0 == 0x80).count() as i64;
        }
        let w = width - body.len() as i64;
        if w > 0 {
            if !left {
                pad(&mut out, w, b' ')?;
            }
            out.extend_from_slice(&body);
            if left {
                pad(&mut out, w, b' ')?;
            }
        } else {
            out.extend_from_slice(&body);
        }
        check_len(out.len(), "printf")?;
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(fmt: &str, args: &[Value]) -> String {
        String::from_utf8(sqlite_printf(fmt.as_bytes(), args).expect("fits")).expect("utf8")
    }

    #[test]
    fn basics() {
        let i = Value::Integer;
        let r = Value::Real;
        assert_eq!(p("%d|%5d|%-5d|%05d", &[i(1), i(2), i(3), i(-4)]), "1|    2|3    |-0004");
        assert_eq!(p("%,d", &[i(1_234_567)]), "1,234,567");
        assert_eq!(
            p("%x %X %#x %o %#o", &[i(255), i(255), i(255), i(8), i(8)]),
            "ff FF 0xff 10 010"
        );
        assert_eq!(
            p("%.2f %e %g", &[r(1.23456), r(1234.5), r(0.0001)]),
            "1.23 1.234500e+03 0.0001"
        );
        assert_eq!(
            p(
                "%q %Q %Q %w",
                &[
                    Value::Text("it's".into()),
                    Value::Text("a".into()),
                    Value::Null,
                    Value::Text("x\"y".into())
                ]
            ),
            "it''s 'a' NULL x\"\"y"
        );
        assert_eq!(
            p("%5.2s|%c%%", &[Value::Text("abc".into()), Value::Text("xyz".into())]),
            "   ab|x%"
        );
        assert_eq!(p("%", &[]), "%");
        assert_eq!(p("%!.3g", &[r(1.0)]), "1.0");
        assert_eq!(p("%d %s", &[]), "0 ");
    }
}
