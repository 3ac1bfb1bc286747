//! Where a statement ends, for reading SQL a line at a time: the shell's `sqlite3_complete`.
//!
//! The scan follows the same rules as `embedlite::sql::parse::split_statements`: quotes
//! (`'..'`, `".."`, `` `..` ``, `[..]`), `--` and `/* */` comments, and trigger bodies, whose inner
//! `;` do not end the `CREATE TRIGGER` (only `END;` does).

/// What a scan of SQL text found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scan {
    /// The text ends with a statement-ending `;` (then only whitespace and comments).
    pub complete: bool,
    /// The text holds no token at all: only whitespace and comments.
    pub blank: bool,
}

/// Scans `sql`; unterminated quotes and block comments make it incomplete.
#[allow(clippy::many_single_char_names)] // the same names as `split_statements`, which it mirrors
pub fn scan(sql: &str) -> Scan {
    let b = sql.as_bytes();
    let mut i = 0;
    let mut words: Vec<String> = Vec::new();
    let mut in_trigger = false;
    let mut complete = false;
    let mut blank = true;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\'' | b'"' | b'`' | b'[' => {
                let close = if c == b'[' { b']' } else { c };
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Scan { complete: false, blank: false },
                        Some(&x) if x == close => {
                            if close != b']' && b.get(i + 1) == Some(&close) {
                                i += 2;
                                continue;
                            }
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                i += 1;
                words.push(String::new());
                complete = false;
                blank = false;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while !(b.get(i) == Some(&b'*') && b.get(i + 1) == Some(&b'/')) {
                    if i >= b.len() {
                        return Scan { complete: false, blank };
                    }
                    i += 1;
                }
                i += 2;
            }
            b';' => {
                blank = false;
                if !in_trigger || words.last().is_some_and(|w| w == "END") {
                    complete = true;
                    words.clear();
                    in_trigger = false;
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
                let w = sql[s..i].to_ascii_uppercase();
                if w == "TRIGGER" && words.first().is_some_and(|f| f == "CREATE") {
                    in_trigger = true;
                }
                words.push(w);
                complete = false;
                blank = false;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    words.push(String::new());
                    complete = false;
                    blank = false;
                }
                i += 1;
            }
        }
    }
    Scan { complete, blank }
}

#[cfg(test)]
mod tests {
    use super::scan;

    fn complete(s: &str) -> bool {
        scan(s).complete
    }

    #[test]
    fn statements_end_at_a_top_level_semicolon() {
        assert!(complete("select 1;"));
        assert!(complete("select 1; -- done\n"));
        assert!(complete("select 1; /* x */"));
        assert!(!complete("select 1"));
        assert!(!complete("select ';"));
        assert!(!complete("select 1; select 2"));
        assert!(!complete("select 1 /* ; "));
        assert!(complete("select 'a;b', \"c;\";"));
    }

    #[test]
    fn trigger_bodies_need_end() {
        let t = "create trigger tr after insert on t begin insert into u values(1);";
        assert!(!complete(t));
        assert!(complete(&format!("{t} end;")));
        assert!(complete("create temp trigger tr after insert on t begin select 1; end;"));
    }

    #[test]
    fn blank_means_only_comments() {
        assert!(scan("  -- hi\n /* x */ ").blank);
        assert!(!scan("select").blank);
    }
}
