//! `.import FILE TABLE`: reading CSV (or separator-delimited) records into a table, as
//! `sqlite3` does: a missing table is created from the header row with every column `TEXT`;
//! into an existing table every record (the first one too, unless `--skip 1`) is data; short
//! records are filled with NULL and long ones cut, each with a warning naming the line.

use std::io::Write;

use embedlite::{Connection, Value};

use crate::commands::CmdError;
use crate::dump::{quote_ident, schema_rows};

/// How fields and records are separated.
#[derive(Debug, Clone, Copy)]
pub struct Separators {
    pub col: u8,
    pub row: u8,
    /// Whether `"` starts a quoted field (everything but `--ascii`).
    pub quotes: bool,
}

/// One record and the line it started on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Splits `data` into records. Quoted fields may hold separators, newlines and doubled quotes
/// (`""`); a `\r` before the row separator is dropped; a UTF-8 byte order mark at the start is
/// skipped. A final row separator does not start an empty record.
pub fn parse_records(data: &[u8], sep: Separators) -> Vec<Record> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut records = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while pos < data.len() {
        let start_line = line;
        let mut fields = Vec::new();
        loop {
            let mut field = Vec::new();
            let term;
            if sep.quotes && data.get(pos) == Some(&b'"') {
                pos += 1;
                loop {
                    match data.get(pos) {
                        None => {
                            term = None;
                            break;
                        }
                        Some(&b'"') if data.get(pos + 1) == Some(&b'"') => {
                            field.push(b'"');
                            pos += 2;
                        }
                        Some(&b'"') => {
                            pos += 1;
                            // The closing quote; anything up to the next separator is kept as
                            // it is (sqlite3 warns about the stray quote and does the same).
                            while let Some(&c) = data.get(pos) {
                                if c == sep.col || c == sep.row {
                                    break;
                                }
                                if !(c == b'\r' && data.get(pos + 1) == Some(&sep.row)) {
                                    field.push(c);
                                }
                                pos += 1;
                            }
                            term = data.get(pos).copied();
                            pos += 1;
                            break;
                        }
                        Some(&c) => {
                            if c == sep.row {
                                line += 1;
                            }
                            field.push(c);
                            pos += 1;
                        }
                    }
                }
            } else {
                while let Some(&c) = data.get(pos) {
                    if c == sep.col || c == sep.row {
                        break;
                    }
                    field.push(c);
                    pos += 1;
                }
                term = data.get(pos).copied();
                pos += 1;
                if term == Some(sep.row) && field.last() == Some(&b'\r') {
                    field.pop();
                }
            }
            fields.push(String::from_utf8_lossy(&field).into_owned());
            if term == Some(sep.row) {
                line += 1;
            }
            if term != Some(sep.col) {
                break;
            }
        }
        records.push(Record { line: start_line, fields });
    }
    records
}

/// Runs `.import`: reads `file`, creates `table` from the header if it does not exist, and
/// inserts the records in one transaction. Problems with single records are warnings on
/// `warn`; a record that fails to insert counts as an error. Returns the number of rows
/// inserted.
pub fn import(
    conn: &mut Connection,
    warn: &mut dyn Write,
    file: &str,
    table: &str,
    sep: Separators,
    skip: usize,
) -> Result<usize, CmdError> {
    let data = std::fs::read(file).map_err(|_| CmdError::Msg(format!("cannot open \"{file}\"")))?;
    let mut records = parse_records(&data, sep).into_iter().skip(skip).peekable();
    let quoted = quote_ident(table, true);
    let exists = schema_rows(conn)?
        .iter()
        .any(|r| matches!(r.kind.as_str(), "table" | "view") && r.name.eq_ignore_ascii_case(table));
    let ncol = if exists {
        conn.prepare(&format!("SELECT * FROM {quoted}"))?.columns().len()
    } else {
        let Some(header) = records.next() else {
            return Err(CmdError::Msg(format!("{file}: empty file")));
        };
        let cols: Vec<String> =
            header.fields.iter().map(|c| format!("{} TEXT", quote_ident(c, true))).collect();
        conn.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {quoted}(\n{})", cols.join(", ")))?;
        header.fields.len()
    };
    if ncol == 0 {
        return Err(CmdError::Msg(format!("table {table} has no columns")));
    }
    let marks = vec!["?"; ncol].join(",");
    let insert = conn.prepare(&format!("INSERT INTO {quoted} VALUES({marks})"))?;
    let own_txn = conn.is_autocommit();
    if own_txn {
        conn.execute_batch("BEGIN")?;
    }
    let mut inserted = 0;
    let mut failed = 0;
    for rec in records {
        let found = rec.fields.len();
        if found < ncol {
            writeln!(
                warn,
                "{file}:{}: expected {ncol} columns but found {found} - filling the rest with NULL",
                rec.line
            )?;
        } else if found > ncol {
            writeln!(
                warn,
                "{file}:{}: expected {ncol} columns but found {found} - extras ignored",
                rec.line
            )?;
        }
        let mut params: Vec<Value> = rec.fields.into_iter().take(ncol).map(Value::Text).collect();
        params.resize(ncol, Value::Null);
        match conn.query_prepared(&insert, &params) {
            Ok(_) => inserted += 1,
            Err(e) => {
                writeln!(warn, "{file}:{}: INSERT failed: {e}", rec.line)?;
                failed += 1;
            }
        }
    }
    if own_txn {
        conn.execute_batch("COMMIT")?;
    }
    if failed > 0 {
        return Err(CmdError::Msg(format!("{failed} rows of {file} failed to insert")));
    }
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: Separators = Separators { col: b',', row: b'\n', quotes: true };

    fn fields(data: &str) -> Vec<Vec<String>> {
        parse_records(data.as_bytes(), CSV).into_iter().map(|r| r.fields).collect()
    }

    #[test]
    fn csv_records_with_quotes_and_newlines() {
        let recs = parse_records(b"a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n3,\n", CSV);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].fields, vec!["a", "b"]);
        assert_eq!(recs[1].fields, vec!["x, \"y\"", "two\nlines"]);
        assert_eq!(recs[2], Record { line: 4, fields: vec!["3".into(), String::new()] });
    }

    #[test]
    fn last_line_without_newline_and_blank_lines() {
        assert_eq!(fields("1,2"), vec![vec!["1", "2"]]);
        assert_eq!(fields("1\n\n2\n"), vec![vec!["1"], vec![""], vec!["2"]]);
        assert_eq!(fields("\u{feff}h\n"), vec![vec!["h"]]);
        assert_eq!(fields("\"q\"\r\n"), vec![vec!["q"]]);
    }
}
