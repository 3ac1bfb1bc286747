//! The dot commands (`.tables`, `.mode csv`, `.import data.csv t`, ...): splitting the line
//! into arguments as `sqlite3` does and running each command.

use std::fmt;
use std::io::{self, Write};

use embedlite::Connection;

use crate::dump::{write_dump, write_names, write_schema};
use crate::import::{import, Separators};
use crate::output::Mode;
use crate::{Flow, Shell};

/// Why a dot command failed; printed as `Error: ...`.
#[derive(Debug)]
pub enum CmdError {
    Msg(String),
    Sql(embedlite::Error),
    Io(io::Error),
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CmdError::Msg(m) => f.write_str(m),
            CmdError::Sql(e) => write!(f, "{e}"),
            CmdError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<embedlite::Error> for CmdError {
    fn from(e: embedlite::Error) -> Self {
        CmdError::Sql(e)
    }
}

impl From<io::Error> for CmdError {
    fn from(e: io::Error) -> Self {
        CmdError::Io(e)
    }
}

fn msg(m: impl Into<String>) -> CmdError {
    CmdError::Msg(m.into())
}

const HELP: &str = "\
.bail on|off             Stop after hitting an error.  Default OFF
.dump ?PATTERN?          Render database content as SQL (tables matching LIKE PATTERN)
.exit ?CODE?             Exit this program with return-code CODE
.headers on|off          Turn display of headers on or off
.help                    Show this message
.import FILE TABLE       Import data from FILE into TABLE
   Options:
     --ascii               Use \\037 and \\036 as column and row separators
     --csv                 Use , and \\n as column and row separators
     --skip N              Skip the first N rows of input
   Without --csv, the separators of the current mode are used (.mode csv first
   for CSV). A missing TABLE is created from the first row, every column TEXT.
.indexes ?TABLE?         Show names of indexes (of tables matching LIKE TABLE)
.mode MODE ?TABLE?       Set output mode
   MODE is one of:
     box         Tables using unicode box-drawing characters
     column      Output in columns.  (See .width)
     csv         Comma-separated values
     insert      SQL insert statements for TABLE
     json        Results in a JSON array
     line        One value per line
     list        Values delimited by \"|\"
     markdown    Markdown table format
     quote       Escape answers as for SQL
     table       ASCII-art table
     tabs        Tab-separated values
.nullvalue STRING        Use STRING in place of NULL values
.open FILE               Close the current database and open FILE
.output ?FILE?           Send output to FILE, or back to stdout if FILE is omitted
.print STRING...         Print literal STRING
.quit                    Stop reading input (exit status 1 if anything failed)
.read FILE               Read input from FILE
.schema ?PATTERN?        Show the CREATE statements matching PATTERN
.separator COL ?ROW?     Change the column and row separators
.show                    Show the current values for various settings
.tables ?PATTERN?        List names of tables and views matching LIKE PATTERN
.timer on|off            Turn SQL timer on or off
";

/// Resolves the backslash escapes `sqlite3` allows in command arguments: `\n`, `\t`, `\r`,
/// `\\`, `\"`, `\'` and octal `\NNN`; anything else stays as written.
pub fn resolve_backslashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).expect("an octal digit");
                chars.next();
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v * 8 + x;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                continue;
            }
            _ => {
                out.push('\\');
                continue;
            }
        }
        chars.next();
    }
    out
}

/// Splits a dot-command line into words: whitespace separates; `'...'` is taken literally,
/// `"..."` and bare words have their backslash escapes resolved.
pub fn split_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else { break };
        let mut word = String::new();
        if first == '\'' || first == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                if c == first {
                    break;
                }
                if c == '\\' && first == '"' {
                    if let Some(n) = chars.next() {
                        word.push('\\');
                        word.push(n);
                    }
                    continue;
                }
                word.push(c);
            }
            args.push(if first == '"' { resolve_backslashes(&word) } else { word });
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            args.push(resolve_backslashes(&word));
        }
    }
    args
}

fn parse_bool(s: &str) -> Result<bool, CmdError> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(msg(format!("not a boolean value: \"{s}\" (use on or off)"))),
    }
}

/// The command names, for prefix matching (`.tab` is `.tables`, as in `sqlite3`).
const COMMANDS: &[&str] = &[
    "bail",
    "dump",
    "exit",
    "headers",
    "help",
    "import",
    "indexes",
    "indices",
    "mode",
    "nullvalue",
    "open",
    "output",
    "print",
    "quit",
    "read",
    "schema",
    "separator",
    "show",
    "tables",
    "timer",
];

fn resolve_command(name: &str) -> Option<&'static str> {
    if let Some(exact) = COMMANDS.iter().find(|c| **c == name) {
        return Some(exact);
    }
    if name == "header" {
        return Some("headers");
    }
    let mut hits = COMMANDS.iter().filter(|c| c.starts_with(name));
    match (hits.next(), hits.next()) {
        (Some(one), None) if !name.is_empty() => Some(one),
        _ => None,
    }
}

fn show_string(s: &str) -> String {
    format!("{s:?}")
}

impl Shell {
    /// Runs one dot command (`line` starts with `.`).
    pub fn dot_command(&mut self, line: &str) -> Result<Flow, CmdError> {
        let args = split_args(line.strip_prefix('.').unwrap_or(line));
        let Some(word) = args.first() else {
            return Err(msg(
                "unknown command or invalid arguments:  \"\". Enter \".help\" for help",
            ));
        };
        let usage = |u: &str| msg(format!("Usage: {u}"));
        let rest = &args[1..];
        let Some(cmd) = resolve_command(word) else {
            return Err(msg(format!(
                "unknown command or invalid arguments:  \"{word}\". Enter \".help\" for help"
            )));
        };
        match (cmd, rest) {
            ("bail", [v]) => self.bail = parse_bool(v)?,
            ("bail", _) => return Err(usage(".bail on|off")),
            ("dump", pats) => {
                let errors = write_dump(&mut self.conn, &mut self.out, pats)?;
                if errors > 0 {
                    return Err(msg(format!("{errors} errors while dumping")));
                }
            }
            ("exit", []) => return Ok(Flow::Exit(0)),
            ("exit", [code]) => {
                return Ok(Flow::Exit(code.parse().map_err(|_| usage(".exit ?CODE?"))?))
            }
            ("quit", []) => return Ok(Flow::Quit),
            ("headers", [v]) => {
                self.fmt.headers = parse_bool(v)?;
                self.fmt.headers_set = true;
            }
            ("headers", _) => return Err(usage(".headers on|off")),
            ("help", _) => self.out.write_all(HELP.as_bytes())?,
            ("import", args) => self.import(args)?,
            ("indexes" | "indices", pats) if pats.len() <= 1 => {
                write_names(&mut self.conn, &mut self.out, true, pats)?;
            }
            ("tables", pats) => write_names(&mut self.conn, &mut self.out, false, pats)?,
            ("schema", pats) if pats.len() <= 1 => {
                write_schema(&mut self.conn, &mut self.out, pats)?;
            }
            ("mode", []) => writeln!(self.out, "current output mode: {}", self.fmt.mode.name())?,
            ("mode", [m, table @ ..]) if table.len() <= 1 => self
                .fmt
                .set_mode(&m.to_ascii_lowercase(), table.first().map(String::as_str))
                .map_err(msg)?,
            ("nullvalue", [v]) => self.fmt.null.clone_from(v),
            ("separator", [col]) => self.fmt.col_sep.clone_from(col),
            ("separator", [col, row]) => {
                self.fmt.col_sep.clone_from(col);
                self.fmt.row_sep.clone_from(row);
            }
            ("open", [path]) => {
                let conn = Connection::open(path)
                    .map_err(|e| msg(format!("unable to open database \"{path}\": {e}")))?;
                self.conn = conn;
                self.filename.clone_from(path);
            }
            ("output", []) => {
                self.out.flush()?;
                self.out = Box::new(io::BufWriter::new(io::stdout()));
                "stdout".clone_into(&mut self.out_name);
            }
            ("output", [path]) => {
                self.out.flush()?;
                if path == "stdout" {
                    self.out = Box::new(io::BufWriter::new(io::stdout()));
                } else {
                    let f = std::fs::File::create(path)
                        .map_err(|e| msg(format!("cannot open \"{path}\": {e}")))?;
                    self.out = Box::new(io::BufWriter::new(f));
                }
                self.out_name.clone_from(path);
            }
            ("print", words) => writeln!(self.out, "{}", words.join(" "))?,
            ("read", [path]) => return self.read_file(path),
            ("show", []) => self.show()?,
            ("timer", [v]) => self.timer = parse_bool(v)?,
            ("timer", _) => return Err(usage(".timer on|off")),
            (name, _) => return Err(msg(format!("wrong arguments to .{name}; see .help"))),
        }
        Ok(Flow::Continue)
    }

    fn show(&mut self) -> Result<(), CmdError> {
        let on = |b: bool| if b { "on" } else { "off" };
        let lines = [
            ("bail", on(self.bail).to_string()),
            ("headers", on(self.fmt.headers).to_string()),
            ("mode", self.fmt.mode.name().to_string()),
            ("nullvalue", show_string(&self.fmt.null)),
            ("output", self.out_name.clone()),
            ("colseparator", show_string(&self.fmt.col_sep)),
            ("rowseparator", show_string(&self.fmt.row_sep)),
            ("timer", on(self.timer).to_string()),
            ("filename", self.filename.clone()),
        ];
        for (k, v) in lines {
            writeln!(self.out, "{k:>12}: {v}")?;
        }
        Ok(())
    }

    /// `.import ?--csv|--ascii? ?--skip N? FILE TABLE`.
    fn import(&mut self, args: &[String]) -> Result<(), CmdError> {
        let usage = || msg("Usage: .import ?--csv|--ascii? ?--skip N? FILE TABLE");
        let mut csv = self.fmt.mode == Mode::Csv;
        let mut ascii = false;
        let mut skip = 0usize;
        let mut names = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--csv" | "-csv" => csv = true,
                "--ascii" | "-ascii" => ascii = true,
                "--skip" | "-skip" => {
                    skip = it.next().and_then(|n| n.parse().ok()).ok_or_else(usage)?;
                }
                "-v" => {}
                o if o.starts_with('-') && o.len() > 1 => {
                    return Err(msg(format!("unknown option \"{o}\" for .import")))
                }
                _ => names.push(a),
            }
        }
        let [file, table] = names.as_slice() else { return Err(usage()) };
        let sep = if ascii {
            Separators { col: 0x1f, row: 0x1e, quotes: false }
        } else if csv {
            Separators { col: b',', row: b'\n', quotes: true }
        } else {
            let (&[col], &[row]) = (self.fmt.col_sep.as_bytes(), self.fmt.row_sep.as_bytes())
            else {
                return Err(msg("multi-character separators are not allowed for import; use --csv or .separator"));
            };
            Separators { col, row, quotes: true }
        };
        let mut stderr = io::stderr();
        import(&mut self.conn, &mut stderr, file, table, sep, skip)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_split_like_sqlite() {
        assert_eq!(split_args("mode csv"), vec!["mode", "csv"]);
        assert_eq!(split_args("separator \"\\t\" '\\n'"), vec!["separator", "\t", "\\n"]);
        assert_eq!(split_args("separator | \\n"), vec!["separator", "|", "\n"]);
        assert_eq!(split_args("import 'my file.csv' t"), vec!["import", "my file.csv", "t"]);
        assert_eq!(resolve_backslashes("a\\011b\\q"), "a\tb\\q");
    }

    #[test]
    fn commands_match_by_prefix() {
        assert_eq!(resolve_command("tab"), Some("tables"));
        assert_eq!(resolve_command("header"), Some("headers"));
        assert_eq!(resolve_command("h"), None);
        assert_eq!(resolve_command("q"), Some("quit"));
    }
}
