//! `SQLite`'s record format — the bytes of every table row and index key — and the order of values
//! that index B-trees, `ORDER BY` and comparisons use.
//!
//! # Record format (fileformat2.html, "Record Format")
//!
//! ```text
//! +-------------+----------+----------+-----+-----------+-----------+-----+
//! | header size | serial 0 | serial 1 | ... | content 0 | content 1 | ... |
//! |   varint    |  varint  |  varint  |     |  n0 bytes |  n1 bytes |     |
//! +-------------+----------+----------+-----+-----------+-----------+-----+
//! |<---------- header size bytes ---------->|<---------- body ----------->|
//! ```
//!
//! The header size counts its own varint. Each serial type says how the column's content is
//! stored:
//!
//! ```text
//! serial type    content bytes   value
//! 0              0               NULL
//! 1 2 3 4 5 6    1 2 3 4 6 8     big-endian two's-complement integer
//! 7              8               big-endian IEEE 754 f64
//! 8              0               integer 0   (schema format 4)
//! 9              0               integer 1   (schema format 4)
//! 10, 11         -               reserved for `SQLite`'s internal use: corrupt in a file
//! N >= 12, even  (N-12)/2        BLOB
//! N >= 13, odd   (N-13)/2        TEXT, in the database encoding (UTF-8 here), not validated
//! ```
//!
//! Encoding picks the smallest integer type, as `SQLite` does; a NaN real is stored as NULL and a
//! stored NaN decodes as NULL (`SQLite` never lets a NaN exist as a value).
//!
//! Records come from disk and are untrusted. A header size outside the payload, a serial-type
//! varint that runs past the header, a reserved serial type, content that runs past the payload
//! or (for a whole-record parse) a body that does not end exactly at the payload's end are all
//! [`Error::Corrupt`]; nothing here panics or allocates more than the bytes actually present.
//!
//! # Order of values (datatype3.html, "Comparison Expressions", "Collating Sequences")
//!
//! NULL < INTEGER and REAL (compared by numeric value, exactly, as `sqlite3IntFloatCompare`) <
//! TEXT (by collating sequence) < BLOB (`memcmp`, then the shorter first). The collations are
//! BINARY (`memcmp`), NOCASE (only ASCII `A`–`Z` folded) and RTRIM (BINARY ignoring trailing
//! spaces). A [`KeyInfo`] gives each key column its collation and direction.
//!
//! ```
//! use std::cmp::Ordering;
//! use embedlite::storage::record::{
//!     compare_record_to_key, decode_record, encode_record, KeyInfo, RecordView, Value, ValueRef,
//! };
//!
//! let mut rec = Vec::new();
//! encode_record(&[Value::Integer(7), Value::Text("seven".into())], &mut rec);
//! assert_eq!(decode_record(&rec)?, [Value::Integer(7), Value::Text("seven".into())]);
//!
//! let view = RecordView::parse(&rec)?;
//! assert_eq!(view.get(1)?, ValueRef::Text(b"seven"));
//! assert_eq!(view.get(5)?, ValueRef::Null); // past the end: NULL, as `SQLite` reads short records
//!
//! let probe = [ValueRef::Integer(7)];
//! assert_eq!(compare_record_to_key(&rec, &probe, &KeyInfo::binary())?, Ordering::Equal);
//! # Ok::<(), embedlite::Error>(())
//! ```

use std::cmp::Ordering;
use std::fmt;

use crate::error::{Error, Result};
use crate::storage::format::{get_u16, get_u32, get_varint, put_varint, varint_len};

/// An owned SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit IEEE float; never NaN once it has been through a record.
    Real(f64),
    /// Text. Text read from a file with invalid UTF-8 was converted lossily; use [`ValueRef`] to
    /// see the raw bytes.
    Text(String),
    /// A byte string.
    Blob(Vec<u8>),
}

/// A borrowed SQL value, usually pointing into a record's bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit IEEE float.
    Real(f64),
    /// Text as raw bytes: UTF-8 by the database encoding, but possibly invalid, as `SQLite` allows.
    Text(&'a [u8]),
    /// A byte string.
    Blob(&'a [u8]),
}

impl Value {
    /// Borrows this value.
    #[must_use]
    #[inline]
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

impl ValueRef<'_> {
    /// Copies this value out; invalid UTF-8 in text becomes U+FFFD.
    // `&self` although `ValueRef` is `Copy`: with a by-value receiver, `(&v).to_owned()` would
    // resolve to `ToOwned::to_owned` and quietly return a `ValueRef`.
    #[allow(clippy::wrong_self_convention)]
    #[must_use]
    pub fn to_owned(&self) -> Value {
        match *self {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    /// Stores this value into `dst`, in place when `dst` holds a value of the same kind (a
    /// text or blob reuses its buffer).
    #[inline]
    pub fn store_into(&self, dst: &mut Value) {
        match (*self, dst) {
            (ValueRef::Integer(i), Value::Integer(x)) => *x = i,
            (ValueRef::Real(r), Value::Real(x)) => *x = r,
            (ValueRef::Text(t), Value::Text(s)) => {
                s.clear();
                s.push_str(&String::from_utf8_lossy(t));
            }
            (ValueRef::Blob(b), Value::Blob(v)) => {
                v.clear();
                v.extend_from_slice(b);
            }
            (v, dst) => *dst = v.to_owned(),
        }
    }
}

/// A collating sequence: how two TEXT values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Collation {
    /// `memcmp` of the bytes, then the shorter first.
    #[default]
    Binary,
    /// Like BINARY after folding ASCII `A`–`Z` to lower case (no other characters are folded).
    NoCase,
    /// Like BINARY with trailing spaces (U+0020 only) ignored.
    Rtrim,
}

impl Collation {
    /// The collation named `name` (`BINARY`, `NOCASE`, `RTRIM`, in any case), if it is built in.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Collation> {
        if name.eq_ignore_ascii_case("binary") {
            Some(Collation::Binary)
        } else if name.eq_ignore_ascii_case("nocase") {
            Some(Collation::NoCase)
        } else if name.eq_ignore_ascii_case("rtrim") {
            Some(Collation::Rtrim)
        } else {
            None
        }
    }
}

/// How the columns of an index key compare, like `SQLite`'s `KeyInfo`.
///
/// Entry `i` of each vector describes key column `i`; columns past the end of a vector are
/// BINARY and ascending.
#[derive(Debug, Clone, Default)]
pub struct KeyInfo {
    /// The collation of each key column.
    pub collations: Vec<Collation>,
    /// Whether each key column sorts descending.
    pub desc: Vec<bool>,
}

impl KeyInfo {
    /// Every column BINARY and ascending.
    #[must_use]
    pub fn binary() -> KeyInfo {
        KeyInfo::default()
    }

    /// The collation of key column `i`.
    #[must_use]
    #[inline]
    pub fn collation(&self, i: usize) -> Collation {
        self.collations.get(i).copied().unwrap_or_default()
    }

    /// Whether key column `i` sorts descending.
    #[must_use]
    #[inline]
    pub fn is_desc(&self, i: usize) -> bool {
        self.desc.get(i).copied().unwrap_or(false)
    }

    /// Compares field `i` of two keys: its collation, then its direction.
    #[inline]
    fn compare_field(&self, i: usize, a: ValueRef<'_>, b: ValueRef<'_>) -> Ordering {
        let ord = compare_values(a, b, self.collation(i));
        if self.is_desc(i) {
            ord.reverse()
        } else {
            ord
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Serial types
// ---------------------------------------------------------------------------------------------

/// The serial type and content size of an integer: the smallest that holds it.
#[inline]
fn int_serial(i: i64) -> (u64, usize) {
    match i {
        0 => (8, 0),
        1 => (9, 0),
        -0x80..=0x7f => (1, 1),
        -0x8000..=0x7fff => (2, 2),
        -0x80_0000..=0x7f_ffff => (3, 3),
        -0x8000_0000..=0x7fff_ffff => (4, 4),
        -0x8000_0000_0000..=0x7fff_ffff_ffff => (5, 6),
        _ => (6, 8),
    }
}

/// The serial type and content size `v` is stored with.
#[inline]
fn value_serial(v: ValueRef<'_>) -> (u64, usize) {
    match v {
        ValueRef::Integer(i) => int_serial(i),
        ValueRef::Real(r) if !r.is_nan() => (7, 8),
        // NaN is NULL to SQLite.
        ValueRef::Null | ValueRef::Real(_) => (0, 0),
        ValueRef::Text(t) => (13 + 2 * t.len() as u64, t.len()),
        ValueRef::Blob(b) => (12 + 2 * b.len() as u64, b.len()),
    }
}

/// The content size of serial type `serial`, or `None` for the reserved types 10 and 11.
#[inline]
fn serial_content_len(serial: u64) -> Option<u64> {
    Some(match serial {
        0 | 8 | 9 => 0,
        1..=4 => serial,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        // (N-12)/2 for blobs; for text (N-13)/2, which is the same after integer division.
        n => (n - 12) / 2,
    })
}

/// Sign-extends a big-endian two's-complement integer of 1 to 8 bytes.
#[inline]
fn read_int(content: &[u8]) -> i64 {
    let sign: i64 = if content.first().is_some_and(|&b| b & 0x80 != 0) { -1 } else { 0 };
    content.iter().fold(sign, |acc, &b| (acc << 8) | i64::from(b))
}

/// Reads a big-endian u64 from exactly 8 bytes.
#[inline]
fn read_u64(content: &[u8]) -> u64 {
    (u64::from(get_u32(content, 0)) << 32) | u64::from(get_u32(content, 4))
}

/// The value of a field whose serial type is valid and whose content has exactly the length that
/// type implies (the caller checked both).
#[inline]
fn value_from_content(serial: u64, content: &[u8]) -> ValueRef<'_> {
    match serial {
        0 => ValueRef::Null,
        1 => ValueRef::Integer(i64::from(content[0] as i8)),
        2 => ValueRef::Integer(i64::from(get_u16(content, 0) as i16)),
        4 => ValueRef::Integer(i64::from(get_u32(content, 0) as i32)),
        6 => ValueRef::Integer(read_u64(content) as i64),
        3 | 5 => ValueRef::Integer(read_int(content)),
        7 => {
            let r = f64::from_bits(read_u64(content));
            // As sqlite3VdbeSerialGet: a stored NaN reads as NULL.
            if r.is_nan() {
                ValueRef::Null
            } else {
                ValueRef::Real(r)
            }
        }
        8 => ValueRef::Integer(0),
        9 => ValueRef::Integer(1),
        n if n % 2 == 0 => ValueRef::Blob(content),
        _ => ValueRef::Text(content),
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/// The size of a record header whose serial-type varints take `types_len` bytes: the header-size
/// varint counts itself, and adding it can push the total over a varint length boundary.
fn header_len(types_len: usize) -> usize {
    let mut len = types_len + 1;
    loop {
        let next = types_len + varint_len(len as u64);
        if next == len {
            return len;
        }
        len = next;
    }
}

/// Appends one field's content.
#[inline]
fn put_content(v: ValueRef<'_>, out: &mut Vec<u8>) {
    match v {
        ValueRef::Integer(i) => {
            let (_, n) = int_serial(i);
            out.extend_from_slice(&i.to_be_bytes()[8 - n..]);
        }
        ValueRef::Real(r) if !r.is_nan() => out.extend_from_slice(&r.to_bits().to_be_bytes()),
        ValueRef::Null | ValueRef::Real(_) => {}
        ValueRef::Text(b) | ValueRef::Blob(b) => out.extend_from_slice(b),
    }
}

/// Encodes `values` as one record appended to `out`, in two passes over `values` so that nothing
/// is allocated beyond `out`'s growth.
fn encode_values<'v, I>(values: I, out: &mut Vec<u8>)
where
    I: Iterator<Item = ValueRef<'v>> + Clone,
{
    let (mut types_len, mut body_len) = (0usize, 0usize);
    for v in values.clone() {
        let (serial, n) = value_serial(v);
        types_len += varint_len(serial);
        body_len += n;
    }
    let hdr_len = header_len(types_len);
    out.reserve(hdr_len + body_len);
    put_varint(out, hdr_len as u64);
    for v in values.clone() {
        put_varint(out, value_serial(v).0);
    }
    for v in values {
        put_content(v, out);
    }
}

/// Appends the record encoding of `values` to `out`.
pub fn encode_record(values: &[Value], out: &mut Vec<u8>) {
    encode_values(values.iter().map(Value::as_ref), out);
}

/// Appends the record encoding of `values` to `out` (the borrowed form of [`encode_record`]).
pub fn encode_record_refs(values: &[ValueRef<'_>], out: &mut Vec<u8>) {
    encode_values(values.iter().copied(), out);
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// Walks a record's header and body in step, one field at a time, checking each field as it is
/// reached. Comparisons use it directly so that they decode only the fields they look at.
///
/// Invariant: `hdr_pos <= hdr_end <= body_pos <= payload.len()`.
struct FieldCursor<'a> {
    payload: &'a [u8],
    /// Offset of the next serial-type varint.
    hdr_pos: usize,
    /// End of the header, which is where the body starts.
    hdr_end: usize,
    /// Offset where the next field's content starts.
    body_pos: usize,
}

impl<'a> FieldCursor<'a> {
    /// Reads and checks the header size.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "called for every field of every cell a search compares; returned through memory when not inlined (measured: seeks 12% faster)"
    )]
    fn new(payload: &'a [u8]) -> Result<Self> {
        let Some((hdr_len, n)) = get_varint(payload) else {
            return Err(corrupt_record(format_args!(
                "record of {} bytes ends inside its header-size varint",
                payload.len()
            )));
        };
        if hdr_len < n as u64 || hdr_len > payload.len() as u64 {
            return Err(corrupt_record(format_args!(
                "record header size {hdr_len} is outside {n}..={} (the payload's size)",
                payload.len()
            )));
        }
        let hdr_end = hdr_len as usize;
        Ok(FieldCursor { payload, hdr_pos: n, hdr_end, body_pos: hdr_end })
    }

    /// The next field's serial type and the offset of its content, or `None` after the last.
    #[inline(always)]
    #[allow(
        clippy::inline_always,
        reason = "called for every field of every cell a search compares; returned through memory when not inlined (measured: seeks 12% faster)"
    )]
    fn next_field(&mut self) -> Result<Option<(u64, usize)>> {
        if self.hdr_pos >= self.hdr_end {
            return Ok(None);
        }
        let Some((serial, n)) = get_varint(&self.payload[self.hdr_pos..self.hdr_end]) else {
            return Err(corrupt_record(format_args!(
                "record serial type at offset {} runs past the header's end at {}",
                self.hdr_pos, self.hdr_end
            )));
        };
        self.hdr_pos += n;
        let Some(len) = serial_content_len(serial) else {
            return Err(corrupt_record(format_args!("record has reserved serial type {serial}")));
        };
        let start = self.body_pos;
        let available = (self.payload.len() - start) as u64;
        if len > available {
            return Err(corrupt_record(format_args!(
                "record field of serial type {serial} needs {len} bytes at offset {start} but \
                 the payload has {available} left"
            )));
        }
        self.body_pos = start + len as usize;
        Ok(Some((serial, start)))
    }

    /// The next field's value, or `None` after the last.
    #[inline]
    fn next_value(&mut self) -> Result<Option<ValueRef<'a>>> {
        Ok(self
            .next_field()?
            .map(|(serial, start)| value_from_content(serial, &self.payload[start..self.body_pos])))
    }

    /// Checks, after the last field, that the body fills the payload exactly (as `OP_Column`
    /// requires: `SQLite` never writes trailing bytes).
    fn finish(&self) -> Result<()> {
        if self.body_pos == self.payload.len() {
            Ok(())
        } else {
            Err(Error::corrupt_file(format!(
                "record body ends at offset {} but the payload has {} bytes",
                self.body_pos,
                self.payload.len()
            )))
        }
    }
}

/// Stores the first `n` columns of a record into `out[..n]`, only those `want` accepts (the
/// others are left as they are), in place where the slot holds a value of the same kind (see
/// [`ValueRef::store_into`]). Returns how many of the `n` the record holds: fewer when it was
/// written before columns were added to its table (the rest of `out` is left as it was). Unlike
/// [`RecordView::parse`] it reads the header only as far as the `n`th column.
pub fn decode_prefix(
    payload: &[u8],
    n: usize,
    want: impl Fn(usize) -> bool,
    out: &mut [Value],
) -> Result<usize> {
    let mut cursor = FieldCursor::new(payload)?;
    for (i, slot) in out.iter_mut().enumerate().take(n) {
        let Some((serial, start)) = cursor.next_field()? else { return Ok(i) };
        if want(i) {
            value_from_content(serial, &payload[start..cursor.body_pos]).store_into(slot);
        }
    }
    Ok(n.min(out.len()))
}

/// The fields of a record in order, reading the header only as far as they are taken. Unlike
/// [`RecordView::parse`] it does not check the fields not taken.
pub fn fields(payload: &[u8]) -> Result<impl Iterator<Item = Result<ValueRef<'_>>>> {
    let mut cursor = FieldCursor::new(payload)?;
    Ok(std::iter::from_fn(move || cursor.next_value().transpose()))
}

/// Field `i` of a record, reading the header only that far; `None` when the record has fewer
/// fields (it was written before columns were added to its table).
#[inline]
pub fn nth_field(payload: &[u8], i: usize) -> Result<Option<ValueRef<'_>>> {
    let mut cursor = FieldCursor::new(payload)?;
    for _ in 0..i {
        if cursor.next_field()?.is_none() {
            return Ok(None);
        }
    }
    cursor.next_value()
}

/// The error for a malformed record. Out of line, so that the record readers stay small
/// enough to inline into the comparisons that call them for every cell a search visits.
#[cold]
#[inline(never)]
fn corrupt_record(msg: std::fmt::Arguments<'_>) -> Error {
    Error::corrupt_file(msg.to_string())
}

/// Where one field of a parsed record is.
#[derive(Debug, Clone, Copy, Default)]
struct FieldLoc {
    serial: u64,
    offset: usize,
}

/// Columns kept inline by [`RecordView`] before it spills to the heap.
const INLINE_FIELDS: usize = 16;

/// A small vector of [`FieldLoc`]: the first [`INLINE_FIELDS`] live inline, so that parsing an
/// ordinary record does not allocate.
///
/// Invariant: `heap` is empty while `len <= INLINE_FIELDS`; after that it holds every field and
/// `inline` is stale.
#[derive(Clone)]
struct FieldLocs {
    len: usize,
    inline: [FieldLoc; INLINE_FIELDS],
    heap: Vec<FieldLoc>,
}

impl FieldLocs {
    fn new() -> Self {
        FieldLocs { len: 0, inline: [FieldLoc::default(); INLINE_FIELDS], heap: Vec::new() }
    }

    #[inline]
    fn push(&mut self, loc: FieldLoc) {
        if self.len < INLINE_FIELDS {
            self.inline[self.len] = loc;
        } else {
            if self.heap.is_empty() {
                self.heap.reserve(INLINE_FIELDS * 2);
                self.heap.extend_from_slice(&self.inline);
            }
            self.heap.push(loc);
        }
        self.len += 1;
    }

    #[inline]
    fn as_slice(&self) -> &[FieldLoc] {
        if self.len <= INLINE_FIELDS {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }
}

impl fmt::Debug for FieldLocs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A record whose header has been parsed and checked once, giving random access to its fields
/// without copying them.
#[derive(Debug, Clone)]
pub struct RecordView<'a> {
    payload: &'a [u8],
    fields: FieldLocs,
}

impl<'a> RecordView<'a> {
    /// Parses and checks the whole header of `payload`, and that the body fills the payload
    /// exactly. Does not allocate for records of up to 16 columns.
    pub fn parse(payload: &'a [u8]) -> Result<Self> {
        let mut cursor = FieldCursor::new(payload)?;
        let mut fields = FieldLocs::new();
        while let Some((serial, offset)) = cursor.next_field()? {
            fields.push(FieldLoc { serial, offset });
        }
        cursor.finish()?;
        Ok(RecordView { payload, fields })
    }

    /// The number of columns the record holds.
    #[must_use]
    #[inline]
    pub fn len(&self) -> usize {
        self.fields.len
    }

    /// Whether the record has no columns.
    #[must_use]
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.fields.len == 0
    }

    /// Column `i`. A column past the end is NULL, as `SQLite` reads a record written before
    /// `ALTER TABLE ADD COLUMN` (a default other than NULL is the caller's business).
    #[inline]
    pub fn get(&self, i: usize) -> Result<ValueRef<'a>> {
        let Some(&FieldLoc { serial, offset }) = self.fields.as_slice().get(i) else {
            return Ok(ValueRef::Null);
        };
        // `parse` checked all of this; it is checked again rather than trusted so that a broken
        // invariant is an error, not a panic.
        let content = serial_content_len(serial)
            .and_then(|len| self.payload.get(offset..offset.checked_add(len as usize)?));
        match content {
            Some(content) => Ok(value_from_content(serial, content)),
            None => Err(Error::corrupt_file(format!(
                "record field {i} (serial type {serial} at offset {offset}) is out of bounds"
            ))),
        }
    }

    /// The columns in order. (Each is `Ok` for a record that `parse` accepted; the `Result`
    /// matches [`RecordView::get`].)
    #[must_use]
    pub fn iter(&self) -> RecordIter<'a, '_> {
        RecordIter { view: self, next: 0 }
    }
}

impl<'a, 'v> IntoIterator for &'v RecordView<'a> {
    type Item = Result<ValueRef<'a>>;
    type IntoIter = RecordIter<'a, 'v>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over the columns of a [`RecordView`].
#[derive(Debug, Clone)]
pub struct RecordIter<'a, 'v> {
    view: &'v RecordView<'a>,
    next: usize,
}

impl<'a> Iterator for RecordIter<'a, '_> {
    type Item = Result<ValueRef<'a>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.view.len() {
            return None;
        }
        let v = self.view.get(self.next);
        self.next += 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.view.len() - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for RecordIter<'_, '_> {}

/// Decodes a whole record into owned values (text lossily, as [`ValueRef::to_owned`]).
pub fn decode_record(payload: &[u8]) -> Result<Vec<Value>> {
    let view = RecordView::parse(payload)?;
    view.iter().map(|v| v.map(|v| v.to_owned())).collect()
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/// The storage class rank of a value: NULL < numbers < TEXT < BLOB. A NaN real ranks as NULL.
#[inline]
fn class_rank(v: ValueRef<'_>) -> u8 {
    match v {
        ValueRef::Real(r) if r.is_nan() => 0,
        ValueRef::Null => 0,
        ValueRef::Integer(_) | ValueRef::Real(_) => 1,
        ValueRef::Text(_) => 2,
        ValueRef::Blob(_) => 3,
    }
}

/// Compares an integer with a non-NaN float exactly, as `SQLite`'s `sqlite3IntFloatCompare`.
///
/// Inside the i64 range, `r` truncated toward zero decides unless it equals `i`; then `r` lies
/// within 1 of `i`, which happens beyond 2^53 only when `r` is itself that integer, so comparing
/// `i as f64` with `r` is exact.
#[inline]
fn int_float_cmp(i: i64, r: f64) -> Ordering {
    // -2^63 and 2^63 are exact doubles.
    const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
    if r < -TWO_POW_63 {
        return Ordering::Greater;
    }
    if r >= TWO_POW_63 {
        return Ordering::Less;
    }
    let y = r as i64;
    match i.cmp(&y) {
        Ordering::Equal => float_cmp(i as f64, r),
        ord => ord,
    }
}

/// Orders two non-NaN floats; -0.0 equals 0.0.
#[inline]
fn float_cmp(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// NOCASE as `SQLite`'s `nocaseCollatingFunc`: `sqlite3StrNICmp` over the common length, then the
/// shorter first. `sqlite3StrNICmp` stops at a NUL in both strings, so the rest of the common
/// length is ignored after one: `"a\0x"` and `"A\0y"` are equal under NOCASE.
fn nocase_cmp(a: &[u8], b: &[u8]) -> Ordering {
    for (&x, &y) in a.iter().zip(b) {
        let (fx, fy) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if fx != fy {
            return fx.cmp(&fy);
        }
        if x == 0 {
            break;
        }
    }
    a.len().cmp(&b.len())
}

/// `s` without its trailing spaces.
#[inline]
fn trim_trailing_spaces(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&c| c != b' ').map_or(0, |p| p + 1);
    &s[..end]
}

/// Compares two TEXT values under `coll`.
#[inline]
fn text_cmp(a: &[u8], b: &[u8], coll: Collation) -> Ordering {
    match coll {
        Collation::Binary => a.cmp(b),
        Collation::NoCase => nocase_cmp(a, b),
        Collation::Rtrim => trim_trailing_spaces(a).cmp(trim_trailing_spaces(b)),
    }
}

/// Compares two values as `SQLite`'s `sqlite3MemCompare`: NULL < INTEGER/REAL (numerically, exactly)
/// < TEXT (under `coll`) < BLOB (`memcmp`, then the shorter first). NULLs compare equal to each
/// other, as in sorting. A NaN (which `SQLite` never stores) counts as NULL.
#[must_use]
#[inline]
pub fn compare_values(a: ValueRef<'_>, b: ValueRef<'_>, coll: Collation) -> Ordering {
    match (a, b) {
        (ValueRef::Integer(x), ValueRef::Integer(y)) => x.cmp(&y),
        (ValueRef::Real(x), ValueRef::Real(y)) if !x.is_nan() && !y.is_nan() => float_cmp(x, y),
        (ValueRef::Integer(x), ValueRef::Real(y)) if !y.is_nan() => int_float_cmp(x, y),
        (ValueRef::Real(x), ValueRef::Integer(y)) if !x.is_nan() => int_float_cmp(y, x).reverse(),
        (ValueRef::Text(x), ValueRef::Text(y)) => text_cmp(x, y, coll),
        (ValueRef::Blob(x), ValueRef::Blob(y)) => x.cmp(y),
        _ => class_rank(a).cmp(&class_rank(b)),
    }
}

/// Compares two records field by field under `info`, decoding lazily and stopping at the first
/// field that differs. If one record is a prefix of the other, the shorter is `Less`.
///
/// Only the fields looked at are checked, so a corrupt record may compare without an error.
pub fn compare_records(a: &[u8], b: &[u8], info: &KeyInfo) -> Result<Ordering> {
    if let Some(first) = simple_first_field(b) {
        if let Some(ord) = first_field_differs(a, &[first], info) {
            return Ok(ord);
        }
    }
    let mut ca = FieldCursor::new(a)?;
    let mut cb = FieldCursor::new(b)?;
    let mut field = 0;
    loop {
        match (ca.next_value()?, cb.next_value()?) {
            (Some(va), Some(vb)) => {
                let ord = info.compare_field(field, va, vb);
                if ord != Ordering::Equal {
                    return Ok(ord);
                }
            }
            (None, None) => return Ok(Ordering::Equal),
            (None, Some(_)) => return Ok(Ordering::Less),
            (Some(_), None) => return Ok(Ordering::Greater),
        }
        field += 1;
    }
}

/// The first field of a record when [`first_field_differs`] can compare it: an integer or a
/// text, with a header size and serial type of one byte each.
#[inline]
fn simple_first_field(record: &[u8]) -> Option<ValueRef<'_>> {
    let &[hdr, serial, ..] = record else { return None };
    if !(2..0x80).contains(&hdr) || !matches!(serial, 1..=6 | 8 | 9 | 13..=0x7f) {
        return None;
    }
    let len = serial_content_len(u64::from(serial))? as usize;
    let content = record.get(usize::from(hdr)..)?.get(..len)?;
    Some(value_from_content(u64::from(serial), content))
}

/// The fast path of [`compare_record_to_key`], for the common index key: a record whose header
/// size and first serial type take one byte each, and a first field that is an integer against
/// an integer probe or a text against a text probe, in ascending `BINARY` order. Returns the
/// order when the first field decides it, `None` when it is equal or the case is not this one
/// (the full comparison then runs and checks the record).
#[inline]
fn first_field_differs(record: &[u8], key: &[ValueRef<'_>], info: &KeyInfo) -> Option<Ordering> {
    let (&[hdr, serial, ..], Some(probe)) = (record, key.first()) else { return None };
    if !(2..0x80).contains(&hdr) || serial >= 0x80 || info.is_desc(0) {
        return None;
    }
    let body = record.get(usize::from(hdr)..)?;
    let ord = match (serial, probe) {
        (1..=6 | 8 | 9, ValueRef::Integer(k)) => {
            let len = serial_content_len(u64::from(serial))? as usize;
            let ValueRef::Integer(v) = value_from_content(u64::from(serial), body.get(..len)?)
            else {
                return None;
            };
            v.cmp(k)
        }
        (13.., ValueRef::Text(k)) if serial % 2 == 1 && info.collation(0) == Collation::Binary => {
            body.get(..usize::from((serial - 13) / 2))?.cmp(k)
        }
        _ => return None,
    };
    (ord != Ordering::Equal).then_some(ord)
}

/// Compares the first `key.len()` fields of `record` with `key` under `info`, decoding lazily and
/// stopping at the first field that differs. `Equal` means the record starts with `key` (a prefix
/// probe); a record with fewer fields than `key` whose fields all match is `Less`.
///
/// Only the fields looked at are checked, so a corrupt record may compare without an error.
pub fn compare_record_to_key(
    record: &[u8],
    key: &[ValueRef<'_>],
    info: &KeyInfo,
) -> Result<Ordering> {
    if let Some(ord) = first_field_differs(record, key, info) {
        return Ok(ord);
    }
    let mut cursor = FieldCursor::new(record)?;
    for (i, &k) in key.iter().enumerate() {
        let Some(v) = cursor.next_value()? else {
            return Ok(Ordering::Less);
        };
        let ord = info.compare_field(i, v, k);
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn enc(values: &[Value]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_record(values, &mut out);
        out
    }

    fn enc_refs(values: &[ValueRef<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_record_refs(values, &mut out);
        out
    }

    fn is_corrupt<T>(r: &Result<T>) -> bool {
        matches!(r, Err(Error::Corrupt { .. }))
    }

    /// Bit-exact equality, so that `-0.0` and `0.0` are told apart.
    fn same(a: ValueRef<'_>, b: ValueRef<'_>) -> bool {
        match (a, b) {
            (ValueRef::Real(x), ValueRef::Real(y)) => x.to_bits() == y.to_bits(),
            _ => a == b,
        }
    }

    // ----- known encodings ------------------------------------------------------------------

    #[test]
    fn known_encoding_of_mixed_record() {
        let values = [
            Value::Null,
            Value::Integer(0),
            Value::Integer(1),
            Value::Integer(2),
            Value::Integer(-1),
            Value::Real(1.5),
            Value::Text("hi".into()),
            Value::Blob(vec![0]),
        ];
        #[rustfmt::skip]
        let expected = [
            // header: size 9, then serial types NULL, 0, 1, int8, int8, f64, text(2), blob(1)
            0x09, 0x00, 0x08, 0x09, 0x01, 0x01, 0x07, 0x11, 0x0e,
            // body
            0x02,
            0xff,
            0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            b'h', b'i',
            0x00,
        ];
        assert_eq!(enc(&values), expected);
        assert_eq!(decode_record(&expected).expect("valid record"), values);
    }

    #[test]
    fn known_encodings_of_integer_boundaries() {
        let cases: &[(i64, &[u8])] = &[
            (127, &[0x02, 0x01, 0x7f]),
            (-128, &[0x02, 0x01, 0x80]),
            (128, &[0x02, 0x02, 0x00, 0x80]),
            (-129, &[0x02, 0x02, 0xff, 0x7f]),
            (32_767, &[0x02, 0x02, 0x7f, 0xff]),
            (32_768, &[0x02, 0x03, 0x00, 0x80, 0x00]),
            (-8_388_608, &[0x02, 0x03, 0x80, 0x00, 0x00]),
            (8_388_608, &[0x02, 0x04, 0x00, 0x80, 0x00, 0x00]),
            (-2_147_483_649, &[0x02, 0x05, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
            (1 << 31, &[0x02, 0x05, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00]),
            (-(1 << 47), &[0x02, 0x05, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00]),
            (1 << 47, &[0x02, 0x06, 0, 0, 0x80, 0, 0, 0, 0, 0]),
            (i64::MIN, &[0x02, 0x06, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            (i64::MAX, &[0x02, 0x06, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        ];
        for &(i, bytes) in cases {
            assert_eq!(enc(&[Value::Integer(i)]), bytes, "encoding {i}");
            assert_eq!(decode_record(bytes).expect("valid"), [Value::Integer(i)], "decoding {i}");
        }
    }

    #[test]
    fn known_encodings_of_long_headers_and_fields() {
        // A 100-byte text has serial type 213, a two-byte varint: header 3 bytes.
        let text = "x".repeat(100);
        let rec = enc(&[Value::Text(text.clone())]);
        assert_eq!(rec[..3], [0x03, 0x81, 0x55]);
        assert_eq!(rec.len(), 103);
        assert_eq!(decode_record(&rec).expect("valid"), [Value::Text(text)]);

        // 126 NULLs: header size 127 still fits in one byte.
        let rec = enc(&vec![Value::Null; 126]);
        assert_eq!(rec.len(), 127);
        assert_eq!(rec[0], 0x7f);
        // 127 NULLs: 127 type bytes + a two-byte size = 129.
        let rec = enc(&vec![Value::Null; 127]);
        assert_eq!(rec.len(), 129);
        assert_eq!(rec[..2], [0x81, 0x01]);
        assert!(rec[2..].iter().all(|&b| b == 0));
        assert_eq!(decode_record(&rec).expect("valid").len(), 127);

        // The empty record is just its header size.
        assert_eq!(enc(&[]), [0x01]);
        assert!(decode_record(&[0x01]).expect("valid").is_empty());
    }

    #[test]
    fn nan_is_stored_and_read_as_null() {
        assert_eq!(enc(&[Value::Real(f64::NAN)]), [0x02, 0x00]);
        let mut rec = vec![0x02, 0x07];
        rec.extend_from_slice(&f64::NAN.to_bits().to_be_bytes());
        assert_eq!(decode_record(&rec).expect("valid"), [Value::Null]);
        // Negative zero keeps its sign bit.
        let rec = enc(&[Value::Real(-0.0)]);
        assert_eq!(rec, [0x02, 0x07, 0x80, 0, 0, 0, 0, 0, 0, 0]);
    }

    // ----- corrupt input ---------------------------------------------------------------------

    #[test]
    fn malformed_records_are_corrupt() {
        let cases: &[(&str, &[u8])] = &[
            ("empty payload", &[]),
            ("header size varint never ends", &[0x81]),
            ("header size zero", &[0x00]),
            ("header size beyond payload", &[0x05, 0x00]),
            ("serial type varint crosses header end", &[0x02, 0x81, 0x01]),
            ("reserved serial type 10", &[0x02, 0x0a]),
            ("reserved serial type 11", &[0x02, 0x0b]),
            ("integer content past end", &[0x02, 0x04, 0x00, 0x00]),
            ("text content past end", &[0x02, 0x11, b'h']),
            ("trailing bytes after body", &[0x02, 0x01, 0x05, 0x06]),
        ];
        for &(what, bytes) in cases {
            assert!(is_corrupt(&decode_record(bytes)), "{what}: decode_record");
            assert!(is_corrupt(&RecordView::parse(bytes)), "{what}: RecordView::parse");
        }
    }

    #[test]
    fn huge_claimed_lengths_are_corrupt_without_allocating() {
        // A blob claiming 2^62 bytes and a header claiming 2^63: both must fail fast.
        let mut rec = vec![0x0a];
        put_varint(&mut rec, (1u64 << 63) + 12);
        assert!(is_corrupt(&decode_record(&rec)));
        let mut rec = Vec::new();
        put_varint(&mut rec, 1 << 63);
        assert!(is_corrupt(&decode_record(&rec)));
        assert!(is_corrupt(&compare_records(&rec, &[0x01], &KeyInfo::binary())));
    }

    #[test]
    fn lazy_comparison_reports_corruption_it_reaches() {
        let good = enc(&[Value::Integer(1), Value::Integer(2)]);
        // Same first field, then content that runs past the end.
        let bad = [0x03, 0x09, 0x04, 0x00];
        let info = KeyInfo::binary();
        assert!(is_corrupt(&compare_records(&good, &bad, &info)));
        assert!(is_corrupt(&compare_record_to_key(
            &bad,
            &[ValueRef::Integer(1), ValueRef::Integer(2)],
            &info
        )));
        // A probe that stops before the bad field does not look at it.
        assert_eq!(
            compare_record_to_key(&bad, &[ValueRef::Integer(1)], &info).expect("first field ok"),
            Ordering::Equal
        );
    }

    // ----- RecordView ------------------------------------------------------------------------

    #[test]
    fn record_view_gives_random_access_and_null_past_end() {
        let rec = enc(&[Value::Integer(-5), Value::Text("abc".into()), Value::Blob(vec![1, 2])]);
        let view = RecordView::parse(&rec).expect("valid");
        assert_eq!(view.len(), 3);
        assert!(!view.is_empty());
        assert_eq!(view.get(2).expect("in range"), ValueRef::Blob(&[1, 2]));
        assert_eq!(view.get(0).expect("in range"), ValueRef::Integer(-5));
        assert_eq!(view.get(1).expect("in range"), ValueRef::Text(b"abc"));
        assert_eq!(view.get(3).expect("past end"), ValueRef::Null);
        assert_eq!(view.get(usize::MAX).expect("past end"), ValueRef::Null);
        let all: Vec<_> = view.iter().collect::<Result<_>>().expect("valid");
        assert_eq!(all, [ValueRef::Integer(-5), ValueRef::Text(b"abc"), ValueRef::Blob(&[1, 2])]);
        assert_eq!(view.iter().len(), 3);
        assert!(RecordView::parse(&[0x01]).expect("valid").is_empty());
    }

    #[test]
    fn record_view_stays_inline_up_to_16_columns_then_spills() {
        let values: Vec<Value> = (0..40).map(Value::Integer).collect();
        for n in [0, 1, 15, 16, 17, 40] {
            let rec = enc(&values[..n]);
            let view = RecordView::parse(&rec).expect("valid");
            assert_eq!(view.fields.heap.capacity() == 0, n <= INLINE_FIELDS, "{n} columns");
            assert_eq!(view.len(), n);
            for (i, v) in values[..n].iter().enumerate() {
                assert_eq!(view.get(i).expect("in range"), v.as_ref());
            }
            assert_eq!(view.get(n).expect("past end"), ValueRef::Null);
        }
    }

    #[test]
    fn invalid_utf8_text_is_kept_raw_and_decoded_lossily() {
        let rec = enc_refs(&[ValueRef::Text(b"a\xffb")]);
        let view = RecordView::parse(&rec).expect("valid");
        assert_eq!(view.get(0).expect("in range"), ValueRef::Text(b"a\xffb"));
        assert_eq!(decode_record(&rec).expect("valid"), [Value::Text("a\u{fffd}b".into())]);
    }

    // ----- comparison edge cases -------------------------------------------------------------

    #[test]
    fn int_float_comparisons_are_exact() {
        use ValueRef::{Integer as I, Real as R};
        let two53 = 9_007_199_254_740_992_i64;
        let cmp = |a, b| compare_values(a, b, Collation::Binary);
        // i64::MAX rounds to 2^63 as a double, but is smaller than it.
        assert_eq!(cmp(I(i64::MAX), R(9_223_372_036_854_775_808.0)), Ordering::Less);
        assert_eq!(cmp(R(9_223_372_036_854_775_808.0), I(i64::MAX)), Ordering::Greater);
        assert_eq!(cmp(I(i64::MIN), R(-9_223_372_036_854_775_808.0)), Ordering::Equal);
        assert_eq!(cmp(I(i64::MIN + 1), R(-9_223_372_036_854_775_808.0)), Ordering::Greater);
        // 2^53 + 1 is not a double; it rounds to 2^53, but must compare above it.
        assert_eq!(cmp(I(two53 + 1), R(two53 as f64)), Ordering::Greater);
        assert_eq!(cmp(I(two53), R(two53 as f64)), Ordering::Equal);
        assert_eq!(cmp(I(two53 + 1), R(9_007_199_254_740_994.0)), Ordering::Less);
        assert_eq!(cmp(I(-two53 - 1), R(-two53 as f64)), Ordering::Less);
        // Zeros, fractions, infinities.
        assert_eq!(cmp(R(-0.0), I(0)), Ordering::Equal);
        assert_eq!(cmp(R(-0.0), R(0.0)), Ordering::Equal);
        assert_eq!(cmp(I(0), R(-0.5)), Ordering::Greater);
        assert_eq!(cmp(I(-1), R(-0.5)), Ordering::Less);
        assert_eq!(cmp(I(2), R(2.5)), Ordering::Less);
        assert_eq!(cmp(I(i64::MAX), R(f64::INFINITY)), Ordering::Less);
        assert_eq!(cmp(I(i64::MIN), R(f64::NEG_INFINITY)), Ordering::Greater);
        assert_eq!(cmp(R(1e300), I(i64::MAX)), Ordering::Greater);
    }

    #[test]
    fn storage_classes_order_null_numbers_text_blob() {
        let ordered = [
            ValueRef::Null,
            ValueRef::Real(f64::NEG_INFINITY),
            ValueRef::Integer(-3),
            ValueRef::Real(0.5),
            ValueRef::Integer(i64::MAX),
            ValueRef::Text(b""),
            ValueRef::Text(b"a"),
            ValueRef::Blob(b""),
            ValueRef::Blob(b"\x00"),
        ];
        for (i, &a) in ordered.iter().enumerate() {
            for (j, &b) in ordered.iter().enumerate() {
                assert_eq!(compare_values(a, b, Collation::Binary), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
        // NaN (never stored) counts as NULL.
        let nan = ValueRef::Real(f64::NAN);
        assert_eq!(compare_values(nan, ValueRef::Null, Collation::Binary), Ordering::Equal);
        assert_eq!(compare_values(nan, ValueRef::Integer(0), Collation::Binary), Ordering::Less);
    }

    #[test]
    fn collations_follow_sqlite() {
        use Collation::{Binary, NoCase, Rtrim};
        let t = ValueRef::Text;
        let cmp = |a: &'static [u8], b: &'static [u8], c| compare_values(t(a), t(b), c);
        assert_eq!(cmp(b"abc", b"ABC", Binary), Ordering::Greater);
        assert_eq!(cmp(b"abc", b"ABC", NoCase), Ordering::Equal);
        assert_eq!(cmp(b"abc", b"ABCD", NoCase), Ordering::Less);
        // NOCASE folds to lower case: '_' (0x5f) sorts before 'a' but after 'A'..'Z' unfolded.
        assert_eq!(cmp(b"_", b"A", NoCase), Ordering::Less);
        assert_eq!(cmp(b"_", b"A", Binary), Ordering::Greater);
        // Only ASCII is folded.
        assert_eq!(cmp("é".as_bytes(), "É".as_bytes(), NoCase), Ordering::Greater);
        // sqlite3StrNICmp stops at a NUL: the rest of the common length is ignored.
        assert_eq!(cmp(b"a\0x", b"A\0y", NoCase), Ordering::Equal);
        assert_eq!(cmp(b"a\0x", b"A\0", NoCase), Ordering::Greater);
        assert_eq!(cmp(b"a\0x", b"a\0x", Binary), Ordering::Equal);
        assert_eq!(cmp(b"a\0x", b"a\0y", Binary), Ordering::Less);
        // RTRIM ignores trailing spaces only.
        assert_eq!(cmp(b"ab  ", b"ab", Rtrim), Ordering::Equal);
        assert_eq!(cmp(b"ab  ", b"ab", Binary), Ordering::Greater);
        assert_eq!(cmp(b" ab", b"ab", Rtrim), Ordering::Less);
        assert_eq!(cmp(b"ab\t", b"ab", Rtrim), Ordering::Greater);
        assert_eq!(cmp(b"   ", b"", Rtrim), Ordering::Equal);
        // Collations do not apply to blobs.
        assert_eq!(
            compare_values(ValueRef::Blob(b"a"), ValueRef::Blob(b"A"), NoCase),
            Ordering::Greater
        );
        assert_eq!(Collation::from_name("NoCase"), Some(NoCase));
        assert_eq!(Collation::from_name("binary"), Some(Binary));
        assert_eq!(Collation::from_name("RTRIM"), Some(Rtrim));
        assert_eq!(Collation::from_name("nocase2"), None);
        assert_eq!(Collation::default(), Binary);
    }

    #[test]
    fn key_info_applies_per_column_collation_and_direction() {
        let info = KeyInfo { collations: vec![Collation::NoCase], desc: vec![false, true] };
        let a = enc(&[Value::Text("x".into()), Value::Integer(1), Value::Integer(1)]);
        let b = enc(&[Value::Text("X".into()), Value::Integer(2), Value::Integer(1)]);
        // Column 0 equal under NOCASE; column 1 descending, so 1 sorts after 2.
        assert_eq!(compare_records(&a, &b, &info).expect("valid"), Ordering::Greater);
        assert_eq!(compare_records(&a, &b, &KeyInfo::binary()).expect("valid"), Ordering::Greater);
        let c = enc(&[Value::Text("x".into()), Value::Integer(1), Value::Integer(0)]);
        // Column 2 is past both vectors: BINARY ascending.
        assert_eq!(compare_records(&a, &c, &info).expect("valid"), Ordering::Greater);
        // A descending NULL sorts last.
        let n = enc(&[Value::Text("x".into()), Value::Null]);
        assert_eq!(compare_records(&n, &a, &info).expect("valid"), Ordering::Greater);
    }

    #[test]
    fn prefixes_compare_shorter_first_and_probes_match_prefixes() {
        let info = KeyInfo::binary();
        let short = enc(&[Value::Integer(1)]);
        let long = enc(&[Value::Integer(1), Value::Null]);
        assert_eq!(compare_records(&short, &long, &info).expect("valid"), Ordering::Less);
        assert_eq!(compare_records(&long, &short, &info).expect("valid"), Ordering::Greater);
        assert_eq!(compare_records(&long, &long, &info).expect("valid"), Ordering::Equal);
        let probe = [ValueRef::Integer(1)];
        assert_eq!(compare_record_to_key(&long, &probe, &info).expect("valid"), Ordering::Equal);
        assert_eq!(compare_record_to_key(&long, &[], &info).expect("valid"), Ordering::Equal);
        let probe = [ValueRef::Integer(1), ValueRef::Null, ValueRef::Null];
        assert_eq!(compare_record_to_key(&long, &probe, &info).expect("valid"), Ordering::Less);
        let probe = [ValueRef::Integer(0), ValueRef::Null, ValueRef::Null];
        assert_eq!(compare_record_to_key(&long, &probe, &info).expect("valid"), Ordering::Greater);
    }

    // ----- property tests --------------------------------------------------------------------

    /// An owned value whose text may be invalid UTF-8, for properties over [`ValueRef`].
    #[derive(Debug, Clone)]
    enum Raw {
        Null,
        Int(i64),
        Real(f64),
        Text(Vec<u8>),
        Blob(Vec<u8>),
    }

    impl Raw {
        fn as_ref(&self) -> ValueRef<'_> {
            match self {
                Raw::Null => ValueRef::Null,
                Raw::Int(i) => ValueRef::Integer(*i),
                Raw::Real(r) => ValueRef::Real(*r),
                Raw::Text(t) => ValueRef::Text(t),
                Raw::Blob(b) => ValueRef::Blob(b),
            }
        }
    }

    fn refs(raws: &[Raw]) -> Vec<ValueRef<'_>> {
        raws.iter().map(Raw::as_ref).collect()
    }

    fn arb_int() -> impl Strategy<Value = i64> {
        let two53 = 1_i64 << 53;
        prop_oneof![
            any::<i64>(),
            -300_i64..300,
            prop::sample::select(vec![
                i64::MIN,
                i64::MIN + 1,
                i64::MAX,
                i64::MAX - 1,
                -129,
                128,
                32_768,
                -32_769,
                8_388_608,
                -8_388_609,
                1 << 31,
                -(1 << 31) - 1,
                1 << 47,
                -(1 << 47) - 1,
                two53 - 1,
                two53,
                two53 + 1,
                -two53 - 1,
            ]),
        ]
    }

    fn arb_real() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<f64>().prop_filter("NaN is stored as NULL", |r| !r.is_nan()),
            arb_int().prop_map(|i| i as f64),
            (-8_i32..8).prop_map(|i| f64::from(i) / 4.0),
            prop::sample::select(vec![
                -0.0,
                f64::INFINITY,
                f64::NEG_INFINITY,
                9_223_372_036_854_775_808.0,
                -9_223_372_036_854_775_808.0,
                9_007_199_254_740_994.0,
                f64::MIN_POSITIVE,
            ]),
        ]
    }

    /// Bytes from a small alphabet that exercises NOCASE (cases, '_', NUL), RTRIM (spaces, tab)
    /// and invalid UTF-8, so that equal and near-equal values come up often.
    fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
        let alphabet = b"aAbBzZ _\0\t\xc3\xa9\xff".to_vec();
        prop::collection::vec(prop::sample::select(alphabet), 0..6)
    }

    fn arb_raw() -> impl Strategy<Value = Raw> {
        prop_oneof![
            1 => Just(Raw::Null),
            3 => arb_int().prop_map(Raw::Int),
            3 => arb_real().prop_map(Raw::Real),
            3 => arb_bytes().prop_map(Raw::Text),
            2 => arb_bytes().prop_map(Raw::Blob),
        ]
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let chars = prop::sample::select(vec!['a', 'A', 'z', 'Z', ' ', '_', '\0', 'é', '€']);
        prop_oneof![
            1 => Just(Value::Null),
            3 => arb_int().prop_map(Value::Integer),
            3 => arb_real().prop_map(Value::Real),
            3 => prop::collection::vec(chars, 0..6).prop_map(|c| Value::Text(c.into_iter().collect())),
            2 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Value::Blob),
        ]
    }

    /// Pairs of values that are equal or nearly so, where comparison rules are most delicate:
    /// an integer against floats within 1 of it, and texts sharing a prefix (up to ASCII case)
    /// followed by tails of spaces, NULs and letters.
    fn arb_near_pair() -> impl Strategy<Value = (Raw, Raw)> {
        let deltas = prop::sample::select(vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        let tails: Vec<&[u8]> = vec![b"", b" ", b"  ", b"\t", b"\0", b"\0x", b"\0Y", b"x", b"X"];
        let tail = prop::sample::select(tails);
        prop_oneof![
            (arb_int(), deltas).prop_map(|(i, d)| (Raw::Int(i), Raw::Real(i as f64 + d))),
            (arb_bytes(), any::<u64>(), tail.clone(), tail).prop_map(|(p, flips, t1, t2)| {
                let flipped = p.iter().enumerate().map(|(i, &c)| {
                    if flips >> (i % 64) & 1 == 1 && c.is_ascii_alphabetic() {
                        c ^ 0x20
                    } else {
                        c
                    }
                });
                let a = p.iter().copied().chain(t1.iter().copied()).collect();
                let b = flipped.chain(t2.iter().copied()).collect();
                (Raw::Text(a), Raw::Text(b))
            }),
        ]
    }

    fn arb_collation() -> impl Strategy<Value = Collation> {
        prop::sample::select(vec![Collation::Binary, Collation::NoCase, Collation::Rtrim])
    }

    fn arb_key_info() -> impl Strategy<Value = KeyInfo> {
        (prop::collection::vec(arb_collation(), 0..4), prop::collection::vec(any::<bool>(), 0..4))
            .prop_map(|(collations, desc)| KeyInfo { collations, desc })
    }

    fn arb_record() -> impl Strategy<Value = Vec<Raw>> {
        prop::collection::vec(arb_raw(), 0..4)
    }

    proptest! {
        #[test]
        fn prop_values_round_trip(values in prop::collection::vec(arb_value(), 0..40)) {
            let rec = enc(&values);
            let decoded = decode_record(&rec).expect("own encoding is valid");
            prop_assert_eq!(decoded.len(), values.len());
            for (d, v) in decoded.iter().zip(&values) {
                prop_assert!(same(d.as_ref(), v.as_ref()), "{:?} != {:?}", d, v);
            }
        }

        #[test]
        fn prop_raw_values_round_trip_through_view(raws in prop::collection::vec(arb_raw(), 0..40)) {
            let values = refs(&raws);
            let rec = enc_refs(&values);
            let view = RecordView::parse(&rec).expect("own encoding is valid");
            prop_assert_eq!(view.len(), values.len());
            for (i, v) in values.iter().enumerate() {
                let got = view.get(i).expect("in range");
                prop_assert!(same(got, *v), "{:?} != {:?}", got, v);
            }
            // Every strict prefix of a valid record is corrupt (the body must fill the payload).
            for cut in 0..rec.len() {
                prop_assert!(is_corrupt(&RecordView::parse(&rec[..cut])));
            }
        }

        #[test]
        fn prop_random_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..64),
            other in prop::collection::vec(any::<u8>(), 0..16),
            key in arb_record(),
        ) {
            let decoded = decode_record(&bytes);
            if let Ok(view) = RecordView::parse(&bytes) {
                let decoded = decoded.expect("parse and decode agree");
                prop_assert_eq!(decoded.len(), view.len());
                for i in 0..=view.len() {
                    view.get(i).expect("parsed record reads");
                }
                // A valid record re-encodes to the same bytes unless it used a non-minimal
                // form; at least it must decode the same after re-encoding.
                let again = decode_record(&enc(&decoded)).expect("own encoding is valid");
                prop_assert_eq!(again.len(), decoded.len());
            } else {
                prop_assert!(is_corrupt(&decoded));
            }
            let info = KeyInfo::binary();
            let _ = compare_records(&bytes, &other, &info);
            let _ = compare_records(&other, &bytes, &info);
            let _ = compare_record_to_key(&bytes, &refs(&key), &info);
        }

        #[test]
        fn prop_mutated_records_never_panic(
            raws in arb_record(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let mut rec = enc_refs(&refs(&raws));
            let i = at.index(rec.len());
            rec[i] = byte;
            let _ = decode_record(&rec);
            let _ = compare_records(&rec, &rec, &KeyInfo::binary());
        }

        #[test]
        fn prop_comparison_is_antisymmetric_and_transitive(
            a in arb_record(), b in arb_record(), c in arb_record(), info in arb_key_info(),
        ) {
            let (ea, eb, ec) = (enc_refs(&refs(&a)), enc_refs(&refs(&b)), enc_refs(&refs(&c)));
            let cmp = |x: &[u8], y: &[u8]| compare_records(x, y, &info).expect("valid");
            let (ab, bc, ac) = (cmp(&ea, &eb), cmp(&eb, &ec), cmp(&ea, &ec));
            prop_assert_eq!(ab, cmp(&eb, &ea).reverse());
            prop_assert_eq!(cmp(&ea, &ea), Ordering::Equal);
            if ab != Ordering::Greater && bc != Ordering::Greater {
                prop_assert_ne!(ac, Ordering::Greater);
            }
            if ab == Ordering::Equal && bc == Ordering::Equal {
                prop_assert_eq!(ac, Ordering::Equal);
            }
            if ab == bc {
                prop_assert_eq!(ac, ab);
            }
        }

        #[test]
        fn prop_sorting_by_value_is_consistent(
            values in prop::collection::vec(arb_raw(), 0..12), coll in arb_collation(),
        ) {
            let mut sorted = refs(&values);
            sorted.sort_by(|&x, &y| compare_values(x, y, coll));
            for (i, &x) in sorted.iter().enumerate() {
                for &y in &sorted[i + 1..] {
                    prop_assert_ne!(compare_values(x, y, coll), Ordering::Greater, "{:?} {:?}", x, y);
                }
            }
        }

        #[test]
        fn prop_record_comparisons_agree(a in arb_record(), b in arb_record(), info in arb_key_info()) {
            let (ea, eb) = (enc_refs(&refs(&a)), enc_refs(&refs(&b)));
            let whole = compare_records(&ea, &eb, &info).expect("valid");
            let probe = compare_record_to_key(&ea, &refs(&b), &info).expect("valid");
            if a.len() <= b.len() || probe != Ordering::Equal {
                prop_assert_eq!(whole, probe);
            } else {
                // `b` is a proper prefix of `a`: a probe says Equal, the full compare Greater.
                prop_assert_eq!(whole, Ordering::Greater);
            }
            // Field by field, the record order is the value order.
            let mut expected = a.len().cmp(&b.len());
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                let ord = info.compare_field(i, x.as_ref(), y.as_ref());
                if ord != Ordering::Equal {
                    expected = ord;
                    break;
                }
            }
            prop_assert_eq!(whole, expected);
        }
    }

    // ----- differential tests against real SQLite ---------------------------------------------

    fn to_sql(v: ValueRef<'_>) -> rusqlite::types::ToSqlOutput<'_> {
        use rusqlite::types::{ToSqlOutput, ValueRef as Sql};
        ToSqlOutput::Borrowed(match v {
            ValueRef::Null => Sql::Null,
            ValueRef::Integer(i) => Sql::Integer(i),
            ValueRef::Real(r) => Sql::Real(r),
            ValueRef::Text(t) => Sql::Text(t),
            ValueRef::Blob(b) => Sql::Blob(b),
        })
    }

    /// `SQLite`'s ordering of `a` and `b` under `coll`, from `IS` and `<` (NULL first).
    fn sqlite_order(
        conn: &rusqlite::Connection,
        a: ValueRef<'_>,
        b: ValueRef<'_>,
        coll: Collation,
    ) -> Ordering {
        let name = match coll {
            Collation::Binary => "BINARY",
            Collation::NoCase => "NOCASE",
            Collation::Rtrim => "RTRIM",
        };
        let sql = format!(
            "SELECT ?1 IS ?2 COLLATE {name}, \
                    coalesce(?1 < ?2 COLLATE {name}, ?1 IS NULL AND ?2 IS NOT NULL)"
        );
        let mut stmt = conn.prepare_cached(&sql).expect("prepare");
        let (eq, lt): (bool, bool) = stmt
            .query_row([to_sql(a), to_sql(b)], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("query");
        if eq {
            Ordering::Equal
        } else if lt {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    }

    #[test]
    fn differential_compare_values_matches_sqlite() {
        use proptest::test_runner::{Config, TestRunner};
        let conn = rusqlite::Connection::open_in_memory().expect("open sqlite");
        let mut runner = TestRunner::new(Config { cases: 2000, ..Config::default() });
        // NaN binds as NULL in SQLite, which is how `compare_values` treats it too.
        let value = prop_oneof![9 => arb_raw(), 1 => Just(Raw::Real(f64::NAN))].boxed();
        let pair = prop_oneof![(value.clone(), value), arb_near_pair()];
        runner
            .run(&(pair, arb_collation()), |((a, b), coll)| {
                let ours = compare_values(a.as_ref(), b.as_ref(), coll);
                let theirs = sqlite_order(&conn, a.as_ref(), b.as_ref(), coll);
                prop_assert_eq!(ours, theirs, "{:?} vs {:?} under {:?}", a, b, coll);
                Ok(())
            })
            .expect("compare_values agrees with SQLite");
    }

    /// Reads the payload of the only cell on a table-leaf page, without overflow.
    fn single_cell_payload(page: &[u8]) -> Vec<u8> {
        assert_eq!(page[0], 0x0d, "table leaf page");
        assert_eq!(get_u16(page, 3), 1, "one cell");
        let cell = usize::from(get_u16(page, 8));
        let (len, n) = get_varint(&page[cell..]).expect("payload size");
        let (_rowid, m) = get_varint(&page[cell + n..]).expect("rowid");
        let start = cell + n + m;
        page[start..start + len as usize].to_vec()
    }

    #[test]
    fn differential_encoding_matches_sqlite_file_bytes() {
        use proptest::test_runner::{Config, TestRunner};
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rec.db");
        let mut runner = TestRunner::new(Config { cases: 64, ..Config::default() });
        let row = prop::collection::vec(arb_value(), 0..8);
        runner
            .run(&row, |values| {
                // A table needs a column; an empty row is stored as one NULL.
                let values = if values.is_empty() { vec![Value::Null] } else { values };
                let _ = std::fs::remove_file(&path);
                let conn = rusqlite::Connection::open(&path).expect("open sqlite");
                let cols: Vec<String> = (0..values.len()).map(|i| format!("c{i}")).collect();
                conn.execute(&format!("CREATE TABLE t({})", cols.join(", ")), []).expect("create");
                let marks = vec!["?"; values.len()].join(", ");
                let params = values.iter().map(|v| to_sql(v.as_ref()));
                conn.execute(
                    &format!("INSERT INTO t VALUES ({marks})"),
                    rusqlite::params_from_iter(params),
                )
                .expect("insert");
                drop(conn);
                let file = std::fs::read(&path).expect("read db");
                let page_size = usize::from(get_u16(&file, 16));
                let payload = single_cell_payload(&file[page_size..2 * page_size]);
                prop_assert_eq!(enc(&values), payload);
                Ok(())
            })
            .expect("encoding agrees with SQLite");
    }
}
