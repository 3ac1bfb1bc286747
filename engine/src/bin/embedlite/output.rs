//! How the shell prints a result: the output modes of `sqlite3` (`.mode`), byte for byte where
//! it matters to scripts (list, csv, json, quote, insert) and closely for the boxed ones.
//!
//! | mode       | shape                                                             |
//! |------------|-------------------------------------------------------------------|
//! | `list`     | values joined by the column separator (`|`), NULL as `.nullvalue` |
//! | `csv`      | RFC 4180 quoting where `sqlite3` quotes, rows end in `\r\n`       |
//! | `json`     | `[{"col":value,...},\n{...}]`                                     |
//! | `line`     | one `name = value` line per column, a blank line between rows     |
//! | `column`   | left-aligned columns two spaces apart, dashes under the header    |
//! | `table`    | ASCII boxes (`+---+`)                                             |
//! | `box`      | Unicode boxes (`┌─┬─┐`)                                           |
//! | `markdown` | a Markdown table                                                  |
//! | `quote`    | SQL literals joined by `,`                                        |
//! | `insert`   | `INSERT INTO "table" VALUES(...);` per row                        |

use std::borrow::Cow;
use std::io::{self, Write};

use embedlite::sql::coerce::real_to_text;
use embedlite::Value;

use crate::dump::{quote_ident, sql_literal, LiteralStyle};

/// An output mode (`.mode NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    List,
    Csv,
    Json,
    Line,
    Column,
    Table,
    Box,
    Markdown,
    Quote,
    Insert,
}

impl Mode {
    /// The names `.mode` accepts, for its error message and `.help`.
    pub const NAMES: &'static str =
        "box column csv insert json line list markdown quote table tabs";

    pub fn name(self) -> &'static str {
        match self {
            Mode::List => "list",
            Mode::Csv => "csv",
            Mode::Json => "json",
            Mode::Line => "line",
            Mode::Column => "column",
            Mode::Table => "table",
            Mode::Box => "box",
            Mode::Markdown => "markdown",
            Mode::Quote => "quote",
            Mode::Insert => "insert",
        }
    }

    /// Modes that lay the whole result out in aligned columns.
    fn columnar(self) -> bool {
        matches!(self, Mode::Column | Mode::Table | Mode::Box | Mode::Markdown)
    }
}

/// The settings that shape output: `.mode`, `.headers`, `.separator`, `.nullvalue`.
#[derive(Debug, Clone)]
pub struct Format {
    pub mode: Mode,
    pub headers: bool,
    /// Whether the user chose `.headers` explicitly; if not, `column` mode turns headers on.
    pub headers_set: bool,
    pub col_sep: String,
    pub row_sep: String,
    pub null: String,
    /// The table name of `insert` mode.
    pub insert_table: String,
}

impl Default for Format {
    fn default() -> Self {
        Format {
            mode: Mode::List,
            headers: false,
            headers_set: false,
            col_sep: "|".into(),
            row_sep: "\n".into(),
            null: String::new(),
            insert_table: "table".into(),
        }
    }
}

impl Format {
    /// Switches to the mode `name` (with `sqlite3`'s side effects on separators and headers).
    /// `arg` is the table name of `insert` mode.
    pub fn set_mode(&mut self, name: &str, arg: Option<&str>) -> Result<(), String> {
        let mode = match name {
            "list" => {
                self.col_sep = "|".into();
                self.row_sep = "\n".into();
                Mode::List
            }
            "tabs" => {
                self.col_sep = "\t".into();
                Mode::List
            }
            "csv" => {
                self.col_sep = ",".into();
                self.row_sep = "\r\n".into();
                Mode::Csv
            }
            "quote" => {
                self.col_sep = ",".into();
                self.row_sep = "\n".into();
                Mode::Quote
            }
            "line" | "lines" => {
                self.row_sep = "\n".into();
                Mode::Line
            }
            "column" | "columns" => {
                if !self.headers_set {
                    self.headers = true;
                }
                self.row_sep = "\n".into();
                Mode::Column
            }
            "json" => Mode::Json,
            "table" => Mode::Table,
            "box" => Mode::Box,
            "markdown" => Mode::Markdown,
            "insert" => {
                self.insert_table = arg.unwrap_or("table").to_string();
                Mode::Insert
            }
            _ => return Err(format!("mode should be one of: {}", Mode::NAMES)),
        };
        self.mode = mode;
        Ok(())
    }
}

/// A value as `sqlite3` prints it from `sqlite3_column_text`: up to the first NUL byte (it is a
/// C string there); `None` for NULL.
fn text_of(v: &Value) -> Option<Cow<'_, [u8]>> {
    let until_nul = |b: &[u8]| b.iter().position(|&c| c == 0).map_or(b.len(), |n| n);
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(Cow::Owned(i.to_string().into_bytes())),
        Value::Real(f) => Some(Cow::Owned(real_to_text(*f).into_bytes())),
        Value::Text(s) => Some(Cow::Borrowed(&s.as_bytes()[..until_nul(s.as_bytes())])),
        Value::Blob(b) => Some(Cow::Borrowed(&b[..until_nul(b)])),
    }
}

/// A value's text, or the `.nullvalue` string for NULL.
fn text_or_null<'a>(v: &'a Value, null: &'a str) -> Cow<'a, [u8]> {
    text_of(v).unwrap_or(Cow::Borrowed(null.as_bytes()))
}

/// Prints one result in the current mode. Nothing is printed for a result without rows, as in
/// `sqlite3` (headers come with the first row).
pub fn write_result(
    out: &mut dyn Write,
    f: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    if f.mode.columnar() {
        return write_columnar(out, f, columns, rows);
    }
    match f.mode {
        Mode::List => write_list(out, f, columns, rows),
        Mode::Csv => write_csv(out, f, columns, rows),
        Mode::Json => write_json(out, columns, rows),
        Mode::Line => write_line(out, f, columns, rows),
        Mode::Quote => write_quote(out, f, columns, rows),
        Mode::Insert => write_insert(out, f, rows),
        Mode::Column | Mode::Table | Mode::Box | Mode::Markdown => {
            unreachable!("columnar modes handled above")
        }
    }
}

fn write_list(
    out: &mut dyn Write,
    f: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if f.headers {
        out.write_all(columns.join(&f.col_sep).as_bytes())?;
        out.write_all(f.row_sep.as_bytes())?;
    }
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.write_all(f.col_sep.as_bytes())?;
            }
            out.write_all(&text_or_null(v, &f.null))?;
        }
        out.write_all(f.row_sep.as_bytes())?;
    }
    Ok(())
}

/// Whether `sqlite3` puts a CSV field in quotes because of this byte: control characters,
/// space, `"`, `'`, DEL and every non-ASCII byte (its `needCsvQuote` table).
fn csv_needs_quote(b: u8) -> bool {
    b < 0x20 || matches!(b, b' ' | b'"' | b'\'') || b >= 0x7f
}

fn write_csv_field(out: &mut dyn Write, field: Option<&[u8]>, f: &Format) -> io::Result<()> {
    let Some(z) = field else {
        return out.write_all(f.null.as_bytes());
    };
    let sep = f.col_sep.as_bytes();
    let quote = z.is_empty()
        || z.iter().copied().any(csv_needs_quote)
        || (!sep.is_empty() && z.windows(sep.len()).any(|w| w == sep));
    if !quote {
        return out.write_all(z);
    }
    out.write_all(b"\"")?;
    for part in z.split(|&b| b == b'"').enumerate() {
        if part.0 > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part.1)?;
    }
    out.write_all(b"\"")
}

fn write_csv(
    out: &mut dyn Write,
    f: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if f.headers {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.write_all(f.col_sep.as_bytes())?;
            }
            write_csv_field(out, Some(c.as_bytes()), f)?;
        }
        out.write_all(f.row_sep.as_bytes())?;
    }
    for row in rows {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.write_all(f.col_sep.as_bytes())?;
            }
            write_csv_field(out, text_of(v).as_deref(), f)?;
        }
        out.write_all(f.row_sep.as_bytes())?;
    }
    Ok(())
}

/// A JSON string as `sqlite3` writes it: `"` and `\` escaped, control characters as `\n`,
/// `\u0001`, ...; other bytes (even invalid UTF-8 from a blob) as they are.
fn write_json_string(out: &mut dyn Write, z: &[u8]) -> io::Result<()> {
    out.write_all(b"\"")?;
    let mut start = 0;
    for (i, &c) in z.iter().enumerate() {
        let esc: Cow<'static, [u8]> = match c {
            b'"' => Cow::Borrowed(b"\\\""),
            b'\\' => Cow::Borrowed(b"\\\\"),
            0x08 => Cow::Borrowed(b"\\b"),
            0x0c => Cow::Borrowed(b"\\f"),
            b'\n' => Cow::Borrowed(b"\\n"),
            b'\r' => Cow::Borrowed(b"\\r"),
            b'\t' => Cow::Borrowed(b"\\t"),
            c if c < 0x20 => Cow::Owned(format!("\\u{c:04x}").into_bytes()),
            _ => continue,
        };
        out.write_all(&z[start..i])?;
        out.write_all(&esc)?;
        start = i + 1;
    }
    out.write_all(&z[start..])?;
    out.write_all(b"\"")
}

fn write_json(out: &mut dyn Write, columns: &[String], rows: &[Vec<Value>]) -> io::Result<()> {
    for (r, row) in rows.iter().enumerate() {
        out.write_all(if r == 0 { b"[{" } else { b",\n{" })?;
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_json_string(out, columns.get(i).map_or(&b""[..], |c| c.as_bytes()))?;
            out.write_all(b":")?;
            match v {
                Value::Null => out.write_all(b"null")?,
                Value::Integer(n) => write!(out, "{n}")?,
                Value::Real(x) if x.is_infinite() => {
                    out.write_all(if *x > 0.0 { b"1e999" } else { b"-1e999" })?;
                }
                Value::Real(x) => out.write_all(real_20g(*x).as_bytes())?,
                Value::Text(s) => write_json_string(out, s.as_bytes())?,
                Value::Blob(b) => write_json_string(out, b)?,
            }
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"]\n")
}

fn write_line(
    out: &mut dyn Write,
    f: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    let w = columns.iter().map(|c| c.chars().count()).max().unwrap_or(0).max(5);
    for (r, row) in rows.iter().enumerate() {
        if r > 0 {
            out.write_all(f.row_sep.as_bytes())?;
        }
        for (i, v) in row.iter().enumerate() {
            let name = columns.get(i).map_or("", String::as_str);
            write!(out, "{name:>w$} = ")?;
            out.write_all(&text_or_null(v, &f.null))?;
            out.write_all(f.row_sep.as_bytes())?;
        }
    }
    Ok(())
}

fn write_quote(
    out: &mut dyn Write,
    f: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    if f.headers {
        let names: Vec<String> = columns
            .iter()
            .map(|c| sql_literal(&Value::Text(c.clone()), LiteralStyle::Quote))
            .collect();
        out.write_all(names.join(&f.col_sep).as_bytes())?;
        out.write_all(f.row_sep.as_bytes())?;
    }
    for row in rows {
        let vals: Vec<String> = row.iter().map(|v| sql_literal(v, LiteralStyle::Quote)).collect();
        out.write_all(vals.join(&f.col_sep).as_bytes())?;
        out.write_all(f.row_sep.as_bytes())?;
    }
    Ok(())
}

fn write_insert(out: &mut dyn Write, f: &Format, rows: &[Vec<Value>]) -> io::Result<()> {
    let table = quote_ident(&f.insert_table, false);
    for row in rows {
        write_insert_row(out, &table, row)?;
    }
    Ok(())
}

/// `INSERT INTO table VALUES(...);` with the values as `.dump` writes them.
pub fn write_insert_row(out: &mut dyn Write, quoted_table: &str, row: &[Value]) -> io::Result<()> {
    let vals: Vec<String> = row.iter().map(|v| sql_literal(v, LiteralStyle::Dump)).collect();
    writeln!(out, "INSERT INTO {quoted_table} VALUES({});", vals.join(","))
}

/// A real as `sqlite3_snprintf("%!.20g")` writes it: 20 significant digits (enough to read back
/// the same double), trailing zeros dropped but at least one digit after the point, and an
/// exponent of at least two digits: `0.10000000000000000555`, `1.0e+20`, `100.0`.
pub fn real_20g(x: f64) -> String {
    if x == 0.0 {
        return "0.0".into();
    }
    if !x.is_finite() {
        return real_to_text(x);
    }
    // Rust prints the exact decimal expansion rounded to 20 digits: d.ddd...e±x.
    let sci = format!("{:.19e}", x.abs());
    let (mant, exp) = sci.split_once('e').expect("`{:e}` output has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if x < 0.0 { "-" } else { "" };
    if !(-4..20).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}.{tail}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        let zeros = "0".repeat(int_len - digits.len());
        format!("{sign}{digits}{zeros}.0")
    } else {
        let (int, frac) = digits.split_at(int_len);
        format!("{sign}{int}.{frac}")
    }
}

/// One cell of a columnar result, split into display lines: tabs expanded to the next multiple
/// of 8, and a line break at `\n`, `\r\n` or any other control character (as `sqlite3` does, so
/// that a stray control byte cannot wreck the layout).
fn display_lines(z: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(z);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut width = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\t' {
            loop {
                cur.push(' ');
                width += 1;
                if width % 8 == 0 {
                    break;
                }
            }
        } else if (c as u32) < 0x20 {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            lines.push(std::mem::take(&mut cur));
            width = 0;
        } else {
            cur.push(c);
            width += 1;
        }
    }
    lines.push(cur);
    lines
}

fn width_of(s: &str) -> usize {
    s.chars().count()
}

fn pad_right(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width_of(s));
    format!("{s}{}", " ".repeat(n))
}

fn center(s: &str, w: usize) -> String {
    let n = w.saturating_sub(width_of(s));
    let left = n / 2;
    format!("{}{s}{}", " ".repeat(left), " ".repeat(n - left))
}

/// The pieces of a boxed layout: `(left, fill, join, right)` for a rule line.
struct Rule(&'static str, &'static str, &'static str, &'static str);

fn write_rule(out: &mut dyn Write, widths: &[usize], r: &Rule) -> io::Result<()> {
    let cells: Vec<String> = widths.iter().map(|w| r.1.repeat(w + 2)).collect();
    writeln!(out, "{}{}{}", r.0, cells.join(r.2), r.3)
}

/// `column`, `table`, `box` and `markdown`: the whole result is laid out at once, each column as
/// wide as its widest line (the header included, even when it is not shown).
fn write_columnar(
    out: &mut dyn Write,
    f: &Format,
    columns: &[String],
    rows: &[Vec<Value>],
) -> io::Result<()> {
    let n = columns.len();
    let header: Vec<Vec<String>> = columns.iter().map(|c| display_lines(c.as_bytes())).collect();
    let body: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|row| row.iter().map(|v| display_lines(&text_or_null(v, &f.null))).collect())
        .collect();
    let mut widths = vec![0usize; n];
    for cells in std::iter::once(&header).chain(body.iter()) {
        for (i, cell) in cells.iter().enumerate().take(n) {
            for line in cell {
                widths[i] = widths[i].max(width_of(line));
            }
        }
    }
    let multiline = body.iter().any(|cells| cells.iter().any(|c| c.len() > 1));
    let (bar, sep, end) = match f.mode {
        Mode::Column => ("", "  ", ""),
        Mode::Box => ("│ ", " │ ", " │"),
        _ => ("| ", " | ", " |"),
    };
    let write_row =
        |out: &mut dyn Write, cells: &[Vec<String>], centered: bool| -> io::Result<()> {
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for l in 0..height {
                let parts: Vec<String> = (0..n)
                    .map(|i| {
                        let s = cells.get(i).and_then(|c| c.get(l)).map_or("", String::as_str);
                        if centered {
                            center(s, widths[i])
                        } else {
                            pad_right(s, widths[i])
                        }
                    })
                    .collect();
                writeln!(out, "{bar}{}{end}", parts.join(sep))?;
            }
            Ok(())
        };
    match f.mode {
        Mode::Column => {
            if f.headers {
                write_row(out, &header, false)?;
                let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                writeln!(out, "{}", dashes.join("  "))?;
            }
            for (r, cells) in body.iter().enumerate() {
                if multiline && r > 0 {
                    out.write_all(f.row_sep.as_bytes())?;
                }
                write_row(out, cells, false)?;
            }
        }
        Mode::Table | Mode::Box => {
            let (top, mid, bottom) = if f.mode == Mode::Box {
                (Rule("┌", "─", "┬", "┐"), Rule("├", "─", "┼", "┤"), Rule("└", "─", "┴", "┘"))
            } else {
                (Rule("+", "-", "+", "+"), Rule("+", "-", "+", "+"), Rule("+", "-", "+", "+"))
            };
            write_rule(out, &widths, &top)?;
            write_row(out, &header, true)?;
            write_rule(out, &widths, &mid)?;
            for (r, cells) in body.iter().enumerate() {
                if multiline && r > 0 {
                    write_rule(out, &widths, &mid)?;
                }
                write_row(out, cells, false)?;
            }
            write_rule(out, &widths, &bottom)?;
        }
        Mode::Markdown => {
            write_row(out, &header, true)?;
            write_rule(out, &widths, &Rule("|", "-", "|", "|"))?;
            for cells in &body {
                write_row(out, cells, false)?;
            }
        }
        _ => unreachable!("only columnar modes come here"),
    }
    Ok(())
}

/// Prints names in columns across an 80-character line, filled column by column, as `.tables`
/// and `.indexes` do.
pub fn write_name_columns(out: &mut dyn Write, names: &[String]) -> io::Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let max = names.iter().map(|s| width_of(s)).max().unwrap_or(0);
    let per_line = (80 / (max + 2)).max(1);
    let lines = names.len().div_ceil(per_line);
    for i in 0..lines {
        let mut line = String::new();
        for (k, name) in names.iter().enumerate().skip(i).step_by(lines) {
            if k >= lines {
                line.push_str("  ");
            }
            line.push_str(&pad_right(name, max));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_20g_matches_sqlite() {
        assert_eq!(real_20g(0.1), "0.10000000000000000555");
        assert_eq!(real_20g(1.5), "1.5");
        assert_eq!(real_20g(100.0), "100.0");
        assert_eq!(real_20g(1e20), "1.0e+20");
        assert_eq!(real_20g(-2.5e-7), "-2.4999999999999998869e-07");
        assert_eq!(real_20g(1e-300), "1.0000000000000000251e-300");
        assert_eq!(real_20g(0.001), "0.0010000000000000000208");
        assert_eq!(real_20g(-0.0), "0.0");
    }

    #[test]
    fn csv_quotes_like_sqlite() {
        let f = Format { col_sep: ",".into(), ..Format::default() };
        let mut out = Vec::new();
        for z in [&b"plain"[..], b"", b"a b", b"x,y", b"say \"hi\""] {
            write_csv_field(&mut out, Some(z), &f).expect("write to Vec");
            out.push(b'/');
        }
        assert_eq!(String::from_utf8_lossy(&out), "plain/\"\"/\"a b\"/\"x,y\"/\"say \"\"hi\"\"\"/");
    }

    #[test]
    fn display_lines_expands_tabs_and_breaks_lines() {
        assert_eq!(display_lines(b"a\tb"), vec!["a       b".to_string()]);
        assert_eq!(display_lines(b"x\r\ny\x01z"), vec!["x".to_string(), "y".into(), "z".into()]);
    }
}
