//! The committed per-file baseline: `<relative path> <passed>` per line, `#` comments. The run
//! fails if a file passes fewer records than its baseline, not counting those that failed only
//! for lack of time; `EMBEDLITE_SLT_UPDATE=1` raises the numbers (it never lowers one, so a
//! regression cannot be committed by accident).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::supervisor::FileResult;

pub type Baseline = BTreeMap<String, usize>;

const HEADER: &str = "\
# embedlite's sqllogictest baseline: records passed per corpus file (../shared/slt).
# `cargo test -p embedlite --test slt` fails if a file passes fewer (records that failed only for
# lack of time excepted); raise the numbers with `EMBEDLITE_SLT_UPDATE=1 make slt` (they only go up).
";

/// Reads the baseline; a missing file is an empty baseline.
pub fn read(path: &Path) -> Result<Baseline, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Baseline::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut baseline = Baseline::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = line
            .rsplit_once(' ')
            .and_then(|(file, passed)| Some((file.trim(), passed.parse().ok()?)));
        let Some((file, passed)) = parsed else {
            return Err(format!("{}:{}: bad line {line:?}", path.display(), n + 1));
        };
        baseline.insert(file.to_owned(), passed);
    }
    Ok(baseline)
}

/// The files that passed fewer records than their baseline, described. Records that failed only
/// for lack of time (`FileResult::out_of_time`) are given the benefit of the doubt: a slower
/// machine must not fail the check, a wrong answer must.
pub fn regressions(baseline: &Baseline, results: &[FileResult]) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| {
            let base = *baseline.get(&r.rel)?;
            (r.passed + r.out_of_time < base).then(|| {
                format!(
                    "{}: {} passed (+{} out of time), baseline {base}",
                    r.rel, r.passed, r.out_of_time
                )
            })
        })
        .collect()
}

/// The baseline raised to `results` (entries of files not run are kept).
pub fn raised(baseline: &Baseline, results: &[FileResult]) -> Baseline {
    let mut raised = baseline.clone();
    for r in results {
        let entry = raised.entry(r.rel.clone()).or_insert(0);
        *entry = (*entry).max(r.passed);
    }
    raised
}

pub fn write(path: &Path, baseline: &Baseline) -> Result<(), String> {
    let mut text = HEADER.to_owned();
    for (file, passed) in baseline {
        writeln!(text, "{file} {passed}").expect("writing to a String");
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
