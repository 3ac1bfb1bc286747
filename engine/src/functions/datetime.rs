//! Date and time functions (`date`, `time`, `datetime`, `julianday`, `unixepoch`, `strftime`,
//! `timediff`, `current_date`, `current_time`, `current_timestamp`), following `SQLite`'s `date.c` step for step (`lang_datefunc.html`).
//!
//! A time value is kept as in `SQLite`'s `DateTime`: a Julian day number in milliseconds
//! (`i_jd`), and/or a broken-down Y-M-D and h:m:s, each with a validity flag, plus the raw number
//! when the input was a number not yet interpreted (`raw_s`). Every modifier is the same state
//! transition as in `date.c`, including the quirks (`'utc'` forgets `'subsec'`, `'auto'` only as
//! the first modifier, ...), so results match for every input, not only for sane ones.
//!
//! The local time zone is taken to be UTC: `'localtime'` and `'utc'` run `SQLite`'s algorithms
//! with a `localtime()` that is `gmtime()`. Results equal `SQLite`'s on a machine whose zone is
//! UTC. `'now'` is [`FnContext::now_unix_ms`] when set (stable within a statement, as in
//! `SQLite`), else the system clock.

// Ports of SQLite's C algorithms keep its short variable names (z, n, i, j, e, ...) so that
// they can be read side by side; exact float comparisons are the semantics being copied.
#![allow(clippy::many_single_char_names, clippy::float_cmp)]
// The modifier parser mirrors `parseModifier`'s switch: a `match` on the first letter with
// the full comparison inside, rather than collapsed arms.
#![allow(clippy::collapsible_match)]

use std::fmt::Write as _;

use super::printf::sqlite_printf;
use super::scalar::{cstr, text_value};
use super::FnContext;
use crate::error::Result;
use crate::sql::coerce::{self, atof, is_space};
use crate::storage::record::Value;

/// Milliseconds from the Julian day epoch to the Unix epoch.
const UNIX_EPOCH_JD_MS: i64 = 210_866_760_000_000;
/// The Julian day (ms) of 9999-12-31 23:59:59.999, the largest valid time.
const MAX_JD_MS: i64 = 464_269_060_799_999;

/// `SQLite`'s `DateTime`.
#[derive(Debug, Clone, Copy, Default)]
#[allow(clippy::struct_excessive_bools)]
struct DateTime {
    i_jd: i64,
    y: i32,
    m: i32,
    d: i32,
    h: i32,
    min: i32,
    tz: i32,
    s: f64,
    valid_jd: bool,
    valid_ymd: bool,
    valid_hms: bool,
    n_floor: i32,
    raw_s: bool,
    is_error: bool,
    use_subsec: bool,
    is_utc: bool,
    is_local: bool,
}

/// The byte at `i`, or 0 past the end (the strings are C strings to `date.c`).
fn at(z: &[u8], i: usize) -> u8 {
    z.get(i).copied().unwrap_or(0)
}

/// `getDigits`: each field is (digits, min, max, separator after it or 0). Returns how many
/// fields were read.
fn get_digits(z: &[u8], fields: &[(usize, i32, i32, u8)], out: &mut [i32]) -> usize {
    let mut pos = 0;
    for (k, &(n, min, max, next)) in fields.iter().enumerate() {
        let mut val = 0i32;
        for _ in 0..n {
            let c = at(z, pos);
            if !c.is_ascii_digit() {
                return k;
            }
            val = val * 10 + i32::from(c - b'0');
            pos += 1;
        }
        if val < min || val > max || (next != 0 && next != at(z, pos)) {
            return k;
        }
        out[k] = val;
        pos += 1;
    }
    fields.len()
}

const HH_MM: [(usize, i32, i32, u8); 2] = [(2, 0, 24, b':'), (2, 0, 59, 0)];
const TZ_HH_MM: [(usize, i32, i32, u8); 2] = [(2, 0, 14, b':'), (2, 0, 59, 0)];

impl DateTime {
    fn error() -> DateTime {
        DateTime { is_error: true, ..DateTime::default() }
    }

    /// `parseTimezone`: nonzero (true) on error.
    fn parse_timezone(&mut self, z: &[u8]) -> bool {
        let mut i = 0;
        while is_space(at(z, i)) {
            i += 1;
        }
        self.tz = 0;
        let c = at(z, i);
        let sgn = match c {
            b'-' => -1,
            b'+' => 1,
            b'Z' | b'z' => {
                i += 1;
                self.is_local = false;
                self.is_utc = true;
                while is_space(at(z, i)) {
                    i += 1;
                }
                return at(z, i) != 0;
            }
            _ => return c != 0,
        };
        i += 1;
        let mut v = [0; 2];
        if get_digits(&z[i.min(z.len())..], &TZ_HH_MM, &mut v) != 2 {
            return true;
        }
        i += 5;
        self.tz = sgn * (v[1] + v[0] * 60);
        while is_space(at(z, i)) {
            i += 1;
        }
        at(z, i) != 0
    }

    /// `parseHhMmSs`: true on error.
    fn parse_hms(&mut self, z: &[u8]) -> bool {
        let mut v = [0; 2];
        if get_digits(z, &HH_MM, &mut v) != 2 {
            return true;
        }
        let mut i = 5;
        let mut s = 0;
        let mut ms = 0.0f64;
        if at(z, i) == b':' {
            i += 1;
            let mut sv = [0; 1];
            if get_digits(&z[i.min(z.len())..], &[(2, 0, 59, 0)], &mut sv) != 1 {
                return true;
            }
            s = sv[0];
            i += 2;
            if at(z, i) == b'.' && at(z, i + 1).is_ascii_digit() {
                let mut scale = 1.0f64;
                i += 1;
                while at(z, i).is_ascii_digit() {
                    ms = ms * 10.0 + f64::from(at(z, i) - b'0');
                    scale *= 10.0;
                    i += 1;
                }
                ms /= scale;
            }
        }
        self.valid_jd = false;
        self.raw_s = false;
        self.valid_hms = true;
        self.h = v[0];
        self.min = v[1];
        self.s = f64::from(s) + ms;
        self.parse_timezone(&z[i.min(z.len())..])
    }

    /// `computeJD`.
    fn compute_jd(&mut self) {
        if self.valid_jd {
            return;
        }
        let (mut y, mut m, d) =
            if self.valid_ymd { (self.y, self.m, self.d) } else { (2000, 1, 1) };
        if !(-4713..=9999).contains(&y) || self.raw_s {
            *self = DateTime::error();
            return;
        }
        if m <= 2 {
            y -= 1;
            m += 12;
        }
        let a = y / 100;
        let b = 2 - a + (a / 4);
        let x1 = 36525 * (y + 4716) / 100;
        let x2 = 306_001 * (m + 1) / 10000;
        self.i_jd = ((f64::from(x1 + x2 + d + b) - 1524.5) * 86_400_000.0) as i64;
        self.valid_jd = true;
        if self.valid_hms {
            self.i_jd += i64::from(self.h) * 3_600_000
                + i64::from(self.min) * 60_000
                + (self.s * 1000.0 + 0.5) as i64;
            if self.tz != 0 {
                self.i_jd -= i64::from(self.tz) * 60_000;
                self.valid_ymd = false;
                self.valid_hms = false;
                self.tz = 0;
                self.is_utc = true;
                self.is_local = false;
            }
        }
    }

    /// `computeFloor`: how many days past the end of the month D is.
    fn compute_floor(&mut self) {
        self.n_floor = if self.d <= 28 || (1i32 << (self.m & 31)) & 0x15aa != 0 {
            0
        } else if self.m != 2 {
            i32::from(self.d == 31)
        } else if self.y % 4 != 0 || (self.y % 100 == 0 && self.y % 400 != 0) {
            self.d - 28
        } else {
            self.d - 29
        };
    }

    /// `parseYyyyMmDd`: true on error.
    fn parse_ymd(&mut self, z: &[u8]) -> bool {
        let (neg, z) = if at(z, 0) == b'-' { (true, &z[1..]) } else { (false, z) };
        let mut v = [0; 3];
        if get_digits(z, &[(4, 0, 14712, b'-'), (2, 1, 12, b'-'), (2, 1, 31, 0)], &mut v) != 3 {
            return true;
        }
        let mut i = 10;
        while is_space(at(z, i)) || at(z, i) == b'T' {
            i += 1;
        }
        let rest = &z[i.min(z.len())..];
        if !self.parse_hms(rest) {
            // Got the time.
        } else if at(rest, 0) == 0 {
            self.valid_hms = false;
        } else {
            return true;
        }
        self.valid_jd = false;
        self.valid_ymd = true;
        self.y = if neg { -v[0] } else { v[0] };
        self.m = v[1];
        self.d = v[2];
        self.compute_floor();
        if self.tz != 0 {
            self.compute_jd();
        }
        false
    }

    fn set_now(&mut self, ctx: &FnContext) -> bool {
        let ms = ctx.now_unix_ms.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        });
        self.i_jd = ms + UNIX_EPOCH_JD_MS;
        if self.i_jd > 0 {
            self.valid_jd = true;
            self.is_utc = true;
            self.is_local = false;
            self.clear_ymd_hms_tz();
            false
        } else {
            true
        }
    }

    /// `setRawDateNumber`.
    fn set_raw_number(&mut self, r: f64) {
        self.s = r;
        self.raw_s = true;
        if (0.0..5_373_484.5).contains(&r) {
            self.i_jd = (r * 86_400_000.0 + 0.5) as i64;
            self.valid_jd = true;
        }
    }

    /// `parseDateOrTime`: true on error.
    fn parse_date_or_time(&mut self, ctx: &FnContext, z: &[u8]) -> bool {
        if !self.parse_ymd(z) || !self.parse_hms(z) {
            return false;
        }
        if z.eq_ignore_ascii_case(b"now") {
            return self.set_now(ctx);
        }
        let (r, rc) = atof(z);
        if rc > 0 {
            self.set_raw_number(r);
            return false;
        }
        if z.eq_ignore_ascii_case(b"subsec") || z.eq_ignore_ascii_case(b"subsecond") {
            self.use_subsec = true;
            return self.set_now(ctx);
        }
        true
    }

    /// `computeYMD`.
    fn compute_ymd(&mut self) {
        if self.valid_ymd {
            return;
        }
        if !self.valid_jd {
            self.y = 2000;
            self.m = 1;
            self.d = 1;
        } else if !valid_julian_day(self.i_jd) {
            *self = DateTime::error();
            return;
        } else {
            let z = ((self.i_jd + 43_200_000) / 86_400_000) as i32;
            let a = ((f64::from(z) - 1_867_216.25) / 36_524.25) as i32;
            let a = z + 1 + a - (a / 4);
            let b = a + 1524;
            let c = ((f64::from(b) - 122.1) / 365.25) as i32;
            let d = (36525 * (c & 32767)) / 100;
            let e = (f64::from(b - d) / 30.6001) as i32;
            let x1 = (30.6001 * f64::from(e)) as i32;
            self.d = b - d - x1;
            self.m = if e < 14 { e - 1 } else { e - 13 };
            self.y = if self.m > 2 { c - 4716 } else { c - 4715 };
        }
        self.valid_ymd = true;
    }

    /// `computeHMS`.
    fn compute_hms(&mut self) {
        if self.valid_hms {
            return;
        }
        self.compute_jd();
        let day_ms = ((self.i_jd + 43_200_000) % 86_400_000) as i32;
        self.s = f64::from(day_ms % 60_000) / 1000.0;
        let day_min = day_ms / 60_000;
        self.min = day_min % 60;
        self.h = day_min / 60;
        self.raw_s = false;
        self.valid_hms = true;
    }

    fn compute_ymd_hms(&mut self) {
        self.compute_ymd();
        self.compute_hms();
    }

    fn clear_ymd_hms_tz(&mut self) {
        self.valid_ymd = false;
        self.valid_hms = false;
        self.tz = 0;
    }

    /// `toLocaltime` with the local zone being UTC.
    fn make_localtime(&mut self) {
        self.compute_jd();
        let (t, year_diff) =
            if self.i_jd < 2_108_667_600 * 100_000 || self.i_jd > 2_130_141_456 * 100_000 {
                let mut x = *self;
                x.compute_ymd_hms();
                let diff = (2000 + x.y % 4) - x.y;
                x.y += diff;
                x.valid_jd = false;
                x.compute_jd();
                (x.i_jd / 1000 - 21_086_676 * 10_000, diff)
            } else {
                (self.i_jd / 1000 - 21_086_676 * 10_000, 0)
            };
        let (y, mo, d, h, mi, s) = gmtime(t);
        self.y = y - year_diff;
        self.m = mo;
        self.d = d;
        self.h = h;
        self.min = mi;
        self.s = f64::from(s) + (self.i_jd % 1000) as f64 * 0.001;
        self.valid_ymd = true;
        self.valid_hms = true;
        self.valid_jd = false;
        self.raw_s = false;
        self.tz = 0;
        self.is_error = false;
    }

    /// `autoAdjustDate`.
    fn auto_adjust(&mut self) {
        if !self.raw_s || self.valid_jd {
            self.raw_s = false;
        } else if self.s >= -21_086_676.0 * 10_000.0 && self.s <= 25_340_230.0 * 10_000.0 + 799.0 {
            let r = self.s * 1000.0 + 210_866_760_000_000.0;
            self.clear_ymd_hms_tz();
            self.i_jd = (r + 0.5) as i64;
            self.valid_jd = true;
            self.raw_s = false;
        }
    }

    /// `parseModifier`: true on error. `idx` is the argument index of the modifier.
    #[allow(clippy::too_many_lines)]
    fn parse_modifier(&mut self, z: &[u8], idx: usize) -> bool {
        let lower = |s: &[u8]| s.to_ascii_lowercase();
        let zl = lower(z);
        let mut rc = true;
        match zl.first().copied().unwrap_or(0) {
            b'a' => {
                if zl == b"auto" {
                    if idx > 1 {
                        return true;
                    }
                    self.auto_adjust();
                    rc = false;
                }
            }
            b'c' => {
                if zl == b"ceiling" {
                    self.compute_jd();
                    self.clear_ymd_hms_tz();
                    rc = false;
                    self.n_floor = 0;
                }
            }
            b'f' => {
                if zl == b"floor" {
                    self.compute_jd();
                    self.i_jd -= i64::from(self.n_floor) * 86_400_000;
                    self.clear_ymd_hms_tz();
                    rc = false;
                }
            }
            b'j' => {
                if zl == b"julianday" {
                    if idx > 1 {
                        return true;
                    }
                    if self.valid_jd && self.raw_s {
                        rc = false;
                        self.raw_s = false;
                    }
                }
            }
            b'l' => {
                if zl == b"localtime" {
                    if !self.is_local {
                        self.make_localtime();
                    }
                    rc = false;
                    self.is_utc = false;
                    self.is_local = true;
                }
            }
            b'u' => {
                if zl == b"unixepoch" && self.raw_s {
                    if idx > 1 {
                        return true;
                    }
                    let r = self.s * 1000.0 + 210_866_760_000_000.0;
                    if (0.0..464_269_060_800_000.0).contains(&r) {
                        self.clear_ymd_hms_tz();
                        self.i_jd = (r + 0.5) as i64;
                        self.valid_jd = true;
                        self.raw_s = false;
                        rc = false;
                    }
                } else if zl == b"utc" {
                    if !self.is_utc {
                        self.compute_jd();
                        let orig = self.i_jd;
                        let mut guess = orig;
                        let mut err = 0i64;
                        let mut cnt = 0;
                        loop {
                            guess -= err;
                            let mut new =
                                DateTime { i_jd: guess, valid_jd: true, ..Default::default() };
                            new.make_localtime();
                            new.compute_jd();
                            err = new.i_jd - orig;
                            let again = err != 0 && cnt < 3;
                            cnt += 1;
                            if !again {
                                break;
                            }
                        }
                        *self = DateTime {
                            i_jd: guess,
                            valid_jd: true,
                            is_utc: true,
                            ..Default::default()
                        };
                    }
                    rc = false;
                }
            }
            b'w' => {
                if zl.starts_with(b"weekday ") {
                    let (r, arc) = atof(&z[8..]);
                    if arc > 0 && (0.0..7.0).contains(&r) && f64::from(r as i32) == r {
                        let n = r as i64;
                        self.compute_ymd_hms();
                        self.tz = 0;
                        self.valid_jd = false;
                        self.compute_jd();
                        let mut zz = ((self.i_jd + 129_600_000) / 86_400_000) % 7;
                        if zz > n {
                            zz -= 7;
                        }
                        self.i_jd += (n - zz) * 86_400_000;
                        self.clear_ymd_hms_tz();
                        rc = false;
                    }
                }
            }
            b's' => {
                if !zl.starts_with(b"start of ") {
                    if zl == b"subsec" || zl == b"subsecond" {
                        self.use_subsec = true;
                        rc = false;
                    }
                    return rc;
                }
                if !self.valid_jd && !self.valid_ymd && !self.valid_hms {
                    return rc;
                }
                let what = &zl[9..];
                self.compute_ymd();
                self.valid_hms = true;
                self.h = 0;
                self.min = 0;
                self.s = 0.0;
                self.raw_s = false;
                self.tz = 0;
                self.valid_jd = false;
                if what == b"month" {
                    self.d = 1;
                    rc = false;
                } else if what == b"year" {
                    self.m = 1;
                    self.d = 1;
                    rc = false;
                } else if what == b"day" {
                    rc = false;
                }
            }
            b'+' | b'-' | b'0'..=b'9' => return self.numeric_modifier(z),
            _ => {}
        }
        rc
    }

    /// The modifiers that start with a sign or digit: `±NNN units`, `±HH:MM[:SS[.SSS]]`,
    /// `±YYYY-MM-DD[ HH:MM[:SS[.SSS]]]`.
    fn numeric_modifier(&mut self, z0: &[u8]) -> bool {
        let mut z = z0;
        let first = at(z, 0);
        let mut n = 1usize;
        let mut yv = [0; 1];
        while at(z, n) != 0 {
            let c = at(z, n);
            if c == b':' || is_space(c) {
                break;
            }
            if c == b'-'
                && ((n == 5 && get_digits(&z[1..], &[(4, 0, 14712, 0)], &mut yv) == 1)
                    || (n == 6 && get_digits(&z[1..], &[(5, 0, 14712, 0)], &mut yv) == 1))
            {
                break;
            }
            n += 1;
        }
        let (mut r, arc) = atof(&z[..n.min(z.len())]);
        if arc <= 0 {
            return true;
        }
        let mut z2: &[u8] = z;
        if at(z, n) == b'-' {
            if first != b'+' && first != b'-' {
                return true;
            }
            let mut v = [0; 3];
            if n == 5 {
                if get_digits(
                    &z[1..],
                    &[(4, 0, 14712, b'-'), (2, 0, 12, b'-'), (2, 0, 31, 0)],
                    &mut v,
                ) != 3
                {
                    return true;
                }
            } else {
                if get_digits(
                    &z[1..],
                    &[(5, 0, 14712, b'-'), (2, 0, 12, b'-'), (2, 0, 31, 0)],
                    &mut v,
                ) != 3
                {
                    return true;
                }
                z = &z[1..];
            }
            let (yy, mm, mut dd) = (v[0], v[1], v[2]);
            if mm >= 12 || dd >= 31 {
                return true;
            }
            self.compute_ymd_hms();
            self.valid_jd = false;
            if first == b'-' {
                self.y -= yy;
                self.m -= mm;
                dd = -dd;
            } else {
                self.y += yy;
                self.m += mm;
            }
            let x = if self.m > 0 { (self.m - 1) / 12 } else { (self.m - 12) / 12 };
            self.y += x;
            self.m -= x * 12;
            self.compute_floor();
            self.compute_jd();
            self.valid_hms = false;
            self.valid_ymd = false;
            self.i_jd += i64::from(dd) * 86_400_000;
            if at(z, 11) == 0 {
                return false;
            }
            let mut hm = [0; 2];
            if is_space(at(z, 11)) && z.len() > 12 && get_digits(&z[12..], &HH_MM, &mut hm) == 2 {
                z2 = &z[12..];
                n = 2;
            } else {
                return true;
            }
        }
        if at(z2, n) == b':' {
            let mut t = z2;
            if !at(t, 0).is_ascii_digit() {
                t = &t[1..];
            }
            let mut tx = DateTime::default();
            if tx.parse_hms(t) {
                return true;
            }
            tx.compute_jd();
            tx.i_jd -= 43_200_000;
            let day = tx.i_jd / 86_400_000;
            tx.i_jd -= day * 86_400_000;
            if first == b'-' {
                tx.i_jd = -tx.i_jd;
            }
            self.compute_jd();
            self.clear_ymd_hms_tz();
            self.i_jd += tx.i_jd;
            return false;
        }
        // "+NNN units"
        let mut rest = &z[n.min(z.len())..];
        while is_space(at(rest, 0)) {
            rest = &rest[1..];
        }
        let mut len = rest.len();
        if !(3..=10).contains(&len) {
            return true;
        }
        if rest[len - 1].eq_ignore_ascii_case(&b's') {
            len -= 1;
        }
        let unit = rest[..len].to_ascii_lowercase();
        self.compute_jd();
        let rounder = if r < 0.0 { -0.5 } else { 0.5 };
        self.n_floor = 0;
        // aXformType: name, limit and factor are C floats.
        let xforms: [(&[u8], f32, f32); 6] = [
            (b"second", 4.6427e+14, 1.0),
            (b"minute", 7.7379e+12, 60.0),
            (b"hour", 1.2897e+11, 3600.0),
            (b"day", 5_373_485.0, 86400.0),
            (b"month", 176_546.0, 30.0 * 86400.0),
            (b"year", 14713.0, 365.0 * 86400.0),
        ];
        let mut rc = true;
        for (i, &(name, limit, xform)) in xforms.iter().enumerate() {
            let limit = f64::from(limit);
            if name == unit.as_slice() && r > -limit && r < limit {
                if i == 4 {
                    self.compute_ymd_hms();
                    self.m += r as i32;
                    let x = if self.m > 0 { (self.m - 1) / 12 } else { (self.m - 12) / 12 };
                    self.y += x;
                    self.m -= x * 12;
                    self.compute_floor();
                    self.valid_jd = false;
                    r -= f64::from(r as i32);
                } else if i == 5 {
                    let y = r as i32;
                    self.compute_ymd_hms();
                    self.y += y;
                    self.compute_floor();
                    self.valid_jd = false;
                    r -= f64::from(r as i32);
                }
                self.compute_jd();
                self.i_jd += (r * 1000.0 * f64::from(xform) + rounder) as i64;
                rc = false;
                break;
            }
        }
        self.clear_ymd_hms_tz();
        rc
    }
}

/// `validJulianDay`.
fn valid_julian_day(jd: i64) -> bool {
    (0..=MAX_JD_MS).contains(&jd)
}

/// `gmtime`: the civil date and time of Unix time `t` (proleptic Gregorian).
fn gmtime(t: i64) -> (i32, i32, i32, i32, i32, i32) {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y as i32,
        m as i32,
        d as i32,
        (secs / 3600) as i32,
        ((secs / 60) % 60) as i32,
        (secs % 60) as i32,
    )
}

/// `isDate`: the time value of the arguments, or `None` (the function returns NULL).
fn is_date(ctx: &FnContext, a: &[Value]) -> Option<DateTime> {
    let mut p = DateTime::default();
    if a.is_empty() {
        return if p.set_now(ctx) { None } else { Some(p) };
    }
    match &a[0] {
        Value::Integer(_) | Value::Real(_) => p.set_raw_number(coerce::to_real(&a[0])),
        Value::Null => return None,
        v => {
            let b = coerce::text_bytes(v);
            if p.parse_date_or_time(ctx, cstr(&b)) {
                return None;
            }
        }
    }
    for (i, m) in a.iter().enumerate().skip(1) {
        if matches!(m, Value::Null) {
            return None;
        }
        let b = coerce::text_bytes(m);
        if p.parse_modifier(cstr(&b), i) {
            return None;
        }
    }
    p.compute_jd();
    if p.is_error || !valid_julian_day(p.i_jd) {
        return None;
    }
    if a.len() == 1 && p.valid_ymd && p.d > 28 {
        p.valid_ymd = false;
    }
    Some(p)
}

fn ymd_text(x: &DateTime) -> String {
    let y = x.y.unsigned_abs();
    let mut s = String::with_capacity(11);
    if x.y < 0 {
        s.push('-');
    }
    let _ = write!(
        s,
        "{}{}{}{}-{}{}-{}{}",
        (y / 1000) % 10,
        (y / 100) % 10,
        (y / 10) % 10,
        y % 10,
        (x.m / 10) % 10,
        x.m % 10,
        (x.d / 10) % 10,
        x.d % 10
    );
    s
}

fn hms_text(x: &DateTime) -> String {
    let mut s = format!("{}{}:{}{}:", (x.h / 10) % 10, x.h % 10, (x.min / 10) % 10, x.min % 10);
    if x.use_subsec {
        let v = (1000.0 * x.s + 0.5) as i32;
        let _ = write!(
            s,
            "{}{}.{}{}{}",
            (v / 10000) % 10,
            (v / 1000) % 10,
            (v / 100) % 10,
            (v / 10) % 10,
            v % 10
        );
    } else {
        let v = x.s as i32;
        let _ = write!(s, "{}{}", (v / 10) % 10, v % 10);
    }
    s
}

/// `julianday(TIME, MOD...)`: the Julian day number, REAL.
pub fn julianday(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(is_date(ctx, a).map_or(Value::Null, |x| Value::Real(x.i_jd as f64 / 86_400_000.0)))
}

/// `unixepoch(TIME, MOD...)`: seconds since 1970, INTEGER (REAL with `'subsec'`).
pub fn unixepoch(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(is_date(ctx, a).map_or(Value::Null, |x| {
        if x.use_subsec {
            Value::Real((x.i_jd - UNIX_EPOCH_JD_MS) as f64 / 1000.0)
        } else {
            Value::Integer(x.i_jd / 1000 - UNIX_EPOCH_JD_MS / 1000)
        }
    }))
}

/// `datetime(TIME, MOD...)`: `YYYY-MM-DD HH:MM:SS` (`.SSS` with `'subsec'`).
pub fn datetime(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(is_date(ctx, a).map_or(Value::Null, |mut x| {
        x.compute_ymd_hms();
        Value::Text(format!("{} {}", ymd_text(&x), hms_text(&x)))
    }))
}

/// `time(TIME, MOD...)`: `HH:MM:SS`.
pub fn time(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(is_date(ctx, a).map_or(Value::Null, |mut x| {
        x.compute_hms();
        Value::Text(hms_text(&x))
    }))
}

/// `date(TIME, MOD...)`: `YYYY-MM-DD`.
pub fn date(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(is_date(ctx, a).map_or(Value::Null, |mut x| {
        x.compute_ymd();
        Value::Text(ymd_text(&x))
    }))
}

/// `current_date`.
pub fn current_date(ctx: &mut FnContext, _: &[Value]) -> Result<Value> {
    date(ctx, &[])
}

/// `current_time`.
pub fn current_time(ctx: &mut FnContext, _: &[Value]) -> Result<Value> {
    time(ctx, &[])
}

/// `current_timestamp`.
pub fn current_timestamp(ctx: &mut FnContext, _: &[Value]) -> Result<Value> {
    datetime(ctx, &[])
}

/// `daysAfterJan01`.
fn days_after_jan01(x: &DateTime) -> i32 {
    let mut jan01 = *x;
    jan01.valid_jd = false;
    jan01.m = 1;
    jan01.d = 1;
    jan01.compute_jd();
    ((x.i_jd - jan01.i_jd + 43_200_000) / 86_400_000) as i32
}

/// `daysAfterMonday`.
fn days_after_monday(x: &DateTime) -> i32 {
    (((x.i_jd + 43_200_000) / 86_400_000) % 7) as i32
}

/// `daysAfterSunday`.
fn days_after_sunday(x: &DateTime) -> i32 {
    (((x.i_jd + 129_600_000) / 86_400_000) % 7) as i32
}

/// Formats with `SQLite`'s printf.
fn pf(out: &mut Vec<u8>, fmt: &str, args: &[Value]) -> Result<()> {
    out.extend_from_slice(&sqlite_printf(fmt.as_bytes(), args)?);
    Ok(())
}

/// `strftime(FORMAT, TIME, MOD...)`: every `%` code of `SQLite` 3.46; an unknown one gives NULL.
pub fn strftime(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    if a.is_empty() || matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    let fb = coerce::text_bytes(&a[0]);
    let fmt = cstr(&fb);
    let Some(mut x) = is_date(ctx, &a[1..]) else { return Ok(Value::Null) };
    x.compute_jd();
    x.compute_ymd_hms();
    let int = |v: i32| Value::Integer(i64::from(v));
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            out.push(fmt[i]);
            i += 1;
            continue;
        }
        i += 1;
        let cf = at(fmt, i);
        match cf {
            b'd' => pf(&mut out, "%02d", &[int(x.d)])?,
            b'e' => pf(&mut out, "%2d", &[int(x.d)])?,
            b'f' => {
                let s = if x.s > 59.999 { 59.999 } else { x.s };
                pf(&mut out, "%06.3f", &[Value::Real(s)])?;
            }
            b'F' => pf(&mut out, "%04d-%02d-%02d", &[int(x.y), int(x.m), int(x.d)])?,
            b'G' | b'g' => {
                let mut y = x;
                y.i_jd += i64::from(3 - days_after_monday(&x)) * 86_400_000;
                y.valid_ymd = false;
                y.compute_ymd();
                if cf == b'g' {
                    pf(&mut out, "%02d", &[int(y.y % 100)])?;
                } else {
                    pf(&mut out, "%04d", &[int(y.y)])?;
                }
            }
            b'H' => pf(&mut out, "%02d", &[int(x.h)])?,
            b'k' => pf(&mut out, "%2d", &[int(x.h)])?,
            b'I' | b'l' => {
                let mut h = x.h;
                if h > 12 {
                    h -= 12;
                }
                if h == 0 {
                    h = 12;
                }
                pf(&mut out, if cf == b'I' { "%02d" } else { "%2d" }, &[int(h)])?;
            }
            b'j' => pf(&mut out, "%03d", &[int(days_after_jan01(&x) + 1)])?,
            b'J' => pf(&mut out, "%.16g", &[Value::Real(x.i_jd as f64 / 86_400_000.0)])?,
            b'm' => pf(&mut out, "%02d", &[int(x.m)])?,
            b'M' => pf(&mut out, "%02d", &[int(x.min)])?,
            b'p' | b'P' => {
                let pm = x.h >= 12;
                out.extend_from_slice(match (cf == b'p', pm) {
                    (true, true) => b"PM",
                    (true, false) => b"AM",
                    (false, true) => b"pm",
                    (false, false) => b"am",
                });
            }
            b'R' => pf(&mut out, "%02d:%02d", &[int(x.h), int(x.min)])?,
            b's' => {
                if x.use_subsec {
                    pf(
                        &mut out,
                        "%.3f",
                        &[Value::Real((x.i_jd - UNIX_EPOCH_JD_MS) as f64 / 1000.0)],
                    )?;
                } else {
                    out.extend_from_slice(
                        (x.i_jd / 1000 - UNIX_EPOCH_JD_MS / 1000).to_string().as_bytes(),
                    );
                }
            }
            b'S' => pf(&mut out, "%02d", &[int(x.s as i32)])?,
            b'T' => pf(&mut out, "%02d:%02d:%02d", &[int(x.h), int(x.min), int(x.s as i32)])?,
            b'u' | b'w' => {
                let mut c = days_after_sunday(&x) as u8 + b'0';
                if c == b'0' && cf == b'u' {
                    c = b'7';
                }
                out.push(c);
            }
            b'U' => pf(
                &mut out,
                "%02d",
                &[int((days_after_jan01(&x) - days_after_sunday(&x) + 7) / 7)],
            )?,
            b'V' => {
                let mut y = x;
                y.i_jd += i64::from(3 - days_after_monday(&x)) * 86_400_000;
                y.valid_ymd = false;
                y.compute_ymd();
                pf(&mut out, "%02d", &[int(days_after_jan01(&y) / 7 + 1)])?;
            }
            b'W' => pf(
                &mut out,
                "%02d",
                &[int((days_after_jan01(&x) - days_after_monday(&x) + 7) / 7)],
            )?,
            b'Y' => pf(&mut out, "%04d", &[int(x.y)])?,
            b'%' => out.push(b'%'),
            _ => return Ok(Value::Null),
        }
        i += 1;
    }
    Ok(text_value(std::borrow::Cow::Owned(out)))
}

/// `timediff(A, B)`: `±YYYY-MM-DD HH:MM:SS.SSS`, the time to add to B to reach A.
pub fn timediff(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    let (Some(mut d1), Some(mut d2)) = (is_date(ctx, &a[..1]), is_date(ctx, &a[1..2])) else {
        return Ok(Value::Null);
    };
    d1.compute_ymd_hms();
    d2.compute_ymd_hms();
    let sign;
    let (mut y, mut m);
    if d1.i_jd >= d2.i_jd {
        sign = '+';
        y = d1.y - d2.y;
        if y != 0 {
            d2.y = d1.y;
            d2.valid_jd = false;
            d2.compute_jd();
        }
        m = d1.m - d2.m;
        if m < 0 {
            y -= 1;
            m += 12;
        }
        if m != 0 {
            d2.m = d1.m;
            d2.valid_jd = false;
            d2.compute_jd();
        }
        while d1.i_jd < d2.i_jd {
            m -= 1;
            if m < 0 {
                m = 11;
                y -= 1;
            }
            d2.m -= 1;
            if d2.m < 1 {
                d2.m = 12;
                d2.y -= 1;
            }
            d2.valid_jd = false;
            d2.compute_jd();
        }
        d1.i_jd -= d2.i_jd;
    } else {
        sign = '-';
        y = d2.y - d1.y;
        if y != 0 {
            d2.y = d1.y;
            d2.valid_jd = false;
            d2.compute_jd();
        }
        m = d2.m - d1.m;
        if m < 0 {
            y -= 1;
            m += 12;
        }
        if m != 0 {
            d2.m = d1.m;
            d2.valid_jd = false;
            d2.compute_jd();
        }
        while d1.i_jd > d2.i_jd {
            m -= 1;
            if m < 0 {
                m = 11;
                y -= 1;
            }
            d2.m += 1;
            if d2.m > 12 {
                d2.m = 1;
                d2.y += 1;
            }
            d2.valid_jd = false;
            d2.compute_jd();
        }
        d1.i_jd = d2.i_jd - d1.i_jd;
    }
    d1.i_jd += 148_699_540_800_000;
    d1.clear_ymd_hms_tz();
    d1.compute_ymd_hms();
    let head = format!("{sign}");
    let mut out = head.into_bytes();
    pf(
        &mut out,
        "%04d-%02d-%02d %02d:%02d:%06.3f",
        &[
            Value::Integer(i64::from(y)),
            Value::Integer(i64::from(m)),
            Value::Integer(i64::from(d1.d - 1)),
            Value::Integer(i64::from(d1.h)),
            Value::Integer(i64::from(d1.min)),
            Value::Real(d1.s),
        ],
    )?;
    Ok(text_value(std::borrow::Cow::Owned(out)))
}
