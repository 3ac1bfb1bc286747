//! What the binding needs to know about SQL text before the engine sees it: whether it is only
//! whitespace and comments, and whether `sqlite3`'s legacy transaction rules call it DML.
//!
//! `sqlite3` decides "DML" by the statement's first keyword (`INSERT`, `UPDATE`, `DELETE`,
//! `REPLACE`), after leading whitespace and comments; `WITH ... INSERT` is not DML for it, and so
//! not for us either. That keyword decides both the implicit `BEGIN` and whether `rowcount` counts.

use embedlite::sql::parse::split_statements;

/// The text after leading whitespace and `--` / `/* */` comments.
fn skip_trivia(sql: &str) -> &str {
    let mut s = sql;
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.find('\n').map_or("", |i| &rest[i + 1..]);
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.find("*/").map_or("", |i| &rest[i + 2..]);
        } else {
            return s;
        }
    }
}

/// Whether `sql` holds no statement at all (only whitespace, comments and semicolons).
pub fn is_blank(sql: &str) -> bool {
    let mut s = skip_trivia(sql);
    while let Some(rest) = s.strip_prefix(';') {
        s = skip_trivia(rest);
    }
    s.is_empty()
}

/// The statements of `sql`, each without its leading comments, and without the blank ones (a
/// trailing comment is not a statement).
pub fn statements(sql: &str) -> Vec<&str> {
    split_statements(sql).into_iter().map(skip_trivia).filter(|s| !is_blank(s)).collect()
}

/// The first keyword of `sql` (after comments), as written.
fn first_keyword(sql: &str) -> &str {
    let s = skip_trivia(sql);
    let end = s.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(s.len());
    &s[..end]
}

/// Whether the first keyword of `sql` is `INSERT`, `UPDATE`, `DELETE` or `REPLACE`.
pub fn is_dml(sql: &str) -> bool {
    let word = first_keyword(sql);
    ["insert", "update", "delete", "replace"].iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// Whether the first keyword of `sql` is `CREATE`, `DROP` or `ALTER` (a schema change).
pub fn is_ddl(sql: &str) -> bool {
    let word = first_keyword(sql);
    ["create", "drop", "alter"].iter().any(|k| word.eq_ignore_ascii_case(k))
}

/// `name` as a SQL identifier: double-quoted, except the rowid aliases, left bare so that they
/// name the rowid even in an engine that treats quoted names strictly as column names.
pub fn quote_ident(name: &str) -> String {
    if ["rowid", "oid", "_rowid_"].iter().any(|k| name.eq_ignore_ascii_case(k)) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}
