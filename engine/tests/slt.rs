//! SQLite's sqllogictest corpus (`../shared/slt`, about 560,000 records) against embedlite.
//!
//! Every expected answer in the corpus is real SQLite's output, so a failed record is a place
//! where embedlite answers differently from SQLite. The test prints one line per file,
//! `<file>: N passed, N failed, N skipped`, and ends with `slt: N passed, N failed, N skipped`;
//! it fails if a file passes fewer records than `tests/slt/baseline.txt` says (records that
//! failed only for lack of time — a record timeout, the time budget — are forgiven there, so that
//! a slower machine does not fail the check; they still count as failed in the table).
//!
//! ```text
//! cargo test --profile ci -p embedlite --test slt            # embedlite, checked against the baseline
//! make slt                                                   # the same, with --nocapture
//! EMBEDLITE_SLT_UPDATE=1 make slt                            # raise the baseline to this run
//! EMBEDLITE_SLT_BACKEND=sqlite make slt                      # real SQLite: validates the runner
//! ```
//!
//! Environment (all optional):
//!
//! | variable                      | default    | meaning                                            |
//! |-------------------------------|------------|----------------------------------------------------|
//! | `EMBEDLITE_SLT_BACKEND`       | `embedlite`| `sqlite` runs rusqlite instead (no baseline check) |
//! | `EMBEDLITE_SLT_FILTER`        |            | only files whose relative path contains this       |
//! | `EMBEDLITE_SLT_UPDATE`        |            | `1`: rewrite the baseline, raising numbers only    |
//! | `EMBEDLITE_SLT_VERBOSE`       | `0`        | print the first N failures of each file            |
//! | `EMBEDLITE_SLT_JOBS`          | `2`        | files run in parallel                              |
//! | `EMBEDLITE_SLT_RECORD_TIMEOUT`| `5`        | seconds one record may take                        |
//! | `EMBEDLITE_SLT_FILE_BUDGET`   | `120`      | seconds one file may take                          |
//! | `EMBEDLITE_SLT_TOTAL_BUDGET`  | `420`      | seconds the whole run may take                     |
//! | `EMBEDLITE_SLT_MEMORY_MB`     | `2048`     | resident memory one worker may use                 |
//! | `EMBEDLITE_SLT_DIR`           | `../shared/slt` from the workspace | the corpus             |
//!
//! Counting: each `statement` and `query` record is counted once per file — *passed*, *failed*,
//! or *skipped* (a `skipif`/`onlyif` condition excludes it for `sqlite`, or it comes after a
//! `halt`). A `statement error` record passes when the statement fails for any reason (the corpus
//! never names the error); a query passes when its printed values, or their MD5 hash for more
//! than 8 values, match. Real SQLite passes every record (`EMBEDLITE_SLT_BACKEND=sqlite`).
//!
//! Each file runs in its own worker process on a fresh `:memory:` database; a record that hangs
//! or crashes the worker fails alone, and a fresh worker replays the file's earlier statements
//! and goes on (see `slt/supervisor.rs`). How the records run — the corpus's quirks, the value
//! formatting, the two backends — is described in `slt/corpus.rs`, `slt/format.rs`,
//! `slt/backend.rs` and `slt/worker.rs`.

#[path = "slt/backend.rs"]
mod backend;
#[path = "slt/baseline.rs"]
mod baseline;
#[path = "slt/corpus.rs"]
mod corpus;
#[path = "slt/format.rs"]
mod format;
#[path = "slt/supervisor.rs"]
mod supervisor;
#[path = "slt/worker.rs"]
mod worker;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use supervisor::FileResult;

/// The name of the test below; workers are this binary run with `<TEST_NAME> --exact`.
const TEST_NAME: &str = "sqllogictest_corpus";

/// Which database runs the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Embedlite,
    Sqlite,
}

impl BackendKind {
    fn name(self) -> &'static str {
        match self {
            BackendKind::Embedlite => "embedlite",
            BackendKind::Sqlite => "sqlite (rusqlite, bundled)",
        }
    }
}

/// The run's settings, from the environment (module comment).
#[derive(Debug)]
pub struct Config {
    pub backend: BackendKind,
    pub dir: PathBuf,
    pub filter: Option<String>,
    pub update: bool,
    pub verbose: usize,
    pub jobs: usize,
    pub record_timeout: Duration,
    pub file_budget: Duration,
    pub total_budget: Duration,
    pub memory_limit: u64,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn env_number(name: &str, default: u64) -> u64 {
    env(name)
        .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")))
}

fn backend_from_env() -> BackendKind {
    match env("EMBEDLITE_SLT_BACKEND").as_deref() {
        None | Some("embedlite") => BackendKind::Embedlite,
        Some("sqlite" | "rusqlite") => BackendKind::Sqlite,
        Some(other) => panic!("EMBEDLITE_SLT_BACKEND={other:?}: use embedlite or sqlite"),
    }
}

impl Config {
    fn from_env() -> Config {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        Config {
            backend: backend_from_env(),
            dir: env("EMBEDLITE_SLT_DIR")
                .map_or_else(|| manifest.join("../../shared/slt"), PathBuf::from),
            filter: env("EMBEDLITE_SLT_FILTER"),
            update: env("EMBEDLITE_SLT_UPDATE").is_some_and(|v| v != "0"),
            verbose: env_number("EMBEDLITE_SLT_VERBOSE", 0) as usize,
            jobs: env_number("EMBEDLITE_SLT_JOBS", 2) as usize,
            record_timeout: Duration::from_secs(env_number("EMBEDLITE_SLT_RECORD_TIMEOUT", 5)),
            file_budget: Duration::from_secs(env_number("EMBEDLITE_SLT_FILE_BUDGET", 120)),
            total_budget: Duration::from_secs(env_number("EMBEDLITE_SLT_TOTAL_BUDGET", 420)),
            memory_limit: env_number("EMBEDLITE_SLT_MEMORY_MB", 2048) << 20,
        }
    }
}

/// Writes straight to the process's stdout: the test harness captures `print!` but not this,
/// so the table shows in a plain `cargo test` too.
fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// Incidents (timeouts, crashes) listed per file in the table.
const MAX_INCIDENTS: usize = 3;

/// A failure's description is cut to this many lines of this many characters: the corpus has
/// queries of several kilobytes.
const DETAIL_LINES: usize = 24;
const DETAIL_WIDTH: usize = 400;

/// The per-file lines and a summary line; the final `slt:` line is [`totals`].
fn table(
    results: &[FileResult],
    config: &Config,
    baseline: &baseline::Baseline,
    elapsed: Duration,
) -> String {
    use std::fmt::Write as _;
    let mut text = String::new();
    let (mut passed, mut failed, mut out_of_time) = (0, 0, 0);
    for r in results {
        let _ = write!(
            text,
            "{}: {} passed, {} failed, {} skipped",
            r.rel, r.passed, r.failed, r.skipped
        );
        let mut notes = vec![format!("{:.1}s", r.elapsed.as_secs_f64())];
        if config.backend == BackendKind::Embedlite {
            notes.push(format!("baseline {}", baseline.get(&r.rel).copied().unwrap_or(0)));
        }
        if r.out_of_time > 0 {
            notes.push(format!("{} out of time", r.out_of_time));
        }
        if r.not_run > 0 {
            notes.push(format!("{} not run", r.not_run));
        }
        // The first incidents say enough; a file with hundreds of timeouts would flood the line.
        notes.extend(r.incidents.iter().take(MAX_INCIDENTS).cloned());
        if r.incidents.len() > MAX_INCIDENTS {
            notes.push(format!("{} more incidents", r.incidents.len() - MAX_INCIDENTS));
        }
        let _ = writeln!(text, "  [{}]", notes.join("; "));
        for detail in &r.details {
            for line in detail.lines().take(DETAIL_LINES) {
                let cut: String = line.chars().take(DETAIL_WIDTH).collect();
                let more = if cut.len() < line.len() { " ..." } else { "" };
                let _ = writeln!(text, "    {cut}{more}");
            }
        }
        passed += r.passed;
        failed += r.failed;
        out_of_time += r.out_of_time;
    }
    let run = passed + failed;
    let rate = if run == 0 { 0.0 } else { 100.0 * passed as f64 / run as f64 };
    let _ = writeln!(
        text,
        "slt: {} on {} files in {:.1}s: {rate:.2}% of the records passed; {out_of_time} failed \
         for lack of time (record timeout or time budget)",
        config.backend.name(),
        results.len(),
        elapsed.as_secs_f64()
    );
    text
}

/// The last line: `slt: N passed, N failed, N skipped`.
fn totals(results: &[FileResult]) -> String {
    let sum = |f: fn(&FileResult) -> usize| results.iter().map(f).sum::<usize>();
    format!(
        "slt: {} passed, {} failed, {} skipped\n",
        sum(|r| r.passed),
        sum(|r| r.failed),
        sum(|r| r.skipped)
    )
}

#[test]
fn sqllogictest_corpus() {
    if let Some(job) = worker::Job::from_env(backend_from_env()) {
        worker::main(job);
        return;
    }
    let config = Config::from_env();
    let started = Instant::now();
    let files = corpus::list(&config.dir).unwrap_or_else(|e| {
        panic!(
            "the sqllogictest corpus is not at {} ({e}); set EMBEDLITE_SLT_DIR",
            config.dir.display()
        )
    });
    let files: Vec<_> = files
        .into_iter()
        .filter(|f| config.filter.as_ref().is_none_or(|s| f.rel.contains(s.as_str())))
        .collect();
    assert!(!files.is_empty(), "no corpus file matches {:?}", config.filter);

    let baseline_path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/slt/baseline.txt");
    let baseline = baseline::read(&baseline_path).unwrap_or_else(|e| panic!("{e}"));
    let results = supervisor::run_all(&config, &files);
    out(&table(&results, &config, &baseline, started.elapsed()));

    if config.backend == BackendKind::Sqlite {
        if config.update {
            out("slt: EMBEDLITE_SLT_UPDATE ignored: the baseline is embedlite's\n");
        }
        out(&totals(&results));
        return;
    }
    if config.update {
        let raised = baseline::raised(&baseline, &results);
        baseline::write(&baseline_path, &raised).unwrap_or_else(|e| panic!("{e}"));
        out(&format!("slt: baseline written to {}\n", baseline_path.display()));
    }
    out(&totals(&results));
    let regressions = baseline::regressions(&baseline, &results);
    assert!(
        regressions.is_empty(),
        "{} file(s) pass fewer records than tests/slt/baseline.txt:\n{}",
        regressions.len(),
        regressions.join("\n")
    );
}
