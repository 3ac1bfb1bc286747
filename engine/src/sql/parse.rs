//! Splitting SQL text into statements and parsing each: `sqlparser` with our dialect for the
//! standard statements, a small hand parser for what it does not handle (`PRAGMA`, `REINDEX`,
//! `ANALYZE`, `VACUUM`).

use sqlparser::ast::Statement;
use sqlparser::parser::Parser;

use super::dialect::EmbedliteDialect;
use crate::error::{Error, Result};

/// One parsed statement.
#[derive(Debug, Clone)]
pub enum Parsed {
    /// A statement `sqlparser` understands.
    Sql(Box<Statement>),
    /// `PRAGMA name`, `PRAGMA name = value`, `PRAGMA name(value)`.
    Pragma {
        /// Pragma name, lower case (a `schema.` prefix is dropped).
        name: String,
        /// The argument as written (quotes removed).
        arg: Option<String>,
    },
    /// `REINDEX [name]`.
    Reindex(Option<String>),
    /// `ANALYZE [name]`: accepted, statistics are not kept.
    Analyze,
    /// `VACUUM`.
    Vacuum,
}

/// Splits `sql` into statement texts at top-level semicolons (quotes, comments and trigger
/// bodies respected). Empty statements are dropped.
#[must_use]
pub fn split_statements(sql: &str) -> Vec<&str> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut words: Vec<String> = Vec::new();
    let mut in_trigger = false;
    // Open `CASE` expressions in a trigger body: their `END` does not end the trigger.
    let mut open_cases = 0usize;
    let mut has_token = false;
    while i < b.len() {
        let c0 = b[i];
        if !(c0.is_ascii_whitespace() || c0 == b';' || is_comment_start(b, i)) {
            has_token = true;
        }
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                i += 1;
                while i < b.len() {
                    if b[i] == close {
                        if close != b']' && i + 1 < b.len() && b[i + 1] == close {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                words.push(String::new());
            }
            b'-' | b'/' if is_comment_start(b, i) => i = comment_end(b, i),
            b';' => {
                let ends = !in_trigger || words.last().is_some_and(|w| w == "END");
                if ends {
                    let text = sql[start..i].trim();
                    if has_token {
                        out.push(text);
                    }
                    has_token = false;
                    start = i + 1;
                    words.clear();
                    in_trigger = false;
                    open_cases = 0;
                } else {
                    words.push(";".into());
                }
                i += 1;
            }
            _ if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                let mut w = sql[s..i].to_ascii_uppercase();
                if w == "TRIGGER" && words.first().is_some_and(|f| f == "CREATE") {
                    in_trigger = true;
                }
                if in_trigger && w == "CASE" {
                    open_cases += 1;
                } else if in_trigger && w == "END" && open_cases > 0 {
                    open_cases -= 1;
                    w = "END CASE".into();
                }
                words.push(w);
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    words.push(String::new());
                }
                i += 1;
            }
        }
    }
    let text = sql.get(start..).map_or("", str::trim);
    if has_token {
        out.push(text);
    }
    out
}

/// `sql` without leading whitespace and comments.
fn skip_comments(sql: &str) -> &str {
    let mut s = sql.trim_start();
    loop {
        if let Some(rest) = s.strip_prefix("--") {
            s = rest.find('\n').map_or("", |i| &rest[i + 1..]).trim_start();
        } else if let Some(rest) = s.strip_prefix("/*") {
            s = rest.find("*/").map_or("", |i| &rest[i + 2..]).trim_start();
        } else {
            return s;
        }
    }
}

fn syntax_error(sql: &str, e: &sqlparser::parser::ParserError) -> Error {
    if matches!(e, sqlparser::parser::ParserError::RecursionLimitExceeded) {
        return Error::Sql(format!(
            "statement nested too deeply (parentheses, subqueries, or a chain of more than {} \
             operators) in {:?}",
            super::dialect::MAX_EXPR_DEPTH,
            truncate(sql)
        ));
    }
    let msg = e.to_string();
    let msg = msg.strip_prefix("sql parser error: ").unwrap_or(&msg);
    Error::Sql(format!("syntax error in {:?}: {msg}", truncate(sql)))
}

fn truncate(sql: &str) -> String {
    if sql.chars().count() > 80 {
        let head: String = sql.chars().take(77).collect();
        format!("{head}...")
    } else {
        sql.to_string()
    }
}

fn first_words(sql: &str, n: usize) -> Vec<String> {
    sql.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .take(n)
        .map(str::to_ascii_uppercase)
        .collect()
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() >= 2 {
        let (f, l) = (b[0], b[b.len() - 1]);
        if (f == b'\'' && l == b'\'')
            || (f == b'"' && l == b'"')
            || (f == b'`' && l == b'`')
            || (f == b'[' && l == b']')
        {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

/// Whether a `--` or `/*` comment starts at `b[i]`.
pub(crate) fn is_comment_start(b: &[u8], i: usize) -> bool {
    matches!((b.get(i), b.get(i + 1)), (Some(b'-'), Some(b'-')) | (Some(b'/'), Some(b'*')))
}

/// The index just past the comment starting at `b[i]` (its newline stays for a `--` comment).
pub(crate) fn comment_end(b: &[u8], mut i: usize) -> usize {
    if b[i] == b'-' {
        while i < b.len() && b[i] != b'\n' {
            i += 1;
        }
        return i;
    }
    i += 2;
    while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
        i += 1;
    }
    (i + 2).min(b.len())
}

/// Gives every bare `?` its number as `SQLite` does — one more than the largest number used so
/// far, in the order of the text — by writing it as `?N`. The binder then numbers parameters in
/// the order it binds them (LIMIT before ORDER BY, ...) without changing their meaning. Quoted
/// strings, identifiers and comments are left alone.
fn number_placeholders(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('?') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut i, mut last, mut max) = (0, 0, 0u64);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'[' => {
                while i < b.len() && b[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            b'-' | b'/' if is_comment_start(b, i) => i = comment_end(b, i),
            b'?' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                if j > start {
                    max = max.max(sql[start..j].parse().unwrap_or(u64::MAX));
                } else {
                    max = max.saturating_add(1);
                    out.push_str(&sql[last..start]);
                    out.push_str(&max.to_string());
                    last = start;
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[last.min(sql.len())..]);
    std::borrow::Cow::Owned(out)
}

/// Parses one statement's text.
pub fn parse_one(sql: &str) -> Result<Parsed> {
    let sql = skip_comments(sql);
    let words = first_words(sql, 2);
    match words.first().map(String::as_str) {
        Some("PRAGMA") => return parse_pragma(sql),
        Some("REINDEX") => {
            let rest = sql.trim()[7..].trim();
            return Ok(Parsed::Reindex((!rest.is_empty()).then(|| unquote(rest))));
        }
        Some("ANALYZE") => return Ok(Parsed::Analyze),
        Some("VACUUM") => return parse_vacuum(sql),
        Some("ATTACH" | "DETACH") => {
            return Err(Error::Unsupported("ATTACH and DETACH are not supported yet".into()));
        }
        _ => {}
    }
    let numbered = number_placeholders(sql);
    let sql = numbered.as_ref();
    let dialect = EmbedliteDialect::default();
    let mut parser = Parser::new(&dialect).try_with_sql(sql).map_err(|e| syntax_error(sql, &e))?;
    let stmt = parser.parse_statement().map_err(|e| syntax_error(sql, &e))?;
    // Anything after the statement (other than a semicolon) is an error.
    let rest = parser.peek_token();
    if rest.token != sqlparser::tokenizer::Token::EOF {
        return Err(Error::Sql(format!(
            "syntax error near \"{}\" in {:?}",
            rest.token,
            truncate(sql)
        )));
    }
    Ok(Parsed::Sql(Box::new(stmt)))
}

/// `VACUUM [main]`; `VACUUM INTO` is not supported and there is no other schema.
fn parse_vacuum(sql: &str) -> Result<Parsed> {
    let words = first_words(sql, 3);
    match words.get(1).map(String::as_str) {
        None => Ok(Parsed::Vacuum),
        Some("MAIN") if words.len() == 2 => Ok(Parsed::Vacuum),
        Some("INTO" | "MAIN") => Err(Error::Unsupported("VACUUM INTO is not supported yet".into())),
        Some(_) => {
            let name = sql.trim().trim_end_matches(';')[6..].trim();
            Err(Error::Sql(format!("unknown database {}", unquote(name))))
        }
    }
}

fn parse_pragma(sql: &str) -> Result<Parsed> {
    let body = sql.trim()[6..].trim().trim_end_matches(';').trim();
    let (name_part, arg) = if let Some(eq) = body.find('=') {
        (&body[..eq], Some(unquote(&body[eq + 1..])))
    } else if let Some(open) = body.find('(') {
        let close = body
            .rfind(')')
            .ok_or_else(|| Error::Sql(format!("syntax error in {:?}", truncate(sql))))?;
        (&body[..open], Some(unquote(&body[open + 1..close])))
    } else {
        (body, None)
    };
    let name = name_part.trim();
    let name = name.rsplit('.').next().unwrap_or(name);
    let name = unquote(name).to_ascii_lowercase();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::Sql(format!("syntax error in {:?}", truncate(sql))));
    }
    Ok(Parsed::Pragma { name, arg })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons() {
        let s = split_statements("SELECT ';'; -- a; comment\n SELECT \"x;y\" /* ; */ ; ;CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END; SELECT 3");
        assert_eq!(s.len(), 4, "{s:?}");
        assert!(s[2].starts_with("CREATE TRIGGER") && s[2].ends_with("END"));
        assert_eq!(s[3], "SELECT 3");
        // A CASE ... END inside a trigger body does not end the trigger.
        let s = split_statements(
            "CREATE TRIGGER t BEFORE DELETE ON a BEGIN SELECT CASE WHEN 1 THEN 2 END; END; SELECT 1",
        );
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(split_statements("-- only a comment\n; /* and another */"), Vec::<&str>::new());
        assert!(matches!(
            parse_one("-- pragma in a comment\nSELECT 1").expect("select"),
            Parsed::Sql(_)
        ));
    }

    #[test]
    fn parses_what_sqlparser_rejects() {
        assert!(
            matches!(parse_one("PRAGMA table_info(t1)").expect("pragma"), Parsed::Pragma { ref name, arg: Some(ref a) } if name == "table_info" && a == "t1")
        );
        assert!(
            matches!(parse_one("PRAGMA main.user_version = 7").expect("pragma"), Parsed::Pragma { ref name, arg: Some(ref a) } if name == "user_version" && a == "7")
        );
        assert!(
            matches!(parse_one("REINDEX t1").expect("reindex"), Parsed::Reindex(Some(ref n)) if n == "t1")
        );
        assert!(parse_one("SELECT a NOT GLOB 'x' FROM t").is_ok());
        assert!(parse_one("SELECT FROM WHERE").is_err());
        assert_eq!(
            number_placeholders("SELECT ?, '?', \"?\", ?5, ? -- ?\n/* ? */ LIMIT ?"),
            "SELECT ?1, '?', \"?\", ?5, ?6 -- ?\n/* ? */ LIMIT ?7"
        );
    }
}
