//! The schema commands (`.dump`, `.schema`, `.tables`, `.indexes`) and SQL literal quoting.
//!
//! `.dump` writes what `sqlite3` writes, so that the real `sqlite3` reads it back:
//!
//! ```text
//! PRAGMA foreign_keys=OFF;
//! BEGIN TRANSACTION;
//! CREATE TABLE t(a, b);                    -- each table (sqlite_* tables left out), rowid order
//! INSERT INTO t VALUES(1,'it''s');         -- its rows, values as `sql_literal(.., Dump)`
//! DELETE FROM sqlite_sequence;             -- AUTOINCREMENT counters, after every table
//! INSERT INTO sqlite_sequence VALUES('t',1);
//! CREATE INDEX i ON t(b);                  -- then indexes, triggers and views
//! COMMIT;                                  -- or `ROLLBACK; -- due to errors`
//! ```

use std::fmt::Write as _;
use std::io::{self, Write};

use embedlite::{Connection, Value};

use crate::output::{real_20g, write_insert_row, write_name_columns};

/// The words `sqlite3_keyword_check` knows; a name that is one of them must be quoted.
const KEYWORDS: &[&str] = &[
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

/// `name` as an SQL identifier: in double quotes when `force` is set or when it is not a plain
/// identifier (`[A-Za-z_][A-Za-z0-9_]*` and not a keyword), as `sqlite3`'s `quoteChar` decides.
pub fn quote_ident(name: &str, force: bool) -> String {
    let plain = name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(name));
    if plain && !force {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// How text literals are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralStyle {
    /// `.dump` and `insert` mode: newlines and carriage returns go through `replace(..)` so that
    /// each statement stays on one line.
    Dump,
    /// `quote` mode: text as it is inside quotes.
    Quote,
}

/// A value as an SQL literal that reads back as the same value and type.
pub fn sql_literal(v: &Value, style: LiteralStyle) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => real_literal(*f),
        Value::Text(s) if s.contains('\0') => {
            format!("CAST({} AS TEXT)", blob_literal(s.as_bytes()))
        }
        Value::Text(s) if style == LiteralStyle::Dump => text_literal_escaped(s),
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Blob(b) => blob_literal(b),
    }
}

fn blob_literal(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2 + 3);
    s.push_str("X'");
    for byte in b {
        let _ = write!(s, "{byte:02x}");
    }
    s.push('\'');
    s
}

/// 2^63, the first double past `i64::MAX`.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// A real that reads back as the same double: `5.0` for integral values, otherwise 20
/// significant digits; infinities as `9.0e+999`, which SQLite reads as infinity.
fn real_literal(f: f64) -> String {
    if f.is_infinite() {
        return if f > 0.0 { "9.0e+999" } else { "-9.0e+999" }.into();
    }
    // Every integral double in [-2^63, 2^63) fits an i64.
    if f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) {
        return format!("{}.0", f as i64);
    }
    real_20g(f)
}

/// A string not found in `z`: `a`, else `b`, else `(a0)`, `(a1)`, ... (`sqlite3`'s
/// `unused_string`), to stand for a newline inside a `replace(..)`.
fn unused_string(z: &str, a: &str, b: &str) -> String {
    if !z.contains(a) {
        return a.into();
    }
    if !z.contains(b) {
        return b.into();
    }
    // `z` holds fewer than `z.len() + 1` distinct markers, so this search ends.
    (0..=z.len())
        .map(|i| format!("({a}{i})"))
        .find(|s| !z.contains(s.as_str()))
        .expect("some numbered marker is absent from a finite string")
}

/// `'text'`, with `\n` and `\r` written as `replace('a\nb','\n',char(10))` as `sqlite3` does.
fn text_literal_escaped(s: &str) -> String {
    let quoted = s.replace('\'', "''");
    let has_nl = s.contains('\n');
    let has_cr = s.contains('\r');
    if !has_nl && !has_cr {
        return format!("'{quoted}'");
    }
    let nl = has_nl.then(|| unused_string(s, "\\n", "\\012"));
    let cr = has_cr.then(|| unused_string(s, "\\r", "\\015"));
    let mut body = quoted;
    if let Some(nl) = &nl {
        body = body.replace('\n', nl);
    }
    if let Some(cr) = &cr {
        body = body.replace('\r', cr);
    }
    let mut out = String::new();
    if nl.is_some() {
        out.push_str("replace(");
    }
    if cr.is_some() {
        out.push_str("replace(");
    }
    out.push('\'');
    out.push_str(&body);
    out.push('\'');
    if let Some(cr) = cr {
        let _ = write!(out, ",'{cr}',char(13))");
    }
    if let Some(nl) = nl {
        let _ = write!(out, ",'{nl}',char(10))");
    }
    out
}

/// One row of `sqlite_schema`.
#[derive(Debug, Clone)]
pub struct SchemaRow {
    pub kind: String,
    pub name: String,
    pub tbl_name: String,
    pub sql: Option<String>,
}

/// Every row of `sqlite_schema`, in rowid (creation) order.
pub fn schema_rows(conn: &mut Connection) -> embedlite::Result<Vec<SchemaRow>> {
    // A new database has no page 1 yet, so no schema table to read.
    let pages = conn.query("PRAGMA page_count", &[])?;
    if matches!(pages.rows.first().and_then(|r| r.first()), Some(Value::Integer(0))) {
        return Ok(Vec::new());
    }
    let r = conn.query("SELECT type, name, tbl_name, sql FROM sqlite_schema", &[])?;
    let text = |v: &Value| match v {
        Value::Text(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(format!("{other:?}")),
    };
    Ok(r.rows
        .iter()
        .map(|row| SchemaRow {
            kind: row.first().and_then(text).unwrap_or_default(),
            name: row.get(1).and_then(text).unwrap_or_default(),
            tbl_name: row.get(2).and_then(text).unwrap_or_default(),
            sql: row.get(3).and_then(text),
        })
        .collect())
}

/// SQL `LIKE` without an escape character: `%`, `_`, ASCII case folded.
pub fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('_', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => {
                t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &t[1..])
            }
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn matches_any(patterns: &[String], names: &[&str]) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| names.iter().any(|n| like(p, n)))
}

/// A `CREATE TABLE` whose name is quoted becomes `CREATE TABLE IF NOT EXISTS`, as `sqlite3`
/// writes it in `.schema` and `.dump`.
fn schema_sql(sql: &str) -> String {
    let b = sql.as_bytes();
    if b.len() > 13
        && b[..13].eq_ignore_ascii_case(b"CREATE TABLE ")
        && matches!(b[13], b'"' | b'\'')
    {
        format!("CREATE TABLE IF NOT EXISTS {}", &sql[13..])
    } else {
        sql.to_string()
    }
}

/// `.schema [PATTERN]`: the `CREATE` statements whose name or table matches, each ending in
/// `;`; a view is followed by a comment with its column names.
pub fn write_schema(
    conn: &mut Connection,
    out: &mut dyn Write,
    patterns: &[String],
) -> Result<(), crate::commands::CmdError> {
    let rows = schema_rows(conn)?;
    for row in rows {
        let Some(sql) = &row.sql else { continue };
        if !matches_any(patterns, &[&row.name, &row.tbl_name]) {
            continue;
        }
        let mut text = schema_sql(sql);
        if row.kind == "view" {
            let select = format!("SELECT * FROM {}", quote_ident(&row.name, false));
            if let Ok(stmt) = conn.prepare(&select) {
                let cols: Vec<String> =
                    stmt.columns().iter().map(|c| quote_ident(c, false)).collect();
                let _ =
                    write!(text, "\n/* {}({}) */", quote_ident(&row.name, false), cols.join(","));
            }
        }
        writeln!(out, "{text};")?;
    }
    Ok(())
}

/// `.tables [PATTERN]` (tables and views) or `.indexes [TABLE]`: sorted names in columns.
pub fn write_names(
    conn: &mut Connection,
    out: &mut dyn Write,
    indexes: bool,
    patterns: &[String],
) -> Result<(), crate::commands::CmdError> {
    let rows = schema_rows(conn)?;
    let mut names: Vec<String> = rows
        .into_iter()
        .filter(|r| {
            if indexes {
                r.kind == "index" && matches_any(patterns, &[&r.tbl_name])
            } else {
                matches!(r.kind.as_str(), "table" | "view")
                    && !like("sqlite_%", &r.name)
                    && matches_any(patterns, &[&r.name])
            }
        })
        .map(|r| r.name)
        .collect();
    names.sort();
    write_name_columns(out, &names)?;
    Ok(())
}

/// `.dump [PATTERN...]`. Returns how many errors were met (each is also written into the dump as
/// a comment, and the dump then ends in `ROLLBACK` so that loading it changes nothing).
pub fn write_dump(
    conn: &mut Connection,
    out: &mut dyn Write,
    patterns: &[String],
) -> io::Result<usize> {
    let mut errors = 0usize;
    writeln!(out, "PRAGMA foreign_keys=OFF;")?;
    writeln!(out, "BEGIN TRANSACTION;")?;
    let rows = match schema_rows(conn) {
        Ok(r) => r,
        Err(e) => {
            writeln!(out, "/****** ERROR: {e} ******/")?;
            errors += 1;
            Vec::new()
        }
    };
    let mut tables: Vec<&SchemaRow> = rows
        .iter()
        .filter(|r| r.kind == "table" && r.sql.is_some() && matches_any(patterns, &[&r.name]))
        .collect();
    // sqlite_sequence goes last: its rows must follow the tables' CREATE statements.
    tables.sort_by_key(|r| r.name.eq_ignore_ascii_case("sqlite_sequence"));
    for t in tables {
        let name = t.name.as_str();
        let lower = name.to_ascii_lowercase();
        if lower == "sqlite_sequence" {
            writeln!(out, "DELETE FROM sqlite_sequence;")?;
        } else if like("sqlite_stat_", &lower) {
            writeln!(out, "ANALYZE sqlite_schema;")?;
        } else if lower.starts_with("sqlite_") {
            continue;
        } else {
            writeln!(out, "{};", schema_sql(t.sql.as_deref().unwrap_or_default()))?;
        }
        let quoted = quote_ident(name, false);
        match conn.query(&format!("SELECT * FROM {quoted}"), &[]) {
            Ok(r) => {
                for row in &r.rows {
                    write_insert_row(out, &quoted, row)?;
                }
            }
            Err(e) => {
                writeln!(out, "/****** ERROR: reading {quoted}: {e} ******/")?;
                errors += 1;
            }
        }
    }
    for r in &rows {
        let Some(sql) = &r.sql else { continue };
        if matches!(r.kind.as_str(), "index" | "trigger" | "view")
            && matches_any(patterns, &[&r.name, &r.tbl_name])
        {
            writeln!(out, "{sql};")?;
        }
    }
    writeln!(out, "{}", if errors > 0 { "ROLLBACK; -- due to errors" } else { "COMMIT;" })?;
    Ok(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_match_sqlite_dump() {
        let lit = |v: Value| sql_literal(&v, LiteralStyle::Dump);
        assert_eq!(lit(Value::Text("it's".into())), "'it''s'");
        assert_eq!(lit(Value::Text("a\nb".into())), "replace('a\\nb','\\n',char(10))");
        assert_eq!(
            lit(Value::Text("a\n\\nb\rc".into())),
            "replace(replace('a\\012\\nb\\rc','\\r',char(13)),'\\012',char(10))"
        );
        assert_eq!(lit(Value::Real(100.0)), "100.0");
        assert_eq!(lit(Value::Real(-0.0)), "0.0");
        assert_eq!(lit(Value::Real(1e20)), "1.0e+20");
        assert_eq!(lit(Value::Real(0.1)), "0.10000000000000000555");
        assert_eq!(lit(Value::Real(f64::NEG_INFINITY)), "-9.0e+999");
        assert_eq!(lit(Value::Blob(vec![0, 0xff])), "X'00ff'");
        assert_eq!(lit(Value::Null), "NULL");
    }

    #[test]
    fn identifiers_are_quoted_when_needed() {
        assert_eq!(quote_ident("t1", false), "t1");
        assert_eq!(quote_ident("order", false), "\"order\"");
        assert_eq!(quote_ident("odd name", false), "\"odd name\"");
        assert_eq!(quote_ident("a\"b", false), "\"a\"\"b\"");
        assert_eq!(quote_ident("t", true), "\"t\"");
    }

    #[test]
    fn like_folds_case_and_takes_wildcards() {
        assert!(like("sqlite_%", "SQLITE_sequence"));
        assert!(like("t_", "t1"));
        assert!(!like("t_", "t"));
        assert!(like("%", ""));
    }

    #[test]
    fn quoted_table_names_get_if_not_exists() {
        assert_eq!(schema_sql("CREATE TABLE \"a b\"(x)"), "CREATE TABLE IF NOT EXISTS \"a b\"(x)");
        assert_eq!(schema_sql("CREATE TABLE t(x)"), "CREATE TABLE t(x)");
    }
}
