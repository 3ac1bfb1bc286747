//! `embedlite`: a command-line shell for embedlite databases that behaves like `sqlite3`.
//!
//! ```text
//! embedlite [OPTIONS] [FILE] [SQL | .COMMAND]...
//! ```
//!
//! With SQL arguments it runs them and exits; otherwise it reads standard input: line by line
//! with a prompt and history when that is a terminal, as a script when it is piped. Statements
//! run when a line completes them (`;` outside quotes, comments and trigger bodies). Rows print
//! in `sqlite3`'s default list mode unless `.mode` says otherwise. Errors print as `sqlite3`
//! prints them (`Parse error near line 3: no such table: t`); without a terminal, the exit
//! status is 1 when anything failed.
//!
//! Modules: `commands` (the dot commands), `output` (result modes), `dump` (`.dump`, `.schema`,
//! SQL literals), `import` (`.import`), `complete` (where a statement ends).

mod commands;
mod complete;
mod dump;
mod import;
mod output;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use embedlite::sql::parse::split_statements;
use embedlite::{Connection, ErrorCode};

use crate::commands::CmdError;
use crate::complete::scan;
use crate::output::{write_result, Format};

const PROMPT: &str = "embedlite> ";
const CONTINUE_PROMPT: &str = "   ...> ";
/// `.read` files may read others, but not without end.
const MAX_READ_DEPTH: usize = 25;

/// What the shell does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `.quit`, or an error under `.bail on`: stop reading input.
    Quit,
    /// `.exit CODE`: stop at once with this status.
    Exit(i32),
}

/// Where SQL came from, which decides how an error names its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A command-line argument or a line typed at the prompt: `Parse error: ...`.
    Direct,
    /// A piped script or a `.read` file: `Parse error near line N: ...`.
    Script,
}

/// The shell's state.
pub struct Shell {
    pub conn: Connection,
    pub filename: String,
    pub fmt: Format,
    /// Where results go: standard output, or the file of `.output`.
    pub out: Box<dyn Write>,
    pub out_name: String,
    pub timer: bool,
    pub bail: bool,
    /// Statements and commands that failed so far.
    pub errors: usize,
    pub read_depth: usize,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("filename", &self.filename)
            .field("fmt", &self.fmt)
            .field("out", &self.out_name)
            .finish_non_exhaustive()
    }
}

/// One line of input, or why there is none.
enum Line {
    Text(String),
    /// Ctrl-C at the prompt: drop the statement being typed.
    Interrupted,
    Eof,
}

trait LineSource {
    fn read_line(&mut self, continuation: bool) -> Line;
}

/// Lines from a pipe or a file; a final line without a newline counts too.
struct Reader<R>(R);

impl<R: BufRead> LineSource for Reader<R> {
    fn read_line(&mut self, _continuation: bool) -> Line {
        let mut buf = Vec::new();
        match self.0.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => Line::Eof,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                if buf.last() == Some(&b'\r') {
                    buf.pop();
                }
                Line::Text(String::from_utf8_lossy(&buf).into_owned())
            }
        }
    }
}

/// Lines typed at a terminal, with line editing and history (`rustyline`).
struct Editor {
    ed: rustyline::DefaultEditor,
}

impl LineSource for Editor {
    fn read_line(&mut self, continuation: bool) -> Line {
        match self.ed.readline(if continuation { CONTINUE_PROMPT } else { PROMPT }) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = self.ed.add_history_entry(line.as_str());
                }
                Line::Text(line)
            }
            Err(rustyline::error::ReadlineError::Interrupted) => Line::Interrupted,
            Err(_) => Line::Eof,
        }
    }
}

/// `~/.embedlite_history`, or the file `EMBEDLITE_HISTORY` names (empty: no history file).
fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EMBEDLITE_HISTORY") {
        return (!p.is_empty()).then(|| PathBuf::from(p));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".embedlite_history"))
}

/// The number `sqlite3` shows after a message, e.g. `(19)` for a constraint; 1 is not shown.
fn result_code(code: ErrorCode) -> i32 {
    match code {
        ErrorCode::Busy => 5,
        ErrorCode::ReadOnly => 8,
        ErrorCode::IoErr => 10,
        ErrorCode::Corrupt => 11,
        ErrorCode::Full => 13,
        ErrorCode::CantOpen => 14,
        ErrorCode::TooBig => 18,
        ErrorCode::Constraint => 19,
        ErrorCode::Misuse => 21,
        ErrorCode::Range => 25,
        ErrorCode::NotADb => 26,
        _ => 1,
    }
}

/// CPU times of this process, for `.timer`.
struct Times {
    real: Instant,
    user: f64,
    sys: f64,
}

impl Times {
    fn now() -> Times {
        let (user, sys) = cpu_times();
        Times { real: Instant::now(), user, sys }
    }
}

/// User and system CPU seconds of this process.
#[cfg(unix)]
#[allow(unsafe_code)]
fn cpu_times() -> (f64, f64) {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `getrusage` writes a whole `rusage` into the pointer it is given, which points at
    // memory of that type (zeroed, so valid even if the call failed and wrote nothing).
    let ru = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr());
        ru.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_utime), secs(ru.ru_stime))
}

#[cfg(not(unix))]
fn cpu_times() -> (f64, f64) {
    (0.0, 0.0)
}

impl Shell {
    fn new(conn: Connection, filename: String, fmt: Format) -> Shell {
        Shell {
            conn,
            filename,
            fmt,
            out: Box::new(io::BufWriter::new(io::stdout())),
            out_name: "stdout".into(),
            timer: false,
            bail: false,
            errors: 0,
            read_depth: 0,
        }
    }

    /// Flushes results (before an error message, a prompt, or the end).
    pub fn flush(&mut self) {
        if let Err(e) = self.out.flush() {
            self.io_failed(&e);
        }
    }

    /// Output that cannot be written: a closed pipe (`embedlite db "..." | head`) ends the
    /// shell quietly; anything else is an error.
    fn io_failed(&mut self, e: &io::Error) {
        if e.kind() == io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(self.errors > 0));
        }
        eprintln!("Error: cannot write output: {e}");
        self.errors += 1;
    }

    fn report(&mut self, kind: &str, e: &embedlite::Error, origin: Origin, line: usize) {
        self.flush();
        let code = result_code(e.code());
        let text = match e {
            // sqlite3 says just "UNIQUE constraint failed: t.a".
            embedlite::Error::Constraint(m) if m.contains("constraint failed") => m.clone(),
            other => other.to_string(),
        };
        let msg = if code > 1 { format!("{text} ({code})") } else { text };
        match origin {
            Origin::Direct => eprintln!("{kind}: {msg}"),
            Origin::Script => eprintln!("{kind} near line {line}: {msg}"),
        }
        self.errors += 1;
    }

    /// Runs every statement of `sql` (which starts on line `first_line` of its input), printing
    /// rows; stops at the first error. Returns whether all succeeded.
    fn run_sql(&mut self, sql: &str, first_line: usize, origin: Origin) -> bool {
        let start = self.timer.then(Times::now);
        let mut ok = true;
        for stmt in split_statements(sql) {
            if scan(stmt).blank {
                continue;
            }
            let offset = (stmt.as_ptr() as usize).saturating_sub(sql.as_ptr() as usize);
            let line = first_line + sql.get(..offset).map_or(0, |s| s.matches('\n').count());
            let prepared = match self.conn.prepare(stmt) {
                Ok(p) => p,
                Err(e) => {
                    self.report("Parse error", &e, origin, line);
                    ok = false;
                    break;
                }
            };
            match self.conn.query_prepared(&prepared, &[]) {
                Ok(r) => {
                    if let Err(e) = write_result(&mut self.out, &self.fmt, &r.columns, &r.rows) {
                        self.io_failed(&e);
                    }
                }
                Err(e) => {
                    self.report("Runtime error", &e, origin, line);
                    ok = false;
                    break;
                }
            }
        }
        if let Some(t0) = start {
            let t1 = Times::now();
            let real = t1.real.duration_since(t0.real).as_secs_f64();
            let line = format!(
                "Run Time: real {real:.3} user {:.6} sys {:.6}\n",
                t1.user - t0.user,
                t1.sys - t0.sys
            );
            if let Err(e) = self.out.write_all(line.as_bytes()) {
                self.io_failed(&e);
            }
        }
        self.flush();
        ok
    }

    /// Runs a dot command line, printing its error. Errors count toward the exit status and,
    /// under `.bail on`, stop the input.
    fn run_command(&mut self, line: &str) -> Flow {
        let r = self.dot_command(line);
        self.flush();
        match r {
            Ok(flow) => flow,
            Err(CmdError::Io(e)) => {
                self.io_failed(&e);
                if self.bail {
                    Flow::Quit
                } else {
                    Flow::Continue
                }
            }
            Err(e) => {
                eprintln!("Error: {e}");
                self.errors += 1;
                if self.bail {
                    Flow::Quit
                } else {
                    Flow::Continue
                }
            }
        }
    }

    /// Reads and runs input until its end, `.quit`, or an error under `.bail on`.
    fn process_input(&mut self, src: &mut dyn LineSource, origin: Origin) -> Flow {
        let mut buf = String::new();
        let mut first_line = 0;
        let mut lineno = 0;
        loop {
            self.flush();
            let line = match src.read_line(!buf.is_empty()) {
                Line::Text(l) => l,
                Line::Interrupted => {
                    buf.clear();
                    continue;
                }
                Line::Eof => break,
            };
            lineno += 1;
            if buf.is_empty() {
                let t = line.trim_start();
                if t.starts_with('.') {
                    match self.run_command(t) {
                        Flow::Continue => continue,
                        other => return other,
                    }
                }
                if t.starts_with('#') || scan(t).blank {
                    continue;
                }
                first_line = lineno;
            }
            buf.push_str(&line);
            buf.push('\n');
            if scan(&buf).complete {
                let ok = self.run_sql(&buf, first_line, origin);
                buf.clear();
                if !ok && self.bail {
                    return Flow::Quit;
                }
            }
        }
        if !scan(&buf).blank && !self.run_sql(&buf, first_line, origin) && self.bail {
            return Flow::Quit;
        }
        Flow::Continue
    }

    /// `.read FILE`.
    pub fn read_file(&mut self, path: &str) -> Result<Flow, CmdError> {
        if self.read_depth >= MAX_READ_DEPTH {
            return Err(CmdError::Msg(format!("too many nested .read (at most {MAX_READ_DEPTH})")));
        }
        let file = std::fs::File::open(path)
            .map_err(|_| CmdError::Msg(format!("cannot open \"{path}\"")))?;
        self.read_depth += 1;
        let flow = self.process_input(&mut Reader(io::BufReader::new(file)), Origin::Script);
        self.read_depth -= 1;
        Ok(flow)
    }

    fn interactive(&mut self) -> Flow {
        println!("embedlite {}", env!("CARGO_PKG_VERSION"));
        println!("Enter \".help\" for usage hints.");
        if self.filename == ":memory:" {
            println!("Connected to a transient in-memory database.");
            println!("Use \".open FILENAME\" to reopen on a persistent database.");
        }
        let Ok(mut ed) = rustyline::DefaultEditor::new() else {
            return self.process_input(&mut Reader(io::stdin().lock()), Origin::Direct);
        };
        let history = history_path();
        if let Some(h) = &history {
            let _ = ed.load_history(h);
        }
        let mut src = Editor { ed };
        let flow = self.process_input(&mut src, Origin::Direct);
        if let Some(h) = &history {
            // A home that cannot be written just means no history is kept.
            let _ = src.ed.save_history(h);
        }
        flow
    }

    fn status(&self) -> i32 {
        i32::from(self.errors > 0)
    }
}

const USAGE: &str = "\
Usage: embedlite [OPTIONS] [FILENAME [SQL...]]
FILENAME is the name of a database file; it is created if it does not exist.
Without it, a private in-memory database (:memory:) is used.
Each SQL argument (or .COMMAND) runs in turn; without any, SQL is read from
standard input: interactively when it is a terminal, as a script otherwise.
OPTIONS include:
   -bail                stop after hitting an error
   -batch               force batch I/O
   -box                 set output mode to 'box'
   -cmd COMMAND         run \"COMMAND\" before reading stdin
   -column              set output mode to 'column'
   -csv                 set output mode to 'csv'
   -header              turn headers on
   -help                show this message
   -interactive         force interactive I/O
   -json                set output mode to 'json'
   -line                set output mode to 'line'
   -list                set output mode to 'list'
   -markdown            set output mode to 'markdown'
   -newline SEP         set output row separator. Default: '\\n'
   -noheader            turn headers off
   -nullvalue TEXT      set text string for NULL values. Default ''
   -quote               set output mode to 'quote'
   -separator SEP       set output column separator. Default: '|'
   -table               set output mode to 'table'
   -tabs                set output mode to 'tabs'
   -version             show embedlite version
";

fn main() -> ExitCode {
    let code = run(std::env::args().skip(1).collect());
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}

fn run(args: Vec<String>) -> i32 {
    let mut fmt = Format::default();
    let mut file: Option<String> = None;
    let mut sql_args = Vec::new();
    let mut cmds = Vec::new();
    let mut bail = false;
    let mut interactive: Option<bool> = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        if !arg.starts_with('-') || arg == "-" {
            if file.is_none() {
                file = Some(arg);
            } else {
                sql_args.push(arg);
            }
            continue;
        }
        let opt = arg.trim_start_matches('-');
        let mut value = |name: &str| {
            let v = it.next();
            if v.is_none() {
                eprintln!("embedlite: Error: missing argument to -{name}");
            }
            v
        };
        match opt {
            "header" | "headers" => {
                fmt.headers = true;
                fmt.headers_set = true;
            }
            "noheader" | "noheaders" => {
                fmt.headers = false;
                fmt.headers_set = true;
            }
            "list" | "csv" | "json" | "line" | "column" | "table" | "box" | "markdown"
            | "quote" | "tabs" => {
                fmt.set_mode(opt, None).expect("the listed modes exist");
            }
            "separator" | "newline" | "nullvalue" | "cmd" => {
                let Some(v) = value(opt) else { return 1 };
                let v = commands::resolve_backslashes(&v);
                match opt {
                    "separator" => fmt.col_sep = v,
                    "newline" => fmt.row_sep = v,
                    "nullvalue" => fmt.null = v,
                    _ => cmds.push(v),
                }
            }
            "bail" => bail = true,
            "batch" => interactive = Some(false),
            "interactive" => interactive = Some(true),
            "version" => {
                println!("embedlite {}", env!("CARGO_PKG_VERSION"));
                return 0;
            }
            "help" => {
                print!("{USAGE}");
                return 0;
            }
            _ => {
                eprintln!(
                    "embedlite: Error: unknown option: {arg}\nUse -help for a list of options."
                );
                return 1;
            }
        }
    }
    let filename = file.unwrap_or_else(|| ":memory:".into());
    let conn = match Connection::open(&filename) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: unable to open database \"{filename}\": {e}");
            return 1;
        }
    };
    let mut shell = Shell::new(conn, filename, fmt);
    shell.bail = bail;
    for c in cmds.iter().chain(sql_args.iter()) {
        let flow = if c.trim_start().starts_with('.') {
            shell.run_command(c.trim_start())
        } else if shell.run_sql(c, 1, Origin::Direct) {
            Flow::Continue
        } else {
            // As in sqlite3: the first failing SQL argument ends the run.
            Flow::Quit
        };
        match flow {
            Flow::Continue => {}
            Flow::Quit => {
                shell.flush();
                return shell.status();
            }
            Flow::Exit(code) => {
                shell.flush();
                return code;
            }
        }
    }
    if !sql_args.is_empty() {
        shell.flush();
        return shell.status();
    }
    let flow = if interactive.unwrap_or_else(|| io::stdin().is_terminal()) {
        shell.interactive()
    } else {
        shell.process_input(&mut Reader(io::stdin().lock()), Origin::Script)
    };
    shell.flush();
    match flow {
        Flow::Exit(code) => code,
        Flow::Continue | Flow::Quit => shell.status(),
    }
}
