//! A SQL tokenizer that keeps each token's byte span, for the edits `ALTER TABLE` makes to
//! stored schema text: renaming or dropping a column changes the `CREATE` statements in place,
//! as SQLite does, instead of printing a parsed statement back (which would lose the user's
//! spelling, comments and spacing).
//!
//! Whitespace and comments are skipped. An unterminated quote runs to the end of the text.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// A bare word: a keyword or an unquoted identifier.
    Word,
    /// An identifier in `"..."`, `` `...` `` or `[...]`.
    Quoted,
    /// A string literal `'...'`.
    Str,
    /// A blob literal `x'...'`.
    Blob,
    /// A numeric literal.
    Number,
    /// A parameter: `?`, `?1`, `:a`, `@a`, `$a`.
    Var,
    /// An operator or punctuation.
    Punct,
}

/// One token: its kind and where it is in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: TokKind,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

impl Token {
    /// The token as written.
    #[must_use]
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }

    /// The identifier a word or quoted token names (quotes removed); `None` for other tokens.
    #[must_use]
    pub fn ident(&self, sql: &str) -> Option<String> {
        let t = self.text(sql);
        match self.kind {
            TokKind::Word => Some(t.to_string()),
            TokKind::Quoted => {
                let (open, inner) = t.split_at(1);
                let close = if open == "[" { ']' } else { open.chars().next().unwrap_or('"') };
                let inner = inner.strip_suffix(close).unwrap_or(inner);
                Some(if close == ']' {
                    inner.to_string()
                } else {
                    inner.replace(&format!("{close}{close}"), &close.to_string())
                })
            }
            _ => None,
        }
    }

    /// Whether the token is an identifier naming `name` (case-insensitive).
    #[must_use]
    pub fn names(&self, sql: &str, name: &str) -> bool {
        self.ident(sql).is_some_and(|i| i.eq_ignore_ascii_case(name))
    }

    /// Whether the token is the bare word `kw` (case-insensitive).
    #[must_use]
    pub fn is_word(&self, sql: &str, kw: &str) -> bool {
        self.kind == TokKind::Word && self.text(sql).eq_ignore_ascii_case(kw)
    }

    /// Whether the token is the punctuation `p`.
    #[must_use]
    pub fn is_punct(&self, sql: &str, p: &str) -> bool {
        self.kind == TokKind::Punct && self.text(sql) == p
    }
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$' || !c.is_ascii()
}

/// The end of the quoted text that opens at byte `i` (with `close` as its closing character,
/// doubled inside to stand for itself unless it is `]`).
fn quoted_end(sql: &str, i: usize, close: char) -> usize {
    let b = sql.as_bytes();
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == close as u8 {
            if close != ']' && b.get(j + 1) == Some(&(close as u8)) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// The tokens of `sql`.
#[must_use]
pub fn tokenize(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = sql[i..].chars().next().expect("i is on a character boundary");
        let start = i;
        let kind = match c {
            _ if c.is_whitespace() => {
                i += c.len_utf8();
                continue;
            }
            '-' if b.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(b.len(), |n| i + n + 1);
                continue;
            }
            '/' if b.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(b.len(), |n| i + n + 4);
                continue;
            }
            '\'' => {
                i = quoted_end(sql, i, '\'');
                TokKind::Str
            }
            '"' | '`' => {
                i = quoted_end(sql, i, c);
                TokKind::Quoted
            }
            '[' => {
                i = quoted_end(sql, i, ']');
                TokKind::Quoted
            }
            'x' | 'X' if b.get(i + 1) == Some(&b'\'') => {
                i = quoted_end(sql, i + 1, '\'');
                TokKind::Blob
            }
            _ if c.is_ascii_digit()
                || (c == '.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                i += 1;
                while i < b.len() {
                    let d = b[i];
                    let exp_sign = (d == b'+' || d == b'-') && matches!(b[i - 1], b'e' | b'E') && {
                        // `0x1e+2` is a hex number followed by `+2`.
                        !sql[start..i].starts_with("0x") && !sql[start..i].starts_with("0X")
                    };
                    if d.is_ascii_alphanumeric() || d == b'.' || d == b'_' || exp_sign {
                        i += 1;
                    } else {
                        break;
                    }
                }
                TokKind::Number
            }
            '?' | ':' | '@' | '$' => {
                i += 1;
                while i < b.len() && is_id_char(b[i] as char) {
                    i += 1;
                }
                TokKind::Var
            }
            _ if is_id_char(c) => {
                while let Some(d) = sql[i..].chars().next().filter(|d| is_id_char(*d)) {
                    i += d.len_utf8();
                }
                TokKind::Word
            }
            _ => {
                let two = sql.get(i..i + 2).unwrap_or("");
                i += if matches!(two, "||" | "<=" | ">=" | "<>" | "!=" | "==" | "<<" | ">>" | "->")
                {
                    if sql.get(i..i + 3) == Some("->>") {
                        3
                    } else {
                        2
                    }
                } else {
                    c.len_utf8()
                };
                TokKind::Punct
            }
        };
        out.push(Token { kind, start, end: i });
    }
    out
}

/// The index of the token closing the parenthesis opened by token `open`, or `None` if it is
/// never closed.
#[must_use]
pub fn matching_paren(sql: &str, toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// One part of the parenthesised list of a `CREATE TABLE`: a column definition or a table
/// constraint, as a range of token indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableItem {
    /// First token.
    pub first: usize,
    /// One past the last token.
    pub end: usize,
    /// A column definition (its first token is the column's name), not a table constraint.
    pub column: bool,
}

/// The column definitions and table constraints of a `CREATE TABLE` text, and the index of the
/// token that closes their list. `None` if the text has no such list (`CREATE TABLE ... AS`).
#[must_use]
pub fn table_items(sql: &str, toks: &[Token]) -> Option<(Vec<TableItem>, usize)> {
    let open = toks.iter().position(|t| t.is_punct(sql, "(") || t.is_word(sql, "AS"))?;
    if !toks[open].is_punct(sql, "(") {
        return None;
    }
    let close = matching_paren(sql, toks, open)?;
    let mut items = Vec::new();
    let mut first = open + 1;
    let mut depth = 0usize;
    for i in open + 1..=close {
        let t = &toks[i];
        if t.is_punct(sql, "(") {
            depth += 1;
        } else if t.is_punct(sql, ")") && depth > 0 {
            depth -= 1;
        } else if depth == 0 && (t.is_punct(sql, ",") || i == close) {
            if first < i {
                let head = &toks[first];
                let constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
                    .iter()
                    .any(|k| head.is_word(sql, k));
                items.push(TableItem { first, end: i, column: !constraint });
            }
            first = i + 1;
        }
    }
    Some((items, close))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        tokenize(sql).iter().map(|t| t.text(sql)).collect()
    }

    #[test]
    fn tokens_keep_their_spelling_and_spans() {
        assert_eq!(
            texts(
                "SELECT \"a\"\"b\", [c d], `e`, 'it''s', x'0A', 1.5e-3, ?2 -- c\n/* d */ a||b<=c"
            ),
            vec![
                "SELECT",
                "\"a\"\"b\"",
                ",",
                "[c d]",
                ",",
                "`e`",
                ",",
                "'it''s'",
                ",",
                "x'0A'",
                ",",
                "1.5e-3",
                ",",
                "?2",
                "a",
                "||",
                "b",
                "<=",
                "c"
            ]
        );
        let sql = "\"a\"\"b\" [c d] `e` été";
        let idents: Vec<Option<String>> = tokenize(sql).iter().map(|t| t.ident(sql)).collect();
        assert_eq!(
            idents,
            vec![
                Some("a\"b".to_string()),
                Some("c d".to_string()),
                Some("e".to_string()),
                Some("été".to_string())
            ]
        );
        assert_eq!(texts("'open"), vec!["'open"]);
    }

    #[test]
    fn table_items_split_at_top_level_commas() {
        let sql = "CREATE TABLE t(a INT DEFAULT (1, 2), \"b\" CHECK(b > 0), PRIMARY KEY(a, b))";
        let toks = tokenize(sql);
        let (items, close) = table_items(sql, &toks).expect("items");
        assert_eq!(close, toks.len() - 1);
        let shown: Vec<(&str, bool)> =
            items.iter().map(|it| (toks[it.first].text(sql), it.column)).collect();
        assert_eq!(shown, vec![("a", true), ("\"b\"", true), ("PRIMARY", false)]);
        assert!(table_items("CREATE TABLE t AS SELECT 1", &tokenize("CREATE TABLE t AS SELECT 1"))
            .is_none());
    }
}
