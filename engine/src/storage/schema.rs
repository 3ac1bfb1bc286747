//! The schema table `sqlite_schema` (b-tree rooted at page 1): one row per table, index, view
//! and trigger — `(type, name, tbl_name, rootpage, sql)` — exactly as SQLite stores them.

use crate::error::{Error, Result};
use crate::storage::btree::{self, Cursor, TreeKind};
use crate::storage::format::PageNo;
use crate::storage::header::offset;
use crate::storage::pager::Pager;
use crate::storage::record::{decode_record, encode_record, Value};

/// One row of `sqlite_schema`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaEntry {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// The table it belongs to.
    pub tbl_name: String,
    /// Root page of its b-tree (0 for views and triggers).
    pub rootpage: u32,
    /// The `CREATE` statement (NULL for automatic indexes).
    pub sql: Option<String>,
}

impl SchemaEntry {
    fn from_values(values: &[Value], rowid: i64) -> Result<Self> {
        let text = |i: usize| -> Result<String> {
            match values.get(i) {
                Some(Value::Text(s)) => Ok(s.clone()),
                _ => Err(Error::corrupt(
                    PageNo::ONE,
                    format!("sqlite_schema row {rowid}: column {i} is not text"),
                )),
            }
        };
        let rootpage = match values.get(3) {
            Some(Value::Integer(n)) => u32::try_from(*n).map_err(|_| {
                Error::corrupt(PageNo::ONE, format!("sqlite_schema row {rowid}: bad rootpage {n}"))
            })?,
            Some(Value::Null) | None => 0,
            Some(_) => {
                return Err(Error::corrupt(
                    PageNo::ONE,
                    format!("sqlite_schema row {rowid}: rootpage is not an integer"),
                ))
            }
        };
        let sql = match values.get(4) {
            Some(Value::Text(s)) => Some(s.clone()),
            _ => None,
        };
        Ok(SchemaEntry { kind: text(0)?, name: text(1)?, tbl_name: text(2)?, rootpage, sql })
    }

    /// The row's values, in `sqlite_schema`'s column order.
    #[must_use]
    pub fn to_values(&self) -> Vec<Value> {
        vec![
            Value::Text(self.kind.clone()),
            Value::Text(self.name.clone()),
            Value::Text(self.tbl_name.clone()),
            Value::Integer(i64::from(self.rootpage)),
            self.sql.clone().map_or(Value::Null, Value::Text),
        ]
    }
}

/// Reads every schema row with its rowid.
pub fn read_schema(pager: &mut Pager) -> Result<Vec<(i64, SchemaEntry)>> {
    let mut out = Vec::new();
    if pager.db_size() == 0 {
        return Ok(out);
    }
    let mut cur = Cursor::new(PageNo::ONE, TreeKind::Table);
    let mut ok = cur.first(pager)?;
    while ok {
        let rowid = cur.rowid(pager)?;
        let values = decode_record(&cur.payload(pager)?)?;
        out.push((rowid, SchemaEntry::from_values(&values, rowid)?));
        ok = cur.next(pager)?;
    }
    Ok(out)
}

/// Adds a schema row and bumps the schema cookie. Returns the row's rowid.
pub fn add_entry(pager: &mut Pager, entry: &SchemaEntry) -> Result<i64> {
    let mut cur = Cursor::new(PageNo::ONE, TreeKind::Table);
    let rowid = if cur.last(pager)? { cur.rowid(pager)? + 1 } else { 1 };
    let mut rec = Vec::new();
    encode_record(&entry.to_values(), &mut rec);
    btree::table_insert(pager, PageNo::ONE, rowid, &rec)?;
    bump_cookie(pager)?;
    Ok(rowid)
}

/// Replaces the schema row `rowid` in place (keeping its position, which orders triggers) and
/// bumps the schema cookie.
pub fn update_entry(pager: &mut Pager, rowid: i64, entry: &SchemaEntry) -> Result<()> {
    let mut rec = Vec::new();
    encode_record(&entry.to_values(), &mut rec);
    btree::table_insert(pager, PageNo::ONE, rowid, &rec)?;
    bump_cookie(pager)
}

/// Removes the schema row `rowid` and bumps the schema cookie.
pub fn remove_entry(pager: &mut Pager, rowid: i64) -> Result<()> {
    btree::table_delete(pager, PageNo::ONE, rowid)?;
    bump_cookie(pager)
}

/// Increments the schema cookie so that other connections reload the schema.
pub fn bump_cookie(pager: &mut Pager) -> Result<()> {
    let c = pager.header_u32(offset::SCHEMA_COOKIE)?;
    pager.set_header_u32(offset::SCHEMA_COOKIE, c.wrapping_add(1))
}

/// The object name in a `CREATE TABLE/INDEX/VIEW/TRIGGER [IF NOT EXISTS] name ...` statement,
/// unquoted. Only the name is read here; the SQL layer parses the rest.
pub fn name_from_create(sql: &str) -> Result<String> {
    let bad = || Error::Misuse(format!("cannot find the object name in {sql:?}"));
    let mut rest = sql.trim_start();
    let word = |rest: &mut &str| -> Option<String> {
        let s = rest.trim_start();
        let first = s.chars().next()?;
        let (tok, after) = if let q @ ('"' | '`' | '[') = first {
            let close = if q == '[' { ']' } else { q };
            let end = s[1..].find(close)? + 1;
            (s[1..end].to_string(), &s[end + 1..])
        } else {
            let end =
                s.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).unwrap_or(s.len());
            if end == 0 {
                return None;
            }
            (s[..end].to_string(), &s[end..])
        };
        *rest = after;
        Some(tok)
    };
    let first = word(&mut rest).ok_or_else(bad)?;
    if !first.eq_ignore_ascii_case("create") {
        return Err(bad());
    }
    loop {
        let w = word(&mut rest).ok_or_else(bad)?;
        let upper = w.to_ascii_uppercase();
        match upper.as_str() {
            "TEMP" | "TEMPORARY" | "UNIQUE" | "VIRTUAL" | "TABLE" | "INDEX" | "VIEW"
            | "TRIGGER" => {}
            "IF" => {
                word(&mut rest).ok_or_else(bad)?;
                word(&mut rest).ok_or_else(bad)?;
            }
            _ => return Ok(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_create_statements() {
        assert_eq!(name_from_create("CREATE TABLE t1(a)").expect("name"), "t1");
        assert_eq!(
            name_from_create("create table if not exists \"my t\" (a)").expect("name"),
            "my t"
        );
        assert_eq!(name_from_create("CREATE UNIQUE INDEX [i x] ON t(a)").expect("name"), "i x");
        assert!(name_from_create("SELECT 1").is_err());
    }
}
