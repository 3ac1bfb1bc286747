//! The worker: one child process that runs one corpus file's records, in order, on one fresh
//! in-memory database, and reports each record's outcome on stdout as soon as it is known.
//!
//! The supervisor (`supervisor.rs`) starts a worker by running this test binary again with the
//! `EMBEDLITE_SLT_WORKER_*` variables set. A worker started with `from = k` first *replays*
//! records `0..k` — only the `statement` records, and not those in `skip` (the ones that hung or
//! crashed a previous worker) — to rebuild the database those records left, then runs and
//! reports records `k..`. Records are numbered by [`corpus::counted_lines`].
//!
//! Protocol, one line each on stdout (other lines, such as the test harness's, are ignored):
//!
//! ```text
//! @@slt replayed <k>     a statement before `from` was re-run (a heartbeat for the watchdog)
//! @@slt ready <from>     parsed, replayed, and about to run record `from`
//! @@slt pass <k>
//! @@slt skip <k>         a condition (skipif/onlyif) excluded the record
//! @@slt fail <k> [why]   why: the error, escaped onto one line; only for the first few
//! @@slt halt <k>         a `halt` before record k: it and the rest are skipped
//! @@slt done
//! ```

use std::collections::BTreeSet;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use sqllogictest::{
    Condition, Control, DefaultColumnType, QueryExpect, Record, RecordOutput, ResultMode, Runner,
};

use crate::backend::{Backend, Embedlite, RecordTypes, SltDb, Sqlite};
use crate::corpus::{self, CorpusFile};
use crate::BackendKind;

pub const ENV_FILE: &str = "EMBEDLITE_SLT_WORKER_FILE";
pub const ENV_REL: &str = "EMBEDLITE_SLT_WORKER_REL";
pub const ENV_FROM: &str = "EMBEDLITE_SLT_WORKER_FROM";
pub const ENV_SKIP: &str = "EMBEDLITE_SLT_WORKER_SKIP";
pub const ENV_DETAILS: &str = "EMBEDLITE_SLT_WORKER_DETAILS";

/// The line prefix of the protocol.
pub const PREFIX: &str = "@@slt ";

/// A record's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    Skip,
}

/// One line of the protocol, parsed.
#[derive(Debug)]
pub enum Msg {
    Ready(usize),
    Replayed,
    Record(usize, Outcome, Option<String>),
    Halt(usize),
    Done,
}

impl Msg {
    pub fn parse(line: &str) -> Option<Msg> {
        // The harness may have started the line ("test sqllogictest_corpus ... ").
        let rest = &line[line.find(PREFIX)? + PREFIX.len()..];
        let mut parts = rest.splitn(3, ' ');
        let word = parts.next()?;
        let index = parts.next().and_then(|k| k.parse().ok());
        let detail = parts.next().map(unescape);
        Some(match (word, index) {
            ("ready", Some(k)) => Msg::Ready(k),
            ("done", _) => Msg::Done,
            ("replayed", Some(_)) => Msg::Replayed,
            ("pass", Some(k)) => Msg::Record(k, Outcome::Pass, None),
            ("skip", Some(k)) => Msg::Record(k, Outcome::Skip, None),
            ("fail", Some(k)) => Msg::Record(k, Outcome::Fail, detail),
            ("halt", Some(k)) => Msg::Halt(k),
            _ => return None,
        })
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

/// What a worker process is asked to do.
#[derive(Debug)]
pub struct Job {
    pub file: CorpusFile,
    pub from: usize,
    pub skip: BTreeSet<usize>,
    /// How many failures to describe (the rest are reported without a reason).
    pub details: usize,
    pub backend: BackendKind,
}

impl Job {
    /// The job of this process if it was started as a worker.
    pub fn from_env(backend: BackendKind) -> Option<Job> {
        let path = PathBuf::from(std::env::var_os(ENV_FILE)?);
        let var = |name| std::env::var(name).unwrap_or_default();
        Some(Job {
            file: CorpusFile { path, rel: var(ENV_REL), size: 0 },
            from: var(ENV_FROM).parse().unwrap_or(0),
            skip: var(ENV_SKIP).split(',').filter_map(|k| k.parse().ok()).collect(),
            details: var(ENV_DETAILS).parse().unwrap_or(0),
            backend,
        })
    }

    /// The variables that make a child process this job's worker.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (ENV_FILE, self.file.path.to_string_lossy().into_owned()),
            (ENV_REL, self.file.rel.clone()),
            (ENV_FROM, self.from.to_string()),
            (ENV_SKIP, self.skip.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")),
            (ENV_DETAILS, self.details.to_string()),
        ]
    }
}

/// Runs the job on a thread with a main-thread-sized stack (the harness's test threads have
/// 2 MiB; a deep but legal expression should not fail for that).
pub fn main(job: Job) {
    // A panic is reported as the record's failure; the default hook would also print it.
    std::panic::set_hook(Box::new(|_| {}));
    let worker = std::thread::Builder::new()
        .name("slt-worker".into())
        .stack_size(8 << 20)
        .spawn(move || match job.backend {
            BackendKind::Embedlite => run::<Embedlite>(&job),
            BackendKind::Sqlite => run::<Sqlite>(&job),
        })
        .expect("spawn the worker thread");
    // The worker catches panics per record; one outside a record is a bug of the runner.
    if worker.join().is_err() {
        std::process::exit(101);
    }
}

fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    // If the supervisor has gone away there is nobody to tell.
    let _ = writeln!(out, "{PREFIX}{line}");
    let _ = out.flush();
}

/// Whether SQLite's runner, calling itself `sqlite`, skips a record with these conditions.
fn skipped(conditions: &[Condition]) -> bool {
    conditions.iter().any(|c| match c {
        Condition::OnlyIf { label } => label != "sqlite",
        Condition::SkipIf { label } => label == "sqlite",
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic".to_owned())
}

fn run<B: Backend>(job: &Job) {
    let records = match corpus::load(&job.file) {
        Ok(records) => records,
        Err(e) => {
            // No `ready`: the supervisor counts the file as failed.
            eprintln!("{e}");
            return;
        }
    };
    let types: RecordTypes = Arc::default();
    let shared = Arc::clone(&types);
    let mut runner = Runner::new(move || {
        let types = Arc::clone(&shared);
        async move { SltDb::<B>::open(types) }
    });
    // SQLite's runner hashes results of more than 8 values unless a file says otherwise, and
    // the corpus lists one value per line.
    runner.with_hash_threshold(8);
    runner
        .run(Record::Control(Control::ResultMode(ResultMode::ValueWise)))
        .expect("a control record does not fail");

    let set_types = |record: &Record<DefaultColumnType>| {
        let record_types = match record {
            Record::Query { expected: QueryExpect::Results { types, .. }, .. } => {
                Some(types.clone())
            }
            Record::Query { .. } => Some(Vec::new()),
            _ => None,
        };
        *types.lock().expect("not poisoned: set only here") = record_types;
    };

    let mut details = job.details;
    let mut ready = false;
    let announce = |ready: &mut bool| {
        if !*ready {
            *ready = true;
            emit(&format!("ready {}", job.from));
        }
    };
    let mut k = 0;
    for record in records {
        if let Record::Halt { .. } = record {
            announce(&mut ready);
            emit(&format!("halt {k}"));
            return;
        }
        if corpus::counted_line(&record).is_none() {
            // Control, hash-threshold, conditions, comments: they only set the runner's state.
            let _ = runner.run(record);
            continue;
        }
        let this = k;
        k += 1;
        let (Record::Statement { conditions, .. } | Record::Query { conditions, .. }) = &record
        else {
            unreachable!("counted records are statements and queries")
        };
        let is_skipped = skipped(conditions);
        if this < job.from {
            let replay = matches!(record, Record::Statement { .. })
                && !is_skipped
                && !job.skip.contains(&this);
            if replay {
                set_types(&record);
                let _ = catch_unwind(AssertUnwindSafe(|| runner.run(record)));
                emit(&format!("replayed {this}"));
            }
            continue;
        }
        announce(&mut ready);
        if is_skipped {
            emit(&format!("skip {this}"));
            continue;
        }
        set_types(&record);
        let failure = match catch_unwind(AssertUnwindSafe(|| runner.run(record))) {
            Ok(Ok(RecordOutput::Nothing)) => {
                emit(&format!("skip {this}"));
                continue;
            }
            Ok(Ok(_)) => {
                emit(&format!("pass {this}"));
                continue;
            }
            Ok(Err(e)) => e.to_string(),
            Err(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
        };
        if details > 0 {
            details -= 1;
            emit(&format!("fail {this} {}", escape(failure.trim_end())));
        } else {
            emit(&format!("fail {this}"));
        }
    }
    announce(&mut ready);
    emit("done");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_round_trips() {
        let detail = "query result mismatch:\n[SQL] SELECT '\\n'\nat select1.test:12";
        let line = format!("{PREFIX}fail 7 {}", escape(detail));
        match Msg::parse(&line) {
            Some(Msg::Record(7, Outcome::Fail, Some(d))) => assert_eq!(d, detail),
            other => panic!("{other:?}"),
        }
        assert!(matches!(Msg::parse("@@slt pass 3"), Some(Msg::Record(3, Outcome::Pass, None))));
        assert!(matches!(Msg::parse("@@slt halt 0"), Some(Msg::Halt(0))));
        assert!(Msg::parse("running 1 test").is_none());
    }
}
