//! The supervisor: runs the corpus files on `jobs` threads, each file in a worker *process*
//! (`worker.rs`) under a watchdog, and keeps every file's counts.
//!
//! Why a process and not a thread: a thread stuck in an endless loop cannot be stopped — it
//! would keep one of CI's two cores busy for the rest of the run — and an engine bug that
//! overflows the stack or aborts would take the whole run, table and all, down with it. A
//! process can be killed, and its death is just another failed record.
//!
//! Watchdog, for each file:
//! - a record that reports nothing for `record_timeout` (or a worker whose memory passes
//!   `memory_limit`, or that dies) is **failed**; the worker is killed and a fresh one is started
//!   on a fresh database that first replays the file's earlier `statement` records (not the
//!   one that hung) and then goes on with the next record. So one slow query costs one record,
//!   not the rest of the file. After `MAX_RESTARTS` restarts, or if a replay itself hangs, the
//!   rest of the file is failed.
//! - a file gets at most `file_budget` of wall time and the whole run `total_budget`; records
//!   not run when a budget runs out are failed (and the table says how many). This bounds the run
//!   whatever the engine's speed: at most `total_budget` plus one record timeout.

use std::collections::{BTreeSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::corpus::{self, CorpusFile};
use crate::worker::{Job, Msg, Outcome};
use crate::Config;

/// Restarts after a timeout or crash before the rest of a file is given up.
const MAX_RESTARTS: usize = 20;

/// How long a worker may take to parse its file and open the database.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the watchdog looks at the clock and the worker's memory while waiting.
const POLL: Duration = Duration::from_millis(250);

/// One file's result.
#[derive(Debug, Default)]
pub struct FileResult {
    pub rel: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub elapsed: Duration,
    /// Records failed because they ran out of time: timed out, or never ran because the file's
    /// or the run's time budget ran out or a replay hung. A slower machine fails more of these,
    /// so the baseline check forgives them (`baseline.rs`).
    pub out_of_time: usize,
    /// Records failed without running (out of time, or the worker could not go on).
    pub not_run: usize,
    /// Timeouts, crashes, memory kills: what and where.
    pub incidents: Vec<String>,
    /// The first failures' descriptions (`EMBEDLITE_SLT_VERBOSE`).
    pub details: Vec<String>,
}

/// Runs `files` on `config.jobs` threads, longest files first; results in path order.
pub fn run_all(config: &Config, files: &[CorpusFile]) -> Vec<FileResult> {
    let deadline = Instant::now() + config.total_budget;
    let mut order: Vec<&CorpusFile> = files.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(f.size));
    let queue = Mutex::new(order.into_iter().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let done = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.max(1) {
            scope.spawn(|| loop {
                let Some(file) = queue.lock().expect("queue lock").pop_front() else {
                    break;
                };
                let result = run_file(config, file, deadline);
                let mut done = done.lock().expect("progress lock");
                *done += 1;
                eprintln!(
                    "slt: [{}/{}] {} ({:.1}s)",
                    *done,
                    files.len(),
                    result.rel,
                    result.elapsed.as_secs_f64()
                );
                results.lock().expect("results lock").push(result);
            });
        }
    });
    let mut results = results.into_inner().expect("results lock");
    results.sort_by(|a, b| a.rel.cmp(&b.rel));
    results
}

/// Why a worker stopped before reporting `done`.
enum Stop {
    Finished,
    Halted(usize),
    Timeout,
    Crashed,
    Memory(u64),
    Budget,
}

/// One worker process and the lines it has written.
struct Worker {
    child: Child,
    lines: Receiver<String>,
}

impl Worker {
    fn spawn(config: &Config, job: &Job) -> std::io::Result<Worker> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .args([crate::TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .envs(job.env())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if config.verbose > 0 { Stdio::inherit() } else { Stdio::null() })
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Worker { child, lines })
    }

    /// Resident memory in bytes, where `/proc` tells it.
    fn resident_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    fn kill(mut self) {
        // It may have exited already; either way it is reaped here.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one file to the end, restarting its worker after a hang or crash (module comment).
fn run_file(config: &Config, file: &CorpusFile, total_deadline: Instant) -> FileResult {
    let start = Instant::now();
    let deadline = total_deadline.min(start + config.file_budget);
    let mut result = FileResult { rel: file.rel.clone(), ..FileResult::default() };
    let lines = match corpus::load(file) {
        Ok(records) => corpus::counted_lines(&records),
        Err(e) => {
            result.incidents.push(format!("does not parse: {e}"));
            return result;
        }
    };
    let mut outcomes: Vec<Option<Outcome>> = vec![None; lines.len()];
    let mut job = Job {
        file: file.clone(),
        from: 0,
        skip: BTreeSet::new(),
        details: config.verbose,
        backend: config.backend,
    };
    let mut restarts = 0;
    // Why the records that never ran did not: lack of time, or a worker that could not go on.
    let mut unrun_for_time = false;
    while job.from < lines.len() && Instant::now() < deadline {
        let worker = match Worker::spawn(config, &job) {
            Ok(worker) => worker,
            Err(e) => {
                result.incidents.push(format!("cannot start a worker: {e}"));
                break;
            }
        };
        let (stop, next) = watch(config, &worker, deadline, &mut outcomes, &mut result);
        worker.kill();
        job.details = config.verbose.saturating_sub(result.details.len());
        let what = match stop {
            Stop::Finished => break,
            Stop::Budget => {
                result.incidents.push("time budget exhausted".to_owned());
                unrun_for_time = true;
                break;
            }
            Stop::Halted(k) => {
                for outcome in &mut outcomes[k..] {
                    outcome.get_or_insert(Outcome::Skip);
                }
                break;
            }
            Stop::Timeout => format!("timed out after {}s", config.record_timeout.as_secs()),
            Stop::Crashed => "crashed the worker".to_owned(),
            Stop::Memory(bytes) => format!("used {} MiB", bytes >> 20),
        };
        // `next` is None if the worker had not reached its own records: it hung or died while
        // starting or replaying, and a new one would do the same. Give the rest up.
        let timed_out = matches!(stop, Stop::Timeout);
        let Some(k) = next.filter(|&k| k < outcomes.len()) else {
            unrun_for_time = timed_out;
            result.incidents.push(format!(
                "worker {what} before its first record (from record {}, line {}); rest failed",
                job.from,
                lines.get(job.from).copied().unwrap_or(0)
            ));
            break;
        };
        outcomes[k] = Some(Outcome::Fail);
        result.out_of_time += usize::from(timed_out);
        result.incidents.push(format!("line {}: {what}", lines[k]));
        job.skip.insert(k);
        job.from = k + 1;
        restarts += 1;
        if restarts > MAX_RESTARTS {
            unrun_for_time = timed_out;
            result.incidents.push(format!("{MAX_RESTARTS} restarts: rest of the file failed"));
            break;
        }
    }
    for outcome in outcomes {
        match outcome {
            Some(Outcome::Pass) => result.passed += 1,
            Some(Outcome::Fail) => result.failed += 1,
            Some(Outcome::Skip) => result.skipped += 1,
            None => {
                result.failed += 1;
                result.not_run += 1;
                result.out_of_time += usize::from(unrun_for_time);
            }
        }
    }
    result.elapsed = start.elapsed();
    result
}

/// Follows one worker until it finishes or must be stopped. Returns why it stopped and, if the
/// worker had reached its own records (`ready`), the record it was on: the first one it had not
/// reported.
fn watch(
    config: &Config,
    worker: &Worker,
    deadline: Instant,
    outcomes: &mut [Option<Outcome>],
    result: &mut FileResult,
) -> (Stop, Option<usize>) {
    let mut heard = false;
    let mut ready = false;
    let mut last_progress = Instant::now();
    let mut last_memory_check = last_progress;
    let mut next = None;
    loop {
        match worker.lines.recv_timeout(POLL) {
            Ok(line) => {
                let Some(msg) = Msg::parse(&line) else {
                    continue;
                };
                heard = true;
                last_progress = Instant::now();
                match msg {
                    Msg::Ready(from) => {
                        ready = true;
                        next = Some(from);
                    }
                    Msg::Replayed => {}
                    Msg::Record(k, outcome, detail) => {
                        if let Some(slot) = outcomes.get_mut(k) {
                            *slot = Some(outcome);
                        }
                        if let Some(detail) = detail {
                            result.details.push(detail);
                        }
                        next = Some(k + 1);
                    }
                    Msg::Halt(k) => return (Stop::Halted(k), None),
                    Msg::Done => return (Stop::Finished, None),
                }
            }
            Err(RecvTimeoutError::Disconnected) => return (Stop::Crashed, next),
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return (Stop::Budget, None);
        }
        // Parsing a big file takes a moment; after that every record, replayed or not, must
        // report within the record timeout.
        let limit = if heard { config.record_timeout } else { STARTUP_TIMEOUT };
        if now.duration_since(last_progress) >= limit {
            return (Stop::Timeout, next.filter(|_| ready));
        }
        // Reading `/proc` after every record would cost more than many records do.
        if now.duration_since(last_memory_check) >= POLL {
            last_memory_check = now;
            if let Some(bytes) = worker.resident_bytes().filter(|&b| b > config.memory_limit) {
                return (Stop::Memory(bytes), next.filter(|_| ready));
            }
        }
    }
}
