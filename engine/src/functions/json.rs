//! `SQLite`'s JSON functions (json1.html) over text JSON, following `json.c` of `SQLite` 3.46.
//!
//! # How values are held
//!
//! A parsed document is a tree of [`Node`]s whose kinds are `SQLite`'s JSONB element types: a
//! number or string keeps the exact text it had in the input (so `json('1e3')` is `1e3`,
//! `json('"\u0041"')` is `"\u0041"`, and large integers keep all their digits), JSON5 forms are
//! kept as such and canonicalised when the document is written out, exactly as `SQLite` writes
//! them (`0x1F` → `31`, `.5` → `0.5`, `Infinity` → `9e999`, `'x'` → `"x"`). Output is
//! minified; object keys keep their order and duplicates.
//!
//! # The JSON subtype: what the executor must do
//!
//! `SQLite` marks text produced by a JSON function with a *subtype*, so that
//! `json_array(json_object('a', 1))` embeds `{"a":1}` as an object rather than as a string.
//! A `&[Value]` cannot carry that mark, so it travels beside the values in [`FnContext`]:
//!
//! 1. Before calling any function, clear [`FnContext::json_result`] and set
//!    [`FnContext::json_args`]: bit `i` is set when argument `i` is *directly* the result of a
//!    function call (or `->` operator) whose call left `json_result` set. Anything else
//!    (a column, a literal, a subquery) has no subtype, as in `SQLite`.
//! 2. After the call, read `json_result` and keep it with the result value for the enclosing
//!    call.
//! 3. Aggregates: call [`Aggregate::step_json`] with the same mask; after `finish`, read
//!    [`Aggregate::result_is_json`].
//! 4. `json_each` / `json_tree`: the `value` column of a row whose `type_` is `"array"` or
//!    `"object"` carries the subtype.
//!
//! The `->` and `->>` operators are the functions `json_arrow` and `json_arrow2` (also
//! registered as `"->"` and `"->>"`); their path may be a JSON path (`'$.a'`), a bare label
//! (`'a'`), an integer (array index) or `'[N]'`.
//!
//! JSONB: the `jsonb_*` functions are not provided. A blob argument whose header has the shape
//! of a JSONB element is read as JSONB, as `SQLite` does (a malformed one is `malformed JSON`
//! where `SQLite` may render what it can); other blobs given as a document are read as JSON text,
//! and other blobs given as a value are `JSON cannot hold BLOB values`.

// Ports of SQLite's C algorithms keep its short variable names (z, n, i, j, e, ...) so that
// they can be read side by side; exact float comparisons are the semantics being copied.
#![allow(clippy::many_single_char_names, clippy::float_cmp)]

use std::borrow::Cow;
use std::fmt::Write as _;

use super::aggregate::Aggregate;
use super::scalar::{cstr, text_value};
use super::FnContext;
use crate::error::{Error, Result};
use crate::sql::coerce::{self, atof, atoi64, format_float, FloatSpec};
use crate::storage::record::Value;

/// `JSON_MAX_DEPTH`.
const MAX_DEPTH: usize = 1000;

/// One JSON element, as a JSONB element of `SQLite` (the names are its type codes).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    True,
    False,
    /// A canonical integer literal (its text).
    Int(String),
    /// A JSON5 hexadecimal integer (`0x..` with an optional `-`).
    Int5(String),
    /// A canonical real literal.
    Float(String),
    /// A JSON5 real (`.5`, `5.`, ...).
    Float5(String),
    /// A string without escapes (the text between the quotes).
    Text(String),
    /// A string with JSON escapes, as written.
    TextJ(String),
    /// A string with JSON5 escapes or characters, as written.
    Text5(String),
    /// A string from SQL, unescaped.
    TextRaw(String),
    Array(Vec<Node>),
    /// Labels and values, alternating.
    Object(Vec<Node>),
}

impl Node {
    fn type_code(&self) -> u8 {
        match self {
            Node::Null => 0,
            Node::True => 1,
            Node::False => 2,
            Node::Int(_) => 3,
            Node::Int5(_) => 4,
            Node::Float(_) => 5,
            Node::Float5(_) => 6,
            Node::Text(_) => 7,
            Node::TextJ(_) => 8,
            Node::Text5(_) => 9,
            Node::TextRaw(_) => 10,
            Node::Array(_) => 11,
            Node::Object(_) => 12,
        }
    }

    fn is_text(&self) -> bool {
        matches!(self, Node::Text(_) | Node::TextJ(_) | Node::Text5(_) | Node::TextRaw(_))
    }

    fn is_container(&self) -> bool {
        matches!(self, Node::Array(_) | Node::Object(_))
    }

    /// The payload text of a scalar (empty for null/true/false and containers).
    fn payload(&self) -> &str {
        match self {
            Node::Int(s)
            | Node::Int5(s)
            | Node::Float(s)
            | Node::Float5(s)
            | Node::Text(s)
            | Node::TextJ(s)
            | Node::Text5(s)
            | Node::TextRaw(s) => s,
            _ => "",
        }
    }

    /// `json_type()` name (`jsonbType[]`).
    fn type_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::True => "true",
            Node::False => "false",
            Node::Int(_) | Node::Int5(_) => "integer",
            Node::Float(_) | Node::Float5(_) => "real",
            Node::Array(_) => "array",
            Node::Object(_) => "object",
            _ => "text",
        }
    }

    /// Whether a label's text is free of escapes (compared bytewise).
    fn is_raw_label(&self) -> bool {
        matches!(self, Node::Text(_) | Node::TextRaw(_))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing (jsonTranslateTextToBlob)
// ---------------------------------------------------------------------------------------------

/// Bytes that may appear in a JSON string without escaping (`jsonIsOk`).
fn json_is_ok(c: u8) -> bool {
    c >= 0x20 && c != b'"' && c != b'\\' && c != b'\''
}

/// `jsonIsspace`: the four JSON whitespace bytes.
fn json_is_space(c: u8) -> bool {
    matches!(c, b'\t' | b'\n' | b'\r' | b' ')
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

/// `sqlite3JsonId1`: letters, `_`, `$` and bytes >= 0x80.
fn json_id1(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

/// `sqlite3JsonId2`: as `json_id1` and digits.
fn json_id2(c: u8) -> bool {
    json_id1(c) || c.is_ascii_digit()
}

fn is_4hex(z: &[u8], i: usize) -> bool {
    (0..4).all(|k| z.get(i + k).is_some_and(u8::is_ascii_hexdigit))
}

fn is_2hex(z: &[u8], i: usize) -> bool {
    (0..2).all(|k| z.get(i + k).is_some_and(u8::is_ascii_hexdigit))
}

fn hex_val(c: u8) -> u32 {
    u32::from(match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => (c.wrapping_add(9 * ((c >> 6) & 1))) & 0xf,
    })
}

/// `json5Whitespace`: the length of JSON5 whitespace and comments at `z[i..]`.
fn json5_whitespace(z: &[u8], i: usize) -> usize {
    let at = |k: usize| z.get(k).copied().unwrap_or(0);
    let mut n = i;
    loop {
        match at(n) {
            0x09..=0x0d | 0x20 => n += 1,
            b'/' => {
                if at(n + 1) == b'*' && at(n + 2) != 0 {
                    let mut j = n + 3;
                    while at(j) != b'/' || at(j - 1) != b'*' {
                        if at(j) == 0 {
                            return n - i;
                        }
                        j += 1;
                    }
                    n = j + 1;
                } else if at(n + 1) == b'/' {
                    let mut j = n + 2;
                    loop {
                        let c = at(j);
                        if c == 0 || c == b'\n' || c == b'\r' {
                            break;
                        }
                        if c == 0xe2
                            && at(j + 1) == 0x80
                            && (at(j + 2) == 0xa8 || at(j + 2) == 0xa9)
                        {
                            j += 2;
                            break;
                        }
                        j += 1;
                    }
                    n = j;
                    if at(n) != 0 {
                        n += 1;
                    }
                } else {
                    return n - i;
                }
            }
            0xc2 if at(n + 1) == 0xa0 => n += 2,
            0xe1 if at(n + 1) == 0x9a && at(n + 2) == 0x80 => n += 3,
            0xe2 => {
                if at(n + 1) == 0x80 {
                    let c = at(n + 2);
                    if c < 0x80 {
                        return n - i;
                    }
                    if c <= 0x8a || c == 0xa8 || c == 0xa9 || c == 0xaf {
                        n += 3;
                    } else {
                        return n - i;
                    }
                } else if at(n + 1) == 0x81 && at(n + 2) == 0x9f {
                    n += 3;
                } else {
                    return n - i;
                }
            }
            0xe3 if at(n + 1) == 0x80 && at(n + 2) == 0x80 => n += 3,
            0xef if at(n + 1) == 0xbb && at(n + 2) == 0xbf => n += 3,
            _ => return n - i,
        }
    }
}

/// The parse of one JSON text.
struct Parser<'a> {
    z: &'a [u8],
    i_err: usize,
    depth: usize,
    has_nonstd: bool,
}

/// What `translate` found at a position: a value (and where it ends) or one of the structural
/// codes of `jsonTranslateTextToBlob`.
enum Step {
    Value(Node, usize),
    Eof,
    Error,
    CloseBrace,
    CloseBracket,
    Comma,
    Colon,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.z.get(i).copied().unwrap_or(0)
    }

    fn slice(&self, a: usize, b: usize) -> String {
        String::from_utf8_lossy(&self.z[a.min(self.z.len())..b.min(self.z.len())]).into_owned()
    }

    fn strspn_spaces(&self, mut j: usize) -> usize {
        while json_is_space(self.at(j)) {
            j += 1;
        }
        j
    }

    #[allow(clippy::too_many_lines)]
    fn translate(&mut self, mut i: usize) -> Step {
        loop {
            let c = self.at(i);
            match c {
                b'{' => return self.object(i),
                b'[' => return self.array(i),
                b'\'' | b'"' => return self.string(i),
                b't' => {
                    if self.z[i..].starts_with(b"true") && !is_alnum(self.at(i + 4)) {
                        return Step::Value(Node::True, i + 4);
                    }
                    self.i_err = i;
                    return Step::Error;
                }
                b'f' => {
                    if self.z[i..].starts_with(b"false") && !is_alnum(self.at(i + 5)) {
                        return Step::Value(Node::False, i + 5);
                    }
                    self.i_err = i;
                    return Step::Error;
                }
                b'+' | b'.' | b'-' | b'0'..=b'9' => return self.number(i),
                b'}' => {
                    self.i_err = i;
                    return Step::CloseBrace;
                }
                b']' => {
                    self.i_err = i;
                    return Step::CloseBracket;
                }
                b',' => {
                    self.i_err = i;
                    return Step::Comma;
                }
                b':' => {
                    self.i_err = i;
                    return Step::Colon;
                }
                0 => return Step::Eof,
                0x09 | 0x0a | 0x0d | 0x20 => {
                    i = self.strspn_spaces(i + 1);
                }
                0x0b | 0x0c | b'/' | 0xc2 | 0xe1 | 0xe2 | 0xe3 | 0xef => {
                    let j = json5_whitespace(self.z, i);
                    if j > 0 {
                        i += j;
                        self.has_nonstd = true;
                    } else {
                        self.i_err = i;
                        return Step::Error;
                    }
                }
                _ => {
                    if c == b'n' && self.z[i..].starts_with(b"null") && !is_alnum(self.at(i + 4)) {
                        return Step::Value(Node::Null, i + 4);
                    }
                    // NaN and Infinity, in any case.
                    let names: [(&[u8], bool); 5] = [
                        (b"inf", true),
                        (b"infinity", true),
                        (b"nan", false),
                        (b"qnan", false),
                        (b"snan", false),
                    ];
                    for (name, is_inf) in names {
                        let n = name.len();
                        if self.z.len() >= i + n
                            && self.z[i..i + n].eq_ignore_ascii_case(name)
                            && !is_alnum(self.at(i + n))
                        {
                            self.has_nonstd = true;
                            let node =
                                if is_inf { Node::Float("9e999".into()) } else { Node::Null };
                            return Step::Value(node, i + n);
                        }
                    }
                    self.i_err = i;
                    return Step::Error;
                }
            }
        }
    }

    fn object(&mut self, i: usize) -> Step {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.i_err = i;
            return Step::Error;
        }
        let mut items: Vec<Node> = Vec::new();
        let mut j = i + 1;
        loop {
            // The label.
            let (label, x) = match self.translate(j) {
                Step::Value(n, x) => (n, x),
                Step::CloseBrace => {
                    j = self.i_err;
                    if !items.is_empty() {
                        self.has_nonstd = true;
                    }
                    break;
                }
                other => {
                    let was_error = matches!(other, Step::Error);
                    j += json5_whitespace(self.z, j);
                    let mut textj = false;
                    let first = self.at(j);
                    let esc = |p: &Self, k: usize| {
                        p.at(k) == b'\\' && p.at(k + 1) == b'u' && is_4hex(p.z, k + 2)
                    };
                    if json_id1(first) || esc(self, j) {
                        if esc(self, j) {
                            textj = true;
                        }
                        let mut k = j + 1;
                        loop {
                            if json_id2(self.at(k)) && json5_whitespace(self.z, k) == 0 {
                                k += 1;
                            } else if esc(self, k) {
                                textj = true;
                                k += 1;
                            } else {
                                break;
                            }
                        }
                        let text = self.slice(j, k);
                        self.has_nonstd = true;
                        (if textj { Node::TextJ(text) } else { Node::Text(text) }, k)
                    } else {
                        if !was_error {
                            self.i_err = j;
                        }
                        return Step::Error;
                    }
                }
            };
            if !label.is_text() {
                self.i_err = j;
                return Step::Error;
            }
            items.push(label);
            j = x;
            let mut have_colon = false;
            if self.at(j) == b':' {
                j += 1;
                have_colon = true;
            } else if json_is_space(self.at(j)) {
                j = self.strspn_spaces(j);
                if self.at(j) == b':' {
                    j += 1;
                    have_colon = true;
                }
            }
            if !have_colon {
                match self.translate(j) {
                    Step::Colon => j = self.i_err + 1,
                    Step::Error => return Step::Error,
                    _ => {
                        self.i_err = j;
                        return Step::Error;
                    }
                }
            }
            // The value.
            match self.translate(j) {
                Step::Value(n, x) => {
                    items.push(n);
                    j = x;
                }
                Step::Error => return Step::Error,
                _ => {
                    self.i_err = j;
                    return Step::Error;
                }
            }
            match self.at(j) {
                b',' => {
                    j += 1;
                    continue;
                }
                b'}' => break,
                _ => {}
            }
            if json_is_space(self.at(j)) {
                j = self.strspn_spaces(j + 1);
                match self.at(j) {
                    b',' => {
                        j += 1;
                        continue;
                    }
                    b'}' => break,
                    _ => {}
                }
            }
            match self.translate(j) {
                Step::Comma => {
                    j = self.i_err + 1;
                    continue;
                }
                Step::CloseBrace => {
                    j = self.i_err;
                    break;
                }
                _ => {}
            }
            self.i_err = j;
            return Step::Error;
        }
        self.depth -= 1;
        Step::Value(Node::Object(items), j + 1)
    }

    fn array(&mut self, i: usize) -> Step {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.i_err = i;
            return Step::Error;
        }
        let mut items: Vec<Node> = Vec::new();
        let mut j = i + 1;
        loop {
            match self.translate(j) {
                Step::Value(n, x) => {
                    items.push(n);
                    j = x;
                }
                Step::CloseBracket => {
                    j = self.i_err;
                    if !items.is_empty() {
                        self.has_nonstd = true;
                    }
                    break;
                }
                Step::Error => return Step::Error,
                _ => {
                    self.i_err = j;
                    return Step::Error;
                }
            }
            match self.at(j) {
                b',' => {
                    j += 1;
                    continue;
                }
                b']' => break,
                _ => {}
            }
            if json_is_space(self.at(j)) {
                j = self.strspn_spaces(j + 1);
                match self.at(j) {
                    b',' => {
                        j += 1;
                        continue;
                    }
                    b']' => break,
                    _ => {}
                }
            }
            match self.translate(j) {
                Step::Comma => {
                    j = self.i_err + 1;
                    continue;
                }
                Step::CloseBracket => {
                    j = self.i_err;
                    break;
                }
                _ => {}
            }
            self.i_err = j;
            return Step::Error;
        }
        self.depth -= 1;
        Step::Value(Node::Array(items), j + 1)
    }

    fn string(&mut self, i: usize) -> Step {
        let delim = self.at(i);
        if delim == b'\'' {
            self.has_nonstd = true;
        }
        // 0 plain, 1 JSON escapes, 2 JSON5
        let mut kind = 0u8;
        let mut j = i + 1;
        loop {
            let c = self.at(j);
            if json_is_ok(c) {
                j += 1;
                continue;
            }
            if c == delim {
                break;
            }
            if c == b'\\' {
                j += 1;
                let c = self.at(j);
                if matches!(c, b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')
                    || (c == b'u' && is_4hex(self.z, j + 1))
                {
                    if kind == 0 {
                        kind = 1;
                    }
                } else if c == b'\''
                    || c == b'0'
                    || c == b'v'
                    || c == b'\n'
                    || (c == 0xe2
                        && self.at(j + 1) == 0x80
                        && (self.at(j + 2) == 0xa8 || self.at(j + 2) == 0xa9))
                    || (c == b'x' && is_2hex(self.z, j + 1))
                {
                    kind = 2;
                    self.has_nonstd = true;
                } else if c == b'\r' {
                    if self.at(j + 1) == b'\n' {
                        j += 1;
                    }
                    kind = 2;
                    self.has_nonstd = true;
                } else {
                    self.i_err = j;
                    return Step::Error;
                }
            } else if c <= 0x1f {
                if c == 0 {
                    self.i_err = j;
                    return Step::Error;
                }
                kind = 2;
                self.has_nonstd = true;
            } else if c == b'"' {
                kind = 2;
            }
            j += 1;
        }
        let text = self.slice(i + 1, j);
        let node = match kind {
            0 => Node::Text(text),
            1 => Node::TextJ(text),
            _ => Node::Text5(text),
        };
        Step::Value(node, j + 1)
    }

    #[allow(clippy::too_many_lines)]
    fn number(&mut self, i: usize) -> Step {
        let c0 = self.at(i);
        // bit 0: JSON5, bit 1: float
        let mut t: u8 = 0;
        let mut j;
        let mut seen_e = false;
        let finish = |p: &mut Self, i: usize, j: usize, t: u8| -> Step {
            let start = if p.at(i) == b'+' { i + 1 } else { i };
            let text = p.slice(start, j);
            let node = match t {
                0 => Node::Int(text),
                1 => Node::Int5(text),
                2 => Node::Float(text),
                _ => Node::Float5(text),
            };
            Step::Value(node, j)
        };
        if c0 == b'+' {
            self.has_nonstd = true;
        }
        if c0 == b'.' {
            if self.at(i + 1).is_ascii_digit() {
                self.has_nonstd = true;
                t = 0x03;
                j = i + 1;
                return self.number_tail(i, j, t, seen_e, finish);
            }
            self.i_err = i;
            return Step::Error;
        }
        if c0 <= b'0' {
            if c0 == b'0' {
                if (self.at(i + 1) == b'x' || self.at(i + 1) == b'X')
                    && self.at(i + 2).is_ascii_hexdigit()
                {
                    self.has_nonstd = true;
                    j = i + 3;
                    while self.at(j).is_ascii_hexdigit() {
                        j += 1;
                    }
                    return finish(self, i, j, 0x01);
                } else if self.at(i + 1).is_ascii_digit() {
                    self.i_err = i + 1;
                    return Step::Error;
                }
            } else {
                // '+' or '-'
                if !self.at(i + 1).is_ascii_digit() {
                    let c1 = self.at(i + 1);
                    if (c1 == b'I' || c1 == b'i')
                        && self.z.len() >= i + 4
                        && self.z[i + 1..i + 4].eq_ignore_ascii_case(b"inf")
                    {
                        self.has_nonstd = true;
                        let node = Node::Float(if c0 == b'-' { "-9e999" } else { "9e999" }.into());
                        let long = self.z.len() >= i + 9
                            && self.z[i + 4..i + 9].eq_ignore_ascii_case(b"inity");
                        return Step::Value(node, i + if long { 9 } else { 4 });
                    }
                    if c1 == b'.' {
                        self.has_nonstd = true;
                        t |= 0x01;
                        return self.number_tail(i, i + 1, t, seen_e, finish);
                    }
                    self.i_err = i;
                    return Step::Error;
                }
                if self.at(i + 1) == b'0' {
                    if self.at(i + 2).is_ascii_digit() {
                        self.i_err = i + 1;
                        return Step::Error;
                    } else if (self.at(i + 2) == b'x' || self.at(i + 2) == b'X')
                        && self.at(i + 3).is_ascii_hexdigit()
                    {
                        self.has_nonstd = true;
                        j = i + 4;
                        while self.at(j).is_ascii_hexdigit() {
                            j += 1;
                        }
                        return finish(self, i, j, t | 0x01);
                    }
                }
            }
        }
        seen_e = false;
        self.number_tail(i, i + 1, t, seen_e, finish)
    }

    /// `parse_number_2` of `jsonTranslateTextToBlob`: digits, `.` and an exponent from `j`.
    fn number_tail(
        &mut self,
        i: usize,
        j0: usize,
        mut t: u8,
        mut seen_e: bool,
        finish: impl Fn(&mut Self, usize, usize, u8) -> Step,
    ) -> Step {
        let mut j = j0;
        loop {
            let c = self.at(j);
            if c.is_ascii_digit() {
                j += 1;
                continue;
            }
            if c == b'.' {
                if t & 0x02 != 0 {
                    self.i_err = j;
                    return Step::Error;
                }
                t |= 0x02;
                j += 1;
                continue;
            }
            if c == b'e' || c == b'E' {
                if self.at(j - 1) < b'0' {
                    if self.at(j - 1) == b'.' && j >= i + 2 && self.at(j - 2).is_ascii_digit() {
                        self.has_nonstd = true;
                        t |= 0x01;
                    } else {
                        self.i_err = j;
                        return Step::Error;
                    }
                }
                if seen_e {
                    self.i_err = j;
                    return Step::Error;
                }
                t |= 0x02;
                seen_e = true;
                let mut c = self.at(j + 1);
                if c == b'+' || c == b'-' {
                    j += 1;
                    c = self.at(j + 1);
                }
                if !c.is_ascii_digit() {
                    self.i_err = j;
                    return Step::Error;
                }
                j += 1;
                continue;
            }
            break;
        }
        if self.at(j - 1) < b'0' {
            if self.at(j - 1) == b'.' && j >= i + 2 && self.at(j - 2).is_ascii_digit() {
                self.has_nonstd = true;
                t |= 0x01;
            } else {
                self.i_err = j;
                return Step::Error;
            }
        }
        finish(self, i, j, t)
    }
}

/// A parsed document: the tree, whether it used JSON5, or where parsing failed.
struct Parsed {
    node: Option<Node>,
    has_nonstd: bool,
    i_err: usize,
}

/// `jsonConvertTextToBlob`: parses a whole JSON text (up to a NUL byte).
fn parse_text(text: &[u8]) -> Parsed {
    let z = cstr(text);
    let mut p = Parser { z, i_err: 0, depth: 0, has_nonstd: false };
    match p.translate(0) {
        Step::Value(node, mut i) => {
            while json_is_space(p.at(i)) {
                i += 1;
            }
            if p.at(i) != 0 {
                i += json5_whitespace(z, i);
                if p.at(i) != 0 {
                    return Parsed { node: None, has_nonstd: p.has_nonstd, i_err: p.i_err };
                }
                p.has_nonstd = true;
            }
            Parsed { node: Some(node), has_nonstd: p.has_nonstd, i_err: 0 }
        }
        _ => Parsed { node: None, has_nonstd: p.has_nonstd, i_err: p.i_err },
    }
}

fn malformed() -> Error {
    Error::Sql("malformed JSON".into())
}

fn bad_path(path: &[u8]) -> Error {
    let mut q = String::new();
    super::scalar::quote_value(&mut q, &Value::Text(String::from_utf8_lossy(path).into_owned()));
    Error::Sql(format!("bad JSON path: {q}"))
}

/// `jsonFuncArgMightBeBinary`: whether a blob has the outer shape of a JSONB element (its
/// header describes exactly its length).
fn looks_like_jsonb(b: &[u8]) -> bool {
    let Some(&first) = b.first() else { return false };
    if first & 0x0f > 12 {
        return false;
    }
    match checked_payload_size(b, 0) {
        Some((n, sz)) => n + sz == b.len() && !(first & 0x0f <= 2 && sz > 0),
        None => false,
    }
}

/// `jsonbPayloadSize` with bounds checks: header length and payload size at `i`.
fn checked_payload_size(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let x = *b.get(i)? >> 4;
    let byte = |k: usize| b.get(i + k).map(|&c| usize::from(c));
    let (n, sz) = match x {
        0..=11 => (1, usize::from(x)),
        12 => (2, byte(1)?),
        13 => (3, (byte(1)? << 8) | byte(2)?),
        14 => (5, (byte(1)? << 24) | (byte(2)? << 16) | (byte(3)? << 8) | byte(4)?),
        _ => {
            if (1..=4).any(|k| byte(k) != Some(0)) {
                return None;
            }
            (9, (byte(5)? << 24) | (byte(6)? << 16) | (byte(7)? << 8) | byte(8)?)
        }
    };
    (i + n + sz <= b.len()).then_some((n, sz))
}

/// Decodes a JSONB element given by the caller (a blob argument); `None` if it is malformed.
fn decode_checked(b: &[u8], i: usize, depth: usize) -> Option<Node> {
    if depth > MAX_DEPTH {
        return None;
    }
    let (n, sz) = checked_payload_size(b, i)?;
    let start = i + n;
    let text = || String::from_utf8_lossy(&b[start..start + sz]).into_owned();
    Some(match b[i] & 0x0f {
        0 => Node::Null,
        1 => Node::True,
        2 => Node::False,
        3 => Node::Int(text()),
        4 => Node::Int5(text()),
        5 => Node::Float(text()),
        6 => Node::Float5(text()),
        7 => Node::Text(text()),
        8 => Node::TextJ(text()),
        9 => Node::Text5(text()),
        10 => Node::TextRaw(text()),
        t @ (11 | 12) => {
            let mut items = Vec::new();
            let mut j = start;
            while j < start + sz {
                let (cn, cs) = checked_payload_size(b, j)?;
                if j + cn + cs > start + sz {
                    return None;
                }
                items.push(decode_checked(&b[..start + sz], j, depth + 1)?);
                j += cn + cs;
            }
            if t == 11 {
                Node::Array(items)
            } else {
                if items.len() % 2 == 1 || items.iter().step_by(2).any(|l| !l.is_text()) {
                    return None;
                }
                Node::Object(items)
            }
        }
        _ => return None,
    })
}

/// The node of a JSONB-looking blob, or `malformed JSON`.
fn jsonb_node(b: &[u8]) -> Result<Node> {
    decode_checked(b, 0, 0).ok_or_else(malformed)
}

/// `jsonParseFuncArg`: the document in a function's JSON argument; `Ok(None)` for NULL. A blob
/// that looks like JSONB is read as JSONB; other blobs as JSON text.
fn parse_arg(v: &Value) -> Result<Option<Node>> {
    if matches!(v, Value::Null) {
        return Ok(None);
    }
    if let Value::Blob(b) = v {
        if looks_like_jsonb(b) {
            return jsonb_node(b).map(Some);
        }
    }
    let b = coerce::text_bytes(v);
    if b.is_empty() {
        return Err(malformed());
    }
    parse_text(&b).node.map(Some).ok_or_else(malformed)
}

// ---------------------------------------------------------------------------------------------
// Output (jsonTranslateBlobToText, jsonAppendString)
// ---------------------------------------------------------------------------------------------

fn append_control_char(out: &mut String, c: u8) {
    match c {
        8 => out.push_str("\\b"),
        9 => out.push_str("\\t"),
        10 => out.push_str("\\n"),
        12 => out.push_str("\\f"),
        13 => out.push_str("\\r"),
        _ => {
            out.push_str("\\u00");
            out.push(char::from(b"0123456789abcdef"[usize::from(c >> 4)]));
            out.push(char::from(b"0123456789abcdef"[usize::from(c & 15)]));
        }
    }
}

/// `jsonAppendString`: `s` as a JSON string literal.
fn append_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => append_control_char(out, c as u8),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes `node` as minified JSON text.
fn render(out: &mut String, node: &Node) {
    match node {
        Node::Null => out.push_str("null"),
        Node::True => out.push_str("true"),
        Node::False => out.push_str("false"),
        Node::Int(s) | Node::Float(s) => out.push_str(s),
        Node::Int5(s) => {
            let b = s.as_bytes();
            let mut k = 2;
            if b.first() == Some(&b'-') {
                out.push('-');
                k += 1;
            } else if b.first() == Some(&b'+') {
                k += 1;
            }
            let mut u: u64 = 0;
            let mut overflow = false;
            for &c in &b[k.min(b.len())..] {
                if u >> 60 != 0 {
                    overflow = true;
                } else {
                    u = u * 16 + u64::from(hex_val(c));
                }
            }
            if overflow {
                out.push_str("9.0e999");
            } else {
                out.push_str(&u.to_string());
            }
        }
        Node::Float5(s) => {
            let b = s.as_bytes();
            let mut o: Vec<u8> = Vec::with_capacity(b.len() + 2);
            let mut k = 0;
            if b.first() == Some(&b'-') {
                o.push(b'-');
                k = 1;
            }
            if b.get(k) == Some(&b'.') {
                o.push(b'0');
            }
            while k < b.len() {
                o.push(b[k]);
                if b[k] == b'.' && (k + 1 == b.len() || !b[k + 1].is_ascii_digit()) {
                    o.push(b'0');
                }
                k += 1;
            }
            out.push_str(&String::from_utf8_lossy(&o));
        }
        Node::Text(s) | Node::TextJ(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Node::Text5(s) => render_text5(out, s),
        Node::TextRaw(s) => append_string(out, s),
        Node::Array(items) => {
            out.push('[');
            for (k, n) in items.iter().enumerate() {
                if k > 0 {
                    out.push(',');
                }
                render(out, n);
            }
            out.push(']');
        }
        Node::Object(items) => {
            out.push('{');
            for (k, n) in items.iter().enumerate() {
                if k > 0 {
                    out.push(if k % 2 == 1 { ':' } else { ',' });
                }
                render(out, n);
            }
            out.push('}');
        }
    }
}

/// A JSON5 string rewritten as canonical JSON (the `JSONB_TEXT5` case).
fn render_text5(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut bytes: Vec<u8> = Vec::with_capacity(b.len() + 2);
    bytes.push(b'"');
    let mut k = 0;
    while k < b.len() {
        let c = b[k];
        if json_is_ok(c) || c == b'\'' {
            bytes.push(c);
            k += 1;
            continue;
        }
        if c == b'"' {
            bytes.extend_from_slice(b"\\\"");
            k += 1;
            continue;
        }
        if c <= 0x1f {
            let mut t = String::new();
            append_control_char(&mut t, c);
            bytes.extend_from_slice(t.as_bytes());
            k += 1;
            continue;
        }
        // A backslash escape.
        let next = b.get(k + 1).copied().unwrap_or(0);
        match next {
            b'\'' => bytes.push(b'\''),
            b'v' => bytes.extend_from_slice(b"\\u0009"),
            b'x' => {
                bytes.extend_from_slice(b"\\u00");
                bytes.extend_from_slice(&b[(k + 2).min(b.len())..(k + 4).min(b.len())]);
                k += 2;
            }
            b'0' => bytes.extend_from_slice(b"\\u0000"),
            b'\r' => {
                if b.get(k + 2) == Some(&b'\n') {
                    k += 1;
                }
            }
            b'\n' => {}
            0xe2 => k += 2,
            _ => bytes.extend_from_slice(&b[k..(k + 2).min(b.len())]),
        }
        k += 2;
    }
    bytes.push(b'"');
    out.push_str(&String::from_utf8_lossy(&bytes));
}

fn to_text(node: &Node) -> String {
    let mut s = String::new();
    render(&mut s, node);
    s
}

/// `jsonUnescapeOneChar`: the character of the escape at `z[0..]` (`z[0]` is `\`) and its
/// length; `None` for an invalid one.
fn unescape_one(z: &[u8]) -> (Option<u32>, usize) {
    let n = z.len();
    if n < 2 {
        return (None, n);
    }
    match z[1] {
        b'u' => {
            if n < 6 {
                return (None, n);
            }
            let v = (2..6).fold(0u32, |a, k| (a << 4) | hex_val(z[k]));
            if v & 0xfc00 == 0xd800 && n >= 12 && z[6] == b'\\' && z[7] == b'u' {
                let lo = (8..12).fold(0u32, |a, k| (a << 4) | hex_val(z[k]));
                if lo & 0xfc00 == 0xdc00 {
                    return (Some(((v & 0x3ff) << 10) + (lo & 0x3ff) + 0x10000), 12);
                }
            }
            (Some(v), 6)
        }
        b'b' => (Some(8), 2),
        b'f' => (Some(12), 2),
        b'n' => (Some(10), 2),
        b'r' => (Some(13), 2),
        b't' => (Some(9), 2),
        b'v' => (Some(11), 2),
        b'0' => (Some(0), 2),
        b'\'' | b'"' | b'/' | b'\\' => (Some(u32::from(z[1])), 2),
        b'x' => {
            if n < 4 {
                return (None, n);
            }
            (Some((hex_val(z[2]) << 4) | hex_val(z[3])), 4)
        }
        0xe2 | b'\r' | b'\n' => {
            let skip = bytes_to_bypass(z);
            if skip == 0 {
                (None, n)
            } else if skip == n {
                (Some(0), n)
            } else if z[skip] == b'\\' {
                let (c, l) = unescape_one(&z[skip..]);
                (c, skip + l)
            } else {
                let rest = std::str::from_utf8(&z[skip..])
                    .ok()
                    .or_else(|| std::str::from_utf8(&z[skip..(skip + 4).min(n)]).ok());
                let ch = rest.and_then(|s| s.chars().next()).unwrap_or('\u{fffd}');
                (Some(u32::from(ch)), skip + ch.len_utf8())
            }
        }
        _ => (None, 2),
    }
}

/// `jsonBytesToBypass`: escaped line continuations at the start of `z`.
fn bytes_to_bypass(z: &[u8]) -> usize {
    let n = z.len();
    let mut i = 0;
    while i + 1 < n {
        if z[i] != b'\\' {
            return i;
        }
        if z[i + 1] == b'\n' {
            i += 2;
            continue;
        }
        if z[i + 1] == b'\r' {
            i += if i + 2 < n && z[i + 2] == b'\n' { 3 } else { 2 };
            continue;
        }
        if z[i + 1] == 0xe2
            && i + 3 < n
            && z[i + 2] == 0x80
            && (z[i + 3] == 0xa8 || z[i + 3] == 0xa9)
        {
            i += 4;
            continue;
        }
        break;
    }
    i
}

/// Appends code point `v` as UTF-8 bytes the way `SQLite` does (surrogates included).
fn push_utf8(out: &mut Vec<u8>, v: u32) {
    if v <= 0x7f {
        out.push(v as u8);
    } else if v <= 0x7ff {
        out.push(0xc0 | (v >> 6) as u8);
        out.push(0x80 | (v & 0x3f) as u8);
    } else if v < 0x10000 {
        out.push(0xe0 | (v >> 12) as u8);
        out.push(0x80 | ((v >> 6) & 0x3f) as u8);
        out.push(0x80 | (v & 0x3f) as u8);
    } else {
        out.push(0xf0 | (v >> 18) as u8);
        out.push(0x80 | ((v >> 12) & 0x3f) as u8);
        out.push(0x80 | ((v >> 6) & 0x3f) as u8);
        out.push(0x80 | (v & 0x3f) as u8);
    }
}

/// The unescaped text of a JSON string payload.
fn unescape(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    if !b.contains(&b'\\') {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let (c, len) = unescape_one(&b[i..]);
            if let Some(c) = c {
                push_utf8(&mut out, c);
            }
            i += len.max(1);
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    match text_value(Cow::Owned(out)) {
        Value::Text(t) => Cow::Owned(t),
        _ => Cow::Borrowed(""),
    }
}

/// `jsonReturnFromBlob`: the SQL value of a node (containers as JSON text).
fn node_value(node: &Node) -> Result<Value> {
    Ok(match node {
        Node::Null => Value::Null,
        Node::True => Value::Integer(1),
        Node::False => Value::Integer(0),
        Node::Int(s) | Node::Int5(s) => {
            let (neg, body) = match s.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, s.as_str()),
            };
            if body.is_empty() {
                return Err(malformed());
            }
            match dec_or_hex_to_i64(body.as_bytes()) {
                (v, 0) => Value::Integer(if neg { v.wrapping_neg() } else { v }),
                (_, 3) if neg => Value::Integer(i64::MIN),
                (_, 1) => return Err(malformed()),
                _ => {
                    let (r, rc) = atof(s.as_bytes());
                    if rc <= 0 {
                        return Err(malformed());
                    }
                    Value::Real(r)
                }
            }
        }
        Node::Float(s) | Node::Float5(s) => {
            let (r, rc) = atof(s.as_bytes());
            if rc <= 0 {
                return Err(malformed());
            }
            Value::Real(r)
        }
        Node::Text(s) | Node::TextRaw(s) => Value::Text(s.clone()),
        Node::TextJ(s) | Node::Text5(s) => Value::Text(unescape(s).into_owned()),
        Node::Array(_) | Node::Object(_) => Value::Text(to_text(node)),
    })
}

/// `sqlite3DecOrHexToI64`.
fn dec_or_hex_to_i64(z: &[u8]) -> (i64, i32) {
    if z.len() >= 2 && z[0] == b'0' && (z[1] == b'x' || z[1] == b'X') {
        let mut i = 2;
        while z.get(i) == Some(&b'0') {
            i += 1;
        }
        let mut u: u64 = 0;
        let mut k = i;
        while k < z.len() && z[k].is_ascii_hexdigit() {
            u = u.wrapping_mul(16).wrapping_add(u64::from(hex_val(z[k])));
            k += 1;
        }
        if k - i > 16 {
            return (u as i64, 2);
        }
        if k < z.len() {
            return (u as i64, 1);
        }
        return (u as i64, 0);
    }
    let mut n = z.iter().take_while(|c| b"+- \n\t0123456789".contains(c)).count();
    if n < z.len() {
        n += 1;
    }
    atoi64(&z[..n])
}

// ---------------------------------------------------------------------------------------------
// Paths (jsonLookupStep)
// ---------------------------------------------------------------------------------------------

/// A failed lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LookupErr {
    NotFound,
    PathError,
}

/// What to do at the end of a path.
#[derive(Debug, Clone)]
enum Edit {
    Del,
    Repl(Node),
    Ins(Node),
    Set(Node),
}

impl Edit {
    fn inserts(&self) -> Option<&Node> {
        match self {
            Edit::Ins(n) | Edit::Set(n) => Some(n),
            _ => None,
        }
    }
}

/// One parsed step of a path: `.key` (raw or quoted) or `[index]`.
enum PathStep<'p> {
    Key { key: &'p [u8], raw: bool, rest: &'p [u8] },
    Index { index: IndexSpec, rest: &'p [u8] },
}

#[derive(Clone, Copy)]
enum IndexSpec {
    At(u32),
    /// `#` minus this many.
    FromEnd(u32),
}

/// Parses the next step of `path` (which is not empty).
fn next_step(path: &[u8]) -> std::result::Result<PathStep<'_>, LookupErr> {
    let at = |i: usize| path.get(i).copied().unwrap_or(0);
    match at(0) {
        b'.' => {
            let p = &path[1..];
            if p.first() == Some(&b'"') {
                let Some(end) = p[1..].iter().position(|&c| c == b'"') else {
                    return Err(LookupErr::PathError);
                };
                let key = &p[1..=end];
                Ok(PathStep::Key { key, raw: !key.contains(&b'\\'), rest: &p[end + 2..] })
            } else {
                let n = p.iter().position(|&c| c == b'.' || c == b'[').unwrap_or(p.len());
                if n == 0 {
                    return Err(LookupErr::PathError);
                }
                Ok(PathStep::Key { key: &p[..n], raw: true, rest: &p[n..] })
            }
        }
        b'[' => {
            let mut k: u32 = 0;
            let mut i = 1;
            while at(i).is_ascii_digit() {
                k = k.wrapping_mul(10).wrapping_add(u32::from(at(i) - b'0'));
                i += 1;
            }
            if i < 2 || at(i) != b']' {
                if at(1) == b'#' {
                    i = 2;
                    let mut spec = IndexSpec::FromEnd(0);
                    if at(2) == b'-' && at(3).is_ascii_digit() {
                        let mut nn: u32 = 0;
                        i = 3;
                        while at(i).is_ascii_digit() {
                            nn = nn.wrapping_mul(10).wrapping_add(u32::from(at(i) - b'0'));
                            i += 1;
                        }
                        spec = IndexSpec::FromEnd(nn);
                    }
                    if at(i) != b']' {
                        return Err(LookupErr::PathError);
                    }
                    return Ok(PathStep::Index { index: spec, rest: &path[i + 1..] });
                }
                return Err(LookupErr::PathError);
            }
            Ok(PathStep::Index { index: IndexSpec::At(k), rest: &path[i + 1..] })
        }
        _ => Err(LookupErr::PathError),
    }
}

/// `jsonLabelCompare`: whether a path key equals an object label, escapes decoded.
fn label_eq(key: &[u8], raw_key: bool, label: &Node) -> bool {
    let lab = label.payload().as_bytes();
    let raw_label = label.is_raw_label();
    if raw_key && raw_label {
        return key == lab;
    }
    let next = |z: &[u8], raw: bool| -> (u32, usize) {
        if z.is_empty() {
            return (0, 0);
        }
        if raw || z[0] != b'\\' {
            if z[0] >= 0xc0 {
                let len = match z[0] {
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    _ => 4,
                }
                .min(z.len());
                let c = std::str::from_utf8(&z[..len])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map_or(0xfffd, u32::from);
                (c, len)
            } else {
                (u32::from(z[0]), 1)
            }
        } else {
            let (c, n) = unescape_one(z);
            (c.unwrap_or(0x99999), n.max(1))
        }
    };
    let (mut a, mut b) = (key, lab);
    loop {
        let (ca, na) = next(a, raw_key);
        let (cb, nb) = next(b, raw_label);
        if ca != cb {
            return false;
        }
        if ca == 0 {
            return true;
        }
        a = &a[na.min(a.len())..];
        b = &b[nb.min(b.len())..];
    }
}

/// Read-only lookup of `path` (after the `$`) from `node`.
fn lookup<'n>(node: &'n Node, path: &[u8]) -> std::result::Result<&'n Node, LookupErr> {
    if path.is_empty() {
        return Ok(node);
    }
    // As jsonLookupStep: "[" on a non-array is "not found" before the index is parsed.
    if path[0] == b'[' && !matches!(node, Node::Array(_)) {
        return Err(LookupErr::NotFound);
    }
    match next_step(path)? {
        PathStep::Key { key, raw, rest } => {
            let Node::Object(items) = node else { return Err(LookupErr::NotFound) };
            for pair in items.chunks(2) {
                if label_eq(key, raw, &pair[0]) {
                    return lookup(&pair[1], rest);
                }
            }
            Err(LookupErr::NotFound)
        }
        PathStep::Index { index, rest } => {
            let Node::Array(items) = node else { return Err(LookupErr::NotFound) };
            let k = match index {
                IndexSpec::At(k) => k as usize,
                IndexSpec::FromEnd(nn) => {
                    let n = items.len();
                    if nn as usize > n {
                        return Err(LookupErr::NotFound);
                    }
                    n - nn as usize
                }
            };
            match items.get(k) {
                Some(child) => lookup(child, rest),
                None => Err(LookupErr::NotFound),
            }
        }
    }
}

/// `jsonCreateEditSubstructure`: what to insert for the rest of a path that does not exist.
fn create_substructure(rest: &[u8], edit: &Edit) -> std::result::Result<Node, LookupErr> {
    let Some(value) = edit.inserts() else { return Err(LookupErr::NotFound) };
    if rest.is_empty() {
        return Ok(value.clone());
    }
    let mut node = if rest[0] == b'.' { Node::Object(Vec::new()) } else { Node::Array(Vec::new()) };
    edit_lookup(&mut node, rest, edit)?;
    Ok(node)
}

/// Lookup of `path` in `node` applying `edit` where it ends (the root itself is handled by the
/// callers). `Ok` if the path was found (or created).
fn edit_lookup(node: &mut Node, path: &[u8], edit: &Edit) -> std::result::Result<(), LookupErr> {
    if path.first() == Some(&b'[') && !matches!(node, Node::Array(_)) {
        return Err(LookupErr::NotFound);
    }
    match next_step(path)? {
        PathStep::Key { key, raw, rest } => {
            let Node::Object(items) = node else { return Err(LookupErr::NotFound) };
            let mut found = None;
            for (k, pair) in items.chunks(2).enumerate() {
                if label_eq(key, raw, &pair[0]) {
                    found = Some(2 * k);
                    break;
                }
            }
            if let Some(li) = found {
                if rest.is_empty() {
                    match edit {
                        Edit::Del => {
                            items.drain(li..li + 2);
                        }
                        Edit::Ins(_) => {}
                        Edit::Repl(n) | Edit::Set(n) => items[li + 1] = n.clone(),
                    }
                    return Ok(());
                }
                return edit_lookup(&mut items[li + 1], rest, edit);
            }
            if edit.inserts().is_some() {
                let key = String::from_utf8_lossy(key).into_owned();
                let label = if raw { Node::TextRaw(key) } else { Node::Text5(key) };
                let value = create_substructure(rest, edit)?;
                items.push(label);
                items.push(value);
                return Ok(());
            }
            Err(LookupErr::NotFound)
        }
        PathStep::Index { index, rest } => {
            let Node::Array(items) = node else { return Err(LookupErr::NotFound) };
            let n = items.len();
            let k = match index {
                IndexSpec::At(k) => k as usize,
                IndexSpec::FromEnd(nn) => {
                    if nn as usize > n {
                        return Err(LookupErr::NotFound);
                    }
                    n - nn as usize
                }
            };
            if k < n {
                if rest.is_empty() {
                    match edit {
                        Edit::Del => {
                            items.remove(k);
                        }
                        Edit::Ins(_) => {}
                        Edit::Repl(v) | Edit::Set(v) => items[k] = v.clone(),
                    }
                    return Ok(());
                }
                return edit_lookup(&mut items[k], rest, edit);
            }
            if k > n {
                return Err(LookupErr::NotFound);
            }
            if edit.inserts().is_some() {
                let value = create_substructure(rest, edit)?;
                items.push(value);
                return Ok(());
            }
            Err(LookupErr::NotFound)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SQL values into JSON (jsonAppendSqlValue, jsonFunctionArgToBlob)
// ---------------------------------------------------------------------------------------------

fn blob_error() -> Error {
    Error::Sql("JSON cannot hold BLOB values".into())
}

/// `jsonAppendSqlValue`: appends SQL value `v` as JSON (`is_json`: it carries the subtype).
fn append_sql_value(out: &mut String, v: &Value, is_json: bool) -> Result<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Integer(i) => out.push_str(&i.to_string()),
        Value::Real(r) => {
            let spec = FloatSpec { zero_pad: true, ..FloatSpec::generic15() };
            format_float(out, *r, &spec);
        }
        Value::Text(s) => {
            if is_json {
                out.push_str(s);
            } else {
                append_string(out, s);
            }
        }
        Value::Blob(b) => {
            if !looks_like_jsonb(b) {
                return Err(blob_error());
            }
            render(out, &jsonb_node(b)?);
        }
    }
    Ok(())
}

/// `jsonFunctionArgToBlob`: the node a value becomes when inserted into a document.
fn value_node(v: &Value, is_json: bool) -> Result<Node> {
    Ok(match v {
        Value::Null => Node::Null,
        Value::Integer(i) => Node::Int(i.to_string()),
        Value::Real(r) => {
            let t = coerce::real_to_text(*r);
            if t.starts_with('I') {
                Node::Float("9e999".into())
            } else if t.starts_with("-I") {
                Node::Float("-9e999".into())
            } else {
                Node::Float(t)
            }
        }
        Value::Text(s) => {
            if is_json {
                parse_text(s.as_bytes()).node.ok_or_else(malformed)?
            } else {
                Node::TextRaw(s.clone())
            }
        }
        Value::Blob(b) => {
            if !looks_like_jsonb(b) {
                return Err(blob_error());
            }
            jsonb_node(b)?
        }
    })
}

fn json_out(ctx: &mut FnContext, s: String) -> Value {
    ctx.json_result = true;
    Value::Text(s)
}

// ---------------------------------------------------------------------------------------------
// The scalar functions
// ---------------------------------------------------------------------------------------------

/// `json(X)`: X minified, JSON5 made canonical.
pub fn json(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    Ok(match parse_arg(&a[0])? {
        None => Value::Null,
        Some(n) => json_out(ctx, to_text(&n)),
    })
}

/// `json_array(V...)`.
pub fn json_array(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    let mut s = String::from("[");
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        append_sql_value(&mut s, v, ctx.arg_is_json(i))?;
    }
    s.push(']');
    Ok(json_out(ctx, s))
}

/// `json_object(LABEL, VALUE, ...)`.
pub fn json_object(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    if a.len() % 2 == 1 {
        return Err(Error::Sql("json_object() requires an even number of arguments".into()));
    }
    let mut s = String::from("{");
    for i in (0..a.len()).step_by(2) {
        let Value::Text(label) = &a[i] else {
            return Err(Error::Sql("json_object() labels must be TEXT".into()));
        };
        if i > 0 {
            s.push(',');
        }
        append_string(&mut s, label);
        s.push(':');
        append_sql_value(&mut s, &a[i + 1], ctx.arg_is_json(i + 1))?;
    }
    s.push('}');
    Ok(json_out(ctx, s))
}

/// `json_quote(X)`: X as a JSON value.
pub fn json_quote(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    let mut s = String::new();
    append_sql_value(&mut s, &a[0], ctx.arg_is_json(0))?;
    Ok(json_out(ctx, s))
}

/// `json_array_length(X [, PATH])`.
pub fn json_array_length(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let Some(doc) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    let mut node = &doc;
    if a.len() == 2 {
        let Some(p) = coerce::to_text(&a[1]) else { return Ok(Value::Null) };
        let pb = cstr(p.as_bytes());
        let path: &[u8] = if pb.first() == Some(&b'$') { &pb[1..] } else { b"@" };
        match lookup(&doc, path) {
            Ok(n) => node = n,
            Err(LookupErr::NotFound) => return Ok(Value::Null),
            Err(LookupErr::PathError) => return Err(bad_path(pb)),
        }
    }
    Ok(Value::Integer(match node {
        Node::Array(items) => items.len() as i64,
        _ => 0,
    }))
}

/// How `json_extract` and the arrows return what they find.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExtractMode {
    /// `json_extract`: SQL values; arrays and objects as JSON.
    Extract,
    /// `->`: always JSON text.
    Json,
    /// `->>`: always SQL values.
    Sql,
}

fn extract(ctx: &mut FnContext, a: &[Value], mode: ExtractMode) -> Result<Value> {
    if a.len() < 2 {
        return Ok(Value::Null);
    }
    let Some(doc) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    let multi = a.len() > 2;
    let mut arr = String::from("[");
    for (k, pv) in a[1..].iter().enumerate() {
        let Some(ptext) = coerce::to_text(pv) else { return Ok(Value::Null) };
        let pb = cstr(ptext.as_bytes());
        let built: Vec<u8>;
        let path: &[u8] = if pb.first() == Some(&b'$') {
            &pb[1..]
        } else if mode != ExtractMode::Extract {
            built = if matches!(pv, Value::Integer(_)) {
                [b"[", pb, b"]"].concat()
            } else if pb.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_') {
                [b".", pb].concat()
            } else if pb.first() == Some(&b'[') && pb.len() >= 3 && pb.last() == Some(&b']') {
                pb.to_vec()
            } else {
                [b".\"", pb, b"\""].concat()
            };
            &built
        } else {
            return Err(bad_path(pb));
        };
        match lookup(&doc, path) {
            Ok(node) => {
                if multi {
                    if k > 0 {
                        arr.push(',');
                    }
                    render(&mut arr, node);
                } else {
                    return Ok(match mode {
                        ExtractMode::Json => json_out(ctx, to_text(node)),
                        ExtractMode::Sql => node_value(node)?,
                        ExtractMode::Extract => {
                            if node.is_container() {
                                ctx.json_result = true;
                            }
                            node_value(node)?
                        }
                    });
                }
            }
            Err(LookupErr::NotFound) => {
                if !multi {
                    return Ok(Value::Null);
                }
                if k > 0 {
                    arr.push(',');
                }
                arr.push_str("null");
            }
            Err(LookupErr::PathError) => return Err(bad_path(pb)),
        }
    }
    arr.push(']');
    Ok(json_out(ctx, arr))
}

/// `json_extract(X, PATH...)`: one path gives an SQL value (arrays and objects as JSON text);
/// several give a JSON array of the values (`null` for missing ones).
pub fn json_extract(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    extract(ctx, a, ExtractMode::Extract)
}

/// `X -> PATH`: the JSON text of the value at PATH.
pub fn json_arrow(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    extract(ctx, a, ExtractMode::Json)
}

/// `X ->> PATH`: the SQL value at PATH.
pub fn json_arrow2(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    extract(ctx, a, ExtractMode::Sql)
}

fn insert_into(ctx: &mut FnContext, a: &[Value], name: &str, kind: u8) -> Result<Value> {
    if a.is_empty() {
        return Ok(Value::Null);
    }
    if a.len() % 2 == 0 {
        return Err(Error::Sql(format!("json_{name}() needs an odd number of arguments")));
    }
    let Some(mut doc) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    for i in (1..a.len() - 1).step_by(2) {
        let Some(p) = coerce::to_text(&a[i]) else { continue };
        let pb = cstr(p.as_bytes());
        if pb.first() != Some(&b'$') {
            return Err(bad_path(pb));
        }
        let value = value_node(&a[i + 1], ctx.arg_is_json(i + 1))?;
        if pb.len() == 1 {
            if kind != b'i' {
                doc = value;
            }
            continue;
        }
        let edit = match kind {
            b'i' => Edit::Ins(value),
            b'r' => Edit::Repl(value),
            _ => Edit::Set(value),
        };
        match edit_lookup(&mut doc, &pb[1..], &edit) {
            Ok(()) | Err(LookupErr::NotFound) => {}
            Err(LookupErr::PathError) => return Err(bad_path(pb)),
        }
    }
    Ok(json_out(ctx, to_text(&doc)))
}

/// `json_insert(X, PATH, VALUE, ...)`: adds values where the paths do not exist yet.
pub fn json_insert(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    insert_into(ctx, a, "insert", b'i')
}

/// `json_replace(X, PATH, VALUE, ...)`: overwrites values where the paths exist.
pub fn json_replace(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    insert_into(ctx, a, "replace", b'r')
}

/// `json_set(X, PATH, VALUE, ...)`: inserts or overwrites.
pub fn json_set(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    insert_into(ctx, a, "set", b's')
}

/// `json_remove(X, PATH...)`: X without the elements at the paths; NULL for `'$'`.
pub fn json_remove(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    if a.is_empty() {
        return Ok(Value::Null);
    }
    let Some(mut doc) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    for pv in &a[1..] {
        let Some(p) = coerce::to_text(pv) else { return Ok(Value::Null) };
        let pb = cstr(p.as_bytes());
        if pb.first() != Some(&b'$') {
            return Err(bad_path(pb));
        }
        if pb.len() == 1 {
            return Ok(Value::Null);
        }
        match edit_lookup(&mut doc, &pb[1..], &Edit::Del) {
            Ok(()) | Err(LookupErr::NotFound) => {}
            Err(LookupErr::PathError) => return Err(bad_path(pb)),
        }
    }
    Ok(json_out(ctx, to_text(&doc)))
}

/// RFC 7396 merge (`jsonMergePatch`).
fn merge_patch(target: &mut Node, patch: &Node) {
    let Node::Object(pitems) = patch else {
        *target = patch.clone();
        return;
    };
    if !matches!(target, Node::Object(_)) {
        *target = Node::Object(Vec::new());
    }
    let Node::Object(titems) = target else { return };
    for pair in pitems.chunks(2) {
        let (plabel, pvalue) = (&pair[0], &pair[1]);
        let pkey = plabel.payload().as_bytes();
        let found =
            titems.chunks(2).position(|t| label_eq_labels(pkey, plabel.is_raw_label(), &t[0]));
        if let Some(k) = found {
            if matches!(pvalue, Node::Null) {
                titems.drain(2 * k..2 * k + 2);
            } else {
                merge_patch(&mut titems[2 * k + 1], pvalue);
            }
        } else if !matches!(pvalue, Node::Null) {
            titems.push(plabel.clone());
            if let Node::Object(_) = pvalue {
                let mut sub = Node::Object(Vec::new());
                merge_patch(&mut sub, pvalue);
                titems.push(sub);
            } else {
                titems.push(pvalue.clone());
            }
        }
    }
}

fn label_eq_labels(key: &[u8], raw: bool, label: &Node) -> bool {
    label_eq(key, raw, label)
}

/// `json_patch(T, P)`: RFC 7396 `MergePatch` of P into T.
pub fn json_patch(ctx: &mut FnContext, a: &[Value]) -> Result<Value> {
    let Some(mut target) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    let Some(patch) = parse_arg(&a[1])? else { return Ok(Value::Null) };
    merge_patch(&mut target, &patch);
    Ok(json_out(ctx, to_text(&target)))
}

/// `json_type(X [, PATH])`.
pub fn json_type(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let Some(doc) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    let mut node = &doc;
    if a.len() == 2 {
        let Some(p) = coerce::to_text(&a[1]) else { return Ok(Value::Null) };
        let pb = cstr(p.as_bytes());
        if pb.first() != Some(&b'$') {
            return Err(bad_path(pb));
        }
        match lookup(&doc, &pb[1..]) {
            Ok(n) => node = n,
            Err(LookupErr::NotFound) => return Ok(Value::Null),
            Err(LookupErr::PathError) => return Err(bad_path(pb)),
        }
    }
    Ok(Value::Text(node.type_name().into()))
}

/// `json_valid(X [, FLAGS])`: 1 if X is well-formed JSON (flag 1, RFC 8259) or JSON5 (flag 2);
/// JSONB flags (4, 8) accept no text.
pub fn json_valid(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let mut flags = 1i64;
    if a.len() == 2 {
        let f = coerce::to_integer(&a[1]);
        if !(1..=15).contains(&f) {
            return Err(Error::Sql(
                "FLAGS parameter to json_valid() must be between 1 and 15".into(),
            ));
        }
        flags = f;
    }
    if matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    if let Value::Blob(b) = &a[0] {
        if looks_like_jsonb(b) {
            let ok = flags & 4 != 0 || (flags & 8 != 0 && decode_checked(b, 0, 0).is_some());
            return Ok(Value::Integer(i64::from(ok)));
        }
    }
    if flags.trailing_zeros() >= 2 {
        return Ok(Value::Integer(0));
    }
    let b = coerce::text_bytes(&a[0]);
    if b.is_empty() {
        return Ok(Value::Integer(0));
    }
    let p = parse_text(&b);
    Ok(Value::Integer(i64::from(p.node.is_some() && (flags & 2 != 0 || !p.has_nonstd))))
}

/// `json_error_position(X)`: 0 if X is well-formed, else the 1-based character position of the
/// first error.
pub fn json_error_position(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    if matches!(a[0], Value::Null) {
        return Ok(Value::Null);
    }
    let b = coerce::text_bytes(&a[0]);
    let p = parse_text(&b);
    if p.node.is_some() {
        return Ok(Value::Integer(0));
    }
    let z = cstr(&b);
    let upto = p.i_err.min(z.len());
    let chars = z[..upto].iter().filter(|&&c| c & 0xc0 != 0x80).count();
    Ok(Value::Integer(chars as i64 + 1))
}

fn render_pretty(out: &mut String, node: &Node, indent: &str, level: usize) {
    let pad = |out: &mut String, n: usize| {
        for _ in 0..n {
            out.push_str(indent);
        }
    };
    match node {
        Node::Array(items) => {
            out.push('[');
            if !items.is_empty() {
                out.push('\n');
                for (k, n) in items.iter().enumerate() {
                    pad(out, level + 1);
                    render_pretty(out, n, indent, level + 1);
                    if k + 1 < items.len() {
                        out.push_str(",\n");
                    }
                }
                out.push('\n');
                pad(out, level);
            }
            out.push(']');
        }
        Node::Object(items) => {
            out.push('{');
            if !items.is_empty() {
                out.push('\n');
                let pairs = items.len() / 2;
                for (k, pair) in items.chunks(2).enumerate() {
                    pad(out, level + 1);
                    render(out, &pair[0]);
                    out.push_str(": ");
                    if let Some(v) = pair.get(1) {
                        render_pretty(out, v, indent, level + 1);
                    }
                    if k + 1 < pairs {
                        out.push_str(",\n");
                    }
                }
                out.push('\n');
                pad(out, level);
            }
            out.push('}');
        }
        other => render(out, other),
    }
}

/// `json_pretty(X [, INDENT])`: X indented (four spaces by default).
pub fn json_pretty(_: &mut FnContext, a: &[Value]) -> Result<Value> {
    let Some(doc) = parse_arg(&a[0])? else { return Ok(Value::Null) };
    let indent = match a.get(1) {
        None | Some(Value::Null) => "    ".to_string(),
        Some(v) => {
            let b = coerce::text_bytes(v);
            String::from_utf8_lossy(cstr(&b)).into_owned()
        }
    };
    let mut s = String::new();
    render_pretty(&mut s, &doc, &indent, 0);
    Ok(Value::Text(s))
}

// ---------------------------------------------------------------------------------------------
// Aggregates
// ---------------------------------------------------------------------------------------------

/// `json_group_array(X)`: a JSON array of the values (NULL included); `[]` for no rows.
#[derive(Debug, Default)]
pub struct JsonGroupArray {
    buf: String,
}

impl Aggregate for JsonGroupArray {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        self.step_json(args, 0)
    }

    fn step_json(&mut self, args: &[Value], json_args: u64) -> Result<()> {
        if !self.buf.is_empty() {
            self.buf.push(',');
        }
        append_sql_value(&mut self.buf, &args[0], json_args & 1 != 0)
    }

    fn finish(&mut self) -> Result<Value> {
        Ok(Value::Text(format!("[{}]", std::mem::take(&mut self.buf))))
    }

    fn value(&self) -> Result<Value> {
        Ok(Value::Text(format!("[{}]", self.buf)))
    }

    fn result_is_json(&self) -> bool {
        true
    }
}

/// `json_group_object(NAME, VALUE)`: a JSON object of the pairs; `{}` for no rows.
#[derive(Debug, Default)]
pub struct JsonGroupObject {
    buf: String,
}

impl Aggregate for JsonGroupObject {
    fn step(&mut self, args: &[Value]) -> Result<()> {
        self.step_json(args, 0)
    }

    fn step_json(&mut self, args: &[Value], json_args: u64) -> Result<()> {
        if !self.buf.is_empty() {
            self.buf.push(',');
        }
        // A NULL name appends nothing (SQLite writes `{:value}` then).
        if let Some(name) = coerce::to_text(&args[0]) {
            let name = String::from_utf8_lossy(cstr(name.as_bytes())).into_owned();
            append_string(&mut self.buf, &name);
        }
        self.buf.push(':');
        append_sql_value(&mut self.buf, &args[1], json_args & 2 != 0)
    }

    fn finish(&mut self) -> Result<Value> {
        Ok(Value::Text(format!("{{{}}}", std::mem::take(&mut self.buf))))
    }

    fn value(&self) -> Result<Value> {
        Ok(Value::Text(format!("{{{}}}", self.buf)))
    }

    fn result_is_json(&self) -> bool {
        true
    }
}

// ---------------------------------------------------------------------------------------------
// json_each / json_tree
// ---------------------------------------------------------------------------------------------

/// One row of `json_each` / `json_tree` (the columns of their virtual table, without the hidden
/// `json` and `root`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonEachRow {
    /// The array index or object label of the element (NULL for the top element).
    pub key: Value,
    /// The element's SQL value; arrays and objects as JSON text (carrying the JSON subtype).
    pub value: Value,
    /// `null`, `true`, `false`, `integer`, `real`, `text`, `array` or `object`.
    pub type_: &'static str,
    /// The SQL value for scalars, NULL for arrays and objects.
    pub atom: Value,
    /// The element's offset in `SQLite`'s JSONB encoding of the document (its label's offset for
    /// an object member), as `SQLite` reports it.
    pub id: i64,
    /// The `id` of the containing element (`json_tree` only; NULL otherwise and at the top).
    pub parent: Value,
    /// The full path of the element (`$.a[2]`).
    pub fullkey: String,
    /// The path of the containing element.
    pub path: String,
}

/// Size in bytes of a JSONB header for a payload of `sz` bytes.
fn header_len(sz: usize) -> usize {
    match sz {
        0..=11 => 1,
        12..=0xff => 2,
        0x100..=0xffff => 3,
        _ => 5,
    }
}

/// Encodes `node` as `SQLite`'s JSONB (so that offsets are `SQLite`'s).
fn encode(node: &Node, out: &mut Vec<u8>) {
    let mut payload = Vec::new();
    match node {
        Node::Array(items) | Node::Object(items) => {
            for n in items {
                encode(n, &mut payload);
            }
        }
        other => payload.extend_from_slice(other.payload().as_bytes()),
    }
    let t = node.type_code();
    let sz = payload.len();
    match header_len(sz) {
        1 => out.push(t | ((sz as u8) << 4)),
        2 => {
            out.push(t | 0xc0);
            out.push(sz as u8);
        }
        3 => {
            out.push(t | 0xd0);
            out.extend_from_slice(&(sz as u16).to_be_bytes());
        }
        _ => {
            out.push(t | 0xe0);
            out.extend_from_slice(&(sz as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(&payload);
}

/// `jsonbPayloadSize`: header length and payload size of the element at `i`.
fn payload_size(b: &[u8], i: usize) -> (usize, usize) {
    let Some(&x) = b.get(i) else { return (0, 0) };
    let get = |k: usize| usize::from(b.get(i + k).copied().unwrap_or(0));
    match x >> 4 {
        s @ 0..=11 => (1, usize::from(s)),
        12 => (2, get(1)),
        13 => (3, (get(1) << 8) | get(2)),
        _ => (5, (get(1) << 24) | (get(2) << 16) | (get(3) << 8) | get(4)),
    }
}

/// Decodes the element at `i` of a JSONB blob made by [`encode`].
fn decode(b: &[u8], i: usize) -> Node {
    let (n, sz) = payload_size(b, i);
    let start = i + n;
    let text = || String::from_utf8_lossy(&b[start..start + sz]).into_owned();
    match b[i] & 0x0f {
        0 => Node::Null,
        1 => Node::True,
        2 => Node::False,
        3 => Node::Int(text()),
        4 => Node::Int5(text()),
        5 => Node::Float(text()),
        6 => Node::Float5(text()),
        7 => Node::Text(text()),
        8 => Node::TextJ(text()),
        9 => Node::Text5(text()),
        10 => Node::TextRaw(text()),
        t => {
            let mut items = Vec::new();
            let mut j = start;
            while j < start + sz {
                items.push(decode(b, j));
                let (hn, hs) = payload_size(b, j);
                j += hn + hs;
            }
            if t == 11 {
                Node::Array(items)
            } else {
                Node::Object(items)
            }
        }
    }
}

/// Read-only `jsonLookupStep` over the blob: the offset of the element and of its label (0 if
/// it is not an object member).
fn blob_lookup(
    b: &[u8],
    root: usize,
    path: &[u8],
    label: usize,
) -> std::result::Result<(usize, usize), LookupErr> {
    if path.is_empty() {
        return Ok((root, label));
    }
    let (n, sz) = payload_size(b, root);
    if path[0] == b'[' && b[root] & 0x0f != 11 {
        return Err(LookupErr::NotFound);
    }
    match next_step(path)? {
        PathStep::Key { key, raw, rest } => {
            if b[root] & 0x0f != 12 {
                return Err(LookupErr::NotFound);
            }
            let mut j = root + n;
            let end = j + sz;
            while j < end {
                let lab = decode(b, j);
                let (ln, ls) = payload_size(b, j);
                let v = j + ln + ls;
                if label_eq(key, raw, &lab) {
                    return blob_lookup(b, v, rest, j);
                }
                let (vn, vs) = payload_size(b, v);
                j = v + vn + vs;
            }
            Err(LookupErr::NotFound)
        }
        PathStep::Index { index, rest } => {
            if b[root] & 0x0f != 11 {
                return Err(LookupErr::NotFound);
            }
            let mut kids = Vec::new();
            let mut j = root + n;
            while j < root + n + sz {
                kids.push(j);
                let (cn, cs) = payload_size(b, j);
                j += cn + cs;
            }
            let k = match index {
                IndexSpec::At(k) => k as usize,
                IndexSpec::FromEnd(nn) => {
                    if nn as usize > kids.len() {
                        return Err(LookupErr::NotFound);
                    }
                    kids.len() - nn as usize
                }
            };
            match kids.get(k) {
                Some(&c) => blob_lookup(b, c, rest, 0),
                None => Err(LookupErr::NotFound),
            }
        }
    }
}

/// A container being walked (`JsonParent`).
struct Parent {
    i_head: usize,
    i_value: usize,
    i_end: usize,
    n_path: usize,
    i_key: i64,
}

/// The cursor of the `json_each` virtual table (`JsonEachCursor`).
struct EachCursor<'a> {
    b: &'a [u8],
    i: usize,
    i_end: usize,
    n_root: usize,
    e_type: u8,
    recursive: bool,
    parents: Vec<Parent>,
    path: String,
    rowid: i64,
}

impl EachCursor<'_> {
    fn skip_label(&self) -> usize {
        if self.e_type == 12 {
            let (n, sz) = payload_size(self.b, self.i);
            self.i + n + sz
        } else {
            self.i
        }
    }

    /// `jsonAppendPathName`.
    fn append_path_name(&mut self) {
        if self.e_type == 11 {
            let k = self.parents.last().map_or(0, |p| p.i_key);
            let _ = write!(self.path, "[{k}]");
        } else {
            let (n, sz) = payload_size(self.b, self.i);
            let z = &self.b[self.i + n..self.i + n + sz];
            let need_quote = z.is_empty()
                || !z[0].is_ascii_alphabetic()
                || z.iter().any(|c| !c.is_ascii_alphanumeric());
            let z = String::from_utf8_lossy(z);
            if need_quote {
                let _ = write!(self.path, ".\"{z}\"");
            } else {
                self.path.push('.');
                self.path.push_str(&z);
            }
        }
    }

    /// `jsonEachNext`.
    fn next(&mut self) {
        if self.recursive {
            let mut level_change = false;
            let i = self.skip_label();
            let x = self.b[i] & 0x0f;
            let (n, sz) = payload_size(self.b, i);
            if x == 11 || x == 12 {
                level_change = true;
                let parent = Parent {
                    i_head: self.i,
                    i_value: i,
                    i_end: i + n + sz,
                    n_path: self.path.len(),
                    i_key: -1,
                };
                if self.e_type != 0 && !self.parents.is_empty() {
                    self.append_path_name();
                }
                self.parents.push(parent);
                self.i = i + n;
            } else {
                self.i = i + n + sz;
            }
            while let Some(p) = self.parents.last() {
                if self.i < p.i_end {
                    break;
                }
                let p = self.parents.pop().expect("checked above");
                self.path.truncate(p.n_path);
                level_change = true;
            }
            if level_change {
                self.e_type = self.parents.last().map_or(0, |p| self.b[p.i_value] & 0x0f);
            }
        } else {
            let i = self.skip_label();
            let (n, sz) = payload_size(self.b, i);
            self.i = i + n + sz;
        }
        if self.e_type == 11 {
            if let Some(p) = self.parents.last_mut() {
                p.i_key += 1;
            }
        }
        self.rowid += 1;
    }

    /// `jsonEachPathLength`.
    fn path_length(&self) -> usize {
        let z = self.path.as_bytes();
        let mut n = z.len();
        if self.rowid == 0 && self.recursive && n >= 2 {
            while n > 1 {
                n -= 1;
                if z[n] == b'[' || z[n] == b'.' {
                    let Ok((x, _)) = blob_lookup(self.b, 0, &z[1..n], 0) else { continue };
                    let (hn, _) = payload_size(self.b, x);
                    if x + hn == self.i {
                        break;
                    }
                }
            }
        }
        n
    }

    fn row(&mut self) -> Result<JsonEachRow> {
        let vi = self.skip_label();
        let vnode = decode(self.b, vi);
        let key = if self.parents.is_empty() {
            if self.n_root == 1 {
                Value::Null
            } else {
                let j = self.path_length();
                let n = self.n_root.saturating_sub(j);
                let z = self.path.as_bytes();
                if n == 0 {
                    Value::Null
                } else if z[j] == b'[' {
                    Value::Integer(atoi64(&z[j + 1..j + n]).0)
                } else if z.get(j + 1) == Some(&b'"') {
                    text_value(Cow::Borrowed(
                        &z[(j + 2).min(j + n)..(j + n).saturating_sub(1).max(j + 2)],
                    ))
                } else {
                    text_value(Cow::Borrowed(&z[j + 1..j + n]))
                }
            }
        } else if self.e_type == 12 {
            node_value(&decode(self.b, self.i))?
        } else {
            Value::Integer(self.parents.last().map_or(0, |p| p.i_key))
        };
        let value = node_value(&vnode)?;
        let atom = if vnode.is_container() { Value::Null } else { value.clone() };
        let parent = match self.parents.last() {
            Some(p) if self.recursive => Value::Integer(p.i_head as i64),
            _ => Value::Null,
        };
        let base = self.path.len();
        if !self.parents.is_empty() {
            self.append_path_name();
        }
        let fullkey = self.path.clone();
        self.path.truncate(base);
        let path = self.path[..self.path_length()].to_string();
        Ok(JsonEachRow {
            key,
            value,
            type_: vnode.type_name(),
            atom,
            id: self.i as i64,
            parent,
            fullkey,
            path,
        })
    }
}

/// The rows of `json_each(json [, path])` (`recursive == false`) or `json_tree(json [, path])`
/// (`recursive == true`), in `SQLite`'s order. A NULL document gives no rows; a path not found
/// gives no rows; a malformed document is `malformed JSON`; a path that does not start with `$`
/// or is not a valid path is `bad JSON path: '...'`.
pub fn json_each(json: &Value, path: Option<&str>, recursive: bool) -> Result<Vec<JsonEachRow>> {
    if matches!(json, Value::Null) {
        return Ok(Vec::new());
    }
    let doc = match json {
        Value::Blob(b) if looks_like_jsonb(b) => jsonb_node(b)?,
        other => {
            let text = coerce::text_bytes(other);
            parse_text(&text).node.ok_or_else(malformed)?
        }
    };
    let mut b = Vec::new();
    encode(&doc, &mut b);
    let mut cur = EachCursor {
        b: &b,
        i: 0,
        i_end: 0,
        n_root: 1,
        e_type: 0,
        recursive,
        parents: Vec::new(),
        path: String::new(),
        rowid: 0,
    };
    let mut i = 0;
    match path {
        Some(root) => {
            let rb = cstr(root.as_bytes());
            if rb.first() != Some(&b'$') {
                return Err(bad_path(rb));
            }
            cur.n_root = rb.len();
            if rb.len() > 1 {
                match blob_lookup(&b, 0, &rb[1..], 0) {
                    Ok((found, label)) => {
                        i = found;
                        if label != 0 {
                            cur.i = label;
                            cur.e_type = 12;
                        } else {
                            cur.i = found;
                            cur.e_type = 11;
                        }
                    }
                    Err(LookupErr::NotFound) => return Ok(Vec::new()),
                    Err(LookupErr::PathError) => return Err(bad_path(rb)),
                }
            }
            cur.path = String::from_utf8_lossy(rb).into_owned();
        }
        None => cur.path.push('$'),
    }
    let (n, sz) = payload_size(&b, i);
    cur.i_end = i + n + sz;
    if b[i] & 0x0f >= 11 && !recursive {
        cur.i = i + n;
        cur.e_type = b[i] & 0x0f;
        cur.parents.push(Parent {
            i_head: cur.i,
            i_value: i,
            i_end: cur.i_end,
            n_path: 0,
            i_key: 0,
        });
    }
    let mut rows = Vec::new();
    while cur.i < cur.i_end {
        rows.push(cur.row()?);
        cur.next();
    }
    Ok(rows)
}
